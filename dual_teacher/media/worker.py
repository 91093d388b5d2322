"""The thread lifecycle shared by capture sources: one named daemon thread, stopped by an event, joinable."""

from __future__ import annotations

import threading


class CaptureWorker:
    """Base for capture sources. Subclasses set `name`, call `__init__`, and implement `_main` (which should
    return soon after `_stop` is set). Threads are named `<thread_prefix>-<name>` for stage health and dumps."""

    thread_prefix = "capture"
    name: str

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _main(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._main, name=f"{self.thread_prefix}-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

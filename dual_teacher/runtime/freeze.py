"""The GUI thread's heartbeat: a blocked GUI thread is detected from outside it and every stack is written down.

A deadlock in native code (the GUI thread holding the GIL while blocked in C++, as the PySide6 / FFmpeg one
was) stops every Python thread too, so the watcher cannot be Python: faulthandler's own C thread does it.
Each heartbeat (`beat()`, from the classroom's GUI tick) re-arms it at most every `rearm_s`; if no beat comes
for `threshold_s` it writes every thread's Python stack to the freeze log without needing the GIL. When the
GUI thread runs again, `beat()` returns how long it was blocked, so the console can say so.

`FreezeClock` is the pure part (which gaps count as a freeze), on injected time.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import time
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

THRESHOLD_S = 3.0
REARM_S = 0.5


class FreezeClock:
    """Gaps between heartbeats; `beat(now)` returns the gap when it reached `threshold_s` (a freeze), else None."""

    def __init__(self, threshold_s: float = THRESHOLD_S) -> None:
        self.threshold_s = threshold_s
        self.last: float | None = None
        self.freezes = 0
        self.longest_s = 0.0

    def beat(self, now: float) -> float | None:
        gap = None if self.last is None else now - self.last
        self.last = now
        if gap is None or gap < self.threshold_s:
            return None
        self.freezes += 1
        self.longest_s = max(self.longest_s, gap)
        return gap


class GuiHeartbeat:
    """Arms faulthandler's watchdog so that a GUI thread blocked for `threshold_s` gets its stacks dumped to
    `log_path` (appended; one file per data folder)."""

    def __init__(self, log_path: Path, threshold_s: float = THRESHOLD_S, rearm_s: float = REARM_S) -> None:
        self.log_path = log_path
        self.clock = FreezeClock(threshold_s)
        # Armed with the threshold minus the re-arm period, so a dump comes at most `threshold_s` after the
        # last beat.
        self._arm_s = max(0.5, threshold_s - rearm_s)
        self._rearm_s = rearm_s
        self._armed_at = -1e9
        self._file: TextIO | None = None

    def start(self) -> bool:
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.log_path.open("a", encoding="utf-8")
        except OSError as exc:  # a full or read-only disk: no freeze log, the class goes on
            log.warning("no freeze log at %s: %s", self.log_path, exc)
            return False
        self._file.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}: watching the GUI thread (pid {os.getpid()})\n")
        self._arm(time.monotonic())
        return True

    def beat(self, now: float | None = None) -> float | None:
        """Call from the GUI thread; returns the seconds it was blocked when that was a freeze."""
        now = time.monotonic() if now is None else now
        gap = self.clock.beat(now)
        if gap is not None:
            log.error("the GUI thread was blocked for %.1f s; stacks in %s", gap, self.log_path)
            if self._file is not None:
                self._file.write(
                    f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}: the GUI thread ran again after {gap:.1f} s\n"
                )
        if self._file is not None and (gap is not None or now - self._armed_at >= self._rearm_s):
            self._arm(now)
        return gap

    def _arm(self, now: float) -> None:
        if self._file is None:
            return
        self._file.flush()
        faulthandler.dump_traceback_later(self._arm_s, repeat=False, file=self._file, exit=False)
        self._armed_at = now

    def stop(self) -> None:
        if self._file is None:
            return
        faulthandler.cancel_dump_traceback_later()
        self._file.close()
        self._file = None

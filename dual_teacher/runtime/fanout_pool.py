"""A `core.fanout.Fanout` on worker threads, for perception's independent regions.

The classroom models have a fixed batch of 1, so a frame is a few dozen small model runs. On a CPU, two runs
side by side with one ONNX Runtime thread each do more per second than one run at a time on two threads
(`benchmarks/bench_perception.py` measures both); ONNX Runtime and Pillow's crops release the GIL. The
pool has a fixed number of workers and no queue of its own beyond one frame's regions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def region_threads(threads: int, providers: Sequence[str]) -> tuple[int, int]:
    """(ONNX Runtime threads per session, region workers) for `threads` cores: on the CPU provider one
    thread per run and `threads` runs side by side; on an accelerator the sessions keep their threads and two
    workers overlap one region's crop with another's run."""
    threads = max(1, int(threads))
    if not providers or providers[0] == "CPUExecutionProvider":
        return 1, threads
    return threads, 2


class ThreadFanout:
    """`map` over `workers` threads; one item or one worker runs on the caller's thread. `close()` ends it."""

    def __init__(self, workers: int, name: str = "regions") -> None:
        self.workers = max(1, int(workers))
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=name) if self.workers > 1 else None
        self._lock = threading.Lock()

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        pool = self._pool
        if pool is None or len(items) < 2:
            return [fn(x) for x in items]
        return list(pool.map(fn, items))

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self) -> ThreadFanout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Fan-out: apply a function to independent items, one after another or on workers the caller owns.

Pure logic (perception's regions) takes a `Fanout` instead of starting threads itself; the runtime hands in
a pool (`dual_teacher.runtime.fanout_pool.ThreadFanout`), everything else gets `SERIAL`. Results come back
in the order of the items, and an exception in any item is raised to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Fanout(Protocol):
    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(x) for x in items]`, in order (possibly computed concurrently)."""
        ...


class Serial:
    """Every item on the caller's thread."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(x) for x in items]


SERIAL = Serial()


def _call(job: Callable[[], R]) -> R:
    return job()


def run_jobs(fanout: Fanout, jobs: Sequence[Callable[[], R]]) -> list[R]:
    """Each job's result, in order: unlike jobs of different kinds in separate `map`s, they share one dispatch
    (a worker that finished its job takes the next of any kind)."""
    return fanout.map(_call, jobs)

"""Bounded hand-over structures. Each names its drop policy and counts what it dropped."""

from __future__ import annotations

import collections
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Depth-1 slot: a new item overwrites an unread one (counted as dropped)."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._has = False
        self._cond = threading.Condition()
        self.dropped = 0
        self.put_count = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._has:
                self.dropped += 1
            self._item = item
            self._has = True
            self.put_count += 1
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest unread item, waiting up to `timeout` seconds; None when nothing arrived."""
        with self._cond:
            if not self._has and not self._cond.wait_for(lambda: self._has, timeout=timeout):
                return None
            item = self._item
            self._item = None
            self._has = False
            return item


class DropOldestQueue(Generic[T]):
    """Bounded FIFO that never blocks the producer: when full, the oldest item is dropped and counted."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: collections.deque[T] = collections.deque()
        self._cond = threading.Condition()
        self.dropped = 0

    def put_nowait(self, item: T) -> None:
        with self._cond:
            if len(self._items) >= self.maxsize:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._cond.notify()

    def get(self, timeout: float | None = None) -> T | None:
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: bool(self._items), timeout=timeout):
                return None
            return self._items.popleft()

    def drain(self, limit: int | None = None) -> list[T]:
        """Take up to `limit` items without waiting."""
        with self._cond:
            n = len(self._items) if limit is None else min(limit, len(self._items))
            return [self._items.popleft() for _ in range(n)]

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

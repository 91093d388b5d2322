"""The event store's writer thread: batched commits that never block the class.

Producers append to a bounded in-memory queue (drop-oldest, counted, at 100 000 pending events: about 18 hours
of a class with camera and microphone). One thread ("event-store") takes everything queued within a short
window and writes it in one transaction (`engagement.store.write_pending`). A failing write (disk full, locked
database) is rolled back and retried with backoff (`RETRY`) while the class goes on, and reported through
`health()`. At the first "disk full" the reserve file beside the store is deleted to make room; whatever is
still unwritten when the writer closes is spilled as JSON lines (`engagement.store.spill_pending`).

It lives in `runtime` (not `engagement`) because it owns a thread; the storage it drives is thread-free.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dual_teacher.core.backoff import Backoff
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.events import Event
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.engagement.store import (
    RESERVE_BYTES,
    Pending,
    PendingEvent,
    PendingSessionEnd,
    PendingSessionStart,
    connect,
    describe_failure,
    is_disk_full,
    make_reserve,
    release_reserve,
    rollback,
    spill_pending,
    write_pending,
)

log = logging.getLogger(__name__)

RETRY = Backoff(initial_s=0.2, cap_s=5.0)  # a failing write: 0.2 s doubling to 5 s, from the first success again


@dataclasses.dataclass(frozen=True)
class WriterHealth:
    pending: int
    committed: int
    dropped: int
    failing_since: float | None  # the writer's clock (monotonic) when the current run of failures began
    last_error: str | None
    rejected: int = 0
    disk_full: bool = False  # the last failure was a full disk
    reserve_released: bool = False  # the reserve file was deleted to make room


class StoreWriter:
    """Owns one connection and one thread; batches everything queued in a short window into one commit.
    `clock` paces the batch window and the retries and stamps `failing_since` and the spill file."""

    def __init__(
        self,
        path: Path,
        max_pending: int = 100_000,
        batch_window_s: float = 0.05,
        on_commit: Callable[[int], None] | None = None,
        reserve_bytes: int = RESERVE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        self.path = path
        self.clock = clock or RealClock()
        self._queue: DropOldestQueue[Pending] = DropOldestQueue(max_pending)
        self._window = batch_window_s
        self._on_commit = on_commit
        self._committed = 0
        self._failing_since: float | None = None
        self._last_error: str | None = None
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._retrying = 0
        self._rejected_now = 0
        self.rejected = 0  # events the database refused (constraint violations); logged, never retried
        self._disk_full = False
        self.reserve_released = False
        self.spilled_to: Path | None = None  # where unwritten events went at close (a disk that stayed full)
        self.spilled = 0
        self._batch: list[Pending] = []
        self._has_reserve = reserve_bytes > 0 and make_reserve(path, reserve_bytes)
        self._thread = threading.Thread(target=self._run, name="event-store", daemon=True)
        self._conn = connect(path)
        self._thread.start()

    def append(self, session_id: str, event: Event, mono: float, wall: float) -> None:
        self._put(PendingEvent.of(session_id, event, mono, wall))

    def start_session(self, values: tuple[Any, ...]) -> None:
        """Queue the session row (when `EventStore.create_session` failed on a full disk)."""
        self._put(PendingSessionStart(values))

    def end_session(self, session_id: str, wall: float, reason: str) -> None:
        self._put(PendingSessionEnd(session_id, wall, reason))

    def _put(self, item: Pending) -> None:
        with self._idle:
            self._in_flight += 1
        self._queue.put_nowait(item)

    def health(self) -> WriterHealth:
        """`pending` counts queued events plus the batch being written or retried."""
        return WriterHealth(
            len(self._queue) + self._retrying,
            self._committed,
            self._queue.dropped,
            self._failing_since,
            self._last_error,
            self.rejected,
            self._disk_full,
            self.reserve_released,
        )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything appended so far is committed; False on timeout (storage failing). The
        timeout is real time: it bounds how long the caller's thread is held."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight > self._queue.dropped and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Write what is queued (waiting up to `timeout` for a failing disk), then stop. Anything still
        unwritten is spilled to a JSON-lines file (`spilled_to`); False when that happened."""
        ok = self.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=timeout)
        self._conn.close()
        if not ok:
            spilled = spill_pending(self.path, [*self._batch, *self._queue.drain()], self.clock.wall())
            if spilled is not None:
                self.spilled_to, self.spilled = spilled
        return ok

    def _run(self) -> None:
        failures = 0
        batch: list[Pending] = []
        while True:
            self._batch = batch
            if not batch:
                first = self._queue.get(timeout=0.1)
                if first is None:
                    if self._stop.is_set():
                        return
                    continue
                self.clock.sleep(self._window)
                batch = [first, *self._queue.drain(5000)]
                self._batch = batch
            self._retrying = len(batch)
            try:
                try:
                    self._write(batch)
                except sqlite3.IntegrityError:
                    # One bad row must not block the rest: write them one by one, refusing only the bad ones.
                    self._write_each(batch)
            except sqlite3.Error as exc:
                rollback(self._conn)
                self._disk_full = is_disk_full(exc)
                if self._disk_full and self._has_reserve and release_reserve(self.path):
                    self._has_reserve = False
                    self.reserve_released = True
                    log.warning("disk full: released the reserve file beside %s, recording goes on", self.path)
                    continue
                if self._failing_since is None:
                    self._failing_since = self.clock.monotonic()
                    log.error("event store write failed, will retry: %s", exc)
                self._last_error = describe_failure(exc)
                failures += 1
                if self.clock.wait(self._stop, RETRY.delay(failures)):
                    return
                continue
            failures = 0
            self._committed_batch(batch)
            batch = []

    def _committed_batch(self, batch: list[Pending]) -> None:
        self._retrying = 0
        self._failing_since = None
        self._last_error = None
        self._disk_full = False
        self._committed += sum(1 for b in batch if isinstance(b, PendingEvent)) - self._rejected_now
        self._rejected_now = 0
        with self._idle:
            self._in_flight -= len(batch)
            self._idle.notify_all()
        if self._on_commit is not None:
            self._on_commit(self._committed)

    def _write_each(self, batch: list[Pending]) -> None:
        for item in batch:
            try:
                self._write([item])
            except sqlite3.IntegrityError as exc:
                self.rejected += 1
                self._rejected_now += isinstance(item, PendingEvent)
                log.error("event store refused %s: %s", item, exc)

    def _write(self, batch: list[Pending]) -> None:
        write_pending(self._conn, batch)

"""The event store: SQLite in WAL mode, one row per event, written by one thread in batched commits.

Durability: `synchronous=FULL` so a committed batch survives a killed process and a power cut. The
writer never blocks the class: producers append to a bounded in-memory queue (drop-oldest, counted, at
100 000 pending events, i.e. only after a long storage outage); a failing write (disk full, locked
database) is retried with backoff while the class goes on, and reported through `health()`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dual_teacher.core.errors import StorageError
from dual_teacher.core.events import Event
from dual_teacher.core.queues import DropOldestQueue

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    pack_id TEXT NOT NULL,
    pack_title TEXT NOT NULL,
    pack_path TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_wall REAL NOT NULL,
    ended_wall REAL,
    end_reason TEXT,
    app_version TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    mono REAL NOT NULL,
    wall REAL NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, seq);
"""


@dataclasses.dataclass(frozen=True)
class SessionRow:
    id: str
    pack_id: str
    pack_title: str
    pack_path: str
    mode: str
    started_wall: float
    ended_wall: float | None
    end_reason: str | None
    app_version: str
    meta: dict[str, Any]
    event_count: int = 0


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    seq: int
    session_id: str
    mono: float
    wall: float
    type: str
    payload: dict[str, Any]

    def event(self) -> Event:
        return Event.from_payload(self.type, self.payload)


@dataclasses.dataclass(frozen=True)
class _Record:
    session_id: str
    mono: float
    wall: float
    type: str
    payload: str


@dataclasses.dataclass(frozen=True)
class _SessionEnd:
    session_id: str
    wall: float
    reason: str


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    return conn


class EventStore:
    """Reading side plus session bookkeeping. Writes of events go through `StoreWriter`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = connect(path)
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"cannot open the event store {path}: {exc}",
                hint=("check that the disk is writable and not full; move a corrupt file aside to start a new store"),
            ) from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def create_session(
        self,
        session_id: str,
        pack_id: str,
        pack_title: str,
        pack_path: str,
        mode: str,
        started_wall: float,
        app_version: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO sessions (id, pack_id, pack_title, pack_path, mode, started_wall, app_version,"
                " meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    pack_id,
                    pack_title,
                    pack_path,
                    mode,
                    started_wall,
                    app_version,
                    json.dumps(meta or {}, ensure_ascii=False),
                ),
            )

    def sessions(self) -> list[SessionRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) FROM sessions s "
                "ORDER BY started_wall DESC"
            ).fetchall()
        return [_session_row(r) for r in rows]

    def session(self, session_id: str) -> SessionRow | None:
        """The session with this id, or with this unique id prefix, or the newest for 'latest'."""
        all_rows = self.sessions()
        if session_id == "latest":
            return all_rows[0] if all_rows else None
        exact = [r for r in all_rows if r.id == session_id]
        if exact:
            return exact[0]
        matches = [r for r in all_rows if r.id.startswith(session_id)]
        return matches[0] if len(matches) == 1 else None

    def events(self, session_id: str) -> list[StoredEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, session_id, mono, wall, type, payload FROM events WHERE session_id = ? ORDER BY seq",
                (session_id,),
            ).fetchall()
        return [StoredEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def _session_row(r: Sequence[Any]) -> SessionRow:
    return SessionRow(
        id=r[0],
        pack_id=r[1],
        pack_title=r[2],
        pack_path=r[3],
        mode=r[4],
        started_wall=r[5],
        ended_wall=r[6],
        end_reason=r[7],
        app_version=r[8],
        meta=json.loads(r[9] or "{}"),
        event_count=int(r[10]),
    )


@dataclasses.dataclass(frozen=True)
class WriterHealth:
    pending: int
    committed: int
    dropped: int
    failing_since: float | None
    last_error: str | None
    rejected: int = 0


class StoreWriter:
    """Owns one connection and one thread; batches everything queued in a short window into one commit."""

    def __init__(
        self,
        path: Path,
        max_pending: int = 100_000,
        batch_window_s: float = 0.05,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self._queue: DropOldestQueue[_Record | _SessionEnd] = DropOldestQueue(max_pending)
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
        self._thread = threading.Thread(target=self._run, name="event-store", daemon=True)
        self._conn = connect(path)
        self._thread.start()

    def append(self, session_id: str, event: Event, mono: float, wall: float) -> None:
        payload = json.dumps(event.payload(), ensure_ascii=False, allow_nan=False)
        with self._idle:
            self._in_flight += 1
        self._queue.put_nowait(_Record(session_id, mono, wall, event.kind, payload))

    def end_session(self, session_id: str, wall: float, reason: str) -> None:
        with self._idle:
            self._in_flight += 1
        self._queue.put_nowait(_SessionEnd(session_id, wall, reason))

    def health(self) -> WriterHealth:
        """`pending` counts queued events plus the batch being written or retried."""
        return WriterHealth(
            len(self._queue) + self._retrying,
            self._committed,
            self._queue.dropped,
            self._failing_since,
            self._last_error,
            self.rejected,
        )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything appended so far is committed; False on timeout (storage failing)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight > self._queue.dropped and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        ok = self.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=timeout)
        self._conn.close()
        return ok

    def _run(self) -> None:
        backoff = 0.2
        batch: list[_Record | _SessionEnd] = []
        while True:
            if not batch:
                first = self._queue.get(timeout=0.1)
                if first is None:
                    if self._stop.is_set():
                        return
                    continue
                time.sleep(self._window)
                batch = [first, *self._queue.drain(5000)]
            self._retrying = len(batch)
            try:
                try:
                    self._write(batch)
                except sqlite3.IntegrityError:
                    # One bad row must not block the rest: write them one by one, refusing only the bad ones.
                    self._write_each(batch)
            except sqlite3.Error as exc:
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    log.error("event store write failed, will retry: %s", exc)
                self._last_error = _describe(exc)
                if self._stop.wait(backoff):
                    return
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            self._retrying = 0
            self._failing_since = None
            self._last_error = None
            self._committed += sum(1 for b in batch if isinstance(b, _Record)) - self._rejected_now
            self._rejected_now = 0
            with self._idle:
                self._in_flight -= len(batch)
                self._idle.notify_all()
            if self._on_commit is not None:
                self._on_commit(self._committed)
            batch = []

    def _write_each(self, batch: list[_Record | _SessionEnd]) -> None:
        for item in batch:
            try:
                self._write([item])
            except sqlite3.IntegrityError as exc:
                self.rejected += 1
                self._rejected_now += isinstance(item, _Record)
                log.error("event store refused %s: %s", item, exc)

    def _write(self, batch: list[_Record | _SessionEnd]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                if isinstance(item, _Record):
                    conn.execute(
                        "INSERT INTO events (session_id, mono, wall, type, payload) VALUES (?, ?, ?, ?, ?)",
                        (item.session_id, item.mono, item.wall, item.type, item.payload),
                    )
                else:
                    conn.execute(
                        "UPDATE sessions SET ended_wall = ?, end_reason = ? WHERE id = ?",
                        (item.wall, item.reason, item.session_id),
                    )
        except BaseException:
            with closing(conn.cursor()) as cur:
                cur.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "full" in text.lower():
        return "the disk is full: events are kept in memory until space is freed"
    if "locked" in text.lower() or "busy" in text.lower():
        return "the event store is busy (another program has it open); retrying"
    return f"cannot write events ({text}); retrying"

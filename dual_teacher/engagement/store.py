"""The event store: SQLite in WAL mode, one row per event, written by one thread in batched commits.

Durability: `synchronous=FULL` so a committed batch survives a killed process and a power cut. The
writer never blocks the class: producers append to a bounded in-memory queue (drop-oldest, counted, at
100 000 pending events: about 18 hours of a class with camera and microphone); a failing write (disk
full, locked database) is rolled back and retried with backoff while the class goes on, and reported
through `health()`.

A full disk: the writer keeps a reserve file (`events.sqlite.reserve`, `RESERVE_BYTES`) beside the store
and deletes it at the first "disk full", which gives the class room to go on recording; if the disk is
still full, events wait in memory and are written when space returns. Whatever is still unwritten when
the writer closes is spilled as JSON lines to the first folder that takes it (`spill_folders`), never
dropped silently. Sizes measured with benchmarks/bench_report.py's 45-minute class (5,623 events): the
store grew by 0.71 MB and the report took 0.18 MB; SQLite's write-ahead log can hold up to ~4 MB more
between checkpoints, hence `CLASS_NEEDS_BYTES`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

from dual_teacher.core.errors import StorageError
from dual_teacher.core.events import Event
from dual_teacher.core.queues import DropOldestQueue

log = logging.getLogger(__name__)

CLASS_NEEDS_BYTES = 6 * 1024 * 1024  # a 45-minute class: store + write-ahead log + report, with margin
RESERVE_BYTES = 8 * 1024 * 1024  # released at the first "disk full": more than a whole class needs

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

    @property
    def practice(self) -> str:
        """ "demo" or "screenshots" for a run that is not a real class ("" for a class): such runs are left
        out of "latest" and of xAPI forwarding unless asked for."""
        return str(self.meta.get("practice") or "")


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
class _SessionStart:
    """A session row that could not be written when the class opened (a full disk): written first, later."""

    values: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class _SessionEnd:
    session_id: str
    wall: float
    reason: str


_Item = _Record | _SessionStart | _SessionEnd


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
        try:
            self._create_session(session_id, pack_id, pack_title, pack_path, mode, started_wall, app_version, meta)
        except sqlite3.Error as exc:
            raise StorageError(
                f"cannot record the new class in {self.path}: {exc}",
                hint=f"free space on the disk that holds {self.path.parent}, or choose another --data-dir",
            ) from exc

    def _create_session(
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
                _INSERT_SESSION,
                session_values(session_id, pack_id, pack_title, pack_path, mode, started_wall, app_version, meta),
            )

    def sessions(self) -> list[SessionRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) FROM sessions s "
                "ORDER BY started_wall DESC"
            ).fetchall()
        return [_session_row(r) for r in rows]

    def session(self, session_id: str, include_practice: bool = True) -> SessionRow | None:
        """The session with this id, or with this unique id prefix, or the newest for 'latest' (the newest real
        class when `include_practice` is False: demo and screenshot runs left out)."""
        all_rows = self.sessions()
        if session_id == "latest":
            rows = all_rows if include_practice else [r for r in all_rows if not r.practice]
            return rows[0] if rows else None
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


_INSERT_SESSION = (
    "INSERT OR IGNORE INTO sessions (id, pack_id, pack_title, pack_path, mode, started_wall, app_version, meta)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def session_values(
    session_id: str,
    pack_id: str,
    pack_title: str,
    pack_path: str,
    mode: str,
    started_wall: float,
    app_version: str,
    meta: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    meta_json = json.dumps(meta or {}, ensure_ascii=False)
    return (session_id, pack_id, pack_title, pack_path, mode, started_wall, app_version, meta_json)


# ---- disk space ------------------------------------------------------------------------------------------------
def free_bytes(folder: Path) -> int | None:
    """Free bytes on the disk that holds `folder` (or its nearest existing parent); None if unknown."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def space_warning(folder: Path) -> str | None:
    """The pre-flight check before a class: a warning when the disk cannot hold a 45-minute class."""
    free = free_bytes(folder)
    if free is None or free >= CLASS_NEEDS_BYTES:
        return None
    return (
        f"only {free / 1e6:.1f} MB free on the disk that holds {folder}; a 45-minute class needs about "
        f"{CLASS_NEEDS_BYTES / 1e6:.0f} MB. The class can run, events wait in memory while the disk is full; "
        "free some space (or choose another --data-dir) to keep the record safe"
    )


def reserve_path(db: Path) -> Path:
    return db.with_name(db.name + ".reserve")


def make_reserve(db: Path, size: int = RESERVE_BYTES) -> bool:
    """Create the reserve file beside the store (real blocks, not a sparse file), unless that would take
    space the class needs. True when a reserve is in place."""
    path = reserve_path(db)
    try:
        if path.is_file() and path.stat().st_size >= size:
            return True
        free = free_bytes(db.parent)
        if free is None or free < size + 2 * CLASS_NEEDS_BYTES:
            return False
        with path.open("wb") as f:
            os.posix_fallocate(f.fileno(), 0, size)
        return True
    except OSError as exc:
        log.warning("no reserve file beside the event store (%s)", exc)
        path.unlink(missing_ok=True)
        return False


def release_reserve(db: Path) -> bool:
    """Delete the reserve file; True if there was one to free."""
    path = reserve_path(db)
    try:
        if not path.is_file():
            return False
        path.unlink()
        return True
    except OSError as exc:
        log.error("cannot delete the reserve file %s: %s", path, exc)
        return False


def spill_folders(db: Path) -> list[Path]:
    """Where unwritten events go when the store's disk stays full: beside the store, then the temporary
    folder, then the home folder (often other disks)."""
    return [db.parent, Path(tempfile.gettempdir()), Path.home()]


@dataclasses.dataclass(frozen=True)
class Imported:
    events: int  # events added to the store
    sessions: tuple[str, ...]
    moved_to: Path  # the spill file, renamed so that it is not imported twice


IMPORTED_SUFFIX = ".imported"


def import_spilled(db: Path, spill: Path) -> Imported:
    """Put the events a full disk made the writer spill (`*-unsaved-*.jsonl`) back into the store, in their
    order, in one transaction; then rename the file to `*.imported` so it cannot be imported twice."""
    if spill.name.endswith(IMPORTED_SUFFIX):
        raise ValueError("this file was imported already")
    rows = [json.loads(line) for line in spill.read_text(encoding="utf-8").splitlines() if line.strip()]
    conn = connect(db)
    added = 0
    sessions: list[str] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for row in rows:
            if "session" in row:
                conn.execute(_INSERT_SESSION, tuple(row["session"]))
            elif "session_end" in row:
                end = row["session_end"]
                conn.execute(
                    "UPDATE sessions SET ended_wall = ?, end_reason = ? WHERE id = ?",
                    (end["wall"], end["reason"], end["session_id"]),
                )
            elif "type" in row:
                payload = json.dumps(row["payload"], ensure_ascii=False, allow_nan=False)
                conn.execute(
                    "INSERT INTO events (session_id, mono, wall, type, payload) VALUES (?, ?, ?, ?, ?)",
                    (row["session_id"], row["mono"], row["wall"], row["type"], payload),
                )
                added += 1
                if row["session_id"] not in sessions:
                    sessions.append(row["session_id"])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    moved = spill.with_name(spill.name + IMPORTED_SUFFIX)
    spill.rename(moved)
    return Imported(added, tuple(sessions), moved)


def _is_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "full" in text or "no space" in text


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
    disk_full: bool = False  # the last failure was a full disk
    reserve_released: bool = False  # the reserve file was deleted to make room


class StoreWriter:
    """Owns one connection and one thread; batches everything queued in a short window into one commit."""

    def __init__(
        self,
        path: Path,
        max_pending: int = 100_000,
        batch_window_s: float = 0.05,
        on_commit: Callable[[int], None] | None = None,
        reserve_bytes: int = RESERVE_BYTES,
    ) -> None:
        self.path = path
        self._queue: DropOldestQueue[_Item] = DropOldestQueue(max_pending)
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
        self._batch: list[_Item] = []
        self._has_reserve = reserve_bytes > 0 and make_reserve(path, reserve_bytes)
        self._thread = threading.Thread(target=self._run, name="event-store", daemon=True)
        self._conn = connect(path)
        self._thread.start()

    def append(self, session_id: str, event: Event, mono: float, wall: float) -> None:
        payload = json.dumps(event.payload(), ensure_ascii=False, allow_nan=False)
        with self._idle:
            self._in_flight += 1
        self._queue.put_nowait(_Record(session_id, mono, wall, event.kind, payload))

    def start_session(self, values: tuple[Any, ...]) -> None:
        """Queue the session row (when `EventStore.create_session` failed on a full disk)."""
        with self._idle:
            self._in_flight += 1
        self._queue.put_nowait(_SessionStart(values))

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
            self._disk_full,
            self.reserve_released,
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
        """Write what is queued (waiting up to `timeout` for a failing disk), then stop. Anything still
        unwritten is spilled to a JSON-lines file (`spilled_to`); False when that happened."""
        ok = self.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=timeout)
        self._conn.close()
        if not ok:
            self._spill([*self._batch, *self._queue.drain()])
        return ok

    def _spill(self, items: list[_Item]) -> None:
        if not items:
            return
        lines = [json.dumps(_spill_row(item), ensure_ascii=False) for item in items]
        name = f"{self.path.stem}-unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.jsonl"
        for folder in spill_folders(self.path):
            target = folder / name
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with target.open("w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as exc:
                log.warning("cannot spill unwritten events to %s: %s", target, exc)
                with suppress(OSError):
                    target.unlink(missing_ok=True)
                continue
            self.spilled_to, self.spilled = target, sum(isinstance(i, _Record) for i in items)
            log.error("event store unwritable: %d events saved to %s", self.spilled, target)
            return
        log.error("event store unwritable and no folder takes the %d unwritten events", len(items))

    def _rollback(self) -> None:
        # A failed COMMIT (SQLITE_FULL) can leave the transaction open; every later BEGIN would then fail
        # even after space returns.
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.debug("rollback after a failed write: %s", exc)

    def _run(self) -> None:
        backoff = 0.2
        batch: list[_Item] = []
        while True:
            self._batch = batch
            if not batch:
                first = self._queue.get(timeout=0.1)
                if first is None:
                    if self._stop.is_set():
                        return
                    continue
                time.sleep(self._window)
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
                self._rollback()
                self._disk_full = _is_full(exc)
                if self._disk_full and self._has_reserve and release_reserve(self.path):
                    self._has_reserve = False
                    self.reserve_released = True
                    log.warning("disk full: released the reserve file beside %s, recording goes on", self.path)
                    continue
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
            self._disk_full = False
            self._committed += sum(1 for b in batch if isinstance(b, _Record)) - self._rejected_now
            self._rejected_now = 0
            with self._idle:
                self._in_flight -= len(batch)
                self._idle.notify_all()
            if self._on_commit is not None:
                self._on_commit(self._committed)
            batch = []

    def _write_each(self, batch: list[_Item]) -> None:
        for item in batch:
            try:
                self._write([item])
            except sqlite3.IntegrityError as exc:
                self.rejected += 1
                self._rejected_now += isinstance(item, _Record)
                log.error("event store refused %s: %s", item, exc)

    def _write(self, batch: list[_Item]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                if isinstance(item, _Record):
                    conn.execute(
                        "INSERT INTO events (session_id, mono, wall, type, payload) VALUES (?, ?, ?, ?, ?)",
                        (item.session_id, item.mono, item.wall, item.type, item.payload),
                    )
                elif isinstance(item, _SessionStart):
                    conn.execute(_INSERT_SESSION, item.values)
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


def _spill_row(item: _Item) -> dict[str, Any]:
    if isinstance(item, _Record):
        return {
            "session_id": item.session_id,
            "mono": item.mono,
            "wall": item.wall,
            "type": item.type,
            "payload": json.loads(item.payload),
        }
    if isinstance(item, _SessionStart):
        return {"session": list(item.values)}
    return {"session_end": {"session_id": item.session_id, "wall": item.wall, "reason": item.reason}}


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "full" in text.lower():
        return "the disk is full: events are kept in memory until space is freed"
    if "locked" in text.lower() or "busy" in text.lower():
        return "the event store is busy (another program has it open); retrying"
    return f"cannot write events ({text}); retrying"

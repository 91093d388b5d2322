"""The event store: SQLite in WAL mode, one row per event. Storage only: no thread lives here.

Durability: `synchronous=FULL` so a committed batch survives a killed process and a power cut. Events are
written in batched commits by one writer thread, `runtime.store_writer.StoreWriter`, through this module's
thread-free pieces: `write_pending` (one batch, one transaction), `spill_pending` (what could not be written,
as JSON lines), the reserve file, `is_disk_full` and `describe_failure`.

A full disk: the writer keeps a reserve file (`events.sqlite.reserve`, `RESERVE_BYTES`) beside the store
and deletes it at the first "disk full", which gives the class room to go on recording; if the disk is
still full, events wait in memory and are written when space returns. Whatever is still unwritten when
the writer closes is spilled as JSON lines to the first folder that takes it (`spill_folders`), never
dropped silently; `import_spilled` (`dual-teacher data import`) puts them back. Sizes measured with
benchmarks/bench_report.py's 45-minute class (5,623 events): the store grew by 0.71 MB and the report took
0.18 MB; SQLite's write-ahead log can hold up to ~4 MB more between checkpoints, hence `CLASS_NEEDS_BYTES`.
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
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

from dual_teacher.core.errors import StorageError
from dual_teacher.core.events import Event

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


# ---- what waits to be written -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PendingEvent:
    session_id: str
    mono: float
    wall: float
    type: str
    payload: str  # JSON

    @classmethod
    def of(cls, session_id: str, event: Event, mono: float, wall: float) -> PendingEvent:
        payload = json.dumps(event.payload(), ensure_ascii=False, allow_nan=False)
        return cls(session_id, mono, wall, event.kind, payload)


@dataclasses.dataclass(frozen=True)
class PendingSessionStart:
    """A session row that could not be written when the class opened (a full disk): written first, later."""

    values: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class PendingSessionEnd:
    session_id: str
    wall: float
    reason: str


Pending = PendingEvent | PendingSessionStart | PendingSessionEnd


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store at `path` (created with its schema if new), usable from any one thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back when the body raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class EventStore:
    """Reading side plus session bookkeeping. Events are written in batches by `runtime.store_writer.StoreWriter`."""

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
        with self._lock, transaction(self._conn) as conn:
            yield conn

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
        values = session_values(session_id, pack_id, pack_title, pack_path, mode, started_wall, app_version, meta)
        try:
            with self._tx() as conn:
                conn.execute(_INSERT_SESSION, values)
        except sqlite3.Error as exc:
            raise StorageError(
                f"cannot record the new class in {self.path}: {exc}",
                hint=f"free space on the disk that holds {self.path.parent}, or choose another --data-dir",
            ) from exc

    def sessions(self) -> list[SessionRow]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) FROM sessions s "
                "ORDER BY started_wall DESC"
            ).fetchall()
        return [session_row(r) for r in rows]

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
        return [stored_event(r) for r in rows]


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
    items = [item for item in map(pending_from_spill_row, rows) if item is not None]
    conn = connect(db)
    try:
        write_pending(conn, items)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    events = [item for item in items if isinstance(item, PendingEvent)]
    moved = spill.with_name(spill.name + IMPORTED_SUFFIX)
    spill.rename(moved)
    return Imported(len(events), tuple(dict.fromkeys(e.session_id for e in events)), moved)


# ---- writing a batch (the writer thread's storage side) ---------------------------------------------------------
def write_pending(conn: sqlite3.Connection, batch: Sequence[Pending]) -> None:
    """Write `batch` in one transaction (rolled back if a row fails; a failed COMMIT leaves it to the caller)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for item in batch:
            if isinstance(item, PendingEvent):
                conn.execute(
                    "INSERT INTO events (session_id, mono, wall, type, payload) VALUES (?, ?, ?, ?, ?)",
                    (item.session_id, item.mono, item.wall, item.type, item.payload),
                )
            elif isinstance(item, PendingSessionStart):
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


def rollback(conn: sqlite3.Connection) -> None:
    """Close a transaction a failed COMMIT (SQLITE_FULL) can leave open: every later BEGIN would fail even
    after space returns."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        log.debug("rollback after a failed write: %s", exc)


def spill_row(item: Pending) -> dict[str, Any]:
    """One line of a spill file."""
    if isinstance(item, PendingEvent):
        return {
            "session_id": item.session_id,
            "mono": item.mono,
            "wall": item.wall,
            "type": item.type,
            "payload": json.loads(item.payload),
        }
    if isinstance(item, PendingSessionStart):
        return {"session": list(item.values)}
    return {"session_end": {"session_id": item.session_id, "wall": item.wall, "reason": item.reason}}


def pending_from_spill_row(row: dict[str, Any]) -> Pending | None:
    """The inverse of `spill_row` (None for a line of a kind it does not know)."""
    if "session" in row:
        return PendingSessionStart(tuple(row["session"]))
    if "session_end" in row:
        end = row["session_end"]
        return PendingSessionEnd(end["session_id"], end["wall"], end["reason"])
    if "type" in row:
        payload = json.dumps(row["payload"], ensure_ascii=False, allow_nan=False)
        return PendingEvent(row["session_id"], row["mono"], row["wall"], row["type"], payload)
    return None


def spill_pending(db: Path, items: Sequence[Pending], wall: float) -> tuple[Path, int] | None:
    """Save what could not be written to `<store>-unsaved-<local time of wall>-<pid>.jsonl` in the first of
    `spill_folders(db)` that takes it (fsynced). Returns the file and the number of events in it; None when
    there was nothing to save or no folder took it."""
    if not items:
        return None
    lines = [json.dumps(spill_row(item), ensure_ascii=False) for item in items]
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(wall))
    name = f"{db.stem}-unsaved-{stamp}-{os.getpid()}.jsonl"
    for folder in spill_folders(db):
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
        count = sum(isinstance(i, PendingEvent) for i in items)
        log.error("event store unwritable: %d events saved to %s", count, target)
        return target, count
    log.error("event store unwritable and no folder takes the %d unwritten events", len(items))
    return None


def is_disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "full" in text or "no space" in text


def describe_failure(exc: sqlite3.Error) -> str:
    """A failed write, in words for the console."""
    text = str(exc)
    if "full" in text.lower():
        return "the disk is full: events are kept in memory until space is freed"
    if "locked" in text.lower() or "busy" in text.lower():
        return "the event store is busy (another program has it open); retrying"
    return f"cannot write events ({text}); retrying"


# ---- reading rows ---------------------------------------------------------------------------------------------
def session_row(r: Sequence[Any]) -> SessionRow:
    """A `SessionRow` from `SELECT s.*, <event count>` over the sessions table."""
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


def stored_event(r: Sequence[Any]) -> StoredEvent:
    """A `StoredEvent` from `SELECT seq, session_id, mono, wall, type, payload FROM events`."""
    return StoredEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]))

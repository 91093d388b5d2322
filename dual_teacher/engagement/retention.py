"""Retention: stored class sessions are kept for a configured time (default one school term), then deleted with
their events, their xAPI outbox rows and their report folder.

Deleting overwrites: `secure_delete` zeroes the freed pages and the WAL is checkpointed and truncated, so the
deleted rows do not linger in the database files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from dual_teacher.engagement.outbox import OUTBOX_SCHEMA
from dual_teacher.engagement.store import connect, transaction

DAY_S = 86_400.0
DEFAULT_RETENTION_DAYS = 140  # one school term


@dataclasses.dataclass(frozen=True)
class Purged:
    sessions: tuple[str, ...]
    events: int
    statements: int
    report_dirs: int


def sessions_older_than(db: Path, days: float, now_wall: float) -> list[tuple[str, float]]:
    """(session id, started_wall) of the sessions that started more than `days` days before `now_wall`."""
    if not db.exists():
        return []
    conn = connect(db)
    try:
        rows = conn.execute(
            "SELECT id, started_wall FROM sessions WHERE started_wall < ? ORDER BY started_wall",
            (now_wall - days * DAY_S,),
        ).fetchall()
    finally:
        conn.close()
    return [(str(a), float(b)) for a, b in rows]


def purge_sessions(db: Path, session_ids: Sequence[str], reports_dir: Path | None = None) -> Purged:
    """Delete these sessions, their events and outbox rows (one transaction), then their report folders."""
    if not session_ids or not db.exists():
        return Purged((), 0, 0, 0)
    conn = connect(db)
    try:
        conn.executescript(OUTBOX_SCHEMA)
        conn.execute("PRAGMA secure_delete=ON")
        marks = ",".join("?" * len(session_ids))
        with transaction(conn):
            found = [r[0] for r in conn.execute(f"SELECT id FROM sessions WHERE id IN ({marks})", tuple(session_ids))]
            events = conn.execute(f"DELETE FROM events WHERE session_id IN ({marks})", tuple(session_ids)).rowcount
            statements = conn.execute(
                f"DELETE FROM xapi_outbox WHERE session_id IN ({marks})", tuple(session_ids)
            ).rowcount
            conn.execute(f"DELETE FROM xapi_cursor WHERE session_id IN ({marks})", tuple(session_ids))
            conn.execute(f"DELETE FROM sessions WHERE id IN ({marks})", tuple(session_ids))
        with contextlib.suppress(sqlite3.OperationalError):  # a reader holds the WAL: a later checkpoint does it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    removed = 0
    if reports_dir is not None:
        for sid in found:
            folder = reports_dir / sid
            if folder.is_dir() and folder.resolve().parent == reports_dir.resolve():
                shutil.rmtree(folder)
                removed += 1
    return Purged(tuple(found), max(0, events), max(0, statements), removed)


def enforce_retention(db: Path, days: int, now_wall: float, reports_dir: Path | None = None) -> Purged:
    """Start-up rule: delete the sessions older than `days` (0 = keep everything)."""
    if days <= 0:
        return Purged((), 0, 0, 0)
    old = [sid for sid, _ in sessions_older_than(db, days, now_wall)]
    return purge_sessions(db, old, reports_dir)

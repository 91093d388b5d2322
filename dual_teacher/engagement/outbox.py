"""The durable xAPI outbox: statements wait in SQLite (next to the events) until a Learning Record Store has them.

How nothing is lost:
- The events table is the durable log. `Outbox.enqueue()` turns stored events into statements and inserts
  them in one transaction with a per-session cursor (the last event seq converted). If the app dies before
  that, the next `enqueue()` (the class's forwarder, `dual-teacher xapi send`, any restart) catches up.
- A statement row stays until the LRS answered 200/204 for it. Network errors, timeouts, 5xx, 401/403/429
  leave it pending with exponential backoff (`attempts`, `next_attempt_wall`), kept across restarts.
- Statement ids are deterministic and the stored text is sent byte for byte, so resending after an outage
  (or after a reply that was lost) is harmless: the LRS keeps one copy.
- A statement the LRS refuses on its own (400, 409 for a differing statement with the same id) is set aside
  as "rejected" with the reason, after its batch was retried one by one, so it never blocks the rest.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from dual_teacher.core.backoff import Backoff
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.engagement import xapi
from dual_teacher.engagement.store import SessionRow, connect, session_row, stored_event, transaction

log = logging.getLogger(__name__)

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS xapi_outbox (
    statement_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_wall REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_wall REAL NOT NULL DEFAULT 0,
    sent_wall REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS xapi_outbox_due ON xapi_outbox(state, next_attempt_wall, event_seq);
CREATE INDEX IF NOT EXISTS xapi_outbox_by_session ON xapi_outbox(session_id);
CREATE TABLE IF NOT EXISTS xapi_cursor (
    session_id TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);
"""

_COLUMNS = "id pack_id pack_title pack_path mode started_wall ended_wall end_reason app_version meta"
SESSION_COLUMNS = ", ".join(f"s.{c}" for c in _COLUMNS.split())
RETRY = Backoff(initial_s=2.0, cap_s=300.0)  # after n failed tries: 2 x 2^(n-1) s, at most 5 minutes


class LrsError(Exception):
    """Sending failed. `retry`: worth trying again later (network, server, auth); else the LRS refused it."""

    def __init__(self, message: str, status: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry


class LrsClient:
    """POSTs statement batches to `<endpoint>/statements` with HTTP Basic auth (stdlib only, HTTP or HTTPS)."""

    def __init__(
        self, endpoint: str, username: str | None = None, password: str | None = None, timeout_s: float = 15.0
    ):
        if not endpoint.lower().startswith(("http://", "https://")):
            raise ValueError(f"the LRS endpoint must be an http:// or https:// URL, not {endpoint!r}")
        self.url = endpoint.rstrip("/") + "/statements"
        self.timeout_s = timeout_s
        self._auth = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._auth = f"Basic {token}"

    def post(self, bodies: Sequence[str]) -> None:
        data = ("[" + ",".join(bodies) + "]").encode("utf-8")
        request = urllib.request.Request(self.url, data=data, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("X-Experience-API-Version", "1.0.3")
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            retry = exc.code in (401, 403, 408, 429) or exc.code >= 500
            raise LrsError(f"HTTP {exc.code} from the LRS: {detail}", exc.code, retry) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LrsError(f"the LRS is unreachable: {reason}") from exc


@dataclasses.dataclass(frozen=True)
class OutboxStats:
    pending: int
    sent: int
    rejected: int
    due: int
    last_error: str | None


@dataclasses.dataclass
class DrainResult:
    sent: int = 0
    failed_attempts: int = 0
    rejected: int = 0
    error: str | None = None


class Outbox:
    """`clock`: its wall time stamps and schedules the rows, its monotonic time is what `drain`'s deadline is on."""

    def __init__(self, path: Path, options: xapi.XapiOptions | None = None, clock: Clock | None = None):
        self.path = path
        self.options = options or xapi.XapiOptions()
        self.clock = clock or RealClock()
        self._conn = connect(path)
        self._conn.executescript(OUTBOX_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._conn)

    # ---- stored events -> statements ---------------------------------------------------------------------------
    def enqueue(self, session_id: str | None = None, include_practice: bool = False) -> int:
        """Turn the events stored since the last call into pending statements; returns how many were added.
        Demo and screenshot runs are left out unless `include_practice` (or named by `session_id`)."""
        marks = ",".join("?" * len(xapi.SOURCE_TYPES))
        rows = self._conn.execute(
            f"SELECT {SESSION_COLUMNS}, 0, COALESCE(c.last_seq, 0) FROM sessions s"
            " LEFT JOIN xapi_cursor c ON c.session_id = s.id"
            " WHERE (? IS NULL OR s.id = ?) AND EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id"
            f" AND e.seq > COALESCE(c.last_seq, 0) AND e.type IN ({marks}))",
            (session_id, session_id, *xapi.SOURCE_TYPES),
        ).fetchall()
        added = 0
        for r in rows:
            row = session_row(r[:11])
            if row.practice and not include_practice and session_id is None:
                continue
            added += self._enqueue_session(row, int(r[11]))
        return added

    def _enqueue_session(self, session: SessionRow, cursor: int) -> int:
        marks = ",".join("?" * len(xapi.SOURCE_TYPES))
        events = [
            stored_event(r)
            for r in self._conn.execute(
                "SELECT seq, session_id, mono, wall, type, payload FROM events"
                f" WHERE session_id = ? AND type IN ({marks}) ORDER BY seq",
                (session.id, *xapi.SOURCE_TYPES),
            )
        ]
        if not events:
            return 0
        # The builder replays the whole session (its state: tracks seen, the open question); only statements of
        # events after the cursor are new. INSERT OR IGNORE: ids are deterministic, a repeat changes nothing.
        new = [(seq, s) for seq, s in xapi.statements(session, events, self.options) if seq > cursor]
        now = self.clock.wall()
        with self._tx() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO xapi_outbox (statement_id, session_id, event_seq, body, created_wall)"
                " VALUES (?, ?, ?, ?, ?)",
                [(s["id"], session.id, seq, xapi.dumps(s), now) for seq, s in new],
            )
            added = conn.total_changes - before
            conn.execute(
                "INSERT INTO xapi_cursor (session_id, last_seq) VALUES (?, ?)"
                " ON CONFLICT(session_id) DO UPDATE SET last_seq = excluded.last_seq",
                (session.id, events[-1].seq),
            )
        return added

    # ---- sending --------------------------------------------------------------------------------------------------
    def stats(self) -> OutboxStats:
        counts = dict(self._conn.execute("SELECT state, COUNT(*) FROM xapi_outbox GROUP BY state").fetchall())
        due = self._conn.execute(
            "SELECT COUNT(*) FROM xapi_outbox WHERE state = 'pending' AND next_attempt_wall <= ?", (self.clock.wall(),)
        ).fetchone()[0]
        last = self._conn.execute(
            "SELECT last_error FROM xapi_outbox WHERE state = 'pending' AND last_error IS NOT NULL"
            " ORDER BY next_attempt_wall DESC LIMIT 1"
        ).fetchone()
        return OutboxStats(
            int(counts.get("pending", 0)),
            int(counts.get("sent", 0)),
            int(counts.get("rejected", 0)),
            int(due),
            last[0] if last else None,
        )

    def _due(self, limit: int, ignore_schedule: bool) -> list[tuple[str, str, int]]:
        when = float("inf") if ignore_schedule else self.clock.wall()
        rows = self._conn.execute(
            "SELECT statement_id, body, attempts FROM xapi_outbox WHERE state = 'pending' AND next_attempt_wall <= ?"
            " ORDER BY event_seq, statement_id LIMIT ?",
            (when, limit),
        ).fetchall()
        return [(str(a), str(b), int(c)) for a, b, c in rows]

    def _mark_sent(self, ids: Sequence[str]) -> None:
        now = self.clock.wall()
        with self._tx() as conn:
            conn.executemany(
                "UPDATE xapi_outbox SET state = 'sent', sent_wall = ?, last_error = NULL WHERE statement_id = ?",
                [(now, i) for i in ids],
            )

    def _mark_failed(self, rows: Sequence[tuple[str, str, int]], error: str) -> None:
        now = self.clock.wall()
        with self._tx() as conn:
            conn.executemany(
                "UPDATE xapi_outbox SET attempts = ?, next_attempt_wall = ?, last_error = ? WHERE statement_id = ?",
                [(a + 1, now + RETRY.delay(a + 1), error, i) for i, _, a in rows],
            )

    def _mark_rejected(self, statement_id: str, error: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE xapi_outbox SET state = 'rejected', attempts = attempts + 1, last_error = ?"
                " WHERE statement_id = ?",
                (error, statement_id),
            )

    def drain(
        self,
        client: LrsClient,
        batch_size: int = 50,
        ignore_schedule: bool = False,
        deadline: float | None = None,
    ) -> DrainResult:
        """Send due statements in batches until none is due, a batch fails (then stop: the LRS is away), or
        `deadline` (the clock's monotonic time) passes. `ignore_schedule` sends what waits for its backoff too."""
        result = DrainResult()
        while deadline is None or self.clock.monotonic() < deadline:
            rows = self._due(batch_size, ignore_schedule)
            if not rows:
                break
            try:
                client.post([body for _, body, _ in rows])
            except LrsError as exc:
                if exc.retry:
                    self._mark_failed(rows, str(exc))
                    result.failed_attempts += len(rows)
                    result.error = str(exc)
                    break
                self._send_one_by_one(client, rows, result)
                continue
            self._mark_sent([i for i, _, _ in rows])
            result.sent += len(rows)
        return result

    def _send_one_by_one(self, client: LrsClient, rows: Sequence[tuple[str, str, int]], result: DrainResult) -> None:
        """A refused batch: find the statements the LRS refuses on their own, set them aside, send the rest."""
        for row in rows:
            try:
                client.post([row[1]])
            except LrsError as exc:
                if exc.retry:
                    self._mark_failed([row], str(exc))
                    result.failed_attempts += 1
                    result.error = str(exc)
                    return
                log.error("the LRS refused statement %s: %s", row[0], exc)
                self._mark_rejected(row[0], str(exc))
                result.rejected += 1
                continue
            self._mark_sent([row[0]])
            result.sent += 1

"""The lead server's own SQLite store: classrooms and their hashed tokens, the dashboard password, the last
state each classroom published (so a restarted server shows the rooms before they reconnect) and a log of
the commands sent.

Secrets are stored hashed only: a classroom token is `<classroom id>.<secret>`, stored as HMAC-SHA256(salt,
secret) with a per-classroom random salt; the dashboard password as scrypt (n=2**14, r=8, p=1) with a random salt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dual_teacher.core.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS classrooms (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, salt BLOB NOT NULL, token_hash BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS states (
    classroom_id TEXT PRIMARY KEY REFERENCES classrooms(id) ON DELETE CASCADE, state TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dashboard_sessions (token_hash TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, classroom_id TEXT NOT NULL, sent REAL NOT NULL, command TEXT NOT NULL,
    delivered INTEGER NOT NULL
);
"""
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD = 8


@dataclasses.dataclass(frozen=True)
class Classroom:
    id: str
    name: str
    created: float


def _token_hash(salt: bytes, secret: str) -> bytes:
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = hash_password(password, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(expected, digest_hex)


class LeadStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the lead server's store {path}: {exc}", hint="pass --db with a writable file"
            ) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- classrooms ----------------------------------------------------------------------------------------
    def add_classroom(self, name: str, now: float | None = None) -> tuple[Classroom, str]:
        """A new classroom and its token (shown once; only its hash is kept)."""
        name = name.strip()
        if not name or len(name) > 80:
            raise ConfigError("a classroom name needs 1-80 characters", hint='e.g. lead add-classroom "Grade 2, Yuxi"')
        cid = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        created = time.time() if now is None else now
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO classrooms (id, name, salt, token_hash, created) VALUES (?, ?, ?, ?, ?)",
                    (cid, name, salt, _token_hash(salt, secret), created),
                )
            except sqlite3.IntegrityError as exc:
                raise ConfigError(
                    f"a classroom named {name!r} exists already", hint="choose another name, or `lead classrooms`"
                ) from exc
        return Classroom(cid, name, created), f"{cid}.{secret}"

    def classrooms(self) -> list[Classroom]:
        with self._lock:
            rows = self._db.execute("SELECT id, name, created FROM classrooms ORDER BY created, name").fetchall()
        return [Classroom(*r) for r in rows]

    def authenticate(self, token: str) -> Classroom | None:
        """The classroom this token belongs to, or None (constant-time comparison of the hash)."""
        cid, _, secret = token.partition(".")
        if not cid or not secret or len(token) > 200:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, created, salt, token_hash FROM classrooms WHERE id = ?", (cid,)
            ).fetchone()
        if row is None:
            return None
        if not hmac.compare_digest(_token_hash(row[3], secret), row[4]):
            return None
        return Classroom(row[0], row[1], row[2])

    # ---- dashboard password -----------------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"the dashboard password needs at least {MIN_PASSWORD} characters")
        with self._lock:
            self._db.execute(
                "INSERT INTO settings (key, value) VALUES ('password', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (hash_password(password),),
            )

    def password_hash(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = 'password'").fetchone()
        return None if row is None else str(row[0])

    # ---- dashboard sign-in sessions (hashed, so a restarted server keeps its signed-in dashboards) ----------
    def add_dashboard_session(self, token: str, expires: float) -> None:
        with self._lock:
            self._db.execute("DELETE FROM dashboard_sessions WHERE expires < ?", (time.time(),))
            self._db.execute(
                "INSERT OR REPLACE INTO dashboard_sessions (token_hash, expires) VALUES (?, ?)",
                (hashlib.sha256(token.encode()).hexdigest(), expires),
            )

    def dashboard_session_expiry(self, token: str) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT expires FROM dashboard_sessions WHERE token_hash = ?",
                (hashlib.sha256(token.encode()).hexdigest(),),
            ).fetchone()
        return None if row is None else float(row[0])

    def remove_dashboard_session(self, token: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM dashboard_sessions WHERE token_hash = ?", (hashlib.sha256(token.encode()).hexdigest(),)
            )

    # ---- last known states and the command log ---------------------------------------------------------------
    def save_states(self, states: Iterable[tuple[str, dict[str, Any], float]]) -> None:
        rows = [(cid, json.dumps(state, separators=(",", ":")), t) for cid, state, t in states]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO states (classroom_id, state, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(classroom_id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                rows,
            )
            self._db.execute("COMMIT")

    def states(self) -> dict[str, tuple[dict[str, Any], float]]:
        with self._lock:
            rows = self._db.execute("SELECT classroom_id, state, updated FROM states").fetchall()
        return {cid: (json.loads(text), updated) for cid, text, updated in rows}

    def log_command(self, classroom_id: str, command: dict[str, Any], delivered: bool, now: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO commands (classroom_id, sent, command, delivered) VALUES (?, ?, ?, ?)",
                (classroom_id, now, json.dumps(command, separators=(",", ":")), int(delivered)),
            )

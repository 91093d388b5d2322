"""The event store keeps every committed event through a SIGKILL, and its writer survives a locked database."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dual_teacher.core.events import AnswerHeard, ClassEnded, NodeEntered, QuestionAsked, QuestionClosed
from dual_teacher.engagement.store import EventStore
from dual_teacher.runtime.store_writer import StoreWriter

REPO = Path(__file__).resolve().parents[2]
WRITER_SCRIPT = Path(__file__).with_name("_kill9_writer.py")
KILL_AFTER = 300  # committed events reported before the kill
DEADLINE_S = 120.0  # only to fail instead of hanging; no timing is asserted


def _integrity(db: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def _run_and_kill(db: Path, session_id: str) -> int:
    """Start the writer child, SIGKILL it once it reports more than KILL_AFTER commits; the last count seen."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [sys.executable, str(WRITER_SCRIPT), str(db), session_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(REPO),
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    last = 0
    killed = False
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not killed:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the writer child reported only {last} commits before the deadline")
            if line is None:
                err = proc.stderr.read() if proc.stderr else ""
                pytest.fail(f"the writer child exited early (rc={proc.wait()}):\n{err}")
            if line == "ready":
                continue
            assert re.fullmatch(r"\d+", line), line
            last = max(last, int(line))
            if last > KILL_AFTER:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
        assert proc.wait(timeout=60) == -signal.SIGKILL
        # Counts printed before the kill but not read yet were committed too.
        thread.join(timeout=60)
        while (line := lines.get_nowait()) is not None:
            if re.fullmatch(r"\d+", line):
                last = max(last, int(line))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return last


def _check_killed_session(store: EventStore, session_id: str, reported: int) -> None:
    row = store.session(session_id)
    assert row is not None
    assert row.ended_wall is None  # killed: never ended
    events = store.events(session_id)
    assert len(events) >= reported, f"{reported} events were reported committed, {len(events)} are stored"
    assert row.event_count == len(events)
    numbers = []
    for e in events:
        assert e.type == "AnswerHeard"
        event = e.event()
        assert isinstance(event, AnswerHeard)
        assert event.source == "kill9 ✓"
        assert event.confidence == 0.5
        m = re.fullmatch(r"a(\d+)", event.answer)
        assert m, event.answer
        numbers.append(int(m[1]))
    # Stored in the order appended (drop-oldest may leave gaps, never reorder).
    assert numbers == sorted(set(numbers))
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))


@pytest.mark.slow
def test_sigkill_loses_no_committed_event(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    reported = {}
    for round_ in range(2):  # the second child appends to the store the first one left behind
        sid = f"kill9-{round_}"
        reported[sid] = _run_and_kill(db, sid)
        assert reported[sid] > KILL_AFTER

        assert _integrity(db) == [("ok",)]
        store = EventStore(db)
        try:
            for s, count in reported.items():
                _check_killed_session(store, s, count)
        finally:
            store.close()
        assert _integrity(db) == [("ok",)]

    # Every stored payload is valid JSON written by the store, read raw.
    conn = sqlite3.connect(str(db))
    try:
        rows = conn.execute("SELECT session_id, type, payload FROM events").fetchall()
    finally:
        conn.close()
    assert len(rows) >= sum(reported.values())
    for session_id, etype, payload in rows:
        assert session_id in reported
        assert etype == "AnswerHeard"
        assert set(json.loads(payload)) == {"answer", "confidence", "source"}


# ---- StoreWriter ------------------------------------------------------------------------------------------
SESSION = "s-1"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "events.db"


@pytest.fixture
def store(db: Path) -> Iterator[EventStore]:
    s = EventStore(db)
    s.create_session(SESSION, "pack-id", "Pack title", "/packs/p", "demo", 1000.0, "0.1.0", {"room": "2B"})
    yield s
    s.close()


def _events(n: int, start: int = 0) -> list[AnswerHeard | NodeEntered | QuestionAsked | QuestionClosed]:
    out: list[AnswerHeard | NodeEntered | QuestionAsked | QuestionClosed] = []
    for i in range(start, start + n):
        match i % 4:
            case 0:
                out.append(NodeEntered(node_id=f"n{i}", node_kind="video", title="小课 ✓"))
            case 1:
                out.append(QuestionAsked(f"q{i}", "single_choice", "1 + 1?", ("A", "B"), ("B",), 20.0))
            case 2:
                out.append(QuestionClosed(f"q{i}", "time_up", 3, 2, 2 / 3, {"A": 1, "B": 2}))
            case _:
                out.append(AnswerHeard(answer=f"a{i}", confidence=0.75, source="simulated"))
    return out


def _wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_flush_commits_every_row(store: EventStore, db: Path) -> None:
    commits: list[int] = []
    writer = StoreWriter(db, batch_window_s=0.01, on_commit=commits.append)
    try:
        sent = _events(2000)
        for i, event in enumerate(sent):
            writer.append(SESSION, event, mono=float(i), wall=1000.0 + i)
        assert writer.flush() is True
        health = writer.health()
        assert (health.pending, health.committed, health.dropped) == (0, 2000, 0)
        assert health.failing_since is None
        assert health.last_error is None
        assert commits
        assert commits == sorted(commits)
        assert commits[-1] == 2000
    finally:
        assert writer.close() is True

    stored = store.events(SESSION)
    assert len(stored) == 2000
    assert [e.event() for e in stored] == sent
    assert [e.mono for e in stored] == [float(i) for i in range(2000)]
    assert [e.wall for e in stored] == [1000.0 + i for i in range(2000)]
    row = store.session(SESSION)
    assert row is not None
    assert row.event_count == 2000
    assert row.meta == {"room": "2B"}
    assert _integrity(db) == [("ok",)]


def test_flush_with_nothing_appended(store: EventStore, db: Path) -> None:
    writer = StoreWriter(db)
    try:
        assert writer.flush(timeout=1.0) is True
    finally:
        assert writer.close() is True
    assert store.events(SESSION) == []


def test_end_session_updates_the_row(store: EventStore, db: Path) -> None:
    writer = StoreWriter(db, batch_window_s=0.01)
    try:
        for i, event in enumerate(_events(10)):
            writer.append(SESSION, event, float(i), 1000.0 + i)
        writer.append(SESSION, ClassEnded(reason="completed"), 10.0, 1010.0)
        writer.end_session(SESSION, wall=1011.5, reason="completed")
        assert writer.flush() is True
        assert writer.health().committed == 11  # the end row is not an event
    finally:
        assert writer.close() is True
    row = store.session(SESSION)
    assert row is not None
    assert row.ended_wall == 1011.5
    assert row.end_reason == "completed"
    assert row.event_count == 11
    assert store.session("latest") == row
    assert store.session("s-") == row


def test_a_second_writer_after_close_appends_to_the_same_session(store: EventStore, db: Path) -> None:
    for start in (0, 5):
        writer = StoreWriter(db)
        for i, event in enumerate(_events(5, start)):
            writer.append(SESSION, event, float(start + i), 0.0)
        assert writer.close() is True
    assert [e.mono for e in store.events(SESSION)] == [float(i) for i in range(10)]


@pytest.fixture
def locked_writer(store: EventStore, db: Path) -> Iterator[tuple[StoreWriter, sqlite3.Connection]]:
    """A writer whose database is held by another connection's `BEGIN EXCLUSIVE` until the test commits it."""
    writer = StoreWriter(db, batch_window_s=0.01)
    # The writer's connection waits up to 10 s for a lock before failing; make it fail at once so that the
    # test sees the retry path quickly. Nothing is queued yet, so its thread is not using the connection.
    writer._conn.execute("PRAGMA busy_timeout = 50")
    blocker = sqlite3.connect(str(db), timeout=0, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield writer, blocker
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
        writer.close(timeout=20)


def test_locked_database_is_retried_and_nothing_is_lost(
    locked_writer: tuple[StoreWriter, sqlite3.Connection], store: EventStore, db: Path
) -> None:
    writer, blocker = locked_writer
    sent = _events(80)
    for i, event in enumerate(sent[:50]):
        writer.append(SESSION, event, float(i), 0.0)

    assert _wait_for(lambda: writer.health().last_error is not None), "the failing write was not reported"
    health = writer.health()
    assert health.failing_since is not None
    assert health.last_error is not None
    assert "busy" in health.last_error
    assert health.committed == 0
    assert writer.flush(timeout=0.3) is False

    # Still reported while the lock lasts, through several retries; the class goes on appending.
    for i, event in enumerate(sent[50:], start=50):
        writer.append(SESSION, event, float(i), 0.0)
        time.sleep(0.01)
    health = writer.health()
    assert health.last_error is not None
    assert health.failing_since is not None
    assert health.committed == 0

    blocker.execute("COMMIT")

    assert writer.flush(timeout=30) is True
    health = writer.health()
    assert (health.pending, health.committed, health.dropped) == (0, 80, 0)
    assert health.failing_since is None
    assert health.last_error is None
    stored = store.events(SESSION)
    assert [e.event() for e in stored] == sent
    assert [e.mono for e in stored] == [float(i) for i in range(80)]
    assert _integrity(db) == [("ok",)]


def test_health_counts_uncommitted_events_while_failing(
    locked_writer: tuple[StoreWriter, sqlite3.Connection],
) -> None:
    writer, _blocker = locked_writer
    for i, event in enumerate(_events(50)):
        writer.append(SESSION, event, float(i), 0.0)
    assert _wait_for(lambda: writer.health().last_error is not None)
    health = writer.health()
    assert health.committed == 0
    assert health.pending == 50


def test_an_unwritable_event_does_not_block_the_others(store: EventStore, db: Path) -> None:
    writer = StoreWriter(db, batch_window_s=0.05)
    try:
        writer.append(SESSION, AnswerHeard("before"), 0.0, 0.0)
        writer.append("no-such-session", AnswerHeard("orphan"), 1.0, 0.0)
        writer.append(SESSION, AnswerHeard("after"), 2.0, 0.0)
        writer.flush(timeout=1.5)
        stored = [e.event() for e in store.events(SESSION)]
        assert AnswerHeard("before") in stored
        assert AnswerHeard("after") in stored
    finally:
        writer.close(timeout=0.5)

"""xAPI statements (deterministic, anonymous) and the durable outbox against a fake LRS on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement import xapi
from dual_teacher.engagement.outbox import RETRY, LrsClient, LrsError, Outbox
from dual_teacher.engagement.store import EventStore, SessionRow, StoredEvent
from dual_teacher.runtime.store_writer import StoreWriter

SESSION = "20260101-090000-abcdef"


def _write(db: Path, events: list[ev.Event], session: str = SESSION, start: float = 0.0) -> None:
    store = EventStore(db)
    if store.session(session) is None:
        store.create_session(session, "pack-1", "Lesson ✓", "/p", "test", 1_800_000_000.0, "t", {"language": "en"})
    store.close()
    writer = StoreWriter(db, batch_window_s=0.001)
    for i, e in enumerate(events):
        writer.append(session, e, start + i, 1_800_000_000.0 + start + i)
    assert writer.close()


CLASS = [
    ev.TeacherStarted(),
    ev.ClassStarted("pack-1", "Lesson ✓", 5),
    ev.HeadCountReported(20),
    ev.HandRaised(7, 0.2, 0.3),
    ev.QuestionAsked("q1", "single_choice", "1 + 1?", ("A", "B"), ("B",), 20.0),
    ev.AnswerHeard("B"),
    ev.AnswerHeard("A"),
    ev.HandLowered(7),
    ev.HandRaised(7, 0.2, 0.3),
    ev.QuestionClosed("q1", "time_up", 2, 1, 0.5, {"A": 1, "B": 1}),
    ev.QuestionAsked("q2", "short_answer", "Name a shape", (), ("circle",), 20.0),
    ev.AnswerHeard("my friend's name"),
    ev.QuestionClosed("q2", "time_up", 1, 0, 0.0, {"my friend's name": 1}),
    ev.ClassEnded("completed"),
]


def _statements(db: Path, options: xapi.XapiOptions | None = None) -> list[dict[str, Any]]:
    store = EventStore(db)
    try:
        row = store.session(SESSION)
        assert row is not None
        return [s for _, s in xapi.statements(row, store.events(SESSION), options)]
    finally:
        store.close()


def test_statements_follow_the_events(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    got = [s["verb"]["display"]["en-US"] for s in _statements(db)]
    assert got == [
        "initialized",
        "joined",  # the room
        "joined",  # track 7, on its first hand
        "raised hand",
        "asked",
        "answered",
        "answered",
        "lowered hand",
        "raised hand",  # track 7 again: no second join
        "completed",  # q1
        "asked",
        "answered",
        "completed",  # q2
        "completed",  # the lesson
        "terminated",
    ]


def test_statement_ids_are_deterministic_uuid5(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    a, b = _statements(db), _statements(db)
    assert [xapi.dumps(s) for s in a] == [xapi.dumps(s) for s in b]
    ids = [s["id"] for s in a]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 5 for i in ids)
    assert ids[0] == str(uuid.uuid5(xapi.NAMESPACE, f"{SESSION}:2:0"))  # ClassStarted is event seq 2


def test_actors_are_anonymous_and_per_lesson(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    _write(db, [ev.ClassStarted("pack-1", "Lesson ✓", 5), ev.HandRaised(7, 0.2, 0.3)], session="other-lesson")
    stmts = _statements(db)
    text = json.dumps(stmts)
    for clear in ("0.2", "0.3", "track", 'x"', "seat"):
        assert clear not in json.dumps([s["actor"] for s in stmts])
    assert "my friend's name" not in text  # a free-text (short) answer is withheld
    assert xapi.WITHHELD in text
    names = {s["actor"]["account"]["name"] for s in stmts}
    assert len(names) == 3  # lead teacher, room, track 7
    assert xapi.anonymous_name(SESSION, "track:7") in names
    assert xapi.anonymous_name("other-lesson", "track:7") not in names  # the same id in another lesson differs
    assert all(set(s["actor"]) == {"objectType", "account"} for s in stmts)


def test_private_data_lets_free_text_through(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    text = json.dumps(_statements(db, xapi.XapiOptions(private_data=True)))
    assert "my friend's name" in text and xapi.WITHHELD not in text


@pytest.mark.parametrize(("attempts", "wait"), [(1, 2.0), (2, 4.0), (5, 32.0), (9, 300.0), (50, 300.0)])
def test_backoff(attempts: int, wait: float) -> None:
    assert RETRY.delay(attempts) == wait


# ---- a fake LRS ----------------------------------------------------------------------------------------------
class FakeLrs(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"  # "ok", "down" (503), "refuse" (400 for batches holding a bad id)
    bad_ids: ClassVar[set[str]] = set()
    stored: ClassVar[dict[str, str]] = {}
    posts: ClassVar[list[int]] = []
    auth: ClassVar[list[str | None]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeLrs.auth.append(self.headers.get("Authorization"))
        statements = json.loads(body)
        FakeLrs.posts.append(len(statements))
        if FakeLrs.mode == "down":
            self._reply(503, b'{"detail": "down"}')
        elif any(s["id"] in FakeLrs.bad_ids for s in statements):
            self._reply(400, b'{"detail": "invalid statement"}')
        else:
            for s in statements:
                FakeLrs.stored.setdefault(s["id"], json.dumps(s, sort_keys=True))
            self._reply(200, json.dumps([s["id"] for s in statements]).encode())

    def _reply(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def lrs() -> Iterator[str]:
    FakeLrs.mode, FakeLrs.bad_ids, FakeLrs.stored, FakeLrs.posts, FakeLrs.auth = "ok", set(), {}, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLrs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xAPI/"
    server.shutdown()
    server.server_close()


def test_outbox_sends_everything_once_with_basic_auth(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS[:6])
    box = Outbox(db)
    assert box.enqueue() == 6
    assert box.enqueue() == 0  # nothing new
    result = box.drain(LrsClient(lrs, "user", "pw ✓"), batch_size=4)
    assert (result.sent, result.failed_attempts, result.error) == (6, 0, None)
    assert FakeLrs.posts == [4, 2]
    assert FakeLrs.auth[0] == "Basic " + base64.b64encode("user:pw ✓".encode()).decode()
    # More events arrive: only their statements are queued; the builder remembers the open question.
    _write(db, CLASS[6:], start=100.0)
    assert box.enqueue() == 9
    assert box.drain(LrsClient(lrs)).sent == 9
    stats = box.stats()
    assert (stats.sent, stats.pending, stats.rejected) == (15, 0, 0)
    assert sorted(FakeLrs.stored) == sorted(s["id"] for s in _statements(db))
    box.close()


def test_outbox_keeps_statements_through_an_outage_and_a_restart(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    clock = FakeClock(start_wall=1000.0)
    box = Outbox(db, clock=clock)
    box.enqueue()
    FakeLrs.mode = "down"
    result = box.drain(LrsClient(lrs), batch_size=5)
    assert result.sent == 0 and result.failed_attempts == 5 and "503" in (result.error or "")
    assert len(FakeLrs.posts) == 1  # stops at the first failure: the LRS is away
    stats = box.stats()
    assert stats.pending == 15 and stats.due == 10  # the failed batch waits for its backoff
    clock.advance(1.0)
    assert box.drain(LrsClient(lrs)).sent == 0  # still down
    box.close()
    # The app restarts; the LRS is back. Each statement goes when its backoff (kept in the store) is over.
    FakeLrs.mode = "ok"
    box = Outbox(db, clock=clock)
    assert box.enqueue() == 0
    assert box.drain(LrsClient(lrs)).sent == 0
    clock.advance(1000.0 + RETRY.delay(1) - clock.wall())
    assert box.drain(LrsClient(lrs), deadline=clock.monotonic()).sent == 0  # the deadline is on the same clock
    assert box.drain(LrsClient(lrs)).sent == 5  # the first failed batch
    clock.advance(1.0)
    assert box.drain(LrsClient(lrs)).sent == 10
    assert box.stats().pending == 0
    assert len(FakeLrs.stored) == 15
    box.close()


def test_a_statement_the_lrs_refuses_is_set_aside_not_blocking(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    box = Outbox(db)
    box.enqueue()
    bad = _statements(db)[4]["id"]
    FakeLrs.bad_ids = {bad}
    result = box.drain(LrsClient(lrs), batch_size=10, ignore_schedule=True)
    assert (result.sent, result.rejected) == (14, 1)
    stats = box.stats()
    assert (stats.sent, stats.pending, stats.rejected) == (14, 0, 1)
    assert bad not in FakeLrs.stored
    box.close()


def test_unreachable_lrs_is_a_retry(tmp_path: Path) -> None:
    client = LrsClient("http://127.0.0.1:9/xAPI", timeout_s=2.0)
    with pytest.raises(LrsError) as info:
        client.post(["{}"])
    assert info.value.retry and "unreachable" in str(info.value)
    with pytest.raises(ValueError, match="http"):
        LrsClient("file:///etc/passwd")


def test_an_answer_outside_a_question_makes_no_statement() -> None:
    rows = [
        StoredEvent(1, SESSION, 0.0, 1.0, "ClassStarted", {"pack_id": "p", "title": "t", "node_count": 1}),
        StoredEvent(2, SESSION, 1.0, 2.0, "AnswerHeard", {"answer": "B"}),  # no open question: no statement
    ]
    row = SessionRow(SESSION, "p", "t", "/p", "test", 0.0, None, None, "t", {})
    assert [s["verb"]["display"]["en-US"] for _, s in xapi.statements(row, rows)] == ["initialized", "joined"]


def test_forwarder_sends_while_events_are_stored_and_once_more_at_stop(tmp_path: Path, lrs: str) -> None:
    import time

    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

    db = tmp_path / "e.sqlite"
    _write(db, CLASS[:4])
    forwarder = XapiForwarder(db, LrsClient(lrs), interval_s=0.05)
    forwarder.start()
    deadline = time.monotonic() + 20
    while len(FakeLrs.stored) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(FakeLrs.stored) == 4  # initialized, joined (room), joined + raised hand (track)
    _write(db, CLASS[4:], start=50.0)
    stats = forwarder.stop(final_s=5.0)
    assert stats is not None and (stats.sent, stats.pending) == (15, 0)
    assert len(FakeLrs.stored) == 15

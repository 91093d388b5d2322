"""xAPI statements (deterministic, anonymous) and the outbox's backoff; the outbox against a fake LRS on 127.0.0.1
is in tests/integration/test_xapi_outbox_http.py."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from dual_teacher.core import events as ev
from dual_teacher.engagement import xapi
from dual_teacher.engagement.outbox import RETRY
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


def test_an_answer_outside_a_question_makes_no_statement() -> None:
    rows = [
        StoredEvent(1, SESSION, 0.0, 1.0, "ClassStarted", {"pack_id": "p", "title": "t", "node_count": 1}),
        StoredEvent(2, SESSION, 1.0, 2.0, "AnswerHeard", {"answer": "B"}),  # no open question: no statement
    ]
    row = SessionRow(SESSION, "p", "t", "/p", "test", 0.0, None, None, "t", {})
    assert [s["verb"]["display"]["en-US"] for _, s in xapi.statements(row, rows)] == ["initialized", "joined"]

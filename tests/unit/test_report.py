"""The post-class report from typed events: the model's facts, the page's time zone, the machine's zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from dual_teacher.core import events as ev
from dual_teacher.engagement import report as rp
from dual_teacher.engagement.store import EventStore, SessionRow, StoredEvent
from dual_teacher.runtime.store_writer import StoreWriter

STARTED = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
ROW = SessionRow("s1", "p", "Shapes", "/p", "test", STARTED, STARTED + 300, "completed", "t", {"roster_size": 20})

LESSON: tuple[tuple[float, ev.Event], ...] = (
    (0.0, ev.ClassStarted("p", "Shapes", 5)),
    (0.0, ev.NodeEntered("intro", "video", "Welcome")),
    (2.0, ev.HeadCountReported(18, "simulated")),
    (5.0, ev.TeacherPaused()),
    (6.0, ev.TeacherResumed()),
    (10.0, ev.NodeEntered("q", "question", "Shapes quiz")),
    (10.0, ev.QuestionAsked("q", "short_answer", "Name a shape", (), ("circle",), 20.0)),
    (12.0, ev.HandRaised(1, 0.2, 0.4, "simulated")),
    (30.0, ev.QuestionClosed("q", "time_up", 3, 1, 1 / 3, {"circle": 1, "tom": 2})),
    (30.0, ev.QuestionClosed("never-asked", "time_up", 1, 1, 1.0, {})),  # no question of its own: left out
    (30.0, ev.NodeEntered("check", "branch", "")),
    (30.0, ev.BranchTaken("check", "rules.0:correct_rate", "poll")),
    (30.0, ev.NodeEntered("poll", "hand_poll", "Hands up")),
    (31.0, ev.HandPollOpened("poll", "Who likes circles?")),
    (40.0, ev.HandPollClosed("poll", 6, 9)),
    (41.0, ev.StageAlert("camera", "Camera lost", "warning")),
    (42.0, ev.TeacherSkippedQuestion()),
    (43.0, ev.TeacherPaused()),
    (50.0, ev.NodeEntered("end", "end", "")),
    (50.0, ev.ClassEnded("teacher")),
)


def stored(lesson: Sequence[tuple[float, ev.Event]], mono0: float = 100.0) -> list[StoredEvent]:
    """What the event store gives back for these events (type name and JSON payload)."""
    return [
        StoredEvent(i + 1, ROW.id, mono0 + t, STARTED + t, e.kind, json.loads(json.dumps(e.payload())))
        for i, (t, e) in enumerate(lesson)
    ]


def test_the_model_reads_the_lessons_facts_from_typed_events() -> None:
    r = rp.build_report(ROW, stored(LESSON))
    assert r.duration_s == 50.0 and r.end_reason == "teacher" and r.event_count == len(LESSON)
    assert [(s.node_id, s.kind, s.start_s, s.end_s) for s in r.segments] == [
        ("intro", "video", 0.0, 10.0),
        ("q", "question", 10.0, 30.0),
        ("check", "branch", 30.0, 30.0),
        ("poll", "hand_poll", 30.0, 50.0),
        ("end", "end", 50.0, 50.0),
    ]
    (q,) = r.questions
    assert (q.node_id, q.prompt, q.qtype, q.correct, q.asked_at_s, q.reason) == (
        "q",
        "Name a shape",
        "short_answer",
        ("circle",),
        10.0,
        "time_up",
    )
    assert (q.responses, q.correct_count, q.tally) == (3, 1, {"circle": 1, rp.OTHER_ANSWERS: 2})
    assert r.polls == (rp.PollResult("poll", "Who likes circles?", 1.0 + 30.0, 6, 9),)
    assert r.branches == ((30.0, "check", "rules.0:correct_rate", "poll"),)
    assert r.teacher_actions == {"pause": 2, "resume": 1, "skip question": 1}
    assert r.alerts == ((41.0, "camera", "warning", "Camera lost"),)
    assert r.simulated_inputs and r.roster_size == 20
    assert r.titles() == {"intro": "Welcome", "q": "Shapes quiz", "poll": "Hands up"}
    assert rp.build_report(ROW, stored(LESSON), private_data=True).questions[0].tally == {"circle": 1, "tom": 2}


def test_an_empty_or_unfinished_session() -> None:
    r = rp.build_report(dataclasses.replace(ROW, ended_wall=None, end_reason=None), [])
    assert (r.duration_s, r.end_reason, r.segments, r.simulated_inputs) == (0.0, "interrupted", (), False)
    real = [(t, e) for t, e in LESSON if not isinstance(e, ev.HeadCountReported | ev.HandRaised)]
    assert not rp.build_report(ROW, stored(real)).simulated_inputs


def test_the_same_report_in_two_time_zones_differs_only_in_its_start_time() -> None:
    r = rp.build_report(ROW, stored(LESSON))
    utc = rp.render_html(r, tz=dt.UTC)
    beijing = rp.render_html(r, tz=dt.timezone(dt.timedelta(hours=8)))
    assert "2023-11-14 22:13" in utc and "2023-11-15" not in utc
    assert "2023-11-15 06:13" in beijing and "2023-11-14" not in beijing
    assert beijing.replace("2023-11-15 06:13", "2023-11-14 22:13") == utc
    assert rp.render_html(r, "zh-Hans", tz=dt.UTC).count("开始于 2023-11-14 22:13") == 1


def test_write_report_writes_the_page_in_the_zone_it_is_given(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite"
    store = EventStore(db)
    store.create_session(ROW.id, ROW.pack_id, ROW.pack_title, ROW.pack_path, ROW.mode, STARTED, "t")
    writer = StoreWriter(db)
    for t, e in LESSON:
        writer.append(ROW.id, e, 100.0 + t, STARTED + t)
    assert writer.close()
    zone = dt.timezone(dt.timedelta(hours=-5))
    path, report = rp.write_report(store, ROW.id, tmp_path / "out", ("html", "json"), tz=zone)
    store.close()
    assert path.name == "report.html" and "Started 2023-11-14 17:13" in path.read_text(encoding="utf-8")
    assert (
        json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["session"]["started_wall"] == STARTED
    )
    assert report.questions[0].node_id == "q"


@pytest.fixture
def tz_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set TZ for one test (and the C library's reading of it); both are restored afterwards."""
    yield monkeypatch
    monkeypatch.undo()
    time.tzset()


WINTER, SUMMER = 1_767_000_000.0, 1_782_000_000.0  # 2025-12-29, 2026-06-21


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai", "America/Sao_Paulo", "UTC"])
def test_the_machines_zone_reads_like_the_c_library_in_winter_and_summer(tz_env: pytest.MonkeyPatch, zone: str) -> None:
    tz_env.setenv("TZ", zone)
    time.tzset()
    local = rp.local_timezone()
    for wall in (WINTER, SUMMER, STARTED):
        assert dt.datetime.fromtimestamp(wall, local).strftime("%Y-%m-%d %H:%M") == dt.datetime.fromtimestamp(
            wall
        ).strftime("%Y-%m-%d %H:%M")


def test_a_posix_rule_in_tz_falls_back_to_the_offset_in_force(tz_env: pytest.MonkeyPatch) -> None:
    tz_env.setenv("TZ", "XYZ-7")
    time.tzset()
    assert dt.datetime.now(rp.local_timezone()).utcoffset() == dt.timedelta(hours=7)
    tz_env.setenv("TZ", "")
    assert rp.local_timezone() is dt.UTC


def test_without_tz_the_zone_is_the_systems(tz_env: pytest.MonkeyPatch) -> None:
    tz_env.delenv("TZ", raising=False)
    time.tzset()
    local = rp.local_timezone()
    for wall in (WINTER, SUMMER):
        assert (
            dt.datetime.fromtimestamp(wall, local).utcoffset()
            == dt.datetime.fromtimestamp(wall).astimezone().utcoffset()
        )

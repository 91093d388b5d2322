"""The class-state reducer: tables of (events at times) -> expected snapshot fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.class_state import (
    ClassState,
    HealthSample,
    Item,
    StageRow,
    delta,
    nearest_hand,
    reduce,
    to_dict,
)

START = ev.ClassStarted("demo", "Counting on", 12)


def run(items: list[tuple[float, Item]]) -> ClassState:
    state = ClassState()
    for now, item in items:
        state = reduce(state, item, now)
    return state


def test_initial_snapshot_is_json_and_waiting() -> None:
    d = to_dict(ClassState(), 0.0)
    assert d["lesson"]["status"] == "waiting"
    assert d["head"] is None and d["attention"] is None and d["poll"] is None and d["hands"] == []
    json.dumps(d)


CASES: list[tuple[str, list[tuple[float, Item]], str, Any]] = [
    ("started", [(100.0, START)], "lesson", {"status": "running", "pack": "demo", "steps": 12}),
    (
        "node entered counts steps and sets the AI lesson on air",
        [(100.0, START), (101.0, ev.NodeEntered("intro", "video", "Intro")), (130.0, ev.NodeEntered("q1", "question"))],
        "lesson",
        {"node": "q1", "kind": "question", "step": 2, "t": 30},
    ),
    ("on air after a node", [(0.0, START), (0.0, ev.NodeEntered("a", "video"))], "on_air", "lesson"),
    ("live on air", [(0.0, START), (1.0, ev.SourceSwitched("live", "start"))], "on_air", "live"),
    (
        "fallback",
        [(0.0, START), (1.0, ev.SourceSwitched("live", "start")), (5.0, ev.SourceSwitched("lesson", "fallback"))],
        "on_air",
        "fallback",
    ),
    (
        "head count: median and range of the last 30 s",
        [
            (0.0, START),
            (1.0, ev.HeadCountReported(40)),
            (40.0, ev.HeadCountReported(27)),
            (41.0, ev.HeadCountReported(30)),
            (42.0, ev.HeadCountReported(28)),
        ],
        "head",
        {"n": 28, "lo": 27, "hi": 30},
    ),
    (
        "hands queue keeps raise order, a moved hand keeps its place, lowered hands leave",
        [
            (0.0, START),
            (2.0, ev.HandRaised(7, 0.2, 0.3)),
            (3.0, ev.HandRaised(4, 0.9, 0.1)),
            (4.0, ev.HandRaised(9, 0.5, 0.5)),
            (5.0, ev.HandRaised(7, 0.25, 0.3)),
            (6.0, ev.HandLowered(4)),
        ],
        "hands",
        [{"x": 0.25, "y": 0.3, "since": 2.0, "called": False}, {"x": 0.5, "y": 0.5, "since": 4.0, "called": False}],
    ),
    (
        "seat positions are clamped to [0, 1] and a called hand is marked",
        [(0.0, START), (1.0, ev.HandRaised(1, 1.3, -0.2)), (2.0, ev.TeacherCalledOnHand(1))],
        "hands",
        [{"x": 1.0, "y": 0.0, "since": 1.0, "called": True}],
    ),
    (
        "an open question shows its live tally",
        [
            (0.0, START),
            (1.0, ev.QuestionAsked("q1", "single_choice", "7 + 3?", ("a", "b"), ("a",))),
            (2.0, cmd.UpdateCount("q1", 3, {"a": 2, "b": 1})),
        ],
        "poll",
        {
            "node": "q1",
            "kind": "question",
            "prompt": "7 + 3?",
            "choices": ["a", "b"],
            "tally": {"a": 2, "b": 1},
            "responses": 3,
            "hands": 0,
            "open": True,
            "correct_rate": None,
        },
    ),
    (
        "a count for another node is ignored",
        [
            (0.0, START),
            (1.0, ev.QuestionAsked("q1", "single_choice", "?", ("a",))),
            (2.0, cmd.UpdateCount("q9", 5, {"a": 5})),
        ],
        "poll",
        {
            "node": "q1",
            "kind": "question",
            "prompt": "?",
            "choices": ["a"],
            "tally": {"a": 0},
            "responses": 0,
            "hands": 0,
            "open": True,
            "correct_rate": None,
        },
    ),
    (
        "correct rate pools closed questions, skipped ones do not count",
        [
            (0.0, START),
            (1.0, ev.QuestionClosed("q1", "time_up", 10, 7, 0.7, {"a": 7, "b": 3})),
            (2.0, ev.QuestionClosed("q2", "skipped", 0, 0, None)),
            (3.0, ev.QuestionClosed("q3", "time_up", 10, 4, 0.4, {"a": 4, "b": 6})),
        ],
        "answers",
        {"questions": 2, "responses": 20, "correct_rate": 0.55},
    ),
    (
        "hand poll: live count then the peak when it closes",
        [
            (0.0, START),
            (1.0, ev.HandPollOpened("p1", "Who is ready?")),
            (2.0, ev.HandCountReported(5)),
            (3.0, ev.HandCountReported(8)),
            (4.0, ev.HandPollClosed("p1", 6, 9)),
        ],
        "poll",
        {
            "node": "p1",
            "kind": "hand_poll",
            "prompt": "Who is ready?",
            "choices": [],
            "tally": {},
            "responses": 0,
            "hands": 9,
            "open": False,
            "correct_rate": None,
        },
    ),
    (
        "attention pools shares by faces over the last 60 s",
        [
            (0.0, START),
            (1.0, ev.AttentionMeasured(0.0, 50)),
            (70.0, ev.AttentionMeasured(0.5, 10)),
            (71.0, ev.AttentionMeasured(1.0, 30)),
        ],
        "attention",
        {"share": 0.88, "faces": 40},
    ),
    ("no faces: no attention figure", [(0.0, START), (1.0, ev.AttentionMeasured(0.7, 0))], "attention", None),
    ("paused", [(0.0, START), (1.0, ev.LessonPaused("a"))], "lesson", {"status": "paused"}),
    (
        "resumed",
        [(0.0, START), (1.0, ev.LessonPaused("a")), (2.0, ev.LessonResumed("a"))],
        "lesson",
        {"status": "running"},
    ),
    (
        "ended clears the hands",
        [(0.0, START), (1.0, ev.HandRaised(1, 0.1, 0.1)), (2.0, ev.ClassEnded("completed"))],
        "hands",
        [],
    ),
    (
        "stage alerts, newest first, at most 5",
        [(0.0, START), *[(float(i), ev.StageAlert("camera", f"lost {i}")) for i in range(1, 8)]],
        "alerts",
        [
            {"t": float(i), "kind": "stage", "message": f"camera: lost {i}", "severity": "warning"}
            for i in range(7, 2, -1)
        ],
    ),
    (
        "a stream back resolves the stream-lost alert",
        [(0.0, START), (5.0, ev.LiveStreamLost("stalled", 2.0)), (9.0, ev.LiveStreamConnected("u", 1))],
        "alerts",
        [{"t": 9.0, "kind": "live_back", "message": "live stream is back", "severity": "info"}],
    ),
    (
        "stage health rows",
        [(0.0, HealthSample((StageRow("camera", "ok", 3),)))],
        "health",
        [{"stage": "camera", "state": "ok", "dropped": 3}],
    ),
    ("analytics paused", [(0.0, START), (1.0, ev.TeacherPausedAnalytics())], "analytics", False),
    ("remote control off", [(0.0, START), (1.0, ev.RemoteControlSet(False))], "remote_control", False),
    (
        "lead commands logged, newest first",
        [(0.0, START), (3.0, ev.LeadCommandReceived("pause")), (4.0, ev.LeadCommandReceived("note", "hi", False))],
        "lead_log",
        [{"t": 4.0, "command": "note", "accepted": False}, {"t": 3.0, "command": "pause", "accepted": True}],
    ),
    (
        "the lead teacher's hand poll counts the peak of hands up, closes when its time is up",
        [
            (0.0, START),
            (1.0, ev.HandRaised(1, 0.1, 0.1)),
            (2.0, ev.LeadHandPollRequested("Finished?", 10.0)),
            (3.0, ev.HandRaised(2, 0.5, 0.5)),
            (4.0, ev.HandRaised(3, 0.9, 0.9)),
            (5.0, ev.HandLowered(2)),
            (12.0, ev.Tick()),
        ],
        "poll",
        {
            "node": "lead",
            "kind": "hand_poll",
            "prompt": "Finished?",
            "choices": [],
            "tally": {},
            "responses": 0,
            "hands": 3,
            "open": False,
            "correct_rate": None,
        },
    ),
    (
        "the lead teacher's question card is open for its time",
        [(0.0, START), (2.0, ev.LeadQuestionShown("Which is more?", ("7", "9"), 30.0)), (10.0, ev.Tick())],
        "poll",
        {
            "node": "lead",
            "kind": "question",
            "prompt": "Which is more?",
            "choices": ["7", "9"],
            "tally": {},
            "responses": 0,
            "hands": 0,
            "open": True,
            "correct_rate": None,
        },
    ),
    (
        "ticks and captions change nothing",
        [(0.0, START), (1.0, ev.Tick()), (1.0, ev.CaptionUpdated("x", True))],
        "lesson",
        {"status": "running", "t": 0},
    ),
]


@pytest.mark.parametrize(("name", "items", "key", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reducer_table(name: str, items: list[tuple[float, Item]], key: str, expected: Any) -> None:
    now = items[-1][0] if items else 0.0
    got = to_dict(run(items), now)[key]
    if isinstance(expected, dict) and isinstance(got, dict) and key == "lesson":
        got = {k: got[k] for k in expected}
    assert got == expected


def test_reduce_is_pure() -> None:
    before = run([(0.0, START)])
    after = reduce(before, ev.HandRaised(1, 0.5, 0.5), 1.0)
    assert before.hands == () and len(after.hands) == 1


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [(0.21, 0.31, 7), (0.88, 0.12, 4), (0.6, 0.9, None)],
)
def test_nearest_hand(x: float, y: float, expected: int | None) -> None:
    s = run([(0.0, START), (1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandRaised(4, 0.9, 0.1))])
    hand = nearest_hand(s, x, y)
    assert (hand.track_id if hand else None) == expected


def test_delta_holds_only_changed_keys() -> None:
    a = to_dict(run([(0.0, START)]), 0.0)
    b = to_dict(run([(0.0, START), (1.0, ev.HeadCountReported(20))]), 1.0)
    assert delta(a, b) == {"head": {"n": 20, "lo": 20, "hi": 20}}
    assert delta(b, b) == {}

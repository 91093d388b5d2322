"""The console's pure reducer: hand queue, alerts, captions, answers and room figures, as tables (no Qt)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pytest

from dual_teacher.core import events as ev
from dual_teacher.runtime import console_state as cs
from dual_teacher.runtime.class_state import Hand
from dual_teacher.runtime.console_state import DISPLAY_WINDOW, ConsoleState
from dual_teacher.runtime.session import STORE_STAGE

START = ConsoleState(store_folder="/data")


def run(events: Sequence[tuple[float, ev.Event]], state: ConsoleState = START) -> ConsoleState:
    return functools.reduce(lambda s, te: cs.reduce(s, te[1], te[0]), events, state)


def queue(state: ConsoleState) -> list[tuple[int, bool]]:
    return [(h.track_id, h.called) for h in state.hands]


@pytest.mark.parametrize(
    ("events", "expected", "first"),
    [
        ([], [], None),
        ([(1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandRaised(3, 0.5, 0.5))], [(7, False), (3, False)], 7),
        # a hand that moves keeps its place
        (
            [(1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandRaised(3, 0.5, 0.5)), (3.0, ev.HandRaised(7, 0.25, 0.3))],
            [(7, False), (3, False)],
            7,
        ),
        # called on: stays, marked, and the next waiting hand is first
        (
            [(1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandRaised(3, 0.5, 0.5)), (3.0, ev.TeacherCalledOnHand(7))],
            [(7, True), (3, False)],
            3,
        ),
        ([(1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandLowered(7))], [], None),
        ([(1.0, ev.HandRaised(7, 0.2, 0.3)), (2.0, ev.HandLowered(9))], [(7, False)], 7),  # unknown: no change
        ([(1.0, ev.TeacherCalledOnHand(4))], [], None),  # calling on a hand not raised does nothing
        # lowered and raised again: back at the end of the queue, not called
        (
            [
                (1.0, ev.HandRaised(7, 0.2, 0.3)),
                (1.5, ev.TeacherCalledOnHand(7)),
                (2.0, ev.HandRaised(3, 0.5, 0.5)),
                (3.0, ev.HandLowered(7)),
                (4.0, ev.HandRaised(7, 0.2, 0.3)),
            ],
            [(3, False), (7, False)],
            3,
        ),
    ],
)
def test_hand_queue(events: list[tuple[float, ev.Event]], expected: list[tuple[int, bool]], first: int | None) -> None:
    state = run(events)
    assert queue(state) == expected
    assert cs.first_waiting(state) == first


def test_a_moved_hand_takes_its_new_seat_and_keeps_when_it_rose() -> None:
    started = [(10.0, ev.ClassStarted("p", "L", 1))]
    state = run([*started, (11.0, ev.HandRaised(7, 0.2, 0.3)), (15.0, ev.HandRaised(7, 0.4, 0.6))])
    assert state.hands == (Hand(7, 0.4, 0.6, 1.0),)  # rose 1 s into the lesson


def kinds(state: ConsoleState) -> list[str]:
    return [a.kind for a in state.alerts]


LOST = ev.LiveStreamLost("stalled", 2.0)
FALLBACK = ev.SourceSwitched("lesson", "fallback", "n2")


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([LOST], ["stream_lost"]),
        ([LOST, LOST], ["stream_lost"]),  # one of a kind
        ([LOST, FALLBACK], ["fallback", "stream_lost"]),  # newest first
        ([LOST, FALLBACK, ev.SourceSwitched("live", "teacher")], []),  # live again resolves all three
        ([LOST, ev.LiveStreamConnected("u", 2)], ["live_back"]),  # a reconnection: back, not lost
        ([ev.LiveStreamConnected("u", 0)], []),  # the first connection is no news
        ([ev.SourceSwitched("lesson", "teacher")], []),  # the teacher's own switch
        ([ev.StageAlert(STORE_STAGE, "full", "error")], ["disk_full"]),
        ([ev.StageAlert(STORE_STAGE, "low", "warning")], ["disk_low"]),
        (
            [ev.StageAlert(STORE_STAGE, "low", "warning"), ev.StageAlert(STORE_STAGE, "full", "error")],
            ["disk_full", "disk_low"],
        ),
        (
            [ev.StageAlert(STORE_STAGE, "full", "error"), ev.StageAlert(STORE_STAGE, "resumed", "info")],
            [],
        ),
        ([ev.StageAlert(DISPLAY_WINDOW, "closed", "warning")], ["display_closed"]),
        (
            [ev.StageAlert(DISPLAY_WINDOW, "closed", "warning"), ev.StageAlert(DISPLAY_WINDOW, "shown", "info")],
            [],
        ),
        ([ev.StageAlert("camera", "lost", "warning"), ev.StageAlert("camera", "back", "info")], ["camera_lost"]),
        (  # stage alerts stand side by side
            [ev.StageAlert("speech", "a", "error"), ev.StageAlert("speech", "b", "error")],
            ["stage", "stage"],
        ),
        ([ev.TeacherPausedAnalytics()], ["analytics_paused"]),
        ([ev.TeacherPausedAnalytics(), ev.TeacherResumedAnalytics()], []),
        (
            [ev.LeadCommandReceived("pause", "", True), ev.LeadCommandReceived("next", "", False)],
            ["lead", "lead"],
        ),
        ([ev.LeadLinkChanged("down", "refused")], ["lead_link"]),
        ([ev.LeadLinkChanged("down", "refused"), ev.LeadLinkChanged("connected")], []),
        ([ev.Tick(), ev.NodeEntered("n1", "slide", "Intro")], []),  # not the console's business
        ([ev.StageAlert("speech", str(i), "error") for i in range(9)], ["stage"] * cs.MAX_ALERTS),
    ],
)
def test_alerts(events: list[ev.Event], expected: list[str]) -> None:
    assert kinds(run([(float(i), e) for i, e in enumerate(events)])) == expected


def test_an_alert_says_when_and_what() -> None:
    state = run(
        [
            (5.0, ev.StageAlert("camera", "lost", "warning")),
            (10.0, ev.ClassStarted("p", "Lesson", 3)),
            (135.0, ev.StageAlert(STORE_STAGE, "full", "error")),
            (136.0, FALLBACK),
            (137.0, ev.SourceSwitched("lesson", "unavailable")),
        ]
    )
    unavailable, full, camera = state.alerts
    assert camera.time == "" and dict(camera.args) == {"stage": "camera", "message": "lost"}
    assert full.time == "2:05" and dict(full.args) == {"where": "/data"} and full.severity == "error"
    assert unavailable.kind == "fallback" and unavailable.node_id == ""  # the first fallback was replaced
    assert [a.id for a in state.alerts] == [4, 2, 1] and state.alert_seq == 4


def test_dismiss_removes_one_alert_by_id() -> None:
    state = run([(0.0, ev.StageAlert("speech", "a", "error")), (1.0, ev.StageAlert("speech", "b", "error"))])
    older = state.alerts[1].id
    assert [dict(a.args)["message"] for a in cs.dismiss(state, older).alerts] == ["b"]
    assert cs.dismiss(state, 999) == state


@pytest.mark.parametrize(
    ("events", "linked", "remote"),
    [
        ([], False, True),
        ([ev.LeadLinkChanged("connected")], True, True),
        ([ev.LeadLinkChanged("down", "x")], False, True),
        ([ev.RemoteControlSet(False)], True, False),
        ([ev.RemoteControlSet(False), ev.RemoteControlSet(True)], True, True),
    ],
)
def test_lead_link_status(events: list[ev.Event], linked: bool, remote: bool) -> None:
    state = run([(0.0, e) for e in events])
    assert (state.lead_linked, state.remote_control) == (linked, remote)


@pytest.mark.parametrize(
    ("event", "count", "approx"),
    [
        (ev.HeadCountReported(12, "simulated"), 12, False),
        (ev.HeadCountReported(12, "perception"), 12, True),  # no range: an estimate
        (ev.HeadCountReported(12, "perception", low=12, high=12), 12, False),
        (ev.HeadCountReported(12, "perception", low=10, high=14), 12, True),
    ],
)
def test_head_count(event: ev.HeadCountReported, count: int, approx: bool) -> None:
    state = run([(0.0, event)])
    assert (state.head_count, state.head_count_approx) == (count, approx)


def test_attention_history_is_clipped_and_bounded() -> None:
    state = run([(float(i), ev.AttentionMeasured(1.5 if i == 0 else 0.5, 10)) for i in range(cs.ATTENTION_POINTS + 5)])
    assert len(state.attention_history) == cs.ATTENTION_POINTS
    assert state.attention == 0.5 and state.attention_faces == 10
    assert run([(0.0, ev.AttentionMeasured(1.5, 3))]).attention_history == (1.0,)  # the share shown as given


def test_captions_keep_the_last_finals_masked_and_the_partial() -> None:
    events: list[tuple[float, ev.Event]] = [
        (float(i), ev.CaptionUpdated(f"line {i}", True)) for i in range(cs.MAX_TRANSCRIPT + 2)
    ]
    state = run([*events, (99.0, ev.CaptionUpdated("still talk", False))])
    assert len(state.transcript) == cs.MAX_TRANSCRIPT and state.transcript[0] == "line 2"
    assert state.partial == "still talk"
    assert run([(0.0, ev.CaptionUpdated("hm", False)), (1.0, ev.CaptionUpdated("done", True))]).partial == ""


def test_results_keep_the_order_nodes_first_closed() -> None:
    state = run(
        [
            (0.0, ev.QuestionClosed("q1", "timeout", 3, 2, 2 / 3)),
            (1.0, ev.HandPollClosed("p1", 4, 9)),
            (2.0, ev.QuestionClosed("q1", "teacher", 4, 4, 1.0)),  # replayed: updated in place
            (3.0, ev.QuestionClosed("q2", "skipped", 0, 0, None)),
        ]
    )
    assert state.results == (
        cs.Result("q1", 4, 4, 1.0),
        cs.Result("p1", 9, -1, -1.0),
        cs.Result("q2", 0, 0, -1.0),
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [(30.0, {"teacher": 3.5, "room": 1.0}), (70.0, {"teacher": 1.5, "room": 1.0}), (200.0, {})],
)
def test_talk_in_the_last_minute(now: float, expected: dict[str, Any]) -> None:
    state = run(
        [
            (5.0, ev.SpeechActivity("teacher", 2.0)),
            (20.0, ev.SpeechActivity("teacher", 1.5)),
            (25.0, ev.SpeechActivity("room", 1.0)),
        ]
    )
    assert cs.talk_last_minute(state, now) == expected


def test_elapsed_counts_from_the_class_start() -> None:
    assert START.elapsed(50.0) == "0:00"
    assert run([(10.0, ev.ClassStarted("p", "L", 1))]).elapsed(75.9) == "1:05"
    assert cs.clock_text(-3.0) == "0:00" and cs.clock_text(3599.0) == "59:59"

"""The link's messages: what may leave the classroom (a whitelist), what the classroom accepts, what commands do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.class_state import ClassState, HealthSample, StageRow, reduce, to_dict
from dual_teacher.runtime.lead_link import LeadLink, ws_url
from dual_teacher.runtime.lead_protocol import STATE_KEYS, LeadCommand, StateMessage, command_events

# Every key that may ever leave the classroom, by path ("hands[]" = each item of the list). Adding a key to the
# published state means adding it here, on purpose: counts, shares, lesson content, anonymous seat positions.
ALLOWED_PATHS = {
    "lesson", "lesson.status", "lesson.pack", "lesson.title", "lesson.node", "lesson.kind", "lesson.node_title",
    "lesson.step", "lesson.steps", "lesson.t",
    "on_air", "live_ok",
    "head", "head.n", "head.lo", "head.hi",
    "hands", "hands[].x", "hands[].y", "hands[].since", "hands[].called",
    "poll", "poll.node", "poll.kind", "poll.prompt", "poll.choices", "poll.tally", "poll.tally.*", "poll.responses",
    "poll.hands", "poll.open", "poll.correct_rate",
    "answers", "answers.questions", "answers.responses", "answers.correct_rate",
    "attention", "attention.share", "attention.faces",
    "health", "health[].stage", "health[].state", "health[].dropped",
    "alerts", "alerts[].t", "alerts[].kind", "alerts[].message", "alerts[].severity",
    "analytics", "remote_control",
    "lead_log", "lead_log[].t", "lead_log[].command", "lead_log[].accepted",
}  # fmt: skip
FORBIDDEN_WORDS = (
    "track",
    "landmark",
    "name",
    "id",
    "image",
    "frame",
    "audio",
    "video_",
    "transcript",
    "caption",
    "text",
)


def _paths(value: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{prefix}.*" if prefix.endswith("tally") else (f"{prefix}.{k}" if prefix else k)
            out.add(key)
            out |= _paths(v, key)
    elif isinstance(value, list):
        for item in value:
            out |= _paths(item, prefix + "[]")
    return out


def _busy_state() -> ClassState:
    items: list[tuple[float, Any]] = [
        (0.0, ev.ClassStarted("demo", "Counting on", 9)),
        (1.0, ev.NodeEntered("q1", "question", "Q1")),
        (1.0, ev.QuestionAsked("q1", "single_choice", "5 + 3?", ("a", "b"), ("a",))),
        (2.0, cmd.UpdateCount("q1", 2, {"a": 1, "b": 1})),
        (2.0, ev.HeadCountReported(27)),
        (2.0, ev.HandRaised(41, 0.3, 0.6)),
        (2.0, ev.AttentionMeasured(0.8, 20)),
        (2.0, ev.CaptionUpdated("the lead teacher says something", True)),
        (2.0, ev.AnswerHeard("eight", source="speech")),
        (3.0, ev.StageAlert("camera", "no frames for 5 s")),
        (3.0, ev.LeadCommandReceived("note", "hello")),
        (3.0, HealthSample((StageRow("camera", "degraded", 4),))),
        (4.0, ev.SourceSwitched("live", "start")),
        (5.0, ev.LiveStreamLost("stalled", 2.0)),
    ]
    s = ClassState()
    for now, item in items:
        s = reduce(s, item, now)
    return s


def test_published_payload_keys_are_whitelisted() -> None:
    d = to_dict(_busy_state(), 6.0)
    assert set(d) == STATE_KEYS
    paths = _paths(d)
    assert paths <= ALLOWED_PATHS, f"not whitelisted: {sorted(paths - ALLOWED_PATHS)}"
    text = json.dumps(d)
    assert "41" not in text  # the anonymous track id stays inside the classroom
    assert "the lead teacher says" not in text and "eight" not in text  # no captions, no student speech
    assert d["attention"] == {"share": 0.8, "faces": 20}  # a count of faces looking at the display, nothing per face
    for word in FORBIDDEN_WORDS:
        assert not any(word in p.split(".")[-1] for p in paths), word


def test_snapshot_message_is_small() -> None:
    s = _busy_state()
    for i in range(60):
        s = reduce(s, ev.HandRaised(100 + i, i / 60, 0.5), 6.0)
    text = json.dumps({"type": "snapshot", "seq": 0, "ts": 0.0, "state": to_dict(s, 6.0)}, separators=(",", ":"))
    assert len(text) < 8 * 1024


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"kind": "call_on_seat", "x": 0.2, "y": 0.4}, True),
        ({"kind": "call_on_seat", "x": 0.2}, False),
        ({"kind": "call_on_seat", "x": 1.5, "y": 0.4}, False),
        ({"kind": "hand_poll", "prompt": "Who is ready?"}, True),
        ({"kind": "hand_poll"}, False),
        ({"kind": "question", "prompt": "7 + 3?", "choices": ["10", "11"]}, True),
        ({"kind": "question", "prompt": "7 + 3?", "choices": ["x"] * 7}, False),
        ({"kind": "switch_source", "source": "lesson"}, True),
        ({"kind": "switch_source", "source": "tv"}, False),
        ({"kind": "pause"}, True),
        ({"kind": "note", "text": "x" * 281}, False),
        ({"kind": "note", "text": "Please check the back row"}, True),
        ({"kind": "pause", "shell": "rm -rf /"}, False),  # extra="forbid"
        ({"kind": "format_disk"}, False),
    ],
)
def test_command_validation(payload: dict[str, Any], ok: bool) -> None:
    if ok:
        LeadCommand.model_validate(payload)
    else:
        with pytest.raises(ValidationError):
            LeadCommand.model_validate(payload)


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"type": "delta", "seq": 1, "ts": 1.0, "state": {"head": {"n": 3}}}, True),
        ({"type": "delta", "seq": 1, "ts": 1.0, "state": {"faces": []}}, False),
        ({"type": "snapshot", "seq": 0, "ts": 1.0, "state": {"head": None}}, False),  # a snapshot has every key
        ({"type": "video", "seq": 0, "ts": 1.0, "state": {}}, False),
        ({"type": "delta", "seq": 1, "ts": 1.0, "state": {}, "extra": 1}, False),
    ],
)
def test_state_message_validation(payload: dict[str, Any], ok: bool) -> None:
    if ok:
        StateMessage.model_validate(payload)
    else:
        with pytest.raises(ValidationError):
            StateMessage.model_validate(payload)


def _kinds(events: list[ev.Event]) -> list[str]:
    return [e.kind for e in events]


@pytest.mark.parametrize(
    ("payload", "remote", "expected"),
    [
        ({"kind": "call_on_seat", "x": 0.31, "y": 0.58}, True, ["LeadCommandReceived", "TeacherCalledOnHand"]),
        ({"kind": "pause"}, True, ["LeadCommandReceived", "TeacherPaused"]),
        ({"kind": "resume"}, True, ["LeadCommandReceived", "TeacherResumed"]),
        ({"kind": "switch_source", "source": "lesson"}, True, ["LeadCommandReceived"]),  # the window switches
        ({"kind": "hand_poll", "prompt": "Ready?"}, True, ["LeadCommandReceived", "LeadHandPollRequested"]),
        ({"kind": "question", "prompt": "7+3?", "choices": ["10"]}, True, ["LeadCommandReceived", "LeadQuestionShown"]),
        ({"kind": "note", "text": "hi"}, True, ["LeadCommandReceived"]),
        ({"kind": "pause"}, False, ["LeadCommandReceived"]),
        ({"kind": "call_on_seat", "x": 0.3, "y": 0.6}, False, ["LeadCommandReceived"]),
    ],
)
def test_command_events(payload: dict[str, Any], remote: bool, expected: list[str]) -> None:
    events = command_events(LeadCommand.model_validate(payload), _busy_state(), remote)
    assert _kinds(events) == expected
    first = events[0]
    assert isinstance(first, ev.LeadCommandReceived) and first.accepted is remote


def test_call_on_seat_picks_the_nearest_raised_hand() -> None:
    events = command_events(LeadCommand(kind="call_on_seat", x=0.32, y=0.61), _busy_state(), True)
    assert events[1] == ev.TeacherCalledOnHand(41)
    far = command_events(LeadCommand(kind="call_on_seat", x=0.95, y=0.05), _busy_state(), True)
    assert far[1] == ev.TeacherCalledOnHand(-1)  # no hand there: the cue still shows, no hand is marked


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00\xff\xfe",
        "not json",
        "[1, 2, 3]",
        '{"type": "video", "data": "..."}',
        '{"type": "command", "kind": "pause", "exec": "x"}',
        '{"type": "command", "kind": "call_on_seat", "x": "left"}',
        json.dumps({"type": "command", "kind": "note", "text": "x" * 5000}),
    ],
)
def test_link_ignores_and_counts_bad_frames(frame: str | bytes) -> None:
    link = LeadLink("http://127.0.0.1:1", "t.x")
    link._on_frame(frame)
    assert link.stats.ignored == 1 and link.stats.commands == 0
    assert link.poll(0.0) == []


def test_link_turns_a_valid_command_into_events_on_the_next_poll() -> None:
    link = LeadLink("http://127.0.0.1:1", "t.x", remote_control=False)
    link._on_frame(json.dumps({"type": "command", "id": "c1", "kind": "pause"}))
    out = link.poll(0.0)
    assert out == [ev.LeadCommandReceived("pause", "", accepted=False)]
    link.set_remote_control(True)
    link._on_frame(json.dumps({"type": "command", "id": "c2", "kind": "pause"}))
    assert _kinds(link.poll(0.1)) == ["RemoteControlSet", "LeadCommandReceived", "TeacherPaused"]


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://lead.example:8765", "ws://lead.example:8765/ws/classroom"),
        ("https://lead.example/", "wss://lead.example/ws/classroom"),
        ("wss://x/ws/classroom", "wss://x/ws/classroom"),
    ],
)
def test_ws_url(base: str, url: str) -> None:
    assert ws_url(base) == url


def test_lesson_controls_wait_while_the_live_teacher_is_on_air() -> None:
    link = LeadLink("http://127.0.0.1:1", "t.x")
    link.lesson_controls_allowed = lambda: False
    link._on_frame(json.dumps({"type": "command", "kind": "pause"}))
    link._on_frame(json.dumps({"type": "command", "kind": "call_on_seat", "x": 0.5, "y": 0.5}))
    assert _kinds(link.poll(0.0)) == ["LeadCommandReceived", "LeadCommandReceived", "TeacherCalledOnHand"]

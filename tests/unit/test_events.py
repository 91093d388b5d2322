"""Every event type survives the event store: event -> stored form (type name + JSON payload in SQLite) ->
`StoredEvent.event()` gives an equal event. The table below must name every registered event type, so a new
event without a round trip here fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dual_teacher.core import events as ev
from dual_teacher.engagement.store import EventStore, StoredEvent
from dual_teacher.runtime.store_writer import StoreWriter

# One instance per event type, with values unlike the defaults so a field that is lost or renamed shows.
SAMPLES: tuple[ev.Event, ...] = (
    ev.UnknownEvent("RetiredEvent", {"count": 3, "note": "kept as it was"}),
    ev.TeacherStarted(),
    ev.TeacherPaused(),
    ev.TeacherResumed(),
    ev.TeacherWentNext(),
    ev.TeacherWentBack(),
    ev.TeacherReplayed(),
    ev.TeacherSkippedQuestion(),
    ev.TeacherExtendedTimer(25.5),
    ev.TeacherEnteredAnswer("B", 3, "set"),
    ev.TeacherEndedClass(),
    ev.AnswerHeard("十二", 0.75, "simulated"),
    ev.CaptionUpdated("Seven plus six", True, "zh-Hans", 4, "Seven plus"),
    ev.SpeechActivity("room", 2.25),
    ev.HandCountReported(7, "B", "simulated"),
    ev.HeadCountReported(21, "fusion", 19, 23),
    ev.HandRaised(5, 0.25, 0.75, "simulated"),
    ev.HandLowered(5, "simulated"),
    ev.AttentionMeasured(0.625, 16, "simulated"),
    ev.MediaEnded("intro"),
    ev.MediaFailed("intro", "decoder error"),
    ev.ClassStarted("demo", "Adding small numbers", 12),
    ev.NodeEntered("q1", "question", "Question 1"),
    ev.QuestionAsked("q1", "multiple_choice", "Which are even?", ("A", "B", "C"), ("A", "C"), 20.0),
    ev.QuestionClosed("q1", "closed_by_teacher", 9, 4, 4 / 9, {"A": 4, "B": 5}),
    ev.HandPollOpened("poll", "Who has a pet?"),
    ev.HandPollClosed("poll", 11, 14),
    ev.BranchTaken("check", "rules.1:correct_rate", "make-ten"),
    ev.LessonPaused("q1"),
    ev.LessonResumed("q1"),
    ev.TimerExtended("practice", 15.0),
    ev.ClassEnded("teacher"),
    ev.StageAlert("camera", "Camera lost", "error"),
    ev.Tick(),
    ev.TeacherJumped("wrap-up"),
    ev.TeacherSwitchedSource("live"),
    ev.TeacherCalledOnHand(5),
    ev.TeacherPausedAnalytics(),
    ev.TeacherResumedAnalytics(),
    ev.LiveStreamConnected("rtsp://lead/stream", 2),
    ev.LiveStreamLost("stalled", 3.5),
    ev.LiveStreamRetried(3, 4.0),
    ev.SourceSwitched("lesson", "fallback", "q1", 12.5, 340.0),
    ev.LeadCommandReceived("note", "well done", False),
    ev.RemoteControlSet(True),
    ev.LeadLinkChanged("down", "timeout"),
    ev.LeadHandPollRequested("Who finished?", 45.0),
    ev.LeadQuestionShown("Ready?", ("yes", "no"), 20.0),
)


def test_the_table_names_every_event_type_once() -> None:
    kinds = [e.kind for e in SAMPLES]
    assert len(kinds) == len(set(kinds)), "an event type is in the table twice"
    missing = set(ev.event_types()) - set(kinds)
    assert not missing, f"event type(s) without a round trip here: {', '.join(sorted(missing))}"


def _store_form(event: ev.Event) -> tuple[str, str]:
    """What the event store writes: the type name and the JSON text of the payload."""
    return event.kind, json.dumps(event.payload(), ensure_ascii=False, allow_nan=False)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind)
def test_stored_form_decodes_to_an_equal_event(event: ev.Event) -> None:
    kind, text = _store_form(event)
    decoded = StoredEvent(1, "s", 0.0, 0.0, kind, json.loads(text)).event()
    assert type(decoded) is type(event)
    assert decoded == event


def test_every_event_type_round_trips_through_the_event_store(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite"
    store = EventStore(db)
    store.create_session("s", "p", "t", "/p", "test", 1.0, "t")
    writer = StoreWriter(db)
    for i, event in enumerate(SAMPLES):
        writer.append("s", event, float(i), 1000.0 + i)
    assert writer.close()
    stored = store.events("s")
    store.close()
    assert [e.type for e in stored] == [e.kind for e in SAMPLES]
    assert [e.event() for e in stored] == list(SAMPLES)


def test_an_unregistered_type_name_decodes_as_unknown_and_extra_fields_are_dropped() -> None:
    assert ev.Event.from_payload("NoSuchEvent", {"a": [1, 2]}) == ev.UnknownEvent("NoSuchEvent", {"a": [1, 2]})
    assert ev.Event.from_payload("HandLowered", {"track_id": 3, "gone": 1}) == ev.HandLowered(3)


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        ev.event_types()["Fake"] = ev.Tick  # type: ignore[index]

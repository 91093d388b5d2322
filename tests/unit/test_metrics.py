"""The published engagement formulas, table by table."""

from __future__ import annotations

import pytest

from dual_teacher.core import events as ev
from dual_teacher.engagement import metrics as m
from dual_teacher.engagement.recorded import Recorded


def at(mono: float, event: ev.Event) -> Recorded:
    return Recorded(0, mono, 1000.0 + mono, event)


@pytest.mark.parametrize(
    ("counts", "roster", "median", "rate"),
    [
        ([20, 22, 21], 24, 21.0, 21 / 24),
        ([30, 30], 24, 30.0, 1.0),  # capped at 1
        ([0, 0, 10], 24, 0.0, 0.0),
        ([], 24, None, None),  # no camera: no data
        ([18, 20], None, 19.0, None),  # no roster: no rate
        ([18, 20], 0, 19.0, None),
    ],
)
def test_attendance(counts: list[int], roster: int | None, median: float | None, rate: float | None) -> None:
    a = m.attendance([(float(i), c) for i, c in enumerate(counts)], roster)
    assert a.median_head_count == median
    assert a.rate == (None if rate is None else pytest.approx(rate))
    assert a.samples == len(counts)


@pytest.mark.parametrize(
    ("median", "roster", "present"),
    [(21.0, 24, 21.0), (None, 24, 24.0), (0.0, 24, 24.0), (None, None, None)],
)
def test_present_students(median: float | None, roster: int | None, present: float | None) -> None:
    assert m.present_students(m.Attendance(roster, 1, median, None, None)) == present


def _q(node: str, responses: int, correct: int, reason: str = "time_up") -> m.QuestionCount:
    return m.QuestionCount(node, 1.0, reason, responses, correct)


@pytest.mark.parametrize(
    ("tracks", "questions", "present", "hand_share", "answer_share", "correct_rate"),
    [
        ([1, 2, 3, 3], [_q("a", 10, 5), _q("b", 20, 20)], 20.0, 3 / 20, (10 / 20 + 1.0) / 2, 25 / 30),
        ([], [_q("a", 30, 3)], 20.0, 0.0, 1.0, 0.1),  # more answers than present: capped
        ([1], [_q("a", 5, 5, "skipped"), _q("b", 0, 0)], 10.0, 0.1, 0.0, None),  # skipped questions don't count
        ([1, 2], [], 10.0, 0.2, None, None),  # no question: no answer component
        ([1, 2], [_q("a", 4, 2)], None, None, None, 0.5),  # nobody known present: no shares
    ],
)
def test_participation(
    tracks: list[int],
    questions: list[m.QuestionCount],
    present: float | None,
    hand_share: float | None,
    answer_share: float | None,
    correct_rate: float | None,
) -> None:
    hands = [m.HandInterval(t, float(i), float(i) + 1, 0.5, 0.5) for i, t in enumerate(tracks)]
    p = m.participation(hands, questions, present)
    assert p.distinct_hand_tracks == len(set(tracks))
    assert p.hand_raises == len(tracks)
    for got, want in ((p.hand_share, hand_share), (p.answer_share, answer_share), (p.correct_rate, correct_rate)):
        assert got == (None if want is None else pytest.approx(want))


@pytest.mark.parametrize(
    ("samples", "share"),
    [
        ([(0.0, 0.5, 10), (1.0, 1.0, 30)], (5 + 30) / 40),  # pooled over faces, not a mean of shares
        ([(0.0, 0.8, 0)], None),  # no face seen
        ([], None),
    ],
)
def test_attention_is_pooled_over_faces(samples: list[tuple[float, float, int]], share: float | None) -> None:
    a = m.attention(samples)
    assert a.share == (None if share is None else pytest.approx(share))


@pytest.mark.parametrize(
    ("samples", "room_share", "talk"),
    [
        ([(0.0, "teacher", 30.0), (1.0, "room", 10.0)], 0.25, 1.0),
        ([(0.0, "teacher", 45.0), (1.0, "room", 5.0)], 0.1, 0.4),
        ([(0.0, "teacher", 10.0)], 0.0, 0.0),
        ([], None, None),
    ],
)
def test_speech_and_talk_component(
    samples: list[tuple[float, str, float]], room_share: float | None, talk: float | None
) -> None:
    s = m.speech(samples)
    assert s.room_share == (None if room_share is None else pytest.approx(room_share))
    score = m.engagement_score(
        m.Attendance(None, 0, None, None, None), m.participation([], [], None), m.attention([]), s
    )
    component = {c.name: c for c in score.components}["talk"]
    assert component.value == (None if talk is None else pytest.approx(talk))


def test_engagement_score_sums_components_with_data_only() -> None:
    att = m.attendance([(0.0, 20), (2.0, 20)], 25)  # 0.8
    part = m.participation([m.HandInterval(1, 0, 1, 0, 0)] * 1, [_q("a", 10, 5)], m.present_students(att))
    score = m.engagement_score(att, part, m.attention([(0.0, 0.5, 20)]), m.speech([]))
    values = {c.name: c.value for c in score.components}
    assert values == {
        "attendance": pytest.approx(0.8),
        "hands": pytest.approx(1 / 20),
        "answers": pytest.approx(0.5),
        "attention": pytest.approx(0.5),
        "talk": None,
    }
    assert score.max_score == 8.0  # 4 components with data x 2 points
    assert score.score == pytest.approx(2 * (0.8 + 0.05 + 0.5 + 0.5))
    assert all(c.formula for c in score.components)


def test_nothing_measured_gives_no_score() -> None:
    score = m.engagement_score(m.attendance([], None), m.participation([], [], None), m.attention([]), m.speech([]))
    assert score.score is None and score.max_score == 0 and score.share is None


def test_extract_signals_pairs_hands_and_closes_open_ones_at_the_end() -> None:
    events = [
        at(10.0, ev.ClassStarted("p", "t", 3)),
        at(11.0, ev.HandRaised(1, 0.2, 0.3)),
        at(12.0, ev.HandRaised(1, 0.2, 0.3)),  # already up: ignored
        at(13.0, ev.HandRaised(2, 0.7, 0.1)),
        at(15.0, ev.HandLowered(1)),
        at(16.0, ev.HandLowered(9)),  # never raised: ignored
        at(20.0, ev.AttentionMeasured(1.7, 3)),  # clipped to [0, 1]
        at(30.0, ev.ClassEnded("completed")),
    ]
    sig = m.extract_signals(events)
    assert sig.duration_s == 20.0
    assert [(h.track_id, h.start, h.end, h.x, h.y) for h in sig.hands] == [
        (1, 1.0, 5.0, 0.2, 0.3),
        (2, 3.0, 20.0, 0.7, 0.1),
    ]
    assert sig.attention == ((10.0, 1.0, 3),)


def test_extract_signals_reads_head_counts_speech_and_closed_questions() -> None:
    events = [
        at(5.0, ev.HeadCountReported(-2)),  # never below 0
        at(6.0, ev.HeadCountReported(21, low=20, high=22)),
        at(7.0, ev.SpeechActivity("room", -1.0)),  # never below 0 s
        at(8.0, ev.SpeechActivity("teacher", 4.5)),
        at(9.0, ev.QuestionAsked("q", "numeric", "7 + 6?", (), ("13",), 20.0)),
        at(12.0, ev.QuestionClosed("q", "time_up", 10, 7, 0.7, {"13": 7, "12": 3})),
        at(13.0, ev.UnknownEvent("RetiredEvent", {"count": 99})),  # no reader matches it
    ]
    sig = m.extract_signals(events)
    assert sig.head_counts == ((0.0, 0), (1.0, 21))
    assert sig.speech == ((2.0, "room", 0.0), (3.0, "teacher", 4.5))
    assert sig.questions == (m.QuestionCount("q", 7.0, "time_up", 10, 7),)
    assert sig.duration_s == 8.0


def test_timeline_counts_the_most_hands_up_at_once_per_step() -> None:
    hands = (
        m.HandInterval(1, 1.0, 12.0, 0, 0),
        m.HandInterval(2, 2.0, 3.0, 0, 0),
        m.HandInterval(3, 3.0, 4.0, 0, 0),  # goes up as #2 goes down: never 3 at once
        m.HandInterval(4, 21.0, 22.0, 0, 0),
    )
    sig = m.Signals(0.0, 30.0, ((0.0, 20), (6.0, 22), (7.0, 24)), ((1.0, 0.5, 10), (2.0, 1.0, 10)), hands, (), ())
    bins = m.timeline(sig, step_s=5.0)
    assert [b.hands_up for b in bins] == [2, 1, 1, 0, 1, 0]
    assert [b.head_count for b in bins] == [20.0, 23.0, None, None, None, None]
    assert bins[0].attention == pytest.approx(0.75)
    assert bins[-1].end == 30.0


@pytest.mark.parametrize(("duration", "step"), [(240.0, 5.0), (2700.0, 10.0), (3 * 3600.0, 60.0), (1e6, 3334.0)])
def test_bin_seconds(duration: float, step: float) -> None:
    assert m.bin_seconds(duration) == step


def test_window_metrics_counts_the_question_closing_at_the_window_end() -> None:
    sig = m.Signals(0.0, 100.0, ((5.0, 10),), (), (), (), (m.QuestionCount("q", 40.0, "time_up", 8, 4),))
    inside = m.window_metrics(sig, 12, 20.0, 40.0, "q")
    after = m.window_metrics(sig, 12, 40.0, 60.0, "next")
    assert inside.participation.questions == 1 and after.participation.questions == 0
    assert inside.attendance.median_head_count == 10.0  # no head count inside: the lesson's
    assert inside.attendance.rate is None


def test_a_stored_event_its_class_cannot_rebuild_is_decoded_as_unknown() -> None:
    from dual_teacher.engagement.recorded import decode_all
    from dual_teacher.engagement.store import StoredEvent

    stored = [
        StoredEvent(1, "s", 1.0, 11.0, "HandRaised", {"track_id": 4, "x": 0.5, "y": 0.25}),
        StoredEvent(2, "s", 2.0, 12.0, "QuestionClosed", {"node_id": "q"}),  # fields missing (another version)
        StoredEvent(3, "s", 3.0, 13.0, "NoLongerAnEvent", {"a": 1}),
    ]
    decoded = decode_all(stored)
    assert decoded[0] == Recorded(1, 1.0, 11.0, ev.HandRaised(4, 0.5, 0.25))
    assert decoded[1].event == ev.UnknownEvent("QuestionClosed", {"node_id": "q"})
    assert decoded[2].event == ev.UnknownEvent("NoLongerAnEvent", {"a": 1})
    assert m.extract_signals(decoded).questions == ()

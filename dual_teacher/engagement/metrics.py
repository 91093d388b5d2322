"""Class engagement metrics: pure functions over a session's decoded events, each with its published formula.

Everything here is a class-level aggregate. Inputs are the room signals (`HeadCountReported`, `HandRaised`,
`HandLowered`, `AttentionMeasured`, `SpeechActivity`) and the lesson facts (`NodeEntered`, `QuestionClosed`).
Track ids are anonymous and live for one lesson; they are only ever *counted* here. There are no emotion or
"distracted" labels and no per-child scores.

Time is lesson time: seconds since the session's first stored event (`t = mono - mono_of_first_event`).

The engagement score follows BigBlueButton's activity score in spirit: five components, each normalised to
[0, 1] and worth up to 2 points. A component with no data (no camera, no microphone, no roster size, no
question) is shown as "no data" and left out: the score is then out of 2 x (components with data), never
padded with guesses.

    attendance = min(1, median head count / roster size)
    hands      = min(1, distinct hand-raising tracks / present)
    answers    = mean over questions that were not skipped of min(1, responses / present)
    attention  = sum(share_i x faces_i) / sum(faces_i)          (pooled share of faces toward the display)
    talk       = min(1, (room speech s / (room + teacher speech s)) / ROOM_TALK_TARGET)
    score      = sum of 2 x component, over the components with data; out of 2 x (their number)

    present    = median head count when the camera counted heads, else the roster size
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Iterable, Sequence

from dual_teacher.core.events import (
    AttentionMeasured,
    HandLowered,
    HandRaised,
    HeadCountReported,
    QuestionClosed,
    SpeechActivity,
)
from dual_teacher.engagement.recorded import Recorded

ROOM_TALK_TARGET = 0.25
"""Room share of all speech that earns the full talk component (a quarter of the talk time from the class)."""

POINTS_PER_COMPONENT = 2.0


# ---- signals: the room's time series, in lesson time ------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HandInterval:
    """A hand up from `start` to `end` (lesson seconds); `track_id` is anonymous and per lesson."""

    track_id: int
    start: float
    end: float
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class QuestionCount:
    node_id: str
    at: float
    reason: str
    responses: int
    correct_count: int


@dataclasses.dataclass(frozen=True)
class Signals:
    t0: float
    duration_s: float
    head_counts: tuple[tuple[float, int], ...]  # (t, count)
    attention: tuple[tuple[float, float, int], ...]  # (t, share, faces)
    hands: tuple[HandInterval, ...]
    speech: tuple[tuple[float, str, float], ...]  # (t, source, seconds)
    questions: tuple[QuestionCount, ...]


def extract_signals(events: Sequence[Recorded]) -> Signals:
    """Pull the metric inputs out of a session's decoded events (in stored order). A hand never lowered ends
    with the lesson; a second raise of a track that is already up is ignored."""
    if not events:
        return Signals(0.0, 0.0, (), (), (), (), ())
    t0 = events[0].mono
    duration = events[-1].mono - t0
    heads: list[tuple[float, int]] = []
    attention: list[tuple[float, float, int]] = []
    speech: list[tuple[float, str, float]] = []
    questions: list[QuestionCount] = []
    open_hands: dict[int, tuple[float, float, float]] = {}
    hands: list[HandInterval] = []
    for r in events:
        t = r.mono - t0
        match r.event:
            case HeadCountReported() as e:
                heads.append((t, max(0, int(e.count))))
            case AttentionMeasured() as e:
                attention.append((t, _clip01(float(e.share)), max(0, int(e.faces))))
            case HandRaised() as e:
                if e.track_id not in open_hands:
                    open_hands[e.track_id] = (t, float(e.x), float(e.y))
            case HandLowered() as e:
                if e.track_id in open_hands:
                    start, x, y = open_hands.pop(e.track_id)
                    hands.append(HandInterval(e.track_id, start, t, x, y))
            case SpeechActivity() as e:
                speech.append((t, e.source, max(0.0, float(e.seconds))))
            case QuestionClosed() as e:
                questions.append(QuestionCount(e.node_id, t, e.reason, e.responses, e.correct_count))
    for track, (start, x, y) in open_hands.items():
        hands.append(HandInterval(track, start, duration, x, y))
    hands.sort(key=lambda h: (h.start, h.track_id))
    return Signals(t0, duration, tuple(heads), tuple(attention), tuple(hands), tuple(speech), tuple(questions))


def _clip01(x: float) -> float:
    return 0.0 if not math.isfinite(x) else min(1.0, max(0.0, x))


def _in(t: float, start: float, end: float) -> bool:
    return start <= t < end or (t == end == start)


# ---- the metrics ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Attendance:
    """`rate = min(1, median head count / roster size)`; None without a roster size or without head counts."""

    roster_size: int | None
    samples: int
    median_head_count: float | None
    peak_head_count: int | None
    rate: float | None


def attendance(head_counts: Iterable[tuple[float, int]], roster_size: int | None) -> Attendance:
    counts = [c for _, c in head_counts]
    if not counts:
        return Attendance(roster_size, 0, None, None, None)
    median = float(statistics.median(counts))
    rate = None if not roster_size else min(1.0, median / roster_size)
    return Attendance(roster_size, len(counts), median, max(counts), rate)


def present_students(att: Attendance) -> float | None:
    """Students taken as present: the median head count, else the roster size, else unknown."""
    if att.median_head_count is not None and att.median_head_count > 0:
        return att.median_head_count
    return float(att.roster_size) if att.roster_size else None


@dataclasses.dataclass(frozen=True)
class Participation:
    """Hands: distinct anonymous tracks that raised a hand (`hand_share = min(1, tracks / present)`).
    Answers: responses per question that was not skipped (`answer_share = mean of min(1, responses / present)`).
    `correct_rate = correct responses / all responses` over those questions."""

    distinct_hand_tracks: int
    hand_raises: int
    hand_share: float | None
    questions: int
    answers_per_question: tuple[int, ...]
    mean_answers_per_question: float | None
    answer_share: float | None
    correct_rate: float | None


def participation(
    hands: Sequence[HandInterval], questions: Sequence[QuestionCount], present: float | None
) -> Participation:
    tracks = {h.track_id for h in hands}
    asked = [q for q in questions if q.reason != "skipped"]
    answers = tuple(q.responses for q in asked)
    responses = sum(answers)
    hand_share = None if not present else min(1.0, len(tracks) / present)
    answer_share = None if not present or not asked else sum(min(1.0, n / present) for n in answers) / len(asked)
    return Participation(
        distinct_hand_tracks=len(tracks),
        hand_raises=len(hands),
        hand_share=hand_share,
        questions=len(asked),
        answers_per_question=answers,
        mean_answers_per_question=responses / len(asked) if asked else None,
        answer_share=answer_share,
        correct_rate=sum(q.correct_count for q in asked) / responses if responses else None,
    )


@dataclasses.dataclass(frozen=True)
class Attention:
    """`share = sum(share_i x faces_i) / sum(faces_i)`: the pooled share of seen faces toward the display."""

    samples: int
    face_observations: int
    share: float | None


def attention(samples: Iterable[tuple[float, float, int]]) -> Attention:
    n = faces = 0
    toward = 0.0
    for _, share, f in samples:
        n += 1
        faces += f
        toward += share * f
    return Attention(n, faces, toward / faces if faces else None)


@dataclasses.dataclass(frozen=True)
class Speech:
    """Seconds of speech by source; `room_share = room / (room + teacher)`."""

    teacher_s: float
    room_s: float
    room_share: float | None


def speech(samples: Iterable[tuple[float, str, float]]) -> Speech:
    teacher = room = 0.0
    for _, source, seconds in samples:
        if source == "teacher":
            teacher += seconds
        elif source == "room":
            room += seconds
    total = teacher + room
    return Speech(teacher, room, room / total if total > 0 else None)


@dataclasses.dataclass(frozen=True)
class Component:
    """One part of the engagement score: `value` in [0, 1] (None: no data), worth `2 x value` points."""

    name: str
    value: float | None
    formula: str
    explanation: str

    @property
    def points(self) -> float | None:
        return None if self.value is None else POINTS_PER_COMPONENT * self.value


@dataclasses.dataclass(frozen=True)
class EngagementScore:
    components: tuple[Component, ...]

    @property
    def score(self) -> float | None:
        pts = [c.points for c in self.components if c.points is not None]
        return sum(pts) if pts else None

    @property
    def max_score(self) -> float:
        return POINTS_PER_COMPONENT * sum(1 for c in self.components if c.value is not None)

    @property
    def share(self) -> float | None:
        """score / max_score (for comparing windows that have different components with data)."""
        s = self.score
        return None if s is None or self.max_score == 0 else s / self.max_score


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "–" if x is None else format(x, fmt)


def engagement_score(att: Attendance, part: Participation, attn: Attention, talk: Speech) -> EngagementScore:
    present = present_students(att)
    talk_value = None if talk.room_share is None else min(1.0, talk.room_share / ROOM_TALK_TARGET)
    return EngagementScore(
        (
            Component(
                "attendance",
                att.rate,
                "min(1, median head count / roster size)",
                f"median head count {_num(att.median_head_count)} of {att.roster_size or '–'} on the roster",
            ),
            Component(
                "hands",
                part.hand_share,
                "min(1, distinct hand-raising tracks / present)",
                f"{part.distinct_hand_tracks} distinct raised hands, {_num(present)} present",
            ),
            Component(
                "answers",
                part.answer_share,
                "mean over questions of min(1, responses / present)",
                f"{_num(part.mean_answers_per_question)} responses per question over {part.questions} question(s),"
                f" {_num(present)} present",
            ),
            Component(
                "attention",
                attn.share,
                "sum(share x faces) / sum(faces)",
                f"pooled over {attn.samples} measurement(s) of {attn.face_observations} face observations",
            ),
            Component(
                "talk",
                talk_value,
                f"min(1, room speech share / {ROOM_TALK_TARGET:g})",
                f"room {talk.room_s:.0f} s, teacher {talk.teacher_s:.0f} s of speech",
            ),
        )
    )


# ---- windows and the lesson timeline ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class WindowMetrics:
    label: str
    start: float
    end: float
    attendance: Attendance
    participation: Participation
    attention: Attention
    speech: Speech
    engagement: EngagementScore


def window_metrics(sig: Signals, roster_size: int | None, start: float, end: float, label: str = "") -> WindowMetrics:
    """All metrics restricted to lesson time [start, end): hands count when raised in the window, questions
    when closed in (start, end] (a question closes at the instant its segment ends). With no head count inside
    the window, `present` falls back to the whole lesson's median head count."""
    heads = [(t, c) for t, c in sig.head_counts if _in(t, start, end)]
    att = attendance(heads, roster_size)
    if att.median_head_count is None:
        whole = attendance(sig.head_counts, roster_size)
        att = dataclasses.replace(att, median_head_count=whole.median_head_count) if whole.samples else att
        att = dataclasses.replace(att, rate=None)
    present = present_students(att)
    hands = [h for h in sig.hands if _in(h.start, start, end)]
    questions = [q for q in sig.questions if start < q.at <= end]
    part = participation(hands, questions, present)
    attn = attention(a for a in sig.attention if _in(a[0], start, end))
    talk = speech(s for s in sig.speech if _in(s[0], start, end))
    return WindowMetrics(label, start, end, att, part, attn, talk, engagement_score(att, part, attn, talk))


def class_metrics(sig: Signals, roster_size: int | None) -> WindowMetrics:
    """The whole lesson."""
    return window_metrics(sig, roster_size, 0.0, sig.duration_s + 1e-9, "lesson")


@dataclasses.dataclass(frozen=True)
class TimelineBin:
    """One step of the lesson timeline: median head count, the most hands up at once, pooled attention,
    speech seconds (None where nothing was measured)."""

    start: float
    end: float
    head_count: float | None
    hands_up: int
    attention: float | None
    room_speech_s: float
    teacher_speech_s: float


_BIN_STEPS = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0)


def bin_seconds(duration_s: float, max_bins: int = 300) -> float:
    """The smallest of 5, 10, 15, 20, 30, 60, 120, 300 s that cuts the lesson into at most `max_bins` steps."""
    for step in _BIN_STEPS:
        if duration_s / step <= max_bins:
            return step
    return math.ceil(duration_s / max_bins)


def timeline(sig: Signals, step_s: float | None = None) -> tuple[TimelineBin, ...]:
    step = step_s or bin_seconds(sig.duration_s)
    n = max(1, math.ceil(sig.duration_s / step))
    heads: list[list[int]] = [[] for _ in range(n)]
    att_num = [0.0] * n
    att_den = [0] * n
    room = [0.0] * n
    teacher = [0.0] * n

    def idx(t: float) -> int:
        return min(n - 1, max(0, int(t // step)))

    for t, c in sig.head_counts:
        heads[idx(t)].append(c)
    for t, share, faces in sig.attention:
        att_num[idx(t)] += share * faces
        att_den[idx(t)] += faces
    for t, source, seconds in sig.speech:
        if source == "room":
            room[idx(t)] += seconds
        elif source == "teacher":
            teacher[idx(t)] += seconds
    # Most hands up at once in each bin: a sweep over raise (+1) and lower (-1) instants (lowers first at a tie:
    # one choice's hands going down as the next choice's go up are not up together).
    changes = sorted([(h.start, 1) for h in sig.hands] + [(h.end, -1) for h in sig.hands])
    up = ci = 0
    peak = [0] * n
    for i in range(n):
        peak[i] = up  # hands already up when the bin starts
        while ci < len(changes) and changes[ci][0] < (i + 1) * step:
            up += changes[ci][1]
            peak[i] = max(peak[i], up)
            ci += 1
    return tuple(
        TimelineBin(
            i * step,
            min((i + 1) * step, sig.duration_s) if i == n - 1 else (i + 1) * step,
            float(statistics.median(heads[i])) if heads[i] else None,
            peak[i],
            att_num[i] / att_den[i] if att_den[i] else None,
            room[i],
            teacher[i],
        )
        for i in range(n)
    )

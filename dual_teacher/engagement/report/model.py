"""The post-class report's model: a pure summary of a stored session's decoded events (no text, no markup).

Only class-level facts: which nodes ran when, per-question tallies and correct rates, hand-poll counts,
branches taken, teacher actions and alerts, and the engagement metrics of `metrics.py` (head count, hands and
attention over the lesson, engagement per segment). No identities, no per-child data. Free-text answers
(short-answer tallies) are folded into "other" unless the operator allows private data in exports.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from dual_teacher.core import events as ev
from dual_teacher.engagement import metrics as m
from dual_teacher.engagement.recorded import decode_all
from dual_teacher.engagement.store import SessionRow, StoredEvent

OTHER_ANSWERS = "(other answers)"

TEACHER_ACTIONS: dict[type[ev.Event], str] = {
    ev.TeacherPaused: "pause",
    ev.TeacherResumed: "resume",
    ev.TeacherWentNext: "next",
    ev.TeacherWentBack: "back",
    ev.TeacherReplayed: "replay",
    ev.TeacherSkippedQuestion: "skip question",
    ev.TeacherExtendedTimer: "extend timer",
    ev.TeacherEnteredAnswer: "answer entered",
    ev.TeacherEndedClass: "end class",
}

# The inputs that say where they came from: any of them from the simulated class marks the session as simulated.
SENSED = (
    ev.AnswerHeard,
    ev.HandCountReported,
    ev.HeadCountReported,
    ev.HandRaised,
    ev.HandLowered,
    ev.AttentionMeasured,
    ev.SpeechActivity,
)


@dataclasses.dataclass(frozen=True)
class Segment:
    node_id: str
    kind: str
    title: str
    start_s: float
    end_s: float


@dataclasses.dataclass(frozen=True)
class QuestionResult:
    node_id: str
    prompt: str
    qtype: str
    choices: tuple[str, ...]
    correct: tuple[str, ...]
    asked_at_s: float
    reason: str
    responses: int
    correct_count: int
    correct_rate: float | None
    tally: dict[str, int]


@dataclasses.dataclass(frozen=True)
class PollResult:
    node_id: str
    prompt: str
    at_s: float
    count: int
    peak: int


@dataclasses.dataclass(frozen=True)
class SessionReport:
    session: SessionRow
    duration_s: float
    end_reason: str
    segments: tuple[Segment, ...]
    questions: tuple[QuestionResult, ...]
    polls: tuple[PollResult, ...]
    branches: tuple[tuple[float, str, str, str], ...]  # (t, branch node, rule, target)
    teacher_actions: dict[str, int]
    alerts: tuple[tuple[float, str, str, str], ...]  # (t, stage, severity, message)
    simulated_inputs: bool
    event_count: int
    roster_size: int | None = None
    metrics: m.WindowMetrics | None = None
    segment_metrics: tuple[m.WindowMetrics, ...] = ()
    timeline: tuple[m.TimelineBin, ...] = ()
    private_data: bool = False

    @property
    def overall_correct_rate(self) -> float | None:
        responses = sum(q.responses for q in self.questions)
        return sum(q.correct_count for q in self.questions) / responses if responses else None

    def titles(self) -> dict[str, str]:
        """Node id -> the title the class saw (what the report shows instead of ids)."""
        titles = {seg.node_id: seg.title for seg in self.segments if seg.title and seg.title != seg.node_id}
        for q in self.questions:
            titles.setdefault(q.node_id, q.prompt)
        for poll in self.polls:
            titles.setdefault(poll.node_id, poll.prompt)
        return titles


def roster_of(session: SessionRow) -> int | None:
    """The roster size the teacher entered (session meta `roster_size`, else `class_size`), if any."""
    for key in ("roster_size", "class_size"):
        value = session.meta.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _redact_tally(qtype: str, tally: dict[str, int], correct: Sequence[str]) -> dict[str, int]:
    """Short answers are what children said: keep the key's count, fold the rest into one 'other' count."""
    if qtype != "short_answer":
        return tally
    kept = {k: v for k, v in tally.items() if k in correct}
    other = sum(v for k, v in tally.items() if k not in correct)
    return {**kept, OTHER_ANSWERS: other} if other else kept


def build_report(
    session: SessionRow,
    events: Sequence[StoredEvent],
    roster_size: int | None = None,
    private_data: bool = False,
) -> SessionReport:
    """`roster_size` overrides the one stored with the session; `private_data` keeps free-text answers."""
    decoded = decode_all(events)
    t0 = decoded[0].mono if decoded else 0.0
    t_end = decoded[-1].mono if decoded else 0.0
    segments: list[Segment] = []
    open_node: tuple[str, str, str, float] | None = None
    asked: dict[str, tuple[ev.QuestionAsked, float]] = {}
    polls_open: dict[str, tuple[str, float]] = {}
    questions: list[QuestionResult] = []
    polls: list[PollResult] = []
    branches: list[tuple[float, str, str, str]] = []
    actions: Counter[str] = Counter()
    alerts: list[tuple[float, str, str, str]] = []
    simulated = False
    end_reason = session.end_reason or "interrupted"
    for r in decoded:
        t = r.mono - t0
        e = r.event
        if isinstance(e, SENSED) and e.source == "simulated":
            simulated = True
        match e:
            case ev.NodeEntered():
                if open_node is not None:
                    segments.append(Segment(*open_node, t))
                open_node = (e.node_id, e.node_kind, e.title, t)
            case ev.QuestionAsked():
                asked[e.node_id] = (e, t)
            case ev.QuestionClosed() if e.node_id in asked:
                questions.append(_question(asked[e.node_id], e, private_data))
            case ev.HandPollOpened():
                polls_open[e.node_id] = (e.prompt, t)
            case ev.HandPollClosed():
                prompt, at = polls_open.get(e.node_id, ("", t))
                polls.append(PollResult(e.node_id, prompt, at, e.count, e.peak))
            case ev.BranchTaken():
                branches.append((t, e.node_id, e.rule, e.target))
            case ev.StageAlert():
                alerts.append((t, e.stage, e.severity, e.message))
            case ev.ClassEnded():
                end_reason = e.reason
            case _ if type(e) in TEACHER_ACTIONS:
                actions[TEACHER_ACTIONS[type(e)]] += 1
    if open_node is not None:
        segments.append(Segment(*open_node, t_end - t0))
    roster = roster_size or roster_of(session)
    sig = m.extract_signals(decoded)
    whole = m.class_metrics(sig, roster)
    per_segment = tuple(
        m.window_metrics(sig, roster, seg.start_s, seg.end_s, seg.node_id)
        for seg in segments
        if seg.end_s > seg.start_s and seg.kind != "branch"
    )
    return SessionReport(
        session,
        t_end - t0,
        end_reason,
        tuple(segments),
        tuple(questions),
        tuple(polls),
        tuple(branches),
        dict(actions),
        tuple(alerts),
        simulated,
        len(decoded),
        roster,
        whole,
        per_segment,
        m.timeline(sig),
        private_data,
    )


def _question(asked: tuple[ev.QuestionAsked, float], closed: ev.QuestionClosed, private_data: bool) -> QuestionResult:
    q, at = asked
    tally = dict(closed.tally)
    if not private_data:
        tally = _redact_tally(q.qtype, tally, q.correct)
    return QuestionResult(
        closed.node_id,
        q.prompt,
        q.qtype,
        q.choices,
        q.correct,
        at,
        closed.reason,
        closed.responses,
        closed.correct_count,
        closed.correct_rate,
        tally,
    )

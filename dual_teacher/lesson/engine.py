"""The lesson state machine: `LessonEngine.step(state, event, now) -> (state, outputs)`.

Pure: no clock, no I/O, no mutation. `outputs` holds display/stage commands (`Command`) and facts for
the event store (`Event`), in order. Time limits are absolute deadlines on the caller's monotonic clock;
pausing stores the time remaining and resuming sets a new deadline.

Answers: a spoken answer (`AnswerHeard`) counts as one response; the teacher's entry adds or sets a
count; a hand count for a choice sets that choice's count. `correct_rate` = correct responses / all
responses, undefined (None) with no responses. A branch's `timeout` rule is taken when its source
closed with no response (or was never asked).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.schema import (
    AnswerRule,
    BranchNode,
    CorrectRateRule,
    EndNode,
    HandPollNode,
    HandsRule,
    LessonPack,
    Node,
    QuestionNode,
    Rule,
    SlideNode,
    TimeoutRule,
    TimerNode,
    VideoNode,
    format_number,
    successors,
    text_in,
    word_key,
)

Output = cmd.Command | ev.Event
Status = Literal["ready", "running", "paused", "ended"]
_TRUE = {"true", "t", "yes", "y", "right", "correct", "对", "是", "正确", "√"}
_FALSE = {"false", "f", "no", "n", "wrong", "错", "不是", "不对", "错误", "×"}


@dataclasses.dataclass(frozen=True)
class Tally:
    """Responses to one question or hand poll."""

    node_id: str
    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    correct_count: int = 0
    closed_reason: str | None = None
    hands: int = 0
    hands_peak: int = 0

    @property
    def responses(self) -> int:
        return sum(self.counts.values())

    @property
    def correct_rate(self) -> float | None:
        return self.correct_count / self.responses if self.responses else None

    def top_answer(self) -> str | None:
        if not self.counts:
            return None
        best = max(self.counts.values())
        leaders = [k for k, v in self.counts.items() if v == best]
        return leaders[0] if len(leaders) == 1 and best > 0 else None


@dataclasses.dataclass(frozen=True)
class LessonState:
    status: Status = "ready"
    node_id: str | None = None
    phase: str = ""  # "asking" / "revealing" for questions, "" otherwise
    deadline: float | None = None
    remaining: float | None = None  # seconds left on the deadline while paused
    history: tuple[str, ...] = ()
    results: Mapping[str, Tally] = dataclasses.field(default_factory=dict)


class LessonEngine:
    def __init__(
        self,
        pack: LessonPack,
        durations: Mapping[str, float | None] | None = None,
        lang: str = "en",
        video_end: Literal["deadline", "media_event"] = "deadline",
        media_grace_s: float = 5.0,
        max_hops: int = 32,
    ) -> None:
        """`durations`: playing time of each video node (from the pack's media). With `video_end` =
        "media_event" the player's MediaEnded ends a segment and the deadline is only a safety net."""
        self.pack = pack
        self.durations = dict(durations or {})
        self.lang = lang
        self.video_end = video_end
        self.media_grace_s = media_grace_s
        self.max_hops = max_hops
        self._index = {n.id: i for i, n in enumerate(pack.nodes)}
        self._handlers: dict[type[ev.Event], Callable[[LessonState, Any, float, list[Output]], LessonState]] = {
            ev.TeacherStarted: self._on_start,
            ev.Tick: self._on_tick,
            ev.TeacherPaused: self._on_pause,
            ev.TeacherResumed: self._on_resume,
            ev.TeacherWentNext: self._on_next,
            ev.TeacherWentBack: self._on_back,
            ev.TeacherReplayed: self._on_replay,
            ev.TeacherSkippedQuestion: self._on_skip,
            ev.TeacherExtendedTimer: self._on_extend,
            ev.TeacherEndedClass: self._on_end_class,
            ev.MediaEnded: self._on_media_ended,
            ev.MediaFailed: self._on_media_failed,
            ev.AnswerHeard: self._on_answer_heard,
            ev.TeacherEnteredAnswer: self._on_teacher_answer,
            ev.HandCountReported: self._on_hand_count,
            ev.TeacherJumped: self._on_jump,
        }

    # ---- public ---------------------------------------------------------------------------------
    def initial(self) -> LessonState:
        return LessonState()

    def step(self, state: LessonState, event: ev.Event, now: float) -> tuple[LessonState, list[Output]]:
        out: list[Output] = []
        handler = self._handlers.get(type(event))
        if handler is None or state.status == "ended":
            return state, out
        return handler(state, event, now, out), out

    def node(self, node_id: str) -> Node:
        return self.pack.nodes[self._index[node_id]]

    def title(self, node: Node) -> str:
        return text_in(node.title, self.lang) or node.id

    # ---- teacher controls -------------------------------------------------------------------------
    def _on_start(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status != "ready":
            return s
        out.append(ev.ClassStarted(self.pack.id, text_in(self.pack.title, self.lang), len(self.pack.nodes)))
        return self._enter(dataclasses.replace(s, status="running"), self.pack.start_id, now, out)

    def _on_pause(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status != "running" or s.node_id is None:
            return s
        remaining = None if s.deadline is None else max(0.0, s.deadline - now)
        out += [cmd.PauseMedia(), ev.LessonPaused(s.node_id)]
        return dataclasses.replace(s, status="paused", remaining=remaining, deadline=None)

    def _on_resume(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status != "paused" or s.node_id is None:
            return s
        node_id = s.node_id
        s = self._unpause(s, now)
        out += [cmd.ResumeMedia(), ev.LessonResumed(node_id)]
        if s.deadline is not None:
            out.append(cmd.ExtendDeadline(node_id, s.deadline))
        return s

    def _unpause(self, s: LessonState, now: float) -> LessonState:
        if s.status != "paused":
            return s
        deadline = None if s.remaining is None else now + s.remaining
        return dataclasses.replace(s, status="running", deadline=deadline, remaining=None)

    def _on_next(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status not in ("running", "paused") or s.node_id is None:
            return s
        s = self._close_open(self._unpause(s, now), "closed_by_teacher", out)
        return self._advance(s, now, out)

    def _on_back(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status not in ("running", "paused") or s.node_id is None:
            return s
        current = s.node_id
        s = self._close_open(self._unpause(s, now), "closed_by_teacher", out)
        history = list(s.history[:-1])
        while history and isinstance(self.node(history[-1]), BranchNode):
            history.pop()
        if not history:
            return self._enter(dataclasses.replace(s, history=s.history[:-1]), current, now, out)
        target = history.pop()
        return self._enter(dataclasses.replace(s, history=tuple(history)), target, now, out)

    def _on_replay(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status not in ("running", "paused") or s.node_id is None:
            return s
        current = s.node_id
        s = self._close_open(self._unpause(s, now), "replayed", out)
        return self._enter(dataclasses.replace(s, history=s.history[:-1]), current, now, out)

    def _on_skip(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.node_id is None or s.status not in ("running", "paused"):
            return s
        node = self.node(s.node_id)
        if not isinstance(node, QuestionNode | HandPollNode):
            return s
        s = self._close_open(self._unpause(s, now), "skipped", out)
        return self._advance(s, now, out)

    def _on_extend(self, s: LessonState, e: ev.TeacherExtendedTimer, now: float, out: list[Output]) -> LessonState:
        if s.node_id is None or e.seconds <= 0:
            return s
        node = self.node(s.node_id)
        extendable = isinstance(node, TimerNode | HandPollNode | SlideNode) or (
            isinstance(node, QuestionNode) and s.phase == "asking"
        )
        if not extendable:
            return s
        if s.status == "paused" and s.remaining is not None:
            out.append(ev.TimerExtended(s.node_id, e.seconds))
            return dataclasses.replace(s, remaining=s.remaining + e.seconds)
        if s.status != "running" or s.deadline is None:
            return s
        deadline = s.deadline + e.seconds
        out += [ev.TimerExtended(s.node_id, e.seconds), cmd.ExtendDeadline(s.node_id, deadline)]
        return dataclasses.replace(s, deadline=deadline)

    def _on_jump(self, s: LessonState, e: ev.TeacherJumped, now: float, out: list[Output]) -> LessonState:
        """Go to any node (closing what is open); a paused lesson resumes there."""
        if s.status not in ("running", "paused") or e.node_id not in self._index:
            return s
        s = self._close_open(self._unpause(s, now), "closed_by_teacher", out)
        return self._enter(s, e.node_id, now, out)

    def _on_end_class(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status == "ready":
            out.append(ev.ClassEnded("teacher"))
            return dataclasses.replace(s, status="ended")
        s = self._close_open(self._unpause(s, now), "closed_by_teacher", out)
        return self._finish(s, None, "teacher", out)

    # ---- time and media ---------------------------------------------------------------------------
    def _on_tick(self, s: LessonState, e: ev.Event, now: float, out: list[Output]) -> LessonState:
        if s.status != "running" or s.deadline is None or now < s.deadline or s.node_id is None:
            return s
        node = self.node(s.node_id)
        if isinstance(node, QuestionNode) and s.phase == "asking":
            s = self._close_open(s, "time_up", out)
            if node.reveal_s > 0:
                tally = s.results[node.id]
                deadline = now + node.reveal_s
                out.append(
                    cmd.RevealAnswer(
                        node.id,
                        node.correct_keys(),
                        tally.responses,
                        tally.correct_count,
                        dict(tally.counts),
                        deadline,
                    )
                )
                return dataclasses.replace(s, phase="revealing", deadline=deadline)
        elif isinstance(node, HandPollNode):
            s = self._close_open(s, "time_up", out)
        return self._advance(s, now, out)

    def _on_media_ended(
        self, s: LessonState, e: ev.MediaEnded | ev.MediaFailed, now: float, out: list[Output]
    ) -> LessonState:
        if s.status != "running" or s.node_id != e.node_id or not isinstance(self.node(s.node_id), VideoNode):
            return s
        return self._advance(s, now, out)

    def _on_media_failed(self, s: LessonState, e: ev.MediaFailed, now: float, out: list[Output]) -> LessonState:
        if s.node_id == e.node_id:
            out.append(ev.StageAlert("display", f"segment {e.node_id} could not play ({e.reason}); skipped"))
        return self._on_media_ended(s, e, now, out)

    # ---- answers ------------------------------------------------------------------------------------
    def _open_question(self, s: LessonState) -> QuestionNode | None:
        if s.node_id is None or s.phase != "asking" or s.status not in ("running", "paused"):
            return None
        node = self.node(s.node_id)
        return node if isinstance(node, QuestionNode) else None

    def _on_answer_heard(self, s: LessonState, e: ev.AnswerHeard, now: float, out: list[Output]) -> LessonState:
        q = self._open_question(s)
        if q is None or "spoken" not in q.channels:
            return s
        return self._count(s, q, e.answer, 1, "add", out)

    def _on_teacher_answer(
        self, s: LessonState, e: ev.TeacherEnteredAnswer, now: float, out: list[Output]
    ) -> LessonState:
        q = self._open_question(s)
        if q is None or e.count < 0:
            return s
        return self._count(s, q, e.answer, e.count, "set" if e.mode == "set" else "add", out)

    def _on_hand_count(self, s: LessonState, e: ev.HandCountReported, now: float, out: list[Output]) -> LessonState:
        if s.node_id is None or s.status not in ("running", "paused") or e.count < 0:
            return s
        node = self.node(s.node_id)
        if isinstance(node, HandPollNode):
            t = s.results.get(node.id, Tally(node.id))
            t = dataclasses.replace(t, hands=e.count, hands_peak=max(t.hands_peak, e.count))
            out.append(cmd.UpdateCount(node.id, e.count, {}))
            return dataclasses.replace(s, results={**s.results, node.id: t})
        q = self._open_question(s)
        if q is None or "hand_poll" not in q.channels or e.choice is None:
            return s
        return self._count(s, q, e.choice, e.count, "set", out)

    def normalize(self, q: QuestionNode, answer: str) -> str | None:
        """The answer as a tally key, or None when it cannot be an answer to `q`."""
        a = answer.strip()
        if q.qtype in ("single_choice", "multiple_choice"):
            keys = {c.key for c in q.choices}
            letters = sorted({p.strip().upper() for p in a.replace(";", ",").split(",") if p.strip()})
            if not letters or any(x not in keys for x in letters):
                return None
            if q.qtype == "single_choice" and len(letters) != 1:
                return None
            return ",".join(letters)
        if q.qtype == "true_false":
            low = a.casefold()
            return "true" if low in _TRUE else "false" if low in _FALSE else None
        if q.qtype == "numeric":
            try:
                value = float(a)
            except ValueError:
                return None
            return format_number(value) if math.isfinite(value) else None
        return word_key(a) or None

    def is_correct(self, q: QuestionNode, key: str) -> bool:
        correct = q.correct_keys()
        if q.qtype == "numeric":
            return abs(float(key) - float(correct[0])) <= q.tolerance + 1e-9
        if q.qtype == "multiple_choice":
            return key == ",".join(sorted(correct))
        return key in correct

    def _count(self, s: LessonState, q: QuestionNode, answer: str, n: int, mode: str, out: list[Output]) -> LessonState:
        key = self.normalize(q, answer)
        if key is None:
            return s
        t = s.results.get(q.id, Tally(q.id))
        counts = dict(t.counts)
        counts[key] = n if mode == "set" else counts.get(key, 0) + n
        correct = sum(v for k, v in counts.items() if self.is_correct(q, k))
        t = dataclasses.replace(t, counts=counts, correct_count=correct)
        out.append(cmd.UpdateCount(q.id, t.responses, dict(counts)))
        return dataclasses.replace(s, results={**s.results, q.id: t})

    # ---- moving through the graph -------------------------------------------------------------------
    def _close_open(self, s: LessonState, reason: str, out: list[Output]) -> LessonState:
        """Close the current question or poll if it is accepting answers."""
        if s.node_id is None:
            return s
        node = self.node(s.node_id)
        if isinstance(node, QuestionNode) and s.phase == "asking":
            t = dataclasses.replace(s.results.get(node.id, Tally(node.id)), closed_reason=reason)
            if "spoken" in node.channels:
                out.append(cmd.StopListening(node.id))
            if "hand_poll" in node.channels:
                out.append(cmd.ClosePoll(node.id))
            out.append(ev.QuestionClosed(node.id, reason, t.responses, t.correct_count, t.correct_rate, dict(t.counts)))
            return dataclasses.replace(s, phase="", results={**s.results, node.id: t})
        if isinstance(node, HandPollNode) and s.phase == "asking":
            t = dataclasses.replace(s.results.get(node.id, Tally(node.id)), closed_reason=reason)
            out += [cmd.ClosePoll(node.id), ev.HandPollClosed(node.id, t.hands, t.hands_peak)]
            return dataclasses.replace(s, phase="", results={**s.results, node.id: t})
        return s

    def _advance(self, s: LessonState, now: float, out: list[Output]) -> LessonState:
        if s.node_id is None:
            return s
        ways = successors(self.pack.nodes, self._index[s.node_id])
        if not ways:
            return self._finish(s, None, "completed", out)
        return self._enter(s, ways[0][1], now, out)

    def _enter(self, s: LessonState, node_id: str, now: float, out: list[Output], hops: int = 0) -> LessonState:
        node = self.node(node_id)
        s = dataclasses.replace(
            s, node_id=node_id, phase="", deadline=None, remaining=None, history=(*s.history, node_id)
        )
        out.append(ev.NodeEntered(node_id, node.kind, self.title(node)))
        if isinstance(node, VideoNode):
            out.append(cmd.PlayVideo(node.id, node.file, node.start_s, node.end_s, self.title(node)))
            duration = self.durations.get(node.id)
            if duration is not None:
                grace = self.media_grace_s if self.video_end == "media_event" else 0.0
                s = dataclasses.replace(s, deadline=now + duration + grace)
            return s
        if isinstance(node, SlideNode):
            deadline = now + node.duration_s
            out.append(cmd.ShowSlide(node.id, node.image, text_in(node.text, self.lang), node.narration, deadline))
            return dataclasses.replace(s, deadline=deadline)
        if isinstance(node, QuestionNode):
            return self._ask(s, node, now, out)
        if isinstance(node, HandPollNode):
            deadline = now + node.duration_s
            prompt = text_in(node.prompt, self.lang)
            out += [
                cmd.ShowHandPoll(node.id, prompt, deadline),
                ev.HandPollOpened(node.id, prompt),
                cmd.OpenPoll(node.id, ()),
            ]
            return dataclasses.replace(
                s, phase="asking", deadline=deadline, results={**s.results, node.id: Tally(node.id)}
            )
        if isinstance(node, TimerNode):
            deadline = now + node.duration_s
            out.append(cmd.ShowTimer(node.id, text_in(node.label, self.lang), deadline))
            return dataclasses.replace(s, deadline=deadline)
        if isinstance(node, BranchNode):
            if hops >= self.max_hops:
                out.append(
                    ev.StageAlert(
                        "lesson",
                        f"branch {node.id} keeps jumping without showing anything; the class ends here",
                        "error",
                    )
                )
                return self._finish(s, None, "error", out)
            rule, target = self._decide(node, s.results)
            out.append(ev.BranchTaken(node.id, rule, target))
            return self._enter(s, target, now, out, hops + 1)
        return self._finish(s, node, "completed", out)

    def _ask(self, s: LessonState, q: QuestionNode, now: float, out: list[Output]) -> LessonState:
        deadline = now + q.time_limit_s
        prompt = text_in(q.prompt, self.lang)
        choices = tuple((c.key, text_in(c.text, self.lang)) for c in q.choices)
        if q.qtype == "true_false" and not choices:
            choices = (("true", "✓"), ("false", "✗"))
        out += [
            cmd.ShowQuestion(q.id, q.qtype, prompt, choices, deadline, tuple(q.channels)),
            ev.QuestionAsked(q.id, q.qtype, prompt, tuple(k for k, _ in choices), q.correct_keys(), q.time_limit_s),
        ]
        if "spoken" in q.channels:
            out.append(cmd.ListenForAnswer(q.id, q.qtype, choices, answer_space(q)))
        if "hand_poll" in q.channels:
            out.append(cmd.OpenPoll(q.id, tuple(k for k, _ in choices)))
        return dataclasses.replace(s, phase="asking", deadline=deadline, results={**s.results, q.id: Tally(q.id)})

    def _decide(self, node: BranchNode, results: Mapping[str, Tally]) -> tuple[str, str]:
        t = results.get(node.source)
        source = self.node(node.source)
        for i, rule in enumerate(node.rules):
            wanted = None
            if isinstance(rule, AnswerRule):
                wanted = self.normalize(source, rule.equals) if isinstance(source, QuestionNode) else rule.equals
            if self._matches(rule, t, wanted):
                return f"rules.{i}:{rule.on}", rule.goto
        return "otherwise", node.otherwise

    @staticmethod
    def _matches(rule: Rule, t: Tally | None, wanted_answer: str | None = None) -> bool:
        """`wanted_answer`: an answer rule's `equals`, normalised like the tally's keys."""
        if isinstance(rule, TimeoutRule):
            return t is None or (t.responses == 0 and t.hands_peak == 0)
        if t is None:
            return False
        if isinstance(rule, CorrectRateRule):
            rate = t.correct_rate
            if rate is None:
                return False
            return rate >= rule.at_least if rule.at_least is not None else rate < (rule.below or 0.0)
        if isinstance(rule, AnswerRule):
            return wanted_answer is not None and t.top_answer() == wanted_answer
        if isinstance(rule, HandsRule):
            return t.hands >= rule.at_least
        return False

    def _finish(self, s: LessonState, end: EndNode | None, reason: str, out: list[Output]) -> LessonState:
        summaries = []
        for node in self.pack.nodes:
            t = s.results.get(node.id)
            if isinstance(node, QuestionNode) and t is not None:
                summaries.append(
                    cmd.QuestionSummary(node.id, self.title(node), t.responses, t.correct_count, t.correct_rate)
                )
        peak = max((t.hands_peak for t in s.results.values()), default=0)
        words = text_in(end.summary, self.lang) if end is not None else ""
        out += [cmd.ShowSummary(words, tuple(summaries), peak), ev.ClassEnded(reason)]
        return dataclasses.replace(s, status="ended", phase="", deadline=None, remaining=None)


def answer_space(q: QuestionNode) -> tuple[tuple[str, str], ...]:
    """(answer, text) for every language variant of the question's possible answers (see ListenForAnswer)."""
    out: list[tuple[str, str]] = []
    for c in q.choices:
        texts = [c.text] if isinstance(c.text, str) else [t for t in (c.text.en, c.text.zh_hans) if t]
        out += [(c.key, t) for t in texts]
    if q.qtype == "numeric" or q.qtype == "short_answer":
        out += [(k, k) for k in q.correct_keys()]
    return tuple(dict.fromkeys(out))

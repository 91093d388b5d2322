"""The class state: one snapshot of what a teacher standing in the room would see at a glance.

`reduce(state, item, now) -> state` is pure (no clock, no I/O): `item` is a stored/published event, an engine
command the display also gets (`UpdateCount` carries the live tally of an open question), or a `HealthSample`
(stage health is pulled, never an event). `to_dict(state)` is the compact, JSON-ready form the lead-teacher link
publishes; the console and the display can read the same snapshot, so the three never disagree.

Privacy by construction: the snapshot holds counts, shares, lesson content (titles, prompts, choice keys) and
anonymous normalised seat positions of raised hands. Track ids stay inside (to answer "call on this seat");
`to_dict` never writes them, nor any text a student said, nor video, audio or faces.

Figures:
- head count: the median of the counts reported in the last `HEAD_WINDOW_S` seconds, with their min and max
  as the uncertainty (a camera that sees 27, 28, 30 in that window says 28, 27-30);
- attention: Σ(shareᵢ × facesᵢ) / Σ facesᵢ over the last `ATTENTION_WINDOW_S` seconds (the report's formula);
- correct rate: correct responses / responses over every closed question (None with none).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Mapping
from typing import Any, Literal

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd

HEAD_WINDOW_S = 30.0
ATTENTION_WINDOW_S = 60.0
MAX_ALERTS = 5
MAX_LEAD_LOG = 5
MAX_HANDS = 60
TEXT_MAX = 160
LESSON_T_STEP_S = 10  # lesson time is published in 10 s steps (the dashboard counts on between updates)

OnAir = Literal["lesson", "live", "fallback", "none"]
Status = Literal["waiting", "running", "paused", "ended"]


@dataclasses.dataclass(frozen=True)
class Hand:
    """A raised hand: anonymous per-lesson track id (never published), normalised seat position, when it rose
    (lesson seconds), and whether a teacher called on it."""

    track_id: int
    x: float
    y: float
    since: float
    called: bool = False


@dataclasses.dataclass(frozen=True)
class Poll:
    """The open (or last closed) question or hand poll."""

    node_id: str
    kind: Literal["question", "hand_poll"]
    prompt: str = ""
    choices: tuple[str, ...] = ()
    tally: Mapping[str, int] = dataclasses.field(default_factory=dict)
    responses: int = 0
    hands: int = 0
    open: bool = True
    correct_rate: float | None = None


@dataclasses.dataclass(frozen=True)
class StageRow:
    stage: str
    state: str
    dropped: int = 0


@dataclasses.dataclass(frozen=True)
class HealthSample:
    """Stage health pulled from the session (about once a second): not an event, never stored."""

    rows: tuple[StageRow, ...]


@dataclasses.dataclass(frozen=True)
class Alert:
    t: float
    kind: str
    message: str
    severity: str = "warning"


@dataclasses.dataclass(frozen=True)
class ClassState:
    status: Status = "waiting"
    started_at: float | None = None  # the session clock's `now` at ClassStarted
    pack_id: str = ""
    title: str = ""
    node_count: int = 0
    node_id: str = ""
    node_kind: str = ""
    node_title: str = ""
    nodes_seen: int = 0
    on_air: OnAir = "none"
    live_ok: bool | None = None  # None: no live stream in this class
    head_samples: tuple[tuple[float, int], ...] = ()
    hands: tuple[Hand, ...] = ()
    poll: Poll | None = None
    questions_closed: int = 0
    responses_total: int = 0
    correct_total: int = 0
    attention_samples: tuple[tuple[float, float, int], ...] = ()
    health: tuple[StageRow, ...] = ()
    alerts: tuple[Alert, ...] = ()
    analytics: bool = True
    remote_control: bool = True
    lead_log: tuple[tuple[float, str, bool], ...] = ()  # (lesson s, command, accepted)
    lead_card_until: float | None = None  # the lead teacher's ad-hoc question / hand poll is open until then

    # ---- derived figures ------------------------------------------------------------------------------------
    def lesson_s(self, now: float) -> float:
        return 0.0 if self.started_at is None else max(0.0, now - self.started_at)

    def head_count(self) -> tuple[int, int, int] | None:
        """(median, min, max) of the recent counts, or None with no count yet."""
        if not self.head_samples:
            return None
        counts = [c for _, c in self.head_samples]
        return round(statistics.median(counts)), min(counts), max(counts)

    def attention(self) -> tuple[float, int] | None:
        """(pooled share, faces in the window), or None with no face seen."""
        faces = sum(f for _, _, f in self.attention_samples)
        if faces <= 0:
            return None
        return sum(s * f for _, s, f in self.attention_samples) / faces, faces

    def correct_rate(self) -> float | None:
        return self.correct_total / self.responses_total if self.responses_total else None


Item = ev.Event | cmd.Command | HealthSample


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _unit(v: float) -> float:
    return min(1.0, max(0.0, float(v)))


def _alert(state: ClassState, now: float, kind: str, message: str, severity: str = "warning") -> ClassState:
    keep = tuple(a for a in state.alerts if a.kind != kind or kind == "stage")
    alert = Alert(round(state.lesson_s(now), 1), kind, _clip(message), severity)
    return dataclasses.replace(state, alerts=(alert, *keep)[:MAX_ALERTS])


def _resolve(state: ClassState, *kinds: str) -> ClassState:
    return dataclasses.replace(state, alerts=tuple(a for a in state.alerts if a.kind not in kinds))


LEAD_NODE = "lead"  # the node id of the lead teacher's ad-hoc question or hand poll


def reduce(state: ClassState, item: Item, now: float) -> ClassState:
    """The state after `item` at session time `now`. Unknown items leave the state as it was."""
    handler = _HANDLERS.get(type(item))
    s = state if handler is None else handler(state, item, now)
    if s.lead_card_until is not None and now >= s.lead_card_until:  # the ad-hoc card's time is up
        poll = s.poll if s.poll is not None and s.poll.node_id == LEAD_NODE else None
        s = dataclasses.replace(
            s, lead_card_until=None, poll=s.poll if poll is None else dataclasses.replace(poll, open=False)
        )
    return s


def _lead_hand_count(s: ClassState) -> ClassState:
    """During the lead teacher's hand poll its count is the peak of hands up in the room's queue."""
    p = s.poll
    if p is None or p.node_id != LEAD_NODE or not p.open or p.kind != "hand_poll":
        return s
    return dataclasses.replace(s, poll=dataclasses.replace(p, hands=max(p.hands, len(s.hands))))


def _started(s: ClassState, e: ev.ClassStarted, now: float) -> ClassState:
    return dataclasses.replace(
        s, status="running", started_at=now, pack_id=e.pack_id, title=_clip(e.title), node_count=e.node_count
    )


def _node(s: ClassState, e: ev.NodeEntered, now: float) -> ClassState:
    if s.on_air == "none":
        s = dataclasses.replace(s, on_air="lesson")
    return dataclasses.replace(
        s, node_id=e.node_id, node_kind=e.node_kind, node_title=_clip(e.title), nodes_seen=s.nodes_seen + 1
    )


def _asked(s: ClassState, e: ev.QuestionAsked, now: float) -> ClassState:
    poll = Poll(e.node_id, "question", _clip(e.prompt), tuple(e.choices), {c: 0 for c in e.choices})
    return dataclasses.replace(s, poll=poll)


def _count(s: ClassState, c: cmd.UpdateCount, now: float) -> ClassState:
    if s.poll is None or s.poll.node_id != c.node_id or not s.poll.open:
        return s
    return dataclasses.replace(s, poll=dataclasses.replace(s.poll, tally=dict(c.tally), responses=c.responses))


def _closed(s: ClassState, e: ev.QuestionClosed, now: float) -> ClassState:
    base = s.poll if s.poll is not None and s.poll.node_id == e.node_id else Poll(e.node_id, "question")
    poll = dataclasses.replace(
        base, tally=dict(e.tally), responses=e.responses, open=False, correct_rate=e.correct_rate
    )
    counted = e.reason != "skipped"
    return dataclasses.replace(
        s,
        poll=poll,
        questions_closed=s.questions_closed + (1 if counted else 0),
        responses_total=s.responses_total + (e.responses if counted else 0),
        correct_total=s.correct_total + (e.correct_count if counted else 0),
    )


def _poll_opened(s: ClassState, e: ev.HandPollOpened, now: float) -> ClassState:
    return dataclasses.replace(s, poll=Poll(e.node_id, "hand_poll", _clip(e.prompt)))


def _hand_count(s: ClassState, e: ev.HandCountReported, now: float) -> ClassState:
    if s.poll is None or not s.poll.open or s.poll.kind != "hand_poll":
        return s
    return dataclasses.replace(s, poll=dataclasses.replace(s.poll, hands=max(0, e.count)))


def _poll_closed(s: ClassState, e: ev.HandPollClosed, now: float) -> ClassState:
    base = s.poll if s.poll is not None and s.poll.node_id == e.node_id else Poll(e.node_id, "hand_poll")
    return dataclasses.replace(s, poll=dataclasses.replace(base, hands=e.peak, open=False))


def _head(s: ClassState, e: ev.HeadCountReported, now: float) -> ClassState:
    keep = tuple(x for x in s.head_samples if now - x[0] <= HEAD_WINDOW_S)
    return dataclasses.replace(s, head_samples=(*keep, (now, max(0, e.count))))


def _raised(s: ClassState, e: ev.HandRaised, now: float) -> ClassState:
    for i, h in enumerate(s.hands):
        if h.track_id == e.track_id:  # moved: keep its place in the queue
            moved = dataclasses.replace(h, x=_unit(e.x), y=_unit(e.y))
            return dataclasses.replace(s, hands=(*s.hands[:i], moved, *s.hands[i + 1 :]))
    hand = Hand(e.track_id, _unit(e.x), _unit(e.y), round(s.lesson_s(now), 1))
    return _lead_hand_count(dataclasses.replace(s, hands=(*s.hands, hand)[-MAX_HANDS:]))


def _lowered(s: ClassState, e: ev.HandLowered, now: float) -> ClassState:
    return dataclasses.replace(s, hands=tuple(h for h in s.hands if h.track_id != e.track_id))


def _called(s: ClassState, e: ev.TeacherCalledOnHand, now: float) -> ClassState:
    hands = tuple(dataclasses.replace(h, called=True) if h.track_id == e.track_id else h for h in s.hands)
    return dataclasses.replace(s, hands=hands)


def _attention(s: ClassState, e: ev.AttentionMeasured, now: float) -> ClassState:
    keep = tuple(x for x in s.attention_samples if now - x[0] <= ATTENTION_WINDOW_S)
    return dataclasses.replace(s, attention_samples=(*keep, (now, _unit(e.share), max(0, e.faces))))


def _paused(s: ClassState, e: ev.LessonPaused, now: float) -> ClassState:
    return dataclasses.replace(s, status="paused")


def _resumed(s: ClassState, e: ev.LessonResumed, now: float) -> ClassState:
    return dataclasses.replace(s, status="running")


def _ended(s: ClassState, e: ev.ClassEnded, now: float) -> ClassState:
    return dataclasses.replace(s, status="ended", hands=())


def _switched(s: ClassState, e: ev.SourceSwitched, now: float) -> ClassState:
    if e.source == "live":
        return _resolve(dataclasses.replace(s, on_air="live", live_ok=True), "stream_lost", "live_back")
    if e.reason in ("fallback", "unavailable"):
        return _alert(dataclasses.replace(s, on_air="fallback"), now, "fallback", "AI lesson took over", "info")
    return dataclasses.replace(s, on_air="lesson")


def _live_lost(s: ClassState, e: ev.LiveStreamLost, now: float) -> ClassState:
    return _alert(dataclasses.replace(s, live_ok=False), now, "stream_lost", f"live stream lost: {e.reason}")


def _live_up(s: ClassState, e: ev.LiveStreamConnected, now: float) -> ClassState:
    s = dataclasses.replace(s, live_ok=True)
    return _alert(_resolve(s, "stream_lost"), now, "live_back", "live stream is back", "info") if e.attempt else s


def _stage_alert(s: ClassState, e: ev.StageAlert, now: float) -> ClassState:
    return _alert(s, now, "stage", f"{e.stage}: {e.message}", e.severity)


def _analytics_off(s: ClassState, e: ev.TeacherPausedAnalytics, now: float) -> ClassState:
    return dataclasses.replace(s, analytics=False)


def _analytics_on(s: ClassState, e: ev.TeacherResumedAnalytics, now: float) -> ClassState:
    return dataclasses.replace(s, analytics=True)


def _lead(s: ClassState, e: ev.LeadCommandReceived, now: float) -> ClassState:
    entry = (round(s.lesson_s(now), 1), e.command, e.accepted)
    return dataclasses.replace(s, lead_log=(entry, *s.lead_log)[:MAX_LEAD_LOG])


def _lead_poll(s: ClassState, e: ev.LeadHandPollRequested, now: float) -> ClassState:
    poll = Poll(LEAD_NODE, "hand_poll", _clip(e.prompt), hands=len(s.hands))
    return dataclasses.replace(s, poll=poll, lead_card_until=now + e.duration_s)


def _lead_question(s: ClassState, e: ev.LeadQuestionShown, now: float) -> ClassState:
    poll = Poll(LEAD_NODE, "question", _clip(e.prompt), tuple(_clip(c) for c in e.choices))
    return dataclasses.replace(s, poll=poll, lead_card_until=now + e.duration_s)


def _remote(s: ClassState, e: ev.RemoteControlSet, now: float) -> ClassState:
    return dataclasses.replace(s, remote_control=e.enabled)


def _health(s: ClassState, h: HealthSample, now: float) -> ClassState:
    return s if h.rows == s.health else dataclasses.replace(s, health=h.rows)


_HANDLERS: dict[type[Any], Any] = {
    ev.ClassStarted: _started,
    ev.NodeEntered: _node,
    ev.QuestionAsked: _asked,
    cmd.UpdateCount: _count,
    ev.QuestionClosed: _closed,
    ev.HandPollOpened: _poll_opened,
    ev.HandCountReported: _hand_count,
    ev.HandPollClosed: _poll_closed,
    ev.HeadCountReported: _head,
    ev.HandRaised: _raised,
    ev.HandLowered: _lowered,
    ev.TeacherCalledOnHand: _called,
    ev.AttentionMeasured: _attention,
    ev.LessonPaused: _paused,
    ev.LessonResumed: _resumed,
    ev.ClassEnded: _ended,
    ev.SourceSwitched: _switched,
    ev.LiveStreamLost: _live_lost,
    ev.LiveStreamConnected: _live_up,
    ev.StageAlert: _stage_alert,
    ev.TeacherPausedAnalytics: _analytics_off,
    ev.TeacherResumedAnalytics: _analytics_on,
    ev.LeadCommandReceived: _lead,
    ev.RemoteControlSet: _remote,
    ev.LeadHandPollRequested: _lead_poll,
    ev.LeadQuestionShown: _lead_question,
    HealthSample: _health,
}


def nearest_hand(state: ClassState, x: float, y: float, radius: float = 0.25) -> Hand | None:
    """The raised hand closest to the seat (x, y), within `radius` (normalised units); None if none is."""
    best: tuple[float, Hand] | None = None
    for h in state.hands:
        d = ((h.x - x) ** 2 + (h.y - y) ** 2) ** 0.5
        if d <= radius and (best is None or d < best[0]):
            best = (d, h)
    return None if best is None else best[1]


def _r(v: float | None, nd: int = 2) -> float | None:
    return None if v is None else round(v, nd)


def to_dict(state: ClassState, now: float) -> dict[str, Any]:
    """The compact, JSON-ready snapshot that leaves the classroom: counts and anonymous seat positions only."""
    head = state.head_count()
    att = state.attention()
    poll = state.poll
    return {
        "lesson": {
            "status": state.status,
            "pack": state.pack_id,
            "title": state.title,
            "node": state.node_id,
            "kind": state.node_kind,
            "node_title": state.node_title,
            "step": state.nodes_seen,
            "steps": state.node_count,
            "t": int(state.lesson_s(now) // LESSON_T_STEP_S * LESSON_T_STEP_S),
        },
        "on_air": state.on_air,
        "live_ok": state.live_ok,
        "head": None if head is None else {"n": head[0], "lo": head[1], "hi": head[2]},
        "hands": [{"x": round(h.x, 2), "y": round(h.y, 2), "since": h.since, "called": h.called} for h in state.hands],
        "poll": None
        if poll is None
        else {
            "node": poll.node_id,
            "kind": poll.kind,
            "prompt": poll.prompt,
            "choices": list(poll.choices),
            "tally": dict(poll.tally),
            "responses": poll.responses,
            "hands": poll.hands,
            "open": poll.open,
            "correct_rate": _r(poll.correct_rate),
        },
        "answers": {
            "questions": state.questions_closed,
            "responses": state.responses_total,
            "correct_rate": _r(state.correct_rate()),
        },
        "attention": None if att is None else {"share": round(att[0], 2), "faces": att[1]},
        "health": [{"stage": r.stage, "state": r.state, "dropped": r.dropped} for r in state.health],
        "alerts": [{"t": a.t, "kind": a.kind, "message": a.message, "severity": a.severity} for a in state.alerts],
        "analytics": state.analytics,
        "remote_control": state.remote_control,
        "lead_log": [{"t": t, "command": c, "accepted": ok} for t, c, ok in state.lead_log],
    }


def delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level keys of `after` whose values differ from `before` (a snapshot delta)."""
    return {k: v for k, v in after.items() if before.get(k, object()) != v}

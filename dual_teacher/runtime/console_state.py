"""The teacher console's state: the raised-hand queue, alerts, captions, answers and room figures.

`reduce(state, event, now) -> state` is pure (no clock, no Qt): the console's view-model (`qt.console`) feeds it
the room's and the lesson's events on the GUI thread and shows the result. Rules:
- hands queue in the order they rose; a hand that moves keeps its place; a hand called on stays, marked
  `called`, until it is lowered; `first_waiting` is the first one nobody called on yet;
- an alert replaces an older one of its kind (several "stage" and "lead" alerts stand side by side), the newest
  first, at most `MAX_ALERTS`; the matching good news resolves it (the stream is back, the disk has space, the
  display is shown again, analytics resumed, the lead link is up); `dismiss` removes one by id;
- the transcript keeps the last `MAX_TRANSCRIPT` final captions (unsafe words masked), attention the last
  `ATTENTION_POINTS` shares, speech activity the last `MAX_TALK` stretches (`talk_last_minute` sums them).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dual_teacher.core import events as ev
from dual_teacher.runtime.class_state import Hand
from dual_teacher.runtime.session import STORE_STAGE
from dual_teacher.speech.caption_safety import mask_unsafe_words

MAX_ALERTS = 6
MAX_TRANSCRIPT = 40
ATTENTION_POINTS = 120
MAX_TALK = 500
DISPLAY_WINDOW = "display window"  # the stage name of alerts about the classroom display's window
_SIDE_BY_SIDE = ("stage", "lead")  # alert kinds that do not replace each other


def clock_text(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


@dataclasses.dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    severity: str
    time: str  # lesson time when it was raised ("" before the class started)
    args: tuple[tuple[str, Any], ...] = ()
    node_id: str | None = None  # the "fallback" alert: the node the AI lesson took over at ("" if unknown)


@dataclasses.dataclass(frozen=True)
class Result:
    """A closed question (`correct` -1 and `rate` -1 for a hand poll: none is right or wrong)."""

    node_id: str
    responses: int
    correct: int
    rate: float


@dataclasses.dataclass(frozen=True)
class ConsoleState:
    store_folder: str = ""  # where the event store is (named in the disk alerts)
    started_at: float | None = None
    head_count: int = -1
    head_count_approx: bool = False
    hands: tuple[Hand, ...] = ()
    attention: float = -1.0
    attention_faces: int = 0
    attention_history: tuple[float, ...] = ()
    talk: tuple[tuple[float, str, float], ...] = ()  # (now, source, seconds of speech)
    transcript: tuple[str, ...] = ()
    partial: str = ""
    results: tuple[Result, ...] = ()  # in the order the nodes first closed
    alerts: tuple[Alert, ...] = ()  # newest first
    alert_seq: int = 0
    lead_linked: bool = False
    remote_control: bool = True

    def lesson_s(self, now: float) -> float:
        return 0.0 if self.started_at is None else round(max(0.0, now - self.started_at), 1)

    def elapsed(self, now: float) -> str:
        return clock_text(now - self.started_at) if self.started_at is not None else "0:00"


def reduce(state: ConsoleState, event: ev.Event, now: float) -> ConsoleState:
    """The state after `event` at the console's `now`. Events the console does not show leave it as it was."""
    r = dataclasses.replace
    if isinstance(event, ev.ClassStarted):
        return r(state, started_at=now)
    if isinstance(event, ev.HeadCountReported):
        # a camera's count is "about N" unless its cues agreed (perception reports low == high then)
        approx = event.source != "simulated" and (event.low is None or event.uncertain)
        return r(state, head_count=event.count, head_count_approx=approx)
    if isinstance(event, ev.HandRaised):
        return r(state, hands=_raised(state.hands, event, state.lesson_s(now)))
    if isinstance(event, ev.HandLowered):
        return r(state, hands=tuple(h for h in state.hands if h.track_id != event.track_id))
    if isinstance(event, ev.TeacherCalledOnHand):
        return r(state, hands=tuple(r(h, called=True) if h.track_id == event.track_id else h for h in state.hands))
    if isinstance(event, ev.AttentionMeasured):
        history = (*state.attention_history, max(0.0, min(1.0, event.share)))[-ATTENTION_POINTS:]
        return r(state, attention=float(event.share), attention_faces=event.faces, attention_history=history)
    if isinstance(event, ev.SpeechActivity):
        return r(state, talk=(*state.talk, (now, event.source, event.seconds))[-MAX_TALK:])
    if isinstance(event, ev.CaptionUpdated):
        text = mask_unsafe_words(event.text)
        if event.final:
            return r(state, transcript=(*state.transcript, text)[-MAX_TRANSCRIPT:], partial="")
        return r(state, partial=text)
    if isinstance(event, ev.QuestionClosed):
        rate = -1.0 if event.correct_rate is None else event.correct_rate
        return r(
            state, results=_result(state.results, Result(event.node_id, event.responses, event.correct_count, rate))
        )
    if isinstance(event, ev.HandPollClosed):
        return r(state, results=_result(state.results, Result(event.node_id, event.peak, -1, -1.0)))
    return _alerts(state, event, now)


def dismiss(state: ConsoleState, alert_id: int) -> ConsoleState:
    return dataclasses.replace(state, alerts=tuple(a for a in state.alerts if a.id != alert_id))


def first_waiting(state: ConsoleState) -> int | None:
    """The track id of the first raised hand nobody has called on yet."""
    return next((h.track_id for h in state.hands if not h.called), None)


def talk_last_minute(state: ConsoleState, now: float, window_s: float = 60.0) -> dict[str, float]:
    """Seconds of speech per source within the last `window_s`."""
    talk: dict[str, float] = {}
    for t, source, seconds in state.talk:
        if t >= now - window_s:
            talk[source] = round(talk.get(source, 0.0) + seconds, 1)
    return talk


def _raised(hands: tuple[Hand, ...], e: ev.HandRaised, since: float) -> tuple[Hand, ...]:
    for i, h in enumerate(hands):
        if h.track_id == e.track_id:  # moved: keep its place in the queue
            return (*hands[:i], dataclasses.replace(h, x=e.x, y=e.y), *hands[i + 1 :])
    return (*hands, Hand(e.track_id, e.x, e.y, since))


def _result(results: tuple[Result, ...], new: Result) -> tuple[Result, ...]:
    if any(x.node_id == new.node_id for x in results):
        return tuple(new if x.node_id == new.node_id else x for x in results)
    return (*results, new)


def _alert(
    state: ConsoleState, kind: str, severity: str, now: float, node_id: str | None = None, **args: Any
) -> ConsoleState:
    seq = state.alert_seq + 1
    when = clock_text(now - state.started_at) if state.started_at is not None else ""
    keep = tuple(a for a in state.alerts if a.kind != kind or kind in _SIDE_BY_SIDE)
    alert = Alert(seq, kind, severity, when, tuple(args.items()), node_id)
    return dataclasses.replace(state, alerts=(alert, *keep)[:MAX_ALERTS], alert_seq=seq)


def _resolve(state: ConsoleState, *kinds: str) -> ConsoleState:
    return dataclasses.replace(state, alerts=tuple(a for a in state.alerts if a.kind not in kinds))


def _alerts(s: ConsoleState, e: ev.Event, now: float) -> ConsoleState:
    if isinstance(e, ev.LiveStreamLost):
        return _alert(s, "stream_lost", "warning", now, reason=e.reason)
    if isinstance(e, ev.SourceSwitched) and e.source == "lesson" and e.reason in ("fallback", "unavailable"):
        return _alert(s, "fallback", "info", now, node_id=e.node_id or "")
    if isinstance(e, ev.SourceSwitched) and e.source == "live":
        return _resolve(s, "stream_lost", "fallback", "live_back")
    if isinstance(e, ev.LiveStreamConnected) and e.attempt > 0:
        return _alert(_resolve(s, "stream_lost"), "live_back", "info", now)
    if isinstance(e, ev.StageAlert) and e.stage == STORE_STAGE:
        if e.severity == "info":
            return _resolve(s, "disk_full", "disk_low")
        kind = "disk_full" if e.severity == "error" else "disk_low"
        return _alert(s, kind, e.severity, now, where=s.store_folder)
    if isinstance(e, ev.StageAlert) and e.stage == DISPLAY_WINDOW:
        return _resolve(s, "display_closed") if e.severity == "info" else _alert(s, "display_closed", e.severity, now)
    if isinstance(e, ev.StageAlert):
        kind = "camera_lost" if e.stage == "camera" else "stage"
        return _alert(s, kind, e.severity, now, stage=e.stage, message=e.message)
    if isinstance(e, ev.TeacherPausedAnalytics):
        return _alert(s, "analytics_paused", "info", now)
    if isinstance(e, ev.TeacherResumedAnalytics):
        return _resolve(s, "analytics_paused")
    if isinstance(e, ev.LeadCommandReceived):  # every lead command is shown, acted on or not
        return _alert(s, "lead", "info", now, command=e.command, detail=e.detail, accepted=e.accepted)
    if isinstance(e, ev.LeadLinkChanged) and e.state == "down":
        return _alert(s, "lead_link", "warning", now, reason=e.reason)
    if isinstance(e, ev.LeadLinkChanged):
        return dataclasses.replace(_resolve(s, "lead_link"), lead_linked=True)
    if isinstance(e, ev.RemoteControlSet):
        return dataclasses.replace(s, lead_linked=True, remote_control=e.enabled)
    return s

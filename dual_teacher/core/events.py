"""Events: immutable facts in the past tense. Every event is stored; payloads are JSON-friendly.

Inputs to the lesson engine come from the assisting teacher (Teacher*), from perception and speech
(HandCountReported, AnswerHeard) and from the media player (MediaEnded). Facts that the engine
announces (ClassStarted, NodeEntered, QuestionClosed, ...) are written to the event store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    """Base class. `kind` is the stored type name (the class name)."""

    _registry: ClassVar[dict[str, type[Event]]] = {}
    store: ClassVar[bool] = True  # False for high-rate events that are never persisted

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Event._registry[cls.__name__] = cls

    @property
    def kind(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, kind: str, payload: Mapping[str, Any]) -> Event:
        """Rebuild a stored event; unknown kinds come back as `UnknownEvent`."""
        target = Event._registry.get(kind)
        if target is None:
            return UnknownEvent(name=kind, data=dict(payload))
        names = {f.name for f in dataclasses.fields(target)}
        args = {k: _thaw(v) for k, v in payload.items() if k in names}
        return target(**args)


def event_types() -> Mapping[str, type[Event]]:
    """Every event class by its stored type name (what `Event.from_payload` decodes), read-only."""
    return MappingProxyType(Event._registry)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_thaw(v) for v in value)
    return value


@dataclasses.dataclass(frozen=True)
class UnknownEvent(Event):
    name: str
    data: Mapping[str, Any]


# ---- inputs from the assisting teacher -------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TeacherStarted(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherPaused(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherResumed(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherWentNext(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherWentBack(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherReplayed(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherSkippedQuestion(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherExtendedTimer(Event):
    seconds: float = 15.0


@dataclasses.dataclass(frozen=True)
class TeacherEnteredAnswer(Event):
    """The teacher typed how many students gave `answer` (mode "add") or corrected the count ("set")."""

    answer: str
    count: int = 1
    mode: str = "add"


@dataclasses.dataclass(frozen=True)
class TeacherEndedClass(Event):
    pass


# ---- inputs from perception, speech and media ---------------------------------------------------
@dataclasses.dataclass(frozen=True)
class AnswerHeard(Event):
    """A spoken answer to the current question (`source` is "speech" or "simulated")."""

    answer: str
    confidence: float = 1.0
    source: str = "speech"


@dataclasses.dataclass(frozen=True)
class CaptionUpdated(Event):
    """Caption text of the lead teacher for the display; `final` is False while the text may still change.

    Display only: never stored (no transcripts are kept), never a student's words, never audio.
    `utterance` numbers the caption line so the display can replace partial text in place; `stable` is the
    leading part of `text` that will not change any more.
    """

    store: ClassVar[bool] = False
    text: str
    final: bool
    language: str = "en"
    utterance: int = 0
    stable: str = ""


@dataclasses.dataclass(frozen=True)
class SpeechActivity(Event):
    """Seconds of speech in one stretch, from "teacher" (the lead teacher's audio) or "room" (the microphone).

    An engagement signal at class level: no text, no audio, no speaker identity.
    """

    source: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class HandCountReported(Event):
    """Raised hands counted for the open poll; `choice` names the option being polled, if any."""

    count: int
    choice: str | None = None
    source: str = "perception"


# Class-level room signals (engagement metrics). No identities: `track_id` is an anonymous id that lives for
# one lesson only; `x`, `y` are a normalised seat position in [0, 1] (left->right, front->back).
@dataclasses.dataclass(frozen=True)
class HeadCountReported(Event):
    """People counted in the room; `low` .. `high` when the cues disagree (the console then says "about N")."""

    count: int
    source: str = "perception"
    low: int | None = None
    high: int | None = None

    @property
    def uncertain(self) -> bool:
        return self.low is not None and self.high is not None and self.low < self.high


@dataclasses.dataclass(frozen=True)
class HandRaised(Event):
    track_id: int
    x: float
    y: float
    source: str = "perception"


@dataclasses.dataclass(frozen=True)
class HandLowered(Event):
    track_id: int
    source: str = "perception"


@dataclasses.dataclass(frozen=True)
class AttentionMeasured(Event):
    """Share in [0, 1] of the `faces` seen that face the classroom display (class level, no per-face data)."""

    share: float
    faces: int
    source: str = "perception"


@dataclasses.dataclass(frozen=True)
class MediaEnded(Event):
    node_id: str


@dataclasses.dataclass(frozen=True)
class MediaFailed(Event):
    node_id: str
    reason: str


# ---- facts announced by the lesson engine -------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ClassStarted(Event):
    pack_id: str
    title: str
    node_count: int


@dataclasses.dataclass(frozen=True)
class NodeEntered(Event):
    node_id: str
    node_kind: str
    title: str = ""


@dataclasses.dataclass(frozen=True)
class QuestionAsked(Event):
    node_id: str
    qtype: str
    prompt: str
    choices: tuple[str, ...] = ()
    correct: tuple[str, ...] = ()
    time_limit_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class QuestionClosed(Event):
    """`reason`: "time_up", "closed_by_teacher" or "skipped". `correct_rate` is None with no responses."""

    node_id: str
    reason: str
    responses: int
    correct_count: int
    correct_rate: float | None
    tally: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class HandPollOpened(Event):
    node_id: str
    prompt: str


@dataclasses.dataclass(frozen=True)
class HandPollClosed(Event):
    node_id: str
    count: int
    peak: int


@dataclasses.dataclass(frozen=True)
class BranchTaken(Event):
    node_id: str
    rule: str
    target: str


@dataclasses.dataclass(frozen=True)
class LessonPaused(Event):
    node_id: str


@dataclasses.dataclass(frozen=True)
class LessonResumed(Event):
    node_id: str


@dataclasses.dataclass(frozen=True)
class TimerExtended(Event):
    node_id: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class ClassEnded(Event):
    reason: str  # "completed", "teacher", "error"


@dataclasses.dataclass(frozen=True)
class StageAlert(Event):
    """Something the operator should know (camera lost, disk full). Shown on the console, stored."""

    stage: str
    message: str
    severity: str = "warning"


@dataclasses.dataclass(frozen=True)
class Tick(Event):
    """Time passed; lets the engine notice deadlines. Never stored."""

    store: ClassVar[bool] = False


# ---- the lead-teacher source on the classroom display (live stream or AI lesson) and console controls ------
@dataclasses.dataclass(frozen=True)
class TeacherJumped(Event):
    """The lesson goes to `node_id` (the AI lesson taking over from the live stream at the matching position)."""

    node_id: str


@dataclasses.dataclass(frozen=True)
class TeacherSwitchedSource(Event):
    """The assisting teacher chose the lead-teacher source: "live" or "lesson"."""

    source: str


@dataclasses.dataclass(frozen=True)
class TeacherCalledOnHand(Event):
    """The assisting teacher called on the raised hand `track_id` (the display shows "I see your hand")."""

    track_id: int


@dataclasses.dataclass(frozen=True)
class TeacherPausedAnalytics(Event):
    pass


@dataclasses.dataclass(frozen=True)
class TeacherResumedAnalytics(Event):
    pass


@dataclasses.dataclass(frozen=True)
class LiveStreamConnected(Event):
    """Frames of the remote teacher's live stream flow (`attempt` 0: the first connection, then retries)."""

    url: str
    attempt: int = 0


@dataclasses.dataclass(frozen=True)
class LiveStreamLost(Event):
    """`reason`: "stalled", "ended", "error: ..." or "unreachable"; `silent_s`: seconds since its last frame."""

    reason: str
    silent_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class LiveStreamRetried(Event):
    """Connecting again to the live stream, `delay_s` after the previous try (backoff)."""

    attempt: int
    delay_s: float


@dataclasses.dataclass(frozen=True)
class SourceSwitched(Event):
    """What the classroom display shows: `source` "live" or "lesson"; `reason` "start", "fallback", "teacher" or
    "unavailable". For the AI lesson, the node and the offset (s) into it where it takes over, and the position
    on the live lesson's timeline (s) that was matched."""

    source: str
    reason: str
    node_id: str = ""
    offset_s: float = 0.0
    lesson_position_s: float = 0.0


# ---- the remote lead teacher's link (dual_teacher.runtime.lead_link) -------------------------------------------
@dataclasses.dataclass(frozen=True)
class LeadCommandReceived(Event):
    """A command from the remote lead teacher's dashboard: `command` is "call_on_seat", "hand_poll",
    "question", "switch_source", "pause", "resume" or "note"; `detail` what it says (a prompt, a note, a seat);
    `accepted` False when the console has remote control off (the command is shown, nothing else happens)."""

    command: str
    detail: str = ""
    accepted: bool = True


@dataclasses.dataclass(frozen=True)
class RemoteControlSet(Event):
    """The assisting teacher allowed (or stopped) the lead teacher's remote commands."""

    enabled: bool


@dataclasses.dataclass(frozen=True)
class LeadLinkChanged(Event):
    """The link to the lead teacher's server: `state` "connected" or "down" (with `reason`)."""

    state: str
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class LeadHandPollRequested(Event):
    """The lead teacher asks for a hand poll now (`prompt`, open for `duration_s`)."""

    prompt: str
    duration_s: float = 30.0


@dataclasses.dataclass(frozen=True)
class LeadQuestionShown(Event):
    """The lead teacher's ad-hoc question card (`prompt`, optional `choices`), open for `duration_s`."""

    prompt: str
    choices: tuple[str, ...] = ()
    duration_s: float = 30.0

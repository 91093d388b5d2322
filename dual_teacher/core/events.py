"""Events: immutable facts in the past tense. Every event is stored; payloads are JSON-friendly.

Inputs to the lesson engine come from the assisting teacher (Teacher*), from perception and speech
(HandCountReported, AnswerHeard) and from the media player (MediaEnded). Facts that the engine
announces (ClassStarted, NodeEntered, QuestionClosed, ...) are written to the event store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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
class HandCountReported(Event):
    """Raised hands counted for the open poll; `choice` names the option being polled, if any."""

    count: int
    choice: str | None = None
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

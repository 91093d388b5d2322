"""Commands from the lesson engine to the classroom display and the input stages.

Texts are resolved for the display language by the engine; media paths are relative to the pack.
`deadline` values are on the session's monotonic clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Command:
    pass


@dataclasses.dataclass(frozen=True)
class PlayVideo(Command):
    node_id: str
    file: str
    start_s: float
    end_s: float | None
    title: str = ""


@dataclasses.dataclass(frozen=True)
class ShowSlide(Command):
    node_id: str
    image: str | None
    text: str
    narration: str | None
    deadline: float


@dataclasses.dataclass(frozen=True)
class ShowQuestion(Command):
    node_id: str
    qtype: str
    prompt: str
    choices: tuple[tuple[str, str], ...]  # (key, text)
    deadline: float
    channels: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class RevealAnswer(Command):
    node_id: str
    correct: tuple[str, ...]
    responses: int
    correct_count: int
    tally: Mapping[str, int]
    deadline: float


@dataclasses.dataclass(frozen=True)
class ShowHandPoll(Command):
    node_id: str
    prompt: str
    deadline: float


@dataclasses.dataclass(frozen=True)
class UpdateCount(Command):
    """Live tally while a question or poll is open (for the display's counter)."""

    node_id: str
    responses: int
    tally: Mapping[str, int]


@dataclasses.dataclass(frozen=True)
class ShowTimer(Command):
    node_id: str
    label: str
    deadline: float


@dataclasses.dataclass(frozen=True)
class ExtendDeadline(Command):
    node_id: str
    deadline: float


@dataclasses.dataclass(frozen=True)
class OpenPoll(Command):
    """Ask perception to count raised hands (`choices` empty: one count for a hand poll)."""

    node_id: str
    choices: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ClosePoll(Command):
    node_id: str


@dataclasses.dataclass(frozen=True)
class ListenForAnswer(Command):
    """Ask speech to match spoken answers against these options until the question closes. `space`: the
    answer space in every language of the pack, (answer, text) pairs: each choice's texts, the number of a
    numeric question, the accepted words of a short answer (speech uses it to bias recognition)."""

    node_id: str
    qtype: str
    choices: tuple[tuple[str, str], ...]
    space: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class StopListening(Command):
    node_id: str


@dataclasses.dataclass(frozen=True)
class PauseMedia(Command):
    pass


@dataclasses.dataclass(frozen=True)
class ResumeMedia(Command):
    pass


@dataclasses.dataclass(frozen=True)
class QuestionSummary:
    node_id: str
    title: str
    responses: int
    correct_count: int
    correct_rate: float | None


@dataclasses.dataclass(frozen=True)
class ShowSummary(Command):
    text: str
    questions: tuple[QuestionSummary, ...]
    hands_peak: int

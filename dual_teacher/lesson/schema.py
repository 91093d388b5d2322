"""Lesson pack format v1: the pydantic models behind `lesson.toml`.

A pack is a folder or a .zip holding `lesson.toml` and its media. Nodes form a graph: each content
node names its `next` node (default: the node after it in the file); branch nodes choose a target
from the results of an earlier question or hand poll.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
LANGUAGES = ("en", "zh-Hans")
NodeId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Node id (a-z, 0-9, _ -)")]
MediaPath = Annotated[
    str, Field(min_length=1, max_length=255, description="Path relative to the pack folder, '/' separated")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Strict):
    """A text with language variants; at least one is required."""

    en: str | None = Field(None, description="English")
    zh_hans: str | None = Field(None, alias="zh-Hans", description="Simplified Chinese")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_variant(self) -> LocalizedText:
        if not (self.en or self.zh_hans):
            raise ValueError("give at least one of 'en' or 'zh-Hans'")
        return self


Text = str | LocalizedText


def text_in(text: Text | None, lang: str = "en") -> str:
    """The variant of `text` for `lang`, falling back to whichever variant exists."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    first, second = (text.zh_hans, text.en) if lang.startswith("zh") else (text.en, text.zh_hans)
    return first or second or ""


class _NodeBase(_Strict):
    id: NodeId
    title: Text | None = Field(None, description="Shown on the teacher console's timeline")


class _Linear(_NodeBase):
    next: NodeId | None = Field(None, description="Following node; default: the next node in the file")


class VideoNode(_Linear):
    """A recorded segment of the lead teacher; plays from `start_s` to `end_s` (default: the end)."""

    kind: Literal["video"]
    file: MediaPath
    start_s: float = Field(0.0, ge=0, description="In point, seconds")
    end_s: float | None = Field(None, gt=0, description="Out point, seconds; default: end of the file")
    captions: Text | None = Field(None, description="Caption text shown under the video")

    @model_validator(mode="after")
    def _in_before_out(self) -> VideoNode:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self


class SlideNode(_Linear):
    """A still slide: an image, a text, or both, shown for `duration_s`."""

    kind: Literal["slide"]
    image: MediaPath | None = None
    text: Text | None = None
    narration: MediaPath | None = Field(None, description="Optional audio file played with the slide")
    duration_s: float = Field(8.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _something_to_show(self) -> SlideNode:
        if self.image is None and self.text is None:
            raise ValueError("a slide needs an 'image' or a 'text'")
        return self


class Choice(_Strict):
    key: Annotated[str, Field(pattern=r"^[A-Z]$", description="Choice letter, A-Z")]
    text: Text


Channel = Literal["spoken", "hand_poll", "teacher"]
QuestionType = Literal["single_choice", "multiple_choice", "true_false", "numeric", "short_answer"]


def _default_channels() -> list[Channel]:
    return ["spoken", "teacher"]


class QuestionNode(_Linear):
    """A question card with a countdown. Answers arrive spoken, by hand poll, or typed by the teacher."""

    kind: Literal["question"]
    qtype: QuestionType
    prompt: Text
    choices: list[Choice] = Field(default_factory=list)
    answer: str | bool | float | list[str] = Field(
        description=(
            "Answer key: a choice letter (single_choice), a list of letters (multiple_choice), "
            "true/false, a number (numeric), or accepted words (short_answer)"
        )
    )
    tolerance: float = Field(0.0, ge=0, description="Numeric answers within this distance count as correct")
    time_limit_s: float = Field(30.0, gt=0, le=3600)
    reveal_s: float = Field(4.0, ge=0, le=60, description="How long the correct answer is shown after closing")
    channels: list[Channel] = Field(default_factory=_default_channels, min_length=1)

    @model_validator(mode="after")
    def _answer_fits_type(self) -> QuestionNode:
        keys = [c.key for c in self.choices]
        if len(set(keys)) != len(keys):
            raise ValueError("choice keys must be unique")
        ans = self.answer
        if self.qtype in ("single_choice", "multiple_choice"):
            if len(keys) < 2:
                raise ValueError(f"a {self.qtype} question needs at least two choices")
            wanted = [ans] if isinstance(ans, str) else ans
            if self.qtype == "single_choice" and not isinstance(ans, str):
                raise ValueError("answer of a single_choice question must be one choice letter")
            if not isinstance(wanted, list) or not wanted or not all(isinstance(a, str) for a in wanted):
                raise ValueError("answer must be a list of choice letters")
            missing = [a for a in wanted if a not in keys]
            if missing:
                raise ValueError(f"answer {missing} is not among the choices {keys}")
        elif self.qtype == "true_false":
            if not isinstance(ans, bool):
                raise ValueError("answer of a true_false question must be true or false")
        elif self.qtype == "numeric":
            if isinstance(ans, bool) or not isinstance(ans, int | float):
                raise ValueError("answer of a numeric question must be a number")
        elif not (isinstance(ans, list) and ans and all(isinstance(a, str) for a in ans)) and not (
            isinstance(ans, str) and ans
        ):
            raise ValueError("answer of a short_answer question must be a word or a list of accepted words")
        if "hand_poll" in self.channels and self.qtype not in ("single_choice", "true_false"):
            raise ValueError("the hand_poll channel needs a single_choice or true_false question")
        return self

    def correct_keys(self) -> tuple[str, ...]:
        """The normalised correct answers (letters, 'true'/'false', a number, or accepted words)."""
        ans = self.answer
        if isinstance(ans, bool):
            return ("true" if ans else "false",)
        if isinstance(ans, int | float):
            return (format_number(float(ans)),)
        if isinstance(ans, str):
            return (word_key(ans) if self.qtype == "short_answer" else ans,)
        return tuple(word_key(a) if self.qtype == "short_answer" else a for a in ans)


def word_key(text: str) -> str:
    """Short answers compare case-insensitively with runs of spaces squeezed."""
    return " ".join(text.casefold().split())


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class HandPollNode(_Linear):
    """ "Raise your hand if ...": hands are counted for `duration_s`."""

    kind: Literal["hand_poll"]
    prompt: Text
    duration_s: float = Field(10.0, gt=0, le=600)


class TimerNode(_Linear):
    """An activity timer shown on the display (practice, pair work)."""

    kind: Literal["timer"]
    label: Text
    duration_s: float = Field(gt=0, le=7200)


class CorrectRateRule(_Strict):
    on: Literal["correct_rate"]
    at_least: float | None = Field(None, ge=0, le=1)
    below: float | None = Field(None, ge=0, le=1)
    goto: NodeId

    @model_validator(mode="after")
    def _one_bound(self) -> CorrectRateRule:
        if (self.at_least is None) == (self.below is None):
            raise ValueError("give exactly one of 'at_least' or 'below'")
        return self


class AnswerRule(_Strict):
    """Taken when the most frequent answer equals `equals`."""

    on: Literal["answer"]
    equals: str
    goto: NodeId


class TimeoutRule(_Strict):
    """Taken when the question closed with no answer at all."""

    on: Literal["timeout"]
    goto: NodeId


class HandsRule(_Strict):
    """Taken when at least `at_least` hands were counted in a hand poll."""

    on: Literal["hands"]
    at_least: int = Field(ge=0)
    goto: NodeId


Rule = Annotated[CorrectRateRule | AnswerRule | TimeoutRule | HandsRule, Field(discriminator="on")]


class BranchNode(_NodeBase):
    """Chooses the next node from the results of `source` (a question or hand poll). First match wins."""

    kind: Literal["branch"]
    source: NodeId = Field(description="The question or hand poll whose results decide")
    rules: list[Rule] = Field(min_length=1)
    otherwise: NodeId


class EndNode(_NodeBase):
    kind: Literal["end"]
    summary: Text | None = Field(None, description="Closing words shown with the class summary")


Node = Annotated[
    VideoNode | SlideNode | QuestionNode | HandPollNode | TimerNode | BranchNode | EndNode,
    Field(discriminator="kind"),
]
NODE_KINDS = ("video", "slide", "question", "hand_poll", "timer", "branch", "end")


class LessonPack(_Strict):
    """The top level of `lesson.toml`."""

    schema_version: Literal[1] = Field(description="Format version of this file")
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    title: Text
    subject: str | None = None
    grade: str | None = None
    language: Literal["en", "zh-Hans"] = Field("en", description="Language of instruction (narration)")
    description: Text | None = None
    author: str | None = None
    start: NodeId | None = Field(None, description="First node; default: the first node in the file")
    nodes: list[Node] = Field(min_length=1)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def start_id(self) -> str:
        return self.start or self.nodes[0].id


def successors(pack_nodes: list[Node], index: int) -> list[tuple[str, str]]:
    """(label, target id) for every way out of node `index`; implicit `next` follows file order."""
    node = pack_nodes[index]
    if isinstance(node, EndNode):
        return []
    if isinstance(node, BranchNode):
        return [(f"rules.{i}.goto", r.goto) for i, r in enumerate(node.rules)] + [("otherwise", node.otherwise)]
    if node.next is not None:
        return [("next", node.next)]
    if index + 1 < len(pack_nodes):
        return [("next (implicit)", pack_nodes[index + 1].id)]
    return []


def json_schema() -> dict[str, object]:
    schema = LessonPack.model_json_schema(by_alias=True)
    schema["$id"] = f"https://dual-teacher.invalid/schema/lesson-pack-v{SCHEMA_VERSION}.json"
    schema["title"] = "dual-teacher lesson pack (lesson.toml)"
    return schema

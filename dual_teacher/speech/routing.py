"""Which Whisper model, in which language, serves each speech channel of a class.

A class has two channels: the *room* microphone (students answering) and the *teacher* stream (the lead
teacher's narration or live audio, captioned). They may speak differently: an English lesson narrated in
English can run in a Mandarin-speaking room. The decision is a pure function of
- the lesson pack's `language` (the language of instruction: the teacher channel, and the room's default),
- `--lang` / the config's `language` when given explicitly (the room's language: the class the display
  speaks to),
- the config's `[speech]` overrides (`room_language`, `teacher_language`, `room_model`, `teacher_model`),
in that order of strength (an explicit `[speech]` key wins). Every choice carries the reason, which `doctor`,
the run's start-up notes and the console's system panel print.

Languages are lesson codes ("en", "zh-Hans"); Whisper's code for Mandarin is "zh". English runs on the
English-only tiny.en model (fast); Mandarin needs the multilingual base model.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from dual_teacher.core.errors import ConfigError

Channel = Literal["room", "teacher"]
LANGUAGE_NAMES = {"en": "English", "zh": "Mandarin"}
MODEL_NAMES = {"tiny.en": "Whisper tiny.en (English only)", "base": "Whisper base (multilingual)"}
DEFAULT_MODEL = {"en": "tiny.en", "zh": "base"}
ENGLISH_ONLY = {"tiny.en"}


def whisper_language(lang: str) -> str:
    """Lesson language code -> Whisper language code ("zh-Hans" -> "zh")."""
    if lang in ("zh", "zh-Hans", "zh-CN", "zh_CN"):
        return "zh"
    if lang in ("en", "en-US", "en-GB"):
        return "en"
    raise ConfigError(f"no speech model for language {lang!r}", hint="use en or zh-Hans")


@dataclasses.dataclass(frozen=True)
class ChannelPlan:
    channel: Channel
    language: str  # Whisper code: "en" | "zh"
    model: str  # "tiny.en" | "base"
    why: str

    def describe(self) -> str:
        """E.g. "room: Whisper base (multilingual), Mandarin (the pack's language)"."""
        return (
            f"{self.channel}: {MODEL_NAMES.get(self.model, 'Whisper ' + self.model)}, "
            f"{LANGUAGE_NAMES.get(self.language, self.language)} ({self.why})"
        )

    def short(self) -> str:
        """E.g. "room base/zh" (the console's provider column)."""
        return f"{self.channel} {self.model}/{self.language}"


def _model_for(channel: Channel, language: str, model: str | None) -> tuple[str, str]:
    if model is None:
        return DEFAULT_MODEL[language], ""
    if model in ENGLISH_ONLY and language != "en":
        raise ConfigError(
            f"[speech] {channel}_model = {model!r} is English-only but the {channel} channel speaks "
            f"{LANGUAGE_NAMES.get(language, language)}",
            hint=f"remove {channel}_model (Mandarin uses base) or set {channel}_language",
        )
    return model, f", model from [speech] {channel}_model"


def plan_channels(
    pack_language: str,
    display_language: str | None = None,
    room_language: str | None = None,
    teacher_language: str | None = None,
    room_model: str | None = None,
    teacher_model: str | None = None,
) -> dict[Channel, ChannelPlan]:
    """Each channel's model and language (see the module docstring). `display_language`: --lang or the
    config's `language` when the user set it (None when it is only the default)."""
    if teacher_language is not None:
        t_lang, t_why = whisper_language(teacher_language), "[speech] teacher_language"
    else:
        t_lang, t_why = whisper_language(pack_language), "the pack's language"
    if room_language is not None:
        r_lang, r_why = whisper_language(room_language), "[speech] room_language"
    elif display_language is not None:
        r_lang, r_why = whisper_language(display_language), "the class's language (--lang / config language)"
    else:
        r_lang, r_why = whisper_language(pack_language), "the pack's language"
    t_model, t_extra = _model_for("teacher", t_lang, teacher_model)
    r_model, r_extra = _model_for("room", r_lang, room_model)
    return {
        "room": ChannelPlan("room", r_lang, r_model, r_why + r_extra),
        "teacher": ChannelPlan("teacher", t_lang, t_model, t_why + t_extra),
    }

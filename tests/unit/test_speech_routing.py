"""Which model and language serve each speech channel: a table over pack language, --lang and [speech]."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.config import AppConfig
from dual_teacher.core.errors import ConfigError
from dual_teacher.runtime.devices import speech_plan
from dual_teacher.runtime.speech_stage import SpeechConfig
from dual_teacher.speech.routing import plan_channels


@pytest.mark.parametrize(
    ("pack", "config", "cli", "room", "teacher"),
    [
        ("en", {}, None, "tiny.en/en", "tiny.en/en"),
        ("zh-Hans", {}, None, "base/zh", "base/zh"),
        ("en", {}, "zh-Hans", "base/zh", "tiny.en/en"),  # an English lesson in a Mandarin room
        ("zh-Hans", {}, "en", "tiny.en/en", "base/zh"),
        ("en", {"language": "zh-Hans"}, None, "base/zh", "tiny.en/en"),  # the config file's language, set
        ("zh-Hans", {"language": "en"}, "zh-Hans", "base/zh", "base/zh"),  # --lang beats the config file
        ("zh-Hans", {"speech": {"room_language": "en"}}, "zh-Hans", "tiny.en/en", "base/zh"),  # [speech] wins
        ("en", {"speech": {"teacher_language": "zh-Hans"}}, None, "tiny.en/en", "base/zh"),
        ("en", {"speech": {"room_model": "base"}}, None, "base/en", "tiny.en/en"),
    ],
)
def test_each_channel_gets_its_model_and_language(
    pack: str, config: dict[str, object], cli: str | None, room: str, teacher: str
) -> None:
    plan = speech_plan(AppConfig.model_validate(config), pack, cli)
    assert f"{plan['room'].model}/{plan['room'].language}" == room
    assert f"{plan['teacher'].model}/{plan['teacher'].language}" == teacher
    speech = SpeechConfig.from_plan(plan)
    assert (speech.room.model_name, speech.room.language) == (plan["room"].model, plan["room"].language)
    assert (speech.teacher.model_name, speech.teacher.language) == (plan["teacher"].model, plan["teacher"].language)


def test_the_default_config_language_is_not_taken_as_a_choice() -> None:
    """`language` defaults to "en" for the display; only a value set in the file steers the room channel."""
    assert speech_plan(AppConfig(), "zh-Hans")["room"].language == "zh"


def test_a_plan_says_why() -> None:
    plan = plan_channels("zh-Hans")
    assert plan["room"].describe() == "room: Whisper base (multilingual), Mandarin (the pack's language)"
    assert plan_channels("en", "zh-Hans")["room"].why.startswith("the class's language")


def test_an_english_only_model_for_mandarin_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        plan_channels("zh-Hans", room_model="tiny.en")
    assert "English-only" in info.value.message and "room_model" in info.value.hint


def test_an_unknown_speech_key_is_refused() -> None:
    with pytest.raises(ValueError, match="room_lang"):
        AppConfig.model_validate({"speech": {"room_lang": "zh-Hans"}})


def test_the_lesson_videos_captions_reach_the_echo_gate(tmp_path: Path) -> None:
    from dual_teacher.lesson.commands import PlayVideo
    from dual_teacher.runtime.devices import pack_captions

    (tmp_path / "seg.mp4").write_bytes(b"")
    (tmp_path / "seg.en.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHow many apples?\n\n"
        "00:00:12.000 --> 00:00:14.000\nThe answer is seven.\n",
        encoding="utf-8",
    )
    (tmp_path / "seg.zh.vtt").write_text("WEBVTT\n\n00:00:12.000 --> 00:00:14.000\n答案是七。\n", encoding="utf-8")

    class Pack:
        def media_path(self, rel: str) -> Path:
            return tmp_path / rel

    lookup = pack_captions(Pack(), "en")  # type: ignore[arg-type]
    assert lookup(PlayVideo("v", "seg.mp4", 10.0, None)) == [(2.0, "The answer is seven."), (2.0, "答案是七。")]
    assert lookup(PlayVideo("v", "seg.mp4", 0.0, 5.0)) == [(1.0, "How many apples?")]
    assert lookup(PlayVideo("v", "missing.mp4", 0.0, None)) == []

"""No fixed prompt that can leak; the channel's previous final text as context; loops trimmed, never dropped."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber, Transcript, prompt_leaked
from dual_teacher.speech.channel import AsrJob, ChannelConfig
from dual_teacher.speech.pipeline import ChannelBackEnd
from dual_teacher.speech.text import tokenize


@pytest.mark.parametrize(
    ("text", "prompt", "leaked"),
    [
        ("以下是普通话的句子", "以下是普通话的句子，使用简体中文。", True),  # the old fixed prompt came back
        ("ask not what your country", "And so, my fellow Americans, ask not what your country can do", True),
        ("Seven.", "The answer is seven.", True),
        ("what you can do for your country", "ask not what your country can do for you", False),
        ("豪猪", "咖啡你好", False),
        ("hello", "", False),
    ],
)
def test_prompt_leak(text: str, prompt: str, leaked: bool) -> None:
    assert prompt_leaked(tokenize(text), prompt) is leaked


def _seg(text: str, ratio: float = 1.2, logprob: float = -0.3, no_speech: float = 0.01) -> SimpleNamespace:
    return SimpleNamespace(text=text, compression_ratio=ratio, avg_logprob=logprob, no_speech_prob=no_speech)


@pytest.mark.parametrize(
    ("seg", "kept", "trimmed"),
    [
        (_seg("the birch canoe"), "the birch canoe", False),
        (_seg("秋天总是那么" * 20, ratio=9.0), "秋天总是那么", True),  # a loop: first occurrence kept
        (
            _seg("I read the book. I read the book. I read the book. I read the book.", ratio=3.1),
            "I read the book.",
            True,
        ),
        (_seg("xq" * 60, ratio=30.0), "xq" * 60, None),  # repetitive with no loop to trim: dropped
        (_seg("Thank you.", logprob=-1.2, no_speech=0.9), None, False),  # non-speech
        (_seg("Thank you.", logprob=-1.8), None, False),  # too unlikely
    ],
)
def test_segment_judgement(seg: SimpleNamespace, kept: str | None, trimmed: bool | None) -> None:
    t = FasterWhisperTranscriber(AsrConfig.for_language("en"))
    text, was_trimmed = t._judge(seg, seg.text)
    if trimmed is None:
        assert text is None
        return
    assert text == kept
    assert was_trimmed is trimmed


def _transcript(text: str, looped: bool = False) -> Transcript:
    toks = tuple(tokenize(text))
    return Transcript(text, toks, "en", -0.2, 0.0, 1.0, 0, looped, 0.1, 1.0)


def _job(source: str, index: int, start: float, end: float, final: bool = True) -> AsrJob:
    return AsrJob(source, index, np.zeros(round((end - start) * 16_000), np.float32), final, end, end)  # type: ignore[arg-type]


def test_the_previous_final_text_of_the_teacher_channel_is_the_next_prompt() -> None:
    back = ChannelBackEnd(ChannelConfig.teacher())
    assert back.prompt_for(_job("teacher", 0, 0.0, 2.0)) is None
    back.on_transcript(_job("teacher", 0, 0.0, 2.0), _transcript("And so, my fellow Americans,"), 2.0)
    assert back.prompt_for(_job("teacher", 1, 3.0, 5.0, final=False)) == "And so, my fellow Americans,"
    assert back.prompt_for(_job("teacher", 1, 40.0, 42.0)) is None  # too long ago: a new topic
    back.on_transcript(_job("teacher", 1, 3.0, 5.0), _transcript("la la la", looped=True), 5.0)
    assert back.prompt_for(_job("teacher", 2, 6.0, 7.0)) == "And so, my fellow Americans,"  # a loop is no context


def test_the_room_channel_never_prompts_with_another_students_answer() -> None:
    back = ChannelBackEnd(ChannelConfig.room())
    back.on_transcript(_job("room", 0, 0.0, 1.0), _transcript("B"), 1.0)
    assert back.prompt_for(_job("room", 1, 2.0, 3.0)) is None


class _RecordingWhisper:
    """Stands in for faster-whisper's model: records each decode's options, returns two segments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def transcribe(self, audio: np.ndarray, **options: object) -> tuple[list[SimpleNamespace], None]:
        self.calls.append(options)
        segs = [_seg("He was not"), _seg("an ill disposed young man.")]
        for s in segs:
            s.tokens = s.text.split()
        return segs, None


def _recording(**config: object) -> tuple[FasterWhisperTranscriber, _RecordingWhisper]:
    t = FasterWhisperTranscriber(AsrConfig.for_language("en", **config))
    model = _RecordingWhisper()
    t._model = model
    return t, model


@pytest.mark.parametrize(
    ("call", "config", "timestamps"),
    [
        ({"full_window": True}, {}, True),  # a caption final: as an offline transcribe decodes
        ({"full_window": True, "fallback": False}, {}, True),
        ({}, {}, False),  # a short-window final (the room's answers)
        ({"partial": True}, {}, False),  # partials stay text-only and greedy
        ({"partial": True, "full_window": True}, {}, False),
        ({"full_window": True}, {"timestamps_in_finals": False}, False),
    ],
)
def test_full_window_finals_decode_with_timestamp_tokens(
    call: dict[str, bool], config: dict[str, object], timestamps: bool
) -> None:
    t, model = _recording(**config)
    out = t.transcribe(np.zeros(16_000, np.float32), **call)
    assert [c["without_timestamps"] for c in model.calls] == [not timestamps]
    assert out.text == "He was not an ill disposed young man."  # the segments of a timestamped decode, joined


def test_a_prompt_leak_is_decoded_again_with_the_same_timestamp_mode() -> None:
    t, model = _recording()
    t.transcribe(np.zeros(16_000, np.float32), prompt="He was not an ill disposed young man.", full_window=True)
    assert [(c["initial_prompt"] is None, c["without_timestamps"]) for c in model.calls] == [
        (False, False),
        (True, False),
    ]

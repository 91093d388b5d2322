"""What a speech channel is: its source, model, language, segmenter and decode settings (`ChannelConfig`), and
one piece of its audio to transcribe (`AsrJob`). Shared by the front end (`speech.front_end`) and the back end
(`speech.pipeline`)."""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from dual_teacher.speech.answer_space import RescoreConfig
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.vad import EnergyConfig, SegmenterConfig

SourceName = Literal["teacher", "room"]


# The teacher's turns end as faster-whisper's own VAD ends a speech chunk (`VadOptions`: 2 s of silence,
# 0.4 s of padding): sentence pauses of 1-2 s stay inside a final, which then has the context an offline
# decode has (at 1 s, a 29 s passage cut at two such pauses was 2 words worse than the plain library)
TEACHER_SEGMENTER = SegmenterConfig(pre_roll_s=0.4, hangover_s=2.0, post_pad_s=0.4, max_utterance_s=25.0)
ROOM_SEGMENTER = SegmenterConfig(pre_roll_s=0.4, hangover_s=0.5, post_pad_s=0.3, max_utterance_s=8.0)


@dataclasses.dataclass(frozen=True)
class ChannelConfig:
    source: SourceName
    language: str = "en"  # Whisper code: "en" | "zh"
    segmenter: SegmenterConfig = dataclasses.field(default_factory=SegmenterConfig)
    partial_every_s: float | None = None  # None: no partial transcriptions
    min_partial_s: float = 1.0  # no partial before this much audio
    hangover_partial_s: float | None = 0.3  # one partial this far into a pause (None: none in the hang-over)
    model: str | None = None  # None: the language's default (tiny.en for English, base otherwise)
    # The previous final text of the channel is the next decode's prompt (context across pauses), when it
    # ended at most `prompt_within_s` before the new audio starts. Off for the room: one student's answer
    # must not steer the next student's (and room text is not kept).
    prompt_with_previous: bool = True
    prompt_within_s: float = 30.0
    energy: EnergyConfig | None = dataclasses.field(default_factory=EnergyConfig)  # None: Silero alone gates
    # a spoken answer less sure than this is not counted: 0.3 ~ exp(-1.0) x 0.9, Whisper's own log-prob
    # threshold for a failed decode (-1.0) times the matcher's confidence in a plain answer form
    min_answer_confidence: float = 0.3
    # finals decoded over Whisper's whole 30 s window, as an offline decode is (captions: parity with the
    # plain library); the room's answers keep the short window for latency
    full_window_finals: bool = True
    # Whisper's temperature fallback (random sampling when a decode looks failed); off for answers, which
    # are deterministic and fall back on the answer space's rescoring instead
    temperature_fallback: bool = True
    # the answer-space rescoring (room); `room()` conditions it on the space for English only
    rescore: RescoreConfig = dataclasses.field(default_factory=RescoreConfig)
    # speculative finals (room): after this much silence inside an utterance (at least the segmenter's
    # post_pad_s, so the final's audio is all there) decode and judge the utterance so far; the final of the
    # same audio then reuses that work. None: off
    speculate_after_s: float | None = None

    @property
    def model_name(self) -> str:
        return self.model or ("tiny.en" if self.language == "en" else "base")

    @classmethod
    def teacher(cls, language: str = "en", model: str | None = None) -> ChannelConfig:
        """Captions: a partial transcription every second; finals over whole turns (pauses under 2 s stay
        inside, up to 25 s, cut at the longest pause), so the final decode has the context an offline
        decode of the same span has."""
        return cls("teacher", language, TEACHER_SEGMENTER, partial_every_s=1.0, model=model)

    @classmethod
    def room(cls, language: str = "en", model: str | None = None) -> ChannelConfig:
        """Answers: utterances up to 8 s, finals only; padding so a one-word answer is not cropped; English
        answers rescored with the answer space as the prompt (`speech.answer_space`)."""
        return cls(
            "room",
            language,
            ROOM_SEGMENTER,
            partial_every_s=None,
            model=model,
            prompt_with_previous=False,
            full_window_finals=False,
            temperature_fallback=False,
            rescore=RescoreConfig(space_prompt=language == "en"),
            speculate_after_s=ROOM_SEGMENTER.post_pad_s,
        )


@dataclasses.dataclass(frozen=True, eq=False)
class AsrJob:
    """Audio of one utterance (so far) to transcribe. Times are stream seconds of the source."""

    source: SourceName
    utterance: int
    audio: np.ndarray
    final: bool
    audio_end: float  # stream time of the last sample in `audio`
    speech_end: float  # final jobs: the segmenter's end of speech; partial jobs: = audio_end
    request: AnswerRequest | None = None
    # a final decoded ahead, inside the hang-over: its result is never published, only reused by the final
    # of the same audio (`ChannelBackEnd.transcribe`)
    speculative: bool = False

"""The speech pipeline for one audio source, without threads: front end (VAD, segmenter) and back end
(commit policy, answer matching). `dual_teacher.runtime.speech_stage.SpeechStage` runs these on threads
behind the session's InputStage protocol; benchmarks and tests drive them directly.

Front end (`speech.front_end.ChannelFrontEnd.feed`, per audio chunk): Silero probabilities -> segmenter -> jobs for ASR.
- "teacher" (the lead teacher's audio): a partial job every `partial_every_s` while speech goes on, and a
  final job when the utterance ends -> captions.
- "room" (the classroom microphone): a final job only while the lesson listens for an answer (an
  `AnswerRequest` is open); otherwise only activity is measured and the audio is never transcribed.
Every utterance also yields `SpeechActivity(source, seconds)`.

Back end (`ChannelBackEnd.on_transcript`): teacher transcripts -> LocalAgreement-2 -> `CaptionUpdated`
(partial, then final); room transcripts -> `match_answer`, else the answer space rescored by the model
(`speech.answer_space`, when a scorer is given) -> `AnswerHeard(source="speech")`. An answer counts only at
`min_answer_confidence` or more, and never when it repeats what the lead teacher just said (`speech.echo.TeacherEcho`:
the room microphone hears the lesson video and the live stream too).

Privacy: audio stays in memory, in a ring of the last few seconds. Room transcripts are used only to match
an answer and are then dropped: only the matched answer (e.g. "B" or "13") leaves this module.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from dual_teacher.core import events as ev
from dual_teacher.media.audio import SAMPLE_RATE, AudioChunk
from dual_teacher.speech.answer_space import TextScorer, in_space, rescore_answer
from dual_teacher.speech.answers import AnswerMatch, match_answer
from dual_teacher.speech.asr import Transcriber, Transcript
from dual_teacher.speech.channel import AsrJob, ChannelConfig
from dual_teacher.speech.commit import LocalAgreement
from dual_teacher.speech.echo import TeacherEcho
from dual_teacher.speech.front_end import ChannelFrontEnd
from dual_teacher.speech.vad import (
    SegmenterConfig,
    SileroVad,
)


class ScoreMemo:
    """A `TextScorer` that remembers the scores of the last audio it scored (a speculative final's rescoring,
    reused by the final of the same audio); any other audio is scored afresh."""

    def __init__(self, scorer: TextScorer) -> None:
        self.scorer = scorer
        self._audio = np.zeros(0, np.float32)
        self._scores: dict[tuple[tuple[str, ...], str | None], list[float]] = {}
        self.hits = 0

    def score_texts(self, audio: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        if not np.array_equal(audio, self._audio):
            self._audio = np.array(audio, np.float32)
            self._scores = {}
        key = (tuple(texts), prompt)
        if key in self._scores:
            self.hits += 1
        else:
            self._scores[key] = list(self.scorer.score_texts(audio, texts, prompt=prompt))
        return list(self._scores[key])


@dataclasses.dataclass(frozen=True)
class _Held:
    """A speculative final's decode: its audio, the decode's options and the transcript."""

    audio: np.ndarray
    options: tuple[bool, str | None, bool, bool]
    transcript: Transcript


class ChannelBackEnd:
    """Transcripts of one source -> captions (teacher) or answers (room).

    Speculative finals (room): `transcribe` decodes a speculative job and holds the transcript; `speculate`
    judges it as `on_transcript` would, without publishing or counting, which leaves its rescoring in the
    channel's `ScoreMemo`. The final of the same audio (same samples, same decode options) then takes the held
    transcript and the remembered scores, so it publishes exactly what it would have found itself, at once.
    """

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self._policy = LocalAgreement(2)
        self._utterance = -1
        self._finalized: set[int] = set()
        self.answers = 0
        self.unmatched = 0
        self.looped = 0
        self.rescored = 0  # answers found by rescoring the answer space
        self.echoes = 0  # room utterances dropped as the lead teacher's own words
        self._last_final = ""
        self._last_final_end = -math.inf
        self._held: _Held | None = None
        self._memo: ScoreMemo | None = None
        self.speculations = 0  # speculative finals decoded
        self.speculations_used = 0  # finals that reused one

    def transcribe(self, job: AsrJob, transcriber: Transcriber) -> tuple[Transcript, bool]:
        """Decode `job` with the channel's options; a final whose audio a speculative job decoded with the
        same options takes that transcript instead. (transcript, True when reused)."""
        cfg = self.config
        options = (not job.final, self.prompt_for(job), job.final and cfg.full_window_finals, cfg.temperature_fallback)
        held = self._held
        if not job.speculative and held is not None:
            self._held = None
            if held.options == options and np.array_equal(held.audio, job.audio):
                self.speculations_used += 1
                return held.transcript, True
        partial, prompt, full_window, fallback = options
        transcript = transcriber.transcribe(
            job.audio, partial=partial, prompt=prompt, full_window=full_window, fallback=fallback
        )
        if job.speculative:
            self.speculations += 1
            self._held = _Held(job.audio, options, transcript)
        return transcript, False

    def speculate(
        self,
        job: AsrJob,
        transcript: Transcript,
        now: float,
        scorer: TextScorer | None = None,
        echo: TeacherEcho | None = None,
    ) -> None:
        """Judge a speculative final's transcript (see the class docstring): nothing is published or counted."""
        if self.config.source == "room":
            self._judge(job, transcript, now, self._memo_for(scorer), echo)

    def _memo_for(self, scorer: TextScorer | None) -> TextScorer | None:
        if scorer is None:
            return None
        if self._memo is None or self._memo.scorer is not scorer:
            self._memo = ScoreMemo(scorer)
        return self._memo

    def prompt_for(self, job: AsrJob) -> str | None:
        """The prompt for decoding `job`: the channel's previous final text if recent (see ChannelConfig)."""
        if not self.config.prompt_with_previous or not self._last_final:
            return None
        start = job.audio_end - len(job.audio) / SAMPLE_RATE
        return self._last_final if start - self._last_final_end <= self.config.prompt_within_s else None

    def _remember(self, job: AsrJob, t: Transcript) -> None:
        if job.final and self.config.prompt_with_previous and t.text and not t.looped:
            self._last_final, self._last_final_end = t.text, job.audio_end

    def is_stale(self, job: AsrJob) -> bool:
        """A partial for an utterance that is already final (or older than the current one)."""
        return not job.final and (job.utterance in self._finalized or job.utterance < self._utterance)

    def on_transcript(
        self,
        job: AsrJob,
        transcript: Transcript,
        now: float,
        scorer: TextScorer | None = None,
        echo: TeacherEcho | None = None,
    ) -> list[ev.Event]:
        """Events for one transcript. Room only: `scorer` rescores the answer space when the free text is no
        answer; `echo` holds what the lead teacher said recently (its words are never a student's answer)."""
        if transcript.looped:
            self.looped += 1
        self._remember(job, transcript)
        if self.config.source == "room":
            return self._answer(job, transcript, now, self._memo_for(scorer), echo)
        return self._caption(job, transcript, now)

    def _caption(self, job: AsrJob, t: Transcript, now: float) -> list[ev.Event]:
        if self.is_stale(job):
            return []
        if job.utterance != self._utterance:
            self._policy.reset()
            self._utterance = job.utterance
        if job.final:
            update = self._policy.finalize(t.tokens, now)
            self._finalized.add(job.utterance)
            if len(self._finalized) > 64:
                self._finalized = set(sorted(self._finalized)[-32:])
        else:
            update = self._policy.update(t.tokens, now)
        if not update.text:
            return []
        return [ev.CaptionUpdated(update.text, update.final, t.language, job.utterance, update.stable_text)]

    def _answer(
        self, job: AsrJob, t: Transcript, now: float, scorer: TextScorer | None, echo: TeacherEcho | None
    ) -> list[ev.Event]:
        if job.speculative:
            return []
        outcome, match, rescored = self._judge(job, t, now, scorer, echo)
        self.rescored += rescored
        if outcome == "echo":
            self.echoes += 1
        elif outcome == "unmatched":
            self.unmatched += 1
        elif outcome == "answer" and match is not None:
            self.answers += 1
            return [ev.AnswerHeard(match.answer, match.confidence, source="speech")]
        return []

    def _judge(
        self, job: AsrJob, t: Transcript, now: float, scorer: TextScorer | None, echo: TeacherEcho | None
    ) -> tuple[Literal["none", "echo", "unmatched", "answer"], AnswerMatch | None, bool]:
        """What a room transcript is (pure: no counters): (outcome, the answer, whether rescoring found it)."""
        if not job.final or job.request is None:
            return "none", None, False
        if echo is not None and t.text and echo.heard(t.text, now):
            return "echo", None, False
        request = job.request
        match = match_answer(t.text, request, t.confidence) if t.text else None
        # a short answer outside the accepted words may be a mishearing of one of them ("好珠" for "豪猪")
        outside = match is not None and request.qtype == "short_answer" and not in_space(match.answer, request)
        rescored = False
        if (match is None or outside) and scorer is not None and t.no_speech_prob < 0.9:
            found = rescore_answer(scorer, job.audio, t.text, request, self.config.rescore)
            if found.match is not None:
                if echo is not None and found.phrase and echo.heard(found.phrase, now):
                    return "echo", None, False  # what the model heard, read as an answer, is what the teacher said
                match, rescored = found.match, True
        if match is None or match.confidence < self.config.min_answer_confidence:
            return "unmatched", None, rescored
        return "answer", match, rescored


def transcribe_offline(
    audio: np.ndarray,
    transcriber: Transcriber,
    vad: SileroVad,
    segmenter: SegmenterConfig | None = None,
    chunk_s: float = 0.1,
    prompt_with_previous: bool = True,
    full_window: bool = True,
) -> list[tuple[AsrJob, Transcript]]:
    """A recording through the same VAD gate, segmenter and transcriber as the live path (finals only).

    For evaluation and tests: what the stage would caption, without threads or partials.
    """
    config = ChannelConfig.teacher(transcriber.options.language)
    config = dataclasses.replace(
        config,
        partial_every_s=None,
        segmenter=segmenter or config.segmenter,
        prompt_with_previous=prompt_with_previous,
    )
    front = ChannelFrontEnd(config, vad)
    back = ChannelBackEnd(config)
    n = max(1, round(chunk_s * SAMPLE_RATE))
    jobs: list[AsrJob] = []
    for i in range(0, len(audio), n):
        block = np.asarray(audio[i : i + n], np.float32)
        found, _ = front.feed(AudioChunk(block, i / SAMPLE_RATE, "teacher"), None)
        jobs += found
    found, _ = front.flush(len(audio) / SAMPLE_RATE, None)
    jobs += found
    out = []
    for job in jobs:
        transcript = transcriber.transcribe(job.audio, prompt=back.prompt_for(job), full_window=full_window)
        back.on_transcript(job, transcript, job.audio_end)
        out.append((job, transcript))
    return out

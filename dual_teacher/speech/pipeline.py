"""The speech pipeline for one audio source, without threads: front end (VAD, segmenter) and back end
(commit policy, answer matching). `dual_teacher.runtime.speech_stage.SpeechStage` runs these on threads
behind the session's InputStage protocol; benchmarks and tests drive them directly.

Front end (`ChannelFrontEnd.feed`, per audio chunk): Silero probabilities -> segmenter -> jobs for ASR.
- "teacher" (the lead teacher's audio): a partial job every `partial_every_s` while speech goes on, and a
  final job when the utterance ends -> captions.
- "room" (the classroom microphone): a final job only while the lesson listens for an answer (an
  `AnswerRequest` is open); otherwise only activity is measured and the audio is never transcribed.
Every utterance also yields `SpeechActivity(source, seconds)`.

Back end (`ChannelBackEnd.on_transcript`): teacher transcripts -> LocalAgreement-2 -> `CaptionUpdated`
(partial, then final); room transcripts -> `match_answer`, else the answer space rescored by the model
(`speech.answer_space`, when a scorer is given) -> `AnswerHeard(source="speech")`. An answer counts only at
`min_answer_confidence` or more, and never when it repeats what the lead teacher just said (`TeacherEcho`:
the room microphone hears the lesson video and the live stream too).

Privacy: audio stays in memory, in a ring of the last few seconds. Room transcripts are used only to match
an answer and are then dropped: only the matched answer (e.g. "B" or "13") leaves this module.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from dual_teacher.core import events as ev
from dual_teacher.media.audio import SAMPLE_RATE, AudioChunk
from dual_teacher.speech.answer_space import RescoreConfig, TextScorer, english_number, in_space, rescore_answer
from dual_teacher.speech.answers import AnswerMatch, AnswerRequest, match_answer
from dual_teacher.speech.asr import Transcriber, Transcript
from dual_teacher.speech.commit import LocalAgreement
from dual_teacher.speech.guard import collapse_repeats
from dual_teacher.speech.pinyin import same_sound
from dual_teacher.speech.text import keys, tokenize
from dual_teacher.speech.vad import (
    EnergyAssist,
    EnergyConfig,
    SegmenterConfig,
    SileroVad,
    SpeechStarted,
    StreamingSegmenter,
    Utterance,
)

SourceName = Literal["teacher", "room"]


TEACHER_SEGMENTER = SegmenterConfig(pre_roll_s=0.4, hangover_s=1.0, post_pad_s=0.4, max_utterance_s=25.0)
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
        """Captions: a partial transcription every second; finals over whole turns (pauses under 1 s stay
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


class AudioRing:
    """The last `seconds` of a stream, addressable by stream time."""

    def __init__(self, seconds: float) -> None:
        self.capacity = int(seconds * SAMPLE_RATE)
        self._buf = np.zeros(0, np.float32)
        self._start = 0  # sample index of _buf[0]

    @property
    def end(self) -> int:
        return self._start + len(self._buf)

    def append(self, samples: np.ndarray, t0: float) -> None:
        first = round(t0 * SAMPLE_RATE)
        if first != self.end:  # a gap (dropped audio) or a jump: start again at the new position
            if first > self.end and first - self.end < self.capacity:
                samples = np.concatenate([np.zeros(first - self.end, np.float32), samples])
            else:
                self._buf = np.zeros(0, np.float32)
                self._start = first
        self._buf = np.concatenate([self._buf, samples])
        extra = len(self._buf) - self.capacity
        if extra > 0:
            self._buf = self._buf[extra:]
            self._start += extra

    def slice(self, t_start: float, t_end: float) -> np.ndarray:
        a = max(self._start, round(t_start * SAMPLE_RATE))
        b = min(self.end, round(t_end * SAMPLE_RATE))
        return self._buf[a - self._start : b - self._start].copy() if b > a else np.zeros(0, np.float32)


class ChannelFrontEnd:
    """VAD, segmenter and audio ring for one source (see the module docstring)."""

    def __init__(self, config: ChannelConfig, vad: SileroVad) -> None:
        self.config = config
        self.vad = vad
        self.segmenter = StreamingSegmenter(config.segmenter)
        seg = config.segmenter
        self.energy = None if config.energy is None else EnergyAssist(seg.threshold, seg.neg_threshold, config.energy)
        self.ring = AudioRing(config.segmenter.max_utterance_s + config.segmenter.pre_roll_s + 2.0)
        self._audio_start: float | None = None
        self._index = -1
        self._last_partial = 0.0
        self._vad_t = 0.0  # stream time where the next VAD window starts
        self._fed = False
        self._speculated: tuple[int, float] | None = None  # (utterance, audio end) of the open speculation
        self.utterances = 0
        self.discarded = 0
        self.speech_s = 0.0

    @property
    def in_speech(self) -> bool:
        return self.segmenter.in_speech

    def feed(self, chunk: AudioChunk, request: AnswerRequest | None) -> tuple[list[AsrJob], list[ev.Event]]:
        """One audio chunk in; ASR jobs and activity events out. `request`: the answer being listened for."""
        if not self._fed or abs(chunk.t0 - self.ring.end / SAMPLE_RATE) > 1e-6:
            self._vad_t = chunk.t0  # first chunk, or audio was dropped upstream: the window grid restarts
            self.vad.reset()
            if self.energy is not None:
                self.energy.reset()
            self._fed = True
        self.ring.append(chunk.samples, chunk.t0)
        probs = self.vad.process(chunk.samples)
        levels = getattr(self.vad, "last_db", None)
        if self.energy is not None and levels is not None and len(levels) == len(probs):
            probs = self.energy.adjust(probs, levels)
        jobs: list[AsrJob] = []
        events: list[ev.Event] = []
        for seg_event in self.segmenter.push_many(probs, self._vad_t):
            self._on_segment(seg_event, request, jobs, events)
        self._vad_t += len(probs) * self.config.segmenter.window_s
        self._maybe_partial(chunk.end, jobs)
        self._maybe_speculate(request, jobs)
        return jobs, events

    def speculation_live(self, job: AsrJob) -> bool:
        """True while a speculative job's audio may still be the utterance's final audio (no speech since)."""
        return self._speculated == (job.utterance, job.audio_end)

    def flush(self, now: float, request: AnswerRequest | None) -> tuple[list[AsrJob], list[ev.Event]]:
        jobs: list[AsrJob] = []
        events: list[ev.Event] = []
        for seg_event in self.segmenter.flush(now):
            self._on_segment(seg_event, request, jobs, events)
        return jobs, events

    def _on_segment(self, e: object, request: AnswerRequest | None, jobs: list[AsrJob], events: list[ev.Event]) -> None:
        if isinstance(e, SpeechStarted):
            self._audio_start = e.audio_start
            self._index = e.index
            self._last_partial = e.audio_start
            return
        if not isinstance(e, Utterance):
            self.discarded += 1
            self._audio_start = None
            self._speculated = None
            return
        self._audio_start = None
        if self._speculated != (e.index, e.audio_end):
            self._speculated = None  # cut at a pause or at the length limit: other audio than speculated
        self.utterances += 1
        self.speech_s += e.speech_s
        events.append(ev.SpeechActivity(self.config.source, round(e.speech_s, 2)))
        if self.config.source == "room" and request is None:
            return  # not listening: the room is measured, never transcribed
        audio = self.ring.slice(e.audio_start, e.audio_end)
        if len(audio):
            jobs.append(AsrJob(self.config.source, e.index, audio, True, e.audio_end, e.end, request))

    def _maybe_speculate(self, request: AnswerRequest | None, jobs: list[AsrJob]) -> None:
        """A speculative final once the silence inside an utterance reaches `speculate_after_s`: its audio
        is what a close by silence gives (pre-roll to `post_pad_s` after the last speech), all of it already
        in the ring. Speech after it makes it stale (`speculation_live`)."""
        seg = self.segmenter
        held = self._speculated
        if (
            held is not None
            and seg.in_speech
            and held[0] == self._index
            and held[1] != seg.speech_end + seg.config.post_pad_s
        ):
            self._speculated = None  # speech resumed in the same utterance
        after = self.config.speculate_after_s
        if after is None or request is None or self._audio_start is None or not seg.in_speech:
            return
        cfg = seg.config
        if (
            seg.silence_s < max(after, cfg.post_pad_s) - 1e-9
            or seg.speech_end - seg.speech_start < cfg.min_speech_s - 1e-9
        ):
            return
        end = seg.speech_end + cfg.post_pad_s
        if self._speculated == (self._index, end):
            return
        self._speculated = (self._index, end)
        audio = self.ring.slice(self._audio_start, end)
        if len(audio):
            jobs.append(AsrJob(self.config.source, self._index, audio, True, end, seg.speech_end, request, True))

    def _maybe_partial(self, now: float, jobs: list[AsrJob]) -> None:
        every = self.config.partial_every_s
        if every is None or self._audio_start is None or not self.segmenter.in_speech:
            return
        silence = self.segmenter.silence_s
        tail = self.config.hangover_partial_s
        if silence > 0:
            # in the hang-over the final is coming (up to 1 s later, over the whole turn): one partial early
            # in it shows the last words meanwhile; no more, so the final never waits behind partials
            if tail is None or silence < tail - 1e-9 or self._last_partial >= now - silence - 1e-9:
                return
        elif now - self._last_partial < every - 1e-9:
            return
        if now - self._audio_start < self.config.min_partial_s:
            return
        self._last_partial = now
        audio = self.ring.slice(self._audio_start, now)
        jobs.append(AsrJob(self.config.source, self._index, audio, False, now, now))


class TeacherEcho:
    """What the lead teacher said in the last `window_s` seconds (the teacher channel's transcripts and the
    captions of the lesson video being played), to tell the teacher's voice on the room microphone from a
    student's answer. Pure: texts and `now` in.

    A room utterance is the teacher's when its words (at least `min_tokens` of them) appear in that order in
    one recent teacher text, or when a one-word utterance is in a teacher text said within `short_window_s`
    (a student saying "B" a minute after the teacher mentioned B still counts). Texts carry the time they are
    said (a caption cue's start may lie in the future of the moment its video starts). Chinese characters of
    an utterance of two or more match by sound too (`speech.pinyin`): Whisper writes the teacher's "豪猪" on
    the room microphone as "好珠" as readily as a child's.
    """

    def __init__(self, window_s: float = 15.0, short_window_s: float = 5.0, min_tokens: int = 2) -> None:
        self.window_s = window_s
        self.short_window_s = short_window_s
        self.min_tokens = min_tokens
        self._said: collections.deque[tuple[float, tuple[str, ...]]] = collections.deque(maxlen=64)

    def add(self, text: str, now: float) -> None:
        toks = tuple(_echo_keys(text))
        if toks:
            self._said.append((now, toks))

    def heard(self, text: str, now: float) -> bool:
        room = list(collapse_repeats(_echo_keys(text), max_unigram=1, max_phrase=1).tokens)  # "Yes, yes."
        if not room:
            return False
        for at, said in self._said:
            age = now - at
            if age > self.window_s or age < -self.window_s:
                continue
            if len(room) >= self.min_tokens and _contains(said, room, by_sound=True):
                return True
            if len(room) < self.min_tokens and abs(age) <= self.short_window_s and _contains(said, room):
                return True
        return False


def _echo_keys(text: str) -> list[str]:
    """Comparison words, numbers spelled out in English ("17" and "seventeen" are the same words)."""
    out: list[str] = []
    for k in keys(tokenize(text.replace("-", " "))):
        if k.isdigit() and len(k) <= 5:
            out += english_number(int(k)).replace("-", " ").split()
        else:
            out.append(k)
    return out


def _contains(seq: tuple[str, ...], part: list[str], by_sound: bool = False) -> bool:
    """`part` appears in `seq` in order; `by_sound`: a Chinese character may be one that reads the same."""
    n = len(part)
    for i in range(len(seq) - n + 1):
        window = seq[i : i + n]
        if list(window) == part:
            return True
        if by_sound and all(a == b or same_sound(a, b) for a, b in zip(window, part, strict=True)):
            return True
    return False


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

"""The speech front end of one source (`ChannelFrontEnd.feed`, per audio chunk): Silero probabilities ->
segmenter -> jobs for ASR, with the last seconds of audio in memory (`AudioRing`). See `speech.pipeline` for
what each channel does with them."""

from __future__ import annotations

import numpy as np

from dual_teacher.core import events as ev
from dual_teacher.media.audio import SAMPLE_RATE, AudioChunk
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.channel import AsrJob, ChannelConfig
from dual_teacher.speech.vad import EnergyAssist, SileroVad, SpeechStarted, StreamingSegmenter, Utterance


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
            # in the hang-over the final is coming (up to 2 s later, over the whole turn): one partial early
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

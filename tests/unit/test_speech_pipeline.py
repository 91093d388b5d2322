"""The thread-free speech pipeline (front end: VAD -> segmenter -> ASR jobs; back end: transcripts -> events)
with a fake VAD (loud = speech) and a fake transcriber: table-driven, no models, replayable."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.media.audio import SAMPLE_RATE, AudioChunk
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.asr import AsrConfig, Transcript
from dual_teacher.speech.channel import AsrJob, ChannelConfig
from dual_teacher.speech.front_end import AudioRing, ChannelFrontEnd
from dual_teacher.speech.pipeline import ChannelBackEnd
from dual_teacher.speech.text import tokenize
from dual_teacher.speech.vad import WINDOW


class LoudnessVad:
    """Stands in for Silero: a 512-sample window is speech when it is loud."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pending = np.zeros(0, np.float32)
        self.resets = getattr(self, "resets", -1) + 1

    def process(self, samples: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self._pending, samples])
        n = len(buf) // WINDOW
        self._pending = buf[n * WINDOW :]
        windows = buf[: n * WINDOW].reshape(n, WINDOW)
        return np.where(np.abs(windows).mean(axis=1) > 0.05, 0.95, 0.01).astype(np.float32)


def signal(*runs: tuple[str, float]) -> np.ndarray:
    """("speech" | "quiet", seconds) runs."""
    parts = [np.full(int(s * SAMPLE_RATE), 0.3 if kind == "speech" else 0.0, np.float32) for kind, s in runs]
    return np.concatenate(parts)


def feed(front: ChannelFrontEnd, audio: np.ndarray, request: AnswerRequest | None = None, chunk_s: float = 0.1):  # type: ignore[no-untyped-def]
    jobs: list[AsrJob] = []
    events: list[ev.Event] = []
    n = int(chunk_s * SAMPLE_RATE)
    for i in range(0, len(audio), n):
        j, e = front.feed(AudioChunk(audio[i : i + n], i / SAMPLE_RATE, front.config.source), request)
        jobs += j
        events += e
    j, e = front.flush(len(audio) / SAMPLE_RATE, request)
    return jobs + j, events + e


def transcript(text: str) -> Transcript:
    toks = tuple(tokenize(text))
    return Transcript(text, toks, "en", -0.2, 0.01, 1.0, 0, False, 0.1, 1.0)


NUMERIC = AnswerRequest("q", "numeric")


@pytest.mark.parametrize(
    ("channel", "request_", "expected_finals", "expected_partials", "expected_speculative"),
    [
        (ChannelConfig.room(), None, 0, 0, 0),  # the room is not transcribed unless listening
        # one speculative final per utterance, 0.3 s into its hang-over
        (ChannelConfig.room(), NUMERIC, 2, 0, 2),
        # partials once 1 s of audio is there, every second, and one 0.3 s into the hang-over:
        # 1.6 s, 2.6 s, 3.9 s (tail), 6.6 s, 7.2 s (tail); the 2.5 s pause is longer than the teacher's
        # 2 s hang-over, so the two turns are two finals
        (ChannelConfig.teacher(), None, 2, 5, 0),
    ],
)
def test_jobs_per_channel(
    channel: ChannelConfig,
    request_: AnswerRequest | None,
    expected_finals: int,
    expected_partials: int,
    expected_speculative: int,
) -> None:
    front = ChannelFrontEnd(channel, LoudnessVad())  # type: ignore[arg-type]
    jobs, events = feed(
        front, signal(("quiet", 1), ("speech", 2.5), ("quiet", 2.5), ("speech", 0.8), ("quiet", 2.5)), request_
    )
    assert sum(j.final and not j.speculative for j in jobs) == expected_finals
    assert sum(not j.final for j in jobs) == expected_partials
    assert sum(j.speculative for j in jobs) == expected_speculative
    assert [type(e) for e in events] == [ev.SpeechActivity, ev.SpeechActivity]
    assert all(isinstance(e, ev.SpeechActivity) and e.source == channel.source for e in events)
    assert [round(e.seconds, 1) for e in events if isinstance(e, ev.SpeechActivity)] == [2.5, 0.8]
    for j in jobs:
        assert j.request == (request_ if j.final else None)


def test_final_job_audio_spans_pre_roll_to_post_pad() -> None:
    front = ChannelFrontEnd(ChannelConfig.room(), LoudnessVad())  # type: ignore[arg-type]
    jobs, _ = feed(front, signal(("quiet", 1), ("speech", 1.0), ("quiet", 1.5)), NUMERIC)
    speculative, job = jobs
    assert speculative.speculative and np.array_equal(speculative.audio, job.audio)  # the same span, ahead
    cfg = front.config.segmenter
    assert len(job.audio) / SAMPLE_RATE == pytest.approx(1.0 + cfg.pre_roll_s + cfg.post_pad_s, abs=0.07)
    assert job.speech_end == pytest.approx(2.0, abs=0.04)
    assert job.audio_end == pytest.approx(job.speech_end + cfg.post_pad_s)


def test_a_gap_in_the_audio_restarts_the_vad_grid() -> None:
    vad = LoudnessVad()
    front = ChannelFrontEnd(ChannelConfig.room(), vad)  # type: ignore[arg-type]
    quiet = np.zeros(1600, np.float32)
    front.feed(AudioChunk(quiet, 0.0, "room"), None)
    front.feed(AudioChunk(quiet, 0.1, "room"), None)
    assert vad.resets == 1
    front.feed(AudioChunk(quiet, 0.5, "room"), None)  # 0.3 s were dropped upstream
    assert vad.resets == 2


def test_audio_ring_addresses_stream_time_and_forgets_old_audio() -> None:
    ring = AudioRing(seconds=1.0)
    ring.append(np.arange(16_000, dtype=np.float32), 0.0)
    ring.append(np.arange(16_000, 32_000, dtype=np.float32), 1.0)
    assert ring.slice(1.5, 1.5001)[0] == 24_000
    assert len(ring.slice(0.0, 0.5)) == 0  # forgotten
    ring.append(np.ones(1600, np.float32), 2.5)  # after a 0.5 s gap: zeros fill it
    assert ring.slice(2.0, 2.5).sum() == 0 and ring.slice(2.5, 2.6).sum() == 1600


CAPTION_STEPS = [
    # (utterance, final, heard, expected caption text, stable, final flag)
    (0, False, "ask not", "ask not", "", False),
    (0, False, "ask not what your", "ask not what your", "ask not", False),
    (0, True, "ask not what your country can do", "ask not what your country can do",
     "ask not what your country can do", True),
    (0, False, "late partial", None, None, None),  # a partial after the final is stale: dropped
    (1, False, "for you", "for you", "", False),
]  # fmt: skip


def test_teacher_captions_firm_up_per_utterance() -> None:
    back = ChannelBackEnd(ChannelConfig.teacher())
    for t, (utt, final, heard, text, stable, is_final) in enumerate(CAPTION_STEPS):
        job = AsrJob("teacher", utt, np.zeros(10, np.float32), final, float(t), float(t))
        out = back.on_transcript(job, transcript(heard), float(t))
        if text is None:
            assert out == []
            continue
        (caption,) = out
        assert isinstance(caption, ev.CaptionUpdated)
        assert (caption.text, caption.stable, caption.final, caption.utterance) == (text, stable, is_final, utt)


@pytest.mark.parametrize(
    ("final", "request_", "heard", "expected"),
    [
        (True, NUMERIC, "Thirteen.", ev.AnswerHeard("13", 0.737, "speech")),
        (True, NUMERIC, "I like dogs", None),
        (True, None, "Thirteen.", None),  # not listening
        (False, NUMERIC, "Thirteen.", None),  # partials never answer
    ],
)
def test_room_answers(final: bool, request_: AnswerRequest | None, heard: str, expected: ev.Event | None) -> None:
    back = ChannelBackEnd(ChannelConfig.room())
    job = AsrJob("room", 0, np.zeros(10, np.float32), final, 1.0, 1.0, request_)
    out = back.on_transcript(job, transcript(heard), 1.0)
    assert out == ([] if expected is None else [expected])


def test_language_defaults() -> None:
    en, zh = AsrConfig.for_language("en"), AsrConfig.for_language("zh-Hans")
    assert (en.model, en.language, en.simplified_chinese) == ("tiny.en", "en", False)
    assert (zh.model, zh.language, zh.simplified_chinese) == ("base", "zh", True)
    assert zh.initial_prompt is None  # no fixed prompt: it leaked into short answers; OpenCC makes Simplified
    assert AsrConfig.for_language("en", beam_size=1).beam_size == 1


# ---- speculative finals (room): decoded and judged inside the hang-over, published by the final ---------------
class CountingTranscriber:
    """Stands in for Whisper, counted: audio under 1.5 s is "Twelve.", longer audio "Huh?" (no answer: the
    rescoring decides)."""

    options = AsrConfig()

    def __init__(self) -> None:
        self.decoded: list[int] = []  # samples of each decoded audio

    def transcribe(
        self,
        audio: np.ndarray,
        partial: bool = False,
        prompt: str | None = None,
        full_window: bool = False,
        fallback: bool = True,
    ) -> Transcript:
        assert (partial, prompt, full_window, fallback) == (False, None, False, False)  # the room's answers
        self.decoded.append(len(audio))
        return transcript("Twelve." if len(audio) < 1.5 * SAMPLE_RATE else "Huh?")


class LengthScorer:
    """Stands in for the model's rescoring: audio under 1.5 s sounds like "12", longer audio like "13"."""

    def __init__(self) -> None:
        self.calls = 0

    def score_texts(self, audio: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        self.calls += 1
        heard = "12" if len(audio) < 1.5 * SAMPLE_RATE else "13"
        return [-0.3 if t == "Huh?" else (-0.2 if t.rstrip(".") == heard else -4.0) for t in texts]


def run_room(audio: np.ndarray, speculate: bool, asr_lag_chunks: int = 0):  # type: ignore[no-untyped-def]
    """Feed a room channel in 100 ms chunks on a fake clock, as SpeechStage does, with an ASR thread that takes
    each job `asr_lag_chunks` chunks after it was queued. Returns (events, transcriber, scorer, back end)."""
    config = ChannelConfig.room()
    if not speculate:
        config = dataclasses.replace(config, speculate_after_s=None)
    request = AnswerRequest("q", "numeric", space=(("13", "13"),))
    front = ChannelFrontEnd(config, LoudnessVad())  # type: ignore[arg-type]
    back = ChannelBackEnd(config)
    transcriber, scorer, clock = CountingTranscriber(), LengthScorer(), FakeClock()
    queue: list[tuple[int, AsrJob]] = []
    events: list[ev.Event] = []

    def asr(until: int) -> None:
        while queue and queue[0][0] <= until:
            _, job = queue.pop(0)
            if job.speculative and not front.speculation_live(job):
                continue  # the stage skips a speculation that speech has overtaken
            heard, _ = back.transcribe(job, transcriber)  # type: ignore[arg-type]
            if job.speculative:
                back.speculate(job, heard, clock.monotonic(), scorer)
            else:
                events.extend(back.on_transcript(job, heard, clock.monotonic(), scorer))

    n = SAMPLE_RATE // 10
    for k, i in enumerate(range(0, len(audio), n)):
        jobs, _ = front.feed(AudioChunk(audio[i : i + n], i / SAMPLE_RATE, "room"), request)
        queue += [(k + asr_lag_chunks, j) for j in jobs]
        clock.advance(0.1)
        asr(k)
    jobs, _ = front.flush(len(audio) / SAMPLE_RATE, request)
    queue += [(10**9, j) for j in jobs]
    asr(10**9)
    return [e for e in events if isinstance(e, ev.AnswerHeard)], transcriber, scorer, back


@pytest.mark.parametrize("lag", [0, 2])
def test_a_speculative_final_publishes_what_the_final_would_at_once(lag: int) -> None:
    # no speech after the pause: the final takes the speculation's decode and rescoring, decodes nothing
    audio = signal(("quiet", 1), ("speech", 1.0), ("quiet", 1.5))
    heard, transcriber, scorer, back = run_room(audio, speculate=True, asr_lag_chunks=lag)
    plain, plain_transcriber, plain_scorer, _ = run_room(audio, speculate=False, asr_lag_chunks=lag)
    assert heard == plain == [ev.AnswerHeard("13", heard[0].confidence, "speech")]  # 1.6 s of audio: "13"
    assert len(transcriber.decoded) == len(plain_transcriber.decoded) == 1
    assert scorer.calls == plain_scorer.calls == 1
    assert (back.speculations, back.speculations_used, back.rescored, back.answers) == (1, 1, 1, 1)


@pytest.mark.parametrize(
    ("tail_s", "lag", "speculations", "used"),
    [
        (1.5, 0, 2, 1),  # the first speculation decoded before speech resumed, dropped; the second one reused
        (1.5, 4, 1, 1),  # the first overtaken by speech before the ASR thread took it: never decoded
        (0.0, 0, 1, 0),  # the stream ends in speech: the final (flushed) decodes its own audio
    ],
)
def test_a_speculation_is_dropped_when_speech_resumes(tail_s: float, lag: int, speculations: int, used: int) -> None:
    # a 0.45 s pause (a speculation of the first word: "Twelve."), then more speech: the final covers it all
    audio = signal(("quiet", 1), ("speech", 0.5), ("quiet", 0.45), ("speech", 0.5), ("quiet", tail_s))
    heard, transcriber, _, back = run_room(audio, speculate=True, asr_lag_chunks=lag)
    plain, plain_transcriber, _, _ = run_room(audio, speculate=False, asr_lag_chunks=lag)
    assert heard == plain and [e.answer for e in heard] == ["13"]  # never the speculation's "12"
    assert plain_transcriber.decoded == [transcriber.decoded[-1]]  # the final's audio: the whole utterance
    assert (back.speculations, back.speculations_used) == (speculations, used)
    assert len(transcriber.decoded) == speculations + 1 - used


def test_a_score_memo_scores_each_audio_once() -> None:
    from dual_teacher.speech.pipeline import ScoreMemo

    scorer = LengthScorer()
    memo = ScoreMemo(scorer)
    short, long = np.zeros(SAMPLE_RATE, np.float32), np.zeros(2 * SAMPLE_RATE, np.float32)
    first = memo.score_texts(short, ["12", "13"])
    assert memo.score_texts(short.copy(), ["12", "13"]) == first and (scorer.calls, memo.hits) == (1, 1)
    assert memo.score_texts(short, ["12", "13"], prompt="12, 13") == first and scorer.calls == 2  # another prompt
    assert memo.score_texts(long, ["12", "13"]) != first and scorer.calls == 3  # another audio
    assert memo.score_texts(short, ["12", "13"]) == first and scorer.calls == 4  # only the last audio is kept

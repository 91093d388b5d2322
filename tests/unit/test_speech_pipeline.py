"""The thread-free speech pipeline (front end: VAD -> segmenter -> ASR jobs; back end: transcripts -> events)
with a fake VAD (loud = speech) and a fake transcriber: table-driven, no models, replayable."""

from __future__ import annotations

import numpy as np
import pytest

from dual_teacher.core import events as ev
from dual_teacher.media.audio import SAMPLE_RATE, AudioChunk
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.asr import AsrConfig, Transcript
from dual_teacher.speech.pipeline import AsrJob, AudioRing, ChannelBackEnd, ChannelConfig, ChannelFrontEnd
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
    ("channel", "request_", "expected_finals", "expected_partials"),
    [
        (ChannelConfig.room(), None, 0, 0),  # the room is not transcribed unless listening
        (ChannelConfig.room(), NUMERIC, 2, 0),
        # partials once 1 s of audio is there, every second, and one 0.3 s into the hang-over:
        # 1.6 s, 2.6 s, 3.8 s (tail), 5.6 s, 6.1 s (tail)
        (ChannelConfig.teacher(), None, 2, 5),
    ],
)
def test_jobs_per_channel(
    channel: ChannelConfig, request_: AnswerRequest | None, expected_finals: int, expected_partials: int
) -> None:
    front = ChannelFrontEnd(channel, LoudnessVad())  # type: ignore[arg-type]
    jobs, events = feed(
        front, signal(("quiet", 1), ("speech", 2.5), ("quiet", 1.5), ("speech", 0.8), ("quiet", 1.5)), request_
    )
    assert sum(j.final for j in jobs) == expected_finals
    assert sum(not j.final for j in jobs) == expected_partials
    assert [type(e) for e in events] == [ev.SpeechActivity, ev.SpeechActivity]
    assert all(isinstance(e, ev.SpeechActivity) and e.source == channel.source for e in events)
    assert [round(e.seconds, 1) for e in events if isinstance(e, ev.SpeechActivity)] == [2.5, 0.8]
    for j in jobs:
        assert j.request == (request_ if j.final else None)


def test_final_job_audio_spans_pre_roll_to_post_pad() -> None:
    front = ChannelFrontEnd(ChannelConfig.room(), LoudnessVad())  # type: ignore[arg-type]
    jobs, _ = feed(front, signal(("quiet", 1), ("speech", 1.0), ("quiet", 1.5)), NUMERIC)
    (job,) = jobs
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

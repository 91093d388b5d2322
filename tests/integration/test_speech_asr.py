"""Real models on real recordings: Silero VAD, Whisper tiny.en and base through the live path's pieces.

The recordings come from ../shared/data (never copied into the project); the tests skip when it is absent.
No timing assertions: speed is measured by benchmarks/bench_asr.py.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from dual_teacher.core.errors import DeviceUnavailable
from dual_teacher.media.audio import SAMPLE_RATE, AudioFileSource, MicrophoneSource, decode_audio
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber, to_simplified
from dual_teacher.speech.pipeline import transcribe_offline
from dual_teacher.speech.vad import SileroVad
from tests.conftest import SHARED_DATA
from tests.conftest import needs_data as _needs_data

SPEECH = SHARED_DATA / "speech"
needs_data = _needs_data(SPEECH / "references.tsv")
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")


@pytest.fixture(scope="module")
def tiny() -> FasterWhisperTranscriber:
    t = FasterWhisperTranscriber(AsrConfig.for_language("en"))
    t.load()
    return t


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def _words(text: str) -> list[str]:
    return "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text.casefold()).split()


@needs_data
@pytest.mark.parametrize(
    ("clip", "reference"),
    [
        ("en_sb_harvard_spk1_snt1.wav", "the child almost hurt the small dog"),
        ("en_sb_harvard_example1.wav", "the birch canoe slid on the smooth planks"),
        ("en_ljspeech_LJ001-0002.flac", "in being comparatively modern"),
        ("en_azure_whatstheweatherlike.wav", "what s the weather like"),
    ],
)
def test_tiny_en_transcribes_read_speech(
    clip: str, reference: str, tiny: FasterWhisperTranscriber, vad: SileroVad
) -> None:
    vad.reset()
    results = transcribe_offline(decode_audio(SPEECH / clip), tiny, vad)
    assert results, "the VAD found no speech"
    heard = _words(" ".join(t.text for _, t in results))
    assert heard == reference.split()
    assert all(not t.looped and 0 < t.confidence <= 1 for _, t in results)


@needs_data
def test_numbers_come_out_as_digits_or_words(tiny: FasterWhisperTranscriber, vad: SileroVad) -> None:
    vad.reset()
    (result,) = transcribe_offline(decode_audio(SPEECH / "en_ps_goforward.wav"), tiny, vad)
    assert _words(result[1].text) in (["go", "forward", "10", "meters"], ["go", "forward", "ten", "meters"])


def _non_speech(seconds: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    pink = np.cumsum(rng.normal(size=n)).astype(np.float32)
    pink -= np.convolve(pink, np.ones(400) / 400, "same").astype(np.float32)
    pink *= 0.003 / (pink.std() + 1e-9)
    hum = 0.002 * np.sin(2 * np.pi * 50 * t)
    knocks = np.zeros(n, np.float32)
    for start in rng.integers(0, n - 4000, size=int(seconds / 3)):
        knocks[start : start + 4000] += (0.2 * np.exp(-np.arange(4000) / 400) * np.sin(np.arange(4000) * 0.1)).astype(
            np.float32
        )
    return {
        "digital silence": np.zeros(n, np.float32),
        "dither": (rng.normal(size=n) * 1e-4).astype(np.float32),
        "room tone": (pink + hum).astype(np.float32),
        "knocks": (pink + knocks).astype(np.float32),
    }


@pytest.mark.parametrize("kind", ["digital silence", "dither", "room tone", "knocks"])
def test_silence_and_noise_give_zero_words(kind: str, tiny: FasterWhisperTranscriber, vad: SileroVad) -> None:
    vad.reset()
    results = transcribe_offline(_non_speech(30.0, 7)[kind], tiny, vad)
    assert [t.text for _, t in results if t.text] == []


@needs_data
def test_streamed_vad_equals_faster_whispers_batch_vad(vad: SileroVad) -> None:
    from faster_whisper.vad import get_vad_model

    audio = decode_audio(SPEECH / "en_jfk.flac")
    n = len(audio) // 512 * 512
    batch = np.asarray(get_vad_model()(audio[:n].copy())).reshape(-1)
    vad.reset()
    streamed = np.concatenate([vad.process(audio[i : i + 1000]) for i in range(0, n, 1000)])
    # faster-whisper zeroes the last 64 samples of its input in place (a view of the context rows), which
    # changes its last window only: compare the others.
    np.testing.assert_allclose(streamed[: len(batch) - 1], batch[:-1], atol=1e-5)


@needs_data
def test_mandarin_comes_out_in_simplified_characters() -> None:
    base = FasterWhisperTranscriber(AsrConfig.for_language("zh"))
    results = transcribe_offline(decode_audio(SPEECH / "zh_paddlespeech_zh_demo.wav"), base, SileroVad())
    text = "".join(t.text for _, t in results)
    assert to_simplified(text) == text
    reference = "我认为跑步最重要的就是给我带来了身体健康"
    heard = [ch for ch in text if ch.isalnum()]
    assert sum(a == b for a, b in zip(heard, reference, strict=False)) >= len(reference) - 3


def test_traditional_characters_are_converted() -> None:
    assert to_simplified("我認為跑步最重要的就是給我帶來了身體健康") == "我认为跑步最重要的就是给我带来了身体健康"


@needs_data
def test_file_source_resamples_and_chunks_without_loss() -> None:
    path = SPEECH / "zh_sr_za_ziji_de_jiao.flac"  # 48 kHz
    whole = decode_audio(path)
    source = AudioFileSource(path, name="clip", pace="backpressure", chunk_s=0.1, queue_s=0.5)
    source.start()
    chunks = []
    while not (source.finished and not len(source.queue)):
        chunk = source.queue.get(timeout=0.5)
        if chunk is not None:
            chunks.append(chunk)
    assert source.join(5)
    assert source.dropped == 0 and source.error is None
    assert all(c.samples.dtype == np.float32 and c.samples.ndim == 1 for c in chunks)
    assert [round(c.t0, 4) for c in chunks] == [round(i * 0.1, 4) for i in range(len(chunks))]
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), whole)
    assert abs(len(whole) / SAMPLE_RATE - 0.96) < 0.05


@needs_data
def test_file_source_thread_is_named_and_joins_when_stopped() -> None:
    source = AudioFileSource(SPEECH / "en_jfk.flac", name="teacher", pace="realtime")
    source.start()
    assert "audio-teacher" in [t.name for t in threading.enumerate()]
    source.stop()
    assert source.join(5)
    assert source.finished


@needs_data
def test_stereo_channels_can_be_taken_apart() -> None:
    path = SPEECH / "en_fw_stereo_diarization.wav"
    left, right, mono = decode_audio(path, 0), decode_audio(path, 1), decode_audio(path)
    assert len(left) == len(right) == len(mono)
    assert not np.allclose(left, right)


def test_a_full_bounded_queue_drops_the_oldest_and_counts() -> None:
    from dual_teacher.media.audio import ArraySource

    source = ArraySource(np.zeros(SAMPLE_RATE * 3, np.float32), pace="none", chunk_s=0.1, queue_s=1.0)
    source.start()
    assert source.join(5)
    assert len(source.queue) == 10
    assert source.dropped == 20
    assert source.queue.get(0).t0 == pytest.approx(2.0)  # type: ignore[union-attr]


def test_missing_microphone_is_a_device_error_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Here there is no sound card (and maybe no PortAudio): the error says what to do, it does not crash."""
    try:
        import sounddevice

        if sounddevice.query_devices(kind="input"):
            pytest.skip("this machine has a microphone")
    except (ImportError, OSError, ValueError, Exception):  # noqa: BLE001 - any failure here means no microphone
        pass
    with pytest.raises(DeviceUnavailable) as err:
        MicrophoneSource().start()
    assert err.value.hint


def test_missing_sounddevice_package_is_a_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(DeviceUnavailable, match="sounddevice"):
        MicrophoneSource().start()


@needs_data
def test_texts_are_scored_with_and_without_a_prompt(tiny: FasterWhisperTranscriber) -> None:
    """Forced decoding scores every text to its end, also after a prompt (whose tokens count towards the
    generation length): the spoken words are likelier than others, and the prompt changes the scores."""
    audio = decode_audio(SPEECH / "en_tflm_yes_1000ms.wav")
    texts = ["Yes.", "No.", "The child almost hurt the small dog."]
    plain = tiny.score_texts(audio, texts)
    prompted = tiny.score_texts(audio, texts, prompt="Yes., No., True., False., Right., Wrong.")
    for scores in (plain, prompted):
        assert all(np.isfinite(s) for s in scores)
        assert scores[0] > scores[1] and scores[0] > scores[2]
    assert prompted != plain
    assert tiny.score_texts(audio, texts, prompt="") == plain

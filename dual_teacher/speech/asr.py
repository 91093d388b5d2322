"""ASR: the `Transcriber` protocol and its faster-whisper adapter (CTranslate2, int8, on the CPU).

Models come only from the model registry (`ModelRegistry().whisper_dir`): tiny.en for English, the
multilingual base model for Mandarin. Nothing is downloaded: HF_HUB_OFFLINE is set before faster_whisper
is imported.

Hallucination defences here (the VAD gate and the commit policy live elsewhere):
- no conditioning on previous text inside an utterance; the caller may pass the channel's previous final
  text as the prompt (context across utterances). No fixed prompt: a fixed prompt leaks into the output on
  short or unclear audio. If the output is only a piece of the prompt, it is decoded again without one;
- Whisper's temperature fallback on compression ratio / log-probability, then our own filter per segment:
  likely non-speech (`no_speech_threshold` with a low log-probability) or a best decoding under
  `drop_below_logprob` is dropped; a segment over `compression_ratio_threshold` is a loop: it is trimmed to
  its first occurrence (`speech.guard.collapse_repeats`) and kept if that reads like text, never dropped whole;
- bracketed non-speech tags ("[Music]") are removed and repeated phrases collapsed (`speech.guard`).

Speed: the encoder sees a window of `encoder_context_s` (15 s by default) instead of Whisper's 30 s of
zero-padded features; see `_whisper_class`. Caption finals (`full_window=True`) see the full 30 s window and
decode with timestamp tokens, as an offline `WhisperModel.transcribe` does (`AsrConfig.timestamps_in_finals`).

Mandarin comes out in Simplified characters: the base model writes Traditional characters by default and
every one is converted with OpenCC's t2s table (opencc-python-reimplemented, Apache-2.0).

Audio passed in is never kept; transcripts are returned, not stored.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.speech.guard import collapse_repeats, compression_ratio, strip_annotations
from dual_teacher.speech.text import detokenize, key, tokenize

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class AsrConfig:
    model: str = "tiny.en"
    language: str = "en"
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 5
    partial_beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    drop_below_logprob: float | None = -1.5
    initial_prompt: str | None = None  # a fixed prompt for every utterance (none by default: it can leak)
    max_prompt_chars: int = 200  # a longer previous text is cut to its end
    simplified_chinese: bool = False
    # Encoder window: at least this many seconds (and audio + 1 s); None or 30: Whisper's full 30 s window.
    # 15 s kept WER/CER on the shared clips (eval_asr.py) and halved latency on 2 busy cores (bench_asr.py).
    encoder_context_s: float | None = 15.0
    # Full-window finals (`transcribe(full_window=True)`, the captions) decode with Whisper's timestamp tokens,
    # as an offline `WhisperModel.transcribe` does: English WER 8.2 -> 7.3 % on the 52 dev items
    # (eval_asr.py: "woodcutters", "Yes, a lake", "Next man" came back). Partials and short-window finals
    # (the room's answers) keep the cheaper text-only decoding.
    timestamps_in_finals: bool = True
    device: str = "cpu"  # CTranslate2 device: "cpu" or "cuda" (a hardware profile's asr.device)

    @classmethod
    def for_language(cls, language: str, **overrides: Any) -> AsrConfig:
        """Defaults per language: English on tiny.en; Mandarin ("zh") on base, Simplified out."""
        if language == "en":
            base: dict[str, Any] = {"model": "tiny.en", "language": "en"}
        elif language in ("zh", "zh-Hans", "zh-CN"):
            base = {"model": "base", "language": "zh", "simplified_chinese": True}
        else:
            base = {"model": "base", "language": language}
        return cls(**{**base, **overrides})


@dataclasses.dataclass(frozen=True)
class Transcript:
    text: str
    tokens: tuple[str, ...]
    language: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    dropped_segments: int
    looped: bool
    seconds: float  # compute time
    audio_s: float

    @property
    def confidence(self) -> float:
        """exp(mean token log-probability) of the kept text, 0 with no text."""
        return 0.0 if not self.tokens else max(0.0, min(1.0, math.exp(self.avg_logprob)))


class Transcriber(Protocol):
    options: AsrConfig

    def transcribe(
        self,
        audio: np.ndarray,
        partial: bool = False,
        prompt: str | None = None,
        full_window: bool = False,
        fallback: bool = True,
    ) -> Transcript: ...


@cache
def _t2s() -> Any:
    import opencc  # type: ignore[import-untyped]

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese characters (OpenCC t2s phrases and characters)."""
    return str(_t2s().convert(text)) if text else text


def whisper_model_class() -> Any:
    """faster-whisper's `WhisperModel`, imported with the model hub switched off (models come from the cache
    the project builds, never from the network); a missing package is a `ModelLoadError` that says what to do."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelLoadError("faster-whisper is not installed", hint="pip install 'dual-teacher[speech]'") from exc
    return WhisperModel


def _whisper_class(context_s: float | None) -> Any:
    """faster-whisper's WhisperModel; with `context_s`, one that encodes a shorter window than 30 s.

    faster-whisper pads every window's features with zeros to 3000 frames (30 s) and the encoder's cost
    grows with that length (tiny.en: ~0.9 s for 3000 frames, ~0.14 s for 1000 on 2 busy cores). CTranslate2
    accepts shorter inputs, so the zero padding beyond max(context, content + 1 s) is cut before encoding.
    Accuracy must be checked with benchmarks/eval_asr.py (Whisper was trained on 30 s windows).
    """
    whisper_model_class()  # the model hub off, and a clear error without the package
    from faster_whisper import WhisperModel

    if context_s is None or context_s >= 30:
        return WhisperModel
    min_frames = max(100, int(context_s * 100))

    class ShortContextWhisper(WhisperModel):  # type: ignore[misc]
        full_window = False  # set by the transcriber for one decode: Whisper's own 30 s window
        window_frames: int | None = None  # set for one call: this minimum window instead of `context_s`

        def encode(self, features: np.ndarray) -> Any:
            if self.full_window:
                return super().encode(features)
            cols = np.flatnonzero(np.any(features != 0, axis=-2).reshape(-1))
            content = int(cols[-1]) + 1 if len(cols) else 0
            least = min_frames if self.window_frames is None else self.window_frames
            frames = min(features.shape[-1], max(least, content + 100))
            frames += frames % 2  # the encoder's convolution has stride 2
            return super().encode(np.ascontiguousarray(features[..., :frames]))

    return ShortContextWhisper


class FasterWhisperTranscriber:
    """faster-whisper `WhisperModel` behind the `Transcriber` protocol. Load once, call from one thread."""

    def __init__(self, options: AsrConfig | None = None, model_dir: Path | None = None) -> None:
        self.options = options or AsrConfig()
        self._model_dir = model_dir
        self._model: Any = None
        self._lock = threading.Lock()
        self.load_s: float | None = None

    @property
    def model_dir(self) -> Path:
        if self._model_dir is None:
            from dual_teacher.inference.registry import ModelRegistry

            self._model_dir = ModelRegistry().whisper_dir(self.options.model)
        return self._model_dir

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            t0 = time.perf_counter()
            model_class = _whisper_class(self.options.encoder_context_s)
            folder = self.model_dir
            try:
                self._model = model_class(
                    str(folder),
                    device=self.options.device,
                    compute_type=self.options.compute_type,
                    cpu_threads=self.options.cpu_threads,
                    num_workers=1,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelLoadError(
                    f"cannot load Whisper {self.options.model} from {folder}: {exc}",
                    hint="run `dual-teacher models verify`",
                ) from exc
            self.load_s = time.perf_counter() - t0
            log.info("Whisper %s loaded in %.2f s (%s)", self.options.model, self.load_s, self.options.compute_type)

    def backend(self) -> dict[str, str]:
        """What CTranslate2 really runs on (it may pick another compute type than asked): device, compute type."""
        self.load()
        model = self._model.model
        return {"device": str(model.device), "compute_type": str(model.compute_type)}

    def warmup(self) -> float:
        """Decode one second of quiet noise so the first utterance is not slow; returns seconds taken."""
        self.load()
        noise = np.random.default_rng(0).normal(0, 1e-3, 16_000).astype(np.float32)
        return self.transcribe(noise).seconds

    def transcribe(
        self,
        audio: np.ndarray,
        partial: bool = False,
        prompt: str | None = None,
        full_window: bool = False,
        fallback: bool = True,
    ) -> Transcript:
        """Decode one utterance (16 kHz mono float32). `partial` uses the cheaper partial settings; `prompt`
        (e.g. the channel's previous final text) gives context. An output that is only a piece of the prompt
        is a leak: the utterance is decoded again without the prompt. `full_window`: encode Whisper's whole
        30 s window as an offline decode does (slower; for caption finals), not `encoder_context_s`.
        `fallback=False`: no temperature fallback (sampling makes a decode random: "1, 7" once came back as
        "177"); spoken answers use the answer space's rescoring instead. Full-window finals decode with
        timestamp tokens (`AsrConfig.timestamps_in_finals`)."""
        self.load()
        if hasattr(self._model, "full_window"):
            self._model.full_window = full_window
        timestamps = full_window and not partial and self.options.timestamps_in_finals
        try:
            return self._transcribe(audio, partial or not fallback, prompt, partial, timestamps)
        finally:
            if hasattr(self._model, "full_window"):
                self._model.full_window = False

    def _transcribe(
        self, audio: np.ndarray, greedy_temps: bool, prompt: str | None, partial: bool, timestamps: bool = False
    ) -> Transcript:
        t0 = time.perf_counter()
        prompt = prompt if prompt else self.options.initial_prompt
        if prompt and len(prompt) > self.options.max_prompt_chars:
            prompt = prompt[-self.options.max_prompt_chars :]
        result = self._decode(audio, partial, prompt, greedy_temps, timestamps)
        if prompt and result.tokens and prompt_leaked(result.tokens, prompt):
            result = self._decode(audio, partial, None, greedy_temps, timestamps)
        return dataclasses.replace(result, seconds=time.perf_counter() - t0)

    def _decode(
        self, audio: np.ndarray, partial: bool, prompt: str | None, first_temp_only: bool, timestamps: bool = False
    ) -> Transcript:
        """One faster-whisper decode, judged per segment. `timestamps`: with Whisper's timestamp tokens (the
        way it was mostly trained and an offline decode runs; the text may then come in several segments)."""
        o = self.options
        segments, _info = self._model.transcribe(
            np.asarray(audio, np.float32),
            language=o.language,
            task="transcribe",
            beam_size=o.partial_beam_size if partial else o.beam_size,
            temperature=list(o.temperatures[:1] if first_temp_only else o.temperatures),
            compression_ratio_threshold=o.compression_ratio_threshold,
            log_prob_threshold=o.log_prob_threshold,
            no_speech_threshold=o.no_speech_threshold,
            condition_on_previous_text=False,
            initial_prompt=prompt,
            without_timestamps=not timestamps,
            vad_filter=False,
        )
        kept: list[str] = []
        logprobs: list[tuple[float, int]] = []
        dropped = 0
        no_speech = 0.0
        ratio = 0.0
        looped = False
        for seg in segments:
            no_speech = max(no_speech, float(seg.no_speech_prob))
            ratio = max(ratio, float(seg.compression_ratio))
            raw = strip_annotations(seg.text)
            if o.simplified_chinese:
                raw = to_simplified(raw)
            text, trimmed = self._judge(seg, raw)
            looped = looped or trimmed
            if text is None:
                dropped += 1
                continue
            if text:
                kept.append(text)
                logprobs.append((float(seg.avg_logprob), max(1, len(seg.tokens))))
        guarded = collapse_repeats(tokenize(" ".join(kept)))
        n = sum(w for _, w in logprobs)
        avg = sum(lp * w for lp, w in logprobs) / n if n else -math.inf
        return Transcript(
            text=detokenize(guarded.tokens),
            tokens=guarded.tokens,
            language=o.language,
            avg_logprob=avg,
            no_speech_prob=no_speech,
            compression_ratio=ratio,
            dropped_segments=dropped,
            looped=guarded.looped or looped,
            seconds=0.0,
            audio_s=len(audio) / 16_000,
        )

    def _judge(self, seg: Any, text: str) -> tuple[str | None, bool]:
        """(text to keep or None to drop the segment, whether a loop was trimmed)."""
        o = self.options
        if seg.no_speech_prob > o.no_speech_threshold and seg.avg_logprob < o.log_prob_threshold:
            return None, False  # likely non-speech
        if o.drop_below_logprob is not None and seg.avg_logprob < o.drop_below_logprob:
            return None, False
        if seg.compression_ratio <= o.compression_ratio_threshold:
            return text, False
        trimmed = collapse_repeats(tokenize(text), max_unigram=2, max_phrase=1)
        out = detokenize(trimmed.tokens)
        if trimmed.looped and compression_ratio(out) <= o.compression_ratio_threshold:
            return out, True  # a loop, cut back to its first occurrence
        return None, False

    def score_texts(self, audio: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        """The model's mean log-probability per token of each text (plus its end) for this audio.
        `prompt`: previous text the model is conditioned on (Whisper's prompt), as a decode's `initial_prompt`.

        Forced decoding in one batch: CTranslate2 treats tokens after the start sequence as a forced prefix
        and returns the distribution at every position (`return_logits_vocab`), so each text costs one
        decoder pass over the shared encoding. -inf for an empty text.
        """
        self.load()
        if not texts:
            return []
        import ctranslate2
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        m = self._model
        o = self.options
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language=o.language)
        features = m.feature_extractor(np.asarray(audio, np.float32))[..., :-1]
        if hasattr(m, "window_frames"):  # scoring compares texts on one encoding: the audio + 1 s is enough
            m.window_frames = 300
        try:
            encoded = np.asarray(m.encode(pad_or_trim(features)))
        finally:
            if hasattr(m, "window_frames"):
                m.window_frames = None
        previous = tok.encode(" " + prompt.strip()) if prompt and prompt.strip() else []
        sot = m.get_prompt(tok, previous, without_timestamps=True)
        ids = [tok.encode(" " + t.strip()) if t.strip() else [] for t in texts]
        live = [i for i, x in enumerate(ids) if x]
        scores = [-math.inf] * len(texts)
        if not live:
            return scores
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(live), axis=0)))
        longest = max(len(ids[i]) for i in live)
        results = m.model.generate(
            batch,
            [sot + ids[i] for i in live],
            beam_size=1,
            # measured with CTranslate2 4.x: a forced prefix of n tokens returns about max_length / 2 rows;
            # 2 (n + 1) + 1 gives every row up to the end token without decoding much past it
            # (the prompt's tokens count towards max_length too)
            max_length=2 * (longest + 1) + 1 + len(sot) - len(m.get_prompt(tok, [], without_timestamps=True)),
            return_logits_vocab=True,
            suppress_blank=False,
            suppress_tokens=[],
        )
        for i, res in zip(live, results, strict=True):
            rows = res.logits[0]
            logits = (
                np.stack([np.asarray(r, np.float64).reshape(-1) for r in rows])
                if isinstance(rows, list)
                else (np.asarray(rows, np.float64))
            )
            target = [*ids[i], tok.eot]
            n = min(len(target), len(logits))
            if n == 0:
                continue
            x = logits[:n]
            logz = x.max(axis=1) + np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1))
            lp = x[np.arange(n), target[:n]] - logz
            if n < len(target):  # generation stopped before the end token: count it as unlikely
                lp = np.concatenate([lp, np.full(len(target) - n, -10.0)])
            scores[i] = float(lp.mean())
        return scores

    def word_times(self, audio: np.ndarray) -> list[tuple[str, float, float]]:
        """(word, start s, end s) from Whisper's word alignment (benchmarks: when each word was spoken)."""
        self.load()
        segments, _ = self._model.transcribe(
            np.asarray(audio, np.float32),
            language=self.options.language,
            beam_size=self.options.beam_size,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
        )
        return [(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or [])]


def prompt_leaked(tokens: tuple[str, ...] | list[str], prompt: str) -> bool:
    """True when the decoded tokens are only a run of the prompt's own words (the prompt came back out)."""
    out = [k for k in (key(t) for t in tokens) if k]
    src = [k for k in (key(t) for t in tokenize(prompt)) if k]
    if not out or len(out) > len(src):
        return False
    n = len(out)
    return any(src[i : i + n] == out for i in range(len(src) - n + 1))

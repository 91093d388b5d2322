"""Voice activity: Silero VAD probabilities, and a pure streaming segmenter that turns them into utterances.

`SileroVad` keeps the model's LSTM state and the 64-sample context between calls, so feeding a stream in
pieces gives the same probabilities as feeding it whole. `StreamingSegmenter` is pure logic: one
probability per 32 ms window and the stream time `now` (end of that window) in, segment events out. It
knows nothing about audio or clocks, so a recording replays identically at any speed.

- start: a window at or above `threshold` starts speech; the utterance's audio begins `pre_roll_s` earlier
  (the soft onset of a word is often below the threshold).
- end (hang-over): speech ends after `hangover_s` of windows below `neg_threshold`; the audio ends
  `post_pad_s` after the last speech window. Windows in between keep the current state (hysteresis).
- too short (< `min_speech_s`, clicks and coughs) is discarded; too long is cut at `max_utterance_s` and
  continues as a new utterance: at the longest pause inside it (so no word is cut in two), or at `now` when
  there was none.

Silero is not the only gate (`EnergyAssist`): quiet or accented speech that Silero scores low (a child's
"bye" peaks at 0.6 for 0.1 s) but that is clearly louder than the room's noise floor counts as speech, so
it reaches Whisper, whose no-speech, compression and log-probability checks judge it (`speech.asr`).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from dual_teacher.inference.runner import ModelRunner

WINDOW = 512
CONTEXT = 64
RATE = 16_000
WINDOW_S = WINDOW / RATE


class SileroVad:
    """Streaming speech probabilities, one per 512-sample (32 ms) window of 16 kHz audio."""

    def __init__(self, runner: ModelRunner | None = None) -> None:
        if runner is None:
            from dual_teacher.inference.silero import load_silero_vad

            runner = load_silero_vad()
        self._runner = runner
        self.reset()

    def reset(self) -> None:
        self.last_db = np.zeros(0, np.float32)  # level (dBFS) of each window of the last `process` call
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for every window completed by `samples` (leftover samples wait for the next call)."""
        buf = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        n = len(buf) // WINDOW
        self._pending = buf[n * WINDOW :]
        if n == 0:
            self.last_db = np.zeros(0, np.float32)
            return np.zeros(0, np.float32)
        windows = buf[: n * WINDOW].reshape(n, WINDOW)
        self.last_db = window_db(windows)
        contexts = np.empty((n, CONTEXT), np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT:]
        rows = np.concatenate([contexts, windows], axis=1)
        probs, self._h, self._c = self._runner.run({"input": rows, "h": self._h, "c": self._c})
        self._context = windows[-1, -CONTEXT:].copy()
        return np.asarray(probs, np.float32).reshape(-1)


def window_db(windows: np.ndarray) -> np.ndarray:
    """Mean power of each row in dB relative to full scale (-120 for digital silence)."""
    power = np.mean(np.square(windows, dtype=np.float64), axis=-1)
    return np.asarray(10 * np.log10(power + 1e-12), np.float32)


@dataclasses.dataclass(frozen=True)
class EnergyConfig:
    above_floor_db: float = 15.0  # a window this much louder than the noise floor is energetic
    min_db: float = -55.0  # ... and at least this loud
    min_prob: float = 0.1  # ... and not scored as clearly non-speech by Silero (fans, hum score < 0.07)
    start_windows: int = 8  # this many energetic windows in a row may start speech (0.26 s)
    floor_rise_db_per_s: float = 1.5  # the floor follows a rising noise slowly, a falling one at once


class EnergyAssist:
    """Silero probabilities + window levels -> probabilities with energetic low-scored speech let through.

    Pure and streaming: an energetic window (see EnergyConfig) with Silero's probability >= `min_prob` gets
    at least the segmenter's `neg_threshold` (it keeps an utterance going); `start_windows` of them in a row
    get the `threshold` (they start one). The noise floor is a running minimum that rises slowly.
    """

    def __init__(self, threshold: float, neg_threshold: float, config: EnergyConfig | None = None) -> None:
        self.config = config or EnergyConfig()
        self.threshold = threshold
        self.neg_threshold = neg_threshold
        self._floor: float | None = None
        self._run = 0
        self.assisted = 0  # windows raised (counted for health and evaluation)

    def reset(self) -> None:
        self._floor = None
        self._run = 0

    def adjust(self, probs: np.ndarray, levels_db: np.ndarray) -> np.ndarray:
        cfg = self.config
        rise = cfg.floor_rise_db_per_s * WINDOW_S
        out = np.asarray(probs, np.float32).copy()
        for i, (p, db) in enumerate(zip(out, levels_db, strict=True)):
            floor = float(db) if self._floor is None else min(float(db), self._floor + rise)
            self._floor = floor
            energetic = db >= cfg.min_db and db >= floor + cfg.above_floor_db and p >= cfg.min_prob
            self._run = self._run + 1 if energetic else 0
            if not energetic or p >= self.threshold:
                continue
            target = self.threshold if self._run >= cfg.start_windows else self.neg_threshold
            if p < target:
                out[i] = target
                self.assisted += 1
        return out


@dataclasses.dataclass(frozen=True)
class SegmenterConfig:
    threshold: float = 0.5
    neg_threshold: float = 0.35
    pre_roll_s: float = 0.3
    hangover_s: float = 0.4
    post_pad_s: float = 0.2
    min_speech_s: float = 0.25
    max_utterance_s: float = 15.0
    window_s: float = WINDOW_S

    def __post_init__(self) -> None:
        if not 0 < self.neg_threshold <= self.threshold < 1:
            raise ValueError("need 0 < neg_threshold <= threshold < 1")
        if self.post_pad_s > self.hangover_s:
            raise ValueError("post_pad_s cannot exceed hangover_s (that audio has not arrived yet)")
        if self.max_utterance_s <= self.min_speech_s:
            raise ValueError("max_utterance_s must exceed min_speech_s")


@dataclasses.dataclass(frozen=True)
class SpeechStarted:
    index: int
    start: float  # first speech window
    audio_start: float  # with pre-roll


@dataclasses.dataclass(frozen=True)
class Utterance:
    """A stretch of speech in stream seconds. `audio_*` include pre-roll and padding; `end` is speech end."""

    index: int
    start: float
    end: float
    audio_start: float
    audio_end: float
    closed_by: Literal["silence", "pause", "max_length", "flush"]

    @property
    def speech_s(self) -> float:
        return self.end - self.start


@dataclasses.dataclass(frozen=True)
class UtteranceDiscarded:
    index: int
    start: float
    end: float


SegmentEvent = SpeechStarted | Utterance | UtteranceDiscarded


class StreamingSegmenter:
    """Probabilities + `now` in, segment events out (pure; see the module docstring)."""

    def __init__(self, config: SegmenterConfig | None = None) -> None:
        self.config = config or SegmenterConfig()
        self._in_speech = False
        self._start = 0.0
        self._last_speech_end = 0.0
        self._silence = 0.0
        self._index = 0
        self._audio_start = 0.0
        self._floor = 0.0  # audio before this belongs to an earlier utterance (no overlap of pre-roll)
        self._pause: tuple[float, float] | None = None  # longest pause inside the utterance (start, end)

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def speech_start(self) -> float:
        """The current utterance's first speech window (inside an utterance)."""
        return self._start

    @property
    def speech_end(self) -> float:
        """The end of the current utterance's last speech window so far (inside an utterance): a close by
        silence now would end its audio at `speech_end + post_pad_s`."""
        return self._last_speech_end

    @property
    def silence_s(self) -> float:
        """Seconds of below-threshold windows since the last speech window (inside an utterance)."""
        return self._silence if self._in_speech else 0.0

    def push(self, prob: float, now: float) -> list[SegmentEvent]:
        """One window's speech probability; `now` is the stream time at the end of that window."""
        cfg = self.config
        out: list[SegmentEvent] = []
        if not self._in_speech:
            if prob >= cfg.threshold:
                self._begin(now - cfg.window_s, out)
            return out
        if prob >= cfg.neg_threshold:
            if self._silence > 0:
                self._note_pause(self._last_speech_end, now - cfg.window_s)
            self._silence = 0.0
            self._last_speech_end = now
        else:
            self._silence += cfg.window_s
            if self._silence >= cfg.hangover_s - 1e-9:
                self._close(self._last_speech_end + cfg.post_pad_s, "silence", out)
                return out
        if now - self._start >= cfg.max_utterance_s - 1e-9:
            pause = self._pause
            if prob >= cfg.neg_threshold and pause is not None:
                # cut in the longest pause: the words after it start the next utterance
                p0, p1 = pause
                self._last_speech_end = p0
                self._close(min((p0 + p1) / 2, p0 + cfg.post_pad_s), "pause", out)
                self._begin(p1, out)
                self._last_speech_end = now
                return out
            self._close(now, "max_length", out)
            if prob >= cfg.neg_threshold:
                self._begin(now, out, pre_roll=False)
        return out

    def _note_pause(self, start: float, end: float) -> None:
        if end - start < self.config.window_s - 1e-9 or start - self._start < self.config.min_speech_s:
            return
        if self._pause is None or end - start >= self._pause[1] - self._pause[0] - 1e-9:
            self._pause = (start, end)

    def push_many(self, probs: np.ndarray, t0: float) -> list[SegmentEvent]:
        """Consecutive windows, the first of which starts at stream time `t0`."""
        out: list[SegmentEvent] = []
        w = self.config.window_s
        for i, p in enumerate(probs):
            out += self.push(float(p), t0 + (i + 1) * w)
        return out

    def flush(self, now: float) -> list[SegmentEvent]:
        """End of stream: close an open utterance."""
        out: list[SegmentEvent] = []
        if self._in_speech:
            self._close(min(now, self._last_speech_end + self.config.post_pad_s), "flush", out)
        return out

    def _begin(self, start: float, out: list[SegmentEvent], pre_roll: bool = True) -> None:
        self._in_speech = True
        self._start = start
        self._last_speech_end = start + self.config.window_s
        self._silence = 0.0
        self._pause = None
        audio_start = max(self._floor, start - self.config.pre_roll_s) if pre_roll else start
        self._audio_start = max(0.0, audio_start)
        out.append(SpeechStarted(self._index, start, self._audio_start))

    def _close(
        self, audio_end: float, how: Literal["silence", "pause", "max_length", "flush"], out: list[SegmentEvent]
    ) -> None:
        end = self._last_speech_end if how != "max_length" else audio_end
        self._in_speech = False
        self._floor = audio_end
        if end - self._start < self.config.min_speech_s - 1e-9:
            out.append(UtteranceDiscarded(self._index, self._start, end))
        else:
            out.append(Utterance(self._index, self._start, end, self._audio_start, audio_end, how))
        self._index += 1

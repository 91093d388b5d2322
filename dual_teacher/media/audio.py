"""Audio sources: microphone, audio file, the audio track of a stream, or an array; 16 kHz mono float32 out.

Every source hands `AudioChunk`s to a bounded `DropOldestQueue` (about `queue_s` seconds deep): a consumer that
falls behind loses the oldest audio, never blocks the producer, and `dropped` counts what was lost (shown in
stage health). Sources that own a thread name it `audio-<name>` and join it on `stop()`; the microphone's
thread belongs to PortAudio and is closed on `stop()`.

Audio lives in memory only: nothing here writes it anywhere (privacy by construction).

Pacing of non-live sources (files, arrays): "realtime" plays at `speed` x real time on a clock, like a
microphone; "backpressure" goes as fast as the consumer takes it and never drops (replays, evaluation);
"none" goes as fast as it decodes and drops the oldest audio when the consumer falls behind.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.errors import DeviceUnavailable
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.media.worker import CaptureWorker

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
Pace = Literal["realtime", "backpressure", "none"]


@dataclasses.dataclass(frozen=True, eq=False)
class AudioChunk:
    """`samples`: float32 mono at 16 kHz; `t0`: seconds since the source started (counted in samples)."""

    samples: np.ndarray
    t0: float
    source: str

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.t0 + self.duration


class AudioSource(Protocol):
    name: str
    queue: DropOldestQueue[AudioChunk]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...

    @property
    def finished(self) -> bool:
        """True once no more audio will come (end of file or stream, stopped, failed)."""
        ...

    @property
    def dropped(self) -> int: ...


class AudioDecodeError(Exception):
    """A file or stream has no audio track or does not decode."""


class _Converter:
    """PyAV resampler to 16 kHz float32: mono mix (`channel` None) or one channel of the input."""

    def __init__(self, channel: int | None = None) -> None:
        import av

        self.channel = channel
        if channel is None:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        else:
            self._resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)

    def convert(self, frame: Any) -> np.ndarray:
        """Resample one decoded frame (None flushes the resampler)."""
        parts = [self._take(f.to_ndarray()) for f in self._resampler.resample(frame)]
        if not parts:
            return np.zeros(0, np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _take(self, arr: np.ndarray) -> np.ndarray:
        if self.channel is None:
            return np.asarray(arr).reshape(-1)
        if self.channel >= arr.shape[0]:
            raise AudioDecodeError(f"channel {self.channel} asked for, the audio has {arr.shape[0]}")
        return np.asarray(arr[self.channel])


def iter_audio(
    url: str | Path,
    channel: int | None = None,
    options: dict[str, str] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[np.ndarray]:
    """Decode the first audio track of a file or stream URL (anything FFmpeg opens) as 16 kHz float32 blocks."""
    import av

    try:
        container = av.open(str(url), options=options or {})
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioDecodeError(f"cannot open {url}: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{url} has no audio track")
        stream = container.streams.audio[0]
        conv = _Converter(channel)
        try:
            for frame in container.decode(stream):
                if stop is not None and stop.is_set():
                    return
                block = conv.convert(frame)
                if len(block):
                    yield block
            tail = conv.convert(None)
            if len(tail):
                yield tail
        except av.FFmpegError as exc:
            raise AudioDecodeError(f"{url} stopped decoding: {exc}") from exc


def decode_audio(url: str | Path, channel: int | None = None) -> np.ndarray:
    """The whole audio track as one 16 kHz float32 array (evaluation and tests; live code uses a source)."""
    blocks = list(iter_audio(url, channel))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


class _ThreadedSource(CaptureWorker):
    """Base for sources that produce from their own named thread."""

    thread_prefix = "audio"

    def __init__(
        self,
        name: str,
        pace: Pace = "realtime",
        speed: float = 1.0,
        clock: Clock | None = None,
        chunk_s: float = 0.1,
        queue_s: float = 10.0,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.name = name
        self.pace = pace
        self.speed = speed
        self.clock = clock or RealClock()
        self.chunk_samples = max(1, round(chunk_s * SAMPLE_RATE))
        self.queue: DropOldestQueue[AudioChunk] = DropOldestQueue(max(1, round(queue_s / chunk_s)))
        self.error: str | None = None
        self.started_at: float | None = None  # clock.monotonic() when the first sample was due
        CaptureWorker.__init__(self)
        self._done = threading.Event()
        self._emitted = 0
        self._pending = np.zeros(0, np.float32)

    # ---- lifecycle -----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def dropped(self) -> int:
        return self.queue.dropped

    def _main(self) -> None:
        try:
            self.started_at = self.clock.monotonic()
            for block in self._blocks():
                if self._stop.is_set() or not self._emit(block):
                    break
            else:
                self._flush()
        except AudioDecodeError as exc:
            self.error = str(exc)
            log.warning("audio source %s: %s", self.name, exc)
        except Exception as exc:  # a broken source ends itself visibly; the class goes on
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("audio source %s failed", self.name)
        finally:
            self._done.set()

    def _blocks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    # ---- hand-over -------------------------------------------------------------------------------
    def _emit(self, block: np.ndarray) -> bool:
        buf = np.concatenate([self._pending, block]) if len(self._pending) else block
        n = self.chunk_samples
        whole = len(buf) // n * n
        for i in range(0, whole, n):
            if not self._put(buf[i : i + n]):
                return False
        self._pending = np.array(buf[whole:], dtype=np.float32)
        return True

    def _flush(self) -> None:
        if len(self._pending):
            self._put(self._pending)
            self._pending = np.zeros(0, np.float32)

    def _put(self, samples: np.ndarray) -> bool:
        t0 = self._emitted / SAMPLE_RATE
        if self.pace == "realtime" and self.started_at is not None:
            # a chunk is "captured" once its last sample has played
            due = self.started_at + (t0 + len(samples) / SAMPLE_RATE) / self.speed
            while not self._stop.is_set():
                wait = due - self.clock.monotonic()
                if wait <= 0:
                    break
                self.clock.sleep(min(wait, 0.05))
        elif self.pace == "backpressure":
            while len(self.queue) >= self.queue.maxsize and not self._stop.is_set():
                self._stop.wait(0.002)
        if self._stop.is_set():
            return False
        chunk = np.array(samples, dtype=np.float32)
        chunk.setflags(write=False)
        self.queue.put_nowait(AudioChunk(chunk, t0, self.name))
        self._emitted += len(samples)
        return True


class ArraySource(_ThreadedSource):
    """Audio already in memory (generated test signals, benchmark mixes)."""

    def __init__(self, samples: np.ndarray, name: str = "array", **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._samples = np.asarray(samples, dtype=np.float32).reshape(-1)

    def _blocks(self) -> Iterator[np.ndarray]:
        step = SAMPLE_RATE
        for i in range(0, len(self._samples), step):
            yield self._samples[i : i + step]


class AudioFileSource(_ThreadedSource):
    """An audio or video file's first audio track through PyAV (any format FFmpeg reads)."""

    def __init__(self, path: str | Path, name: str = "file", channel: int | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.path = Path(path)
        self.channel = channel
        if not self.path.is_file():
            raise DeviceUnavailable(f"audio file {self.path} not found", hint="check the path")

    def _blocks(self) -> Iterator[np.ndarray]:
        return iter_audio(self.path, self.channel, stop=self._stop)


class AvStreamSource(_ThreadedSource):
    """The audio track of the lead teacher's stream (HLS, RTMP, RTSP, HTTP...), decoded by PyAV.

    A live stream paces itself, so the default pacing is "none" (drop the oldest audio if ASR falls behind).
    """

    def __init__(
        self,
        url: str,
        name: str = "teacher",
        options: dict[str, str] | None = None,
        pace: Pace = "none",
        **kwargs: Any,
    ) -> None:
        super().__init__(name, pace=pace, **kwargs)
        self.url = url
        self.options = {"rw_timeout": "10000000", **(options or {})}  # microseconds: a dead stream ends

    def _blocks(self) -> Iterator[np.ndarray]:
        return iter_audio(self.url, options=self.options, stop=self._stop)


class MicrophoneSource:
    """A microphone through sounddevice (PortAudio), opened at 16 kHz when the device allows, else resampled.

    The PortAudio callback only converts and `put_nowait`s: it never blocks. `overflows` counts blocks that
    PortAudio itself reported as lost (status flags).
    """

    def __init__(
        self,
        device: int | str | None = None,
        name: str = "room",
        block_s: float = 0.1,
        queue_s: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.device = device
        self.block_s = block_s
        self.queue: DropOldestQueue[AudioChunk] = DropOldestQueue(max(1, round(queue_s / block_s)))
        self.overflows = 0
        self.error: str | None = None
        self.clock = clock or RealClock()
        self.started_at: float | None = None
        self._stream: Any = None
        self._convert: Callable[[np.ndarray], np.ndarray] | None = None
        self._emitted = 0
        self._closed = threading.Event()

    def start(self) -> None:
        """Open the device; raises DeviceUnavailable (with the fix) when there is no usable microphone."""
        sd = _import_sounddevice()
        try:
            info = sd.query_devices(self.device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            raise DeviceUnavailable(
                f"no microphone found ({exc})",
                hint="plug in a microphone or choose another input device (list them with "
                "`python -m sounddevice`); the class can run without one (teacher entry, hand polls)",
            ) from exc
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(self.device, channels=1, dtype="float32", samplerate=SAMPLE_RATE)
            self._convert = None
        except (ValueError, sd.PortAudioError):
            rate = int(info["default_samplerate"])
            self._convert = _array_resampler(rate)
        try:
            self._stream = sd.InputStream(
                device=self.device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=max(1, round(rate * self.block_s)),
                callback=self._callback,
            )
            self._stream.start()
        except (ValueError, sd.PortAudioError) as exc:
            raise DeviceUnavailable(
                f"cannot open the microphone {info.get('name', self.device)!r}: {exc}",
                hint="close other programs using it, or choose another input device",
            ) from exc
        self.started_at = self.clock.monotonic()
        log.info("microphone %r open at %d Hz", info.get("name"), rate)

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status:
            self.overflows += 1
        mono = np.array(indata[:, 0], dtype=np.float32)
        samples = mono if self._convert is None else self._convert(mono)
        if not len(samples):
            return
        samples.setflags(write=False)
        self.queue.put_nowait(AudioChunk(samples, self._emitted / SAMPLE_RATE, self.name))
        self._emitted += len(samples)

    def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as exc:  # closing a device that vanished must not raise into shutdown
                log.exception("closing microphone %s failed", self.name)
                self.error = str(exc)
            self._stream = None
        self._closed.set()

    def join(self, timeout: float | None = None) -> bool:
        return self._stream is None

    @property
    def finished(self) -> bool:
        return self._closed.is_set()

    @property
    def dropped(self) -> int:
        return self.queue.dropped


def _import_sounddevice() -> Any:
    try:
        import sounddevice  # type: ignore[import-untyped]
    except ImportError as exc:
        raise DeviceUnavailable(
            "microphone capture needs the sounddevice package",
            hint="pip install 'dual-teacher[speech]' (or sounddevice==0.5.6)",
        ) from exc
    except OSError as exc:  # sounddevice found no PortAudio library
        raise DeviceUnavailable(
            f"microphone capture needs the PortAudio library ({exc})",
            hint="sudo apt-get install libportaudio2",
        ) from exc
    return sounddevice


def _array_resampler(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """A stateful mono float32 resampler `rate` -> 16 kHz (PyAV's swresample)."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def convert(mono: np.ndarray) -> np.ndarray:
        frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    return convert

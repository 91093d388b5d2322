"""Camera sources: USB/V4L2 cameras, RTSP/HTTP streams, video files, GIFs and folders of images.

Every source runs one named capture thread that decodes frames and puts them into a depth-1 `LatestSlot`
(a new frame overwrites an unread one; the slot counts the drops). The consumer (the perception stage) takes
the newest frame when it is ready, so a slow consumer never builds a backlog and always sees the present.

A camera that fails to open or stops delivering is retried with exponential backoff (`retry_initial_s`
doubling to `retry_max_s`, `core.backoff`), waited out on the source's clock; the capture thread never raises
into the class. Its `status()` says what is
happening (connecting, streaming, retrying, ended) with the last error, for the console and stage health.
`check_available()` fails fast at start-up with `DeviceUnavailable` and advice when a device path or file
does not exist.

Privacy: frames live in memory only; nothing here writes a frame anywhere.

Sources are named by a string (`open_camera`):
- `/dev/video0`, `v4l2:/dev/video0`, or an index `0`: a V4L2 camera through PyAV's `v4l2` input
- `rtsp://...`, `http(s)://...` (HLS, MJPEG, progressive video): a network stream through PyAV
- a video file (`.mp4`, `.mkv`, ...) or an animated `.gif`: decoded with PyAV / Pillow, paced at its frame rate
- a folder: its images in name order, each shown for `1 / fps` seconds
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from dual_teacher.core.backoff import Backoff
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.errors import DeviceUnavailable
from dual_teacher.core.queues import LatestSlot
from dual_teacher.media.worker import CaptureWorker

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
CameraState = Literal["idle", "connecting", "streaming", "retrying", "ended", "stopped"]


@dataclasses.dataclass(frozen=True)
class Frame:
    """One RGB frame (H x W x 3 uint8) with its capture time on the source's clock (monotonic seconds)."""

    image: npt.NDArray[np.uint8]
    captured: float
    index: int
    source: str

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclasses.dataclass(frozen=True)
class CameraStatus:
    source: str
    state: CameraState
    frames: int
    dropped: int
    attempts: int
    last_error: str = ""
    fps: float | None = None


class CameraSource(Protocol):
    name: str
    slot: LatestSlot[Frame]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...

    def status(self) -> CameraStatus: ...


# ---- frame readers: open() returns an iterator of RGB arrays; raising means "lost" -------------------------
Reader = Callable[[], Iterator[npt.NDArray[np.uint8]]]


def _av_reader(url: str, options: dict[str, str] | None = None, fmt: str | None = None) -> Reader:
    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        import av

        container: Any = av.open(url, format=fmt, options=options or {}, timeout=(5.0, 5.0))
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        finally:
            container.close()

    return frames


def _gif_reader(path: Path) -> Reader:
    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        from PIL import Image, ImageSequence

        with Image.open(path) as img:
            for frame in ImageSequence.Iterator(img):
                yield np.asarray(frame.convert("RGB"))

    return frames


def _folder_reader(folder: Path) -> Reader:
    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        from PIL import Image

        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            with Image.open(path) as img:
                yield np.asarray(img.convert("RGB"))

    return frames


def gif_fps(path: Path, default: float = 10.0) -> float:
    from PIL import Image

    with Image.open(path) as img:
        duration = img.info.get("duration")
    return 1000.0 / float(duration) if duration else default


def video_fps(path: Path, default: float = 25.0) -> float:
    import av

    try:
        with av.open(str(path)) as container:
            rate = container.streams.video[0].average_rate
            return float(rate) if rate else default
    except (av.FFmpegError, OSError, IndexError):
        return default


# ---- the capture thread ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CaptureConfig:
    fps: float | None = None  # pace a file at this rate (None: as fast as decoded; live sources pace themselves)
    loop: bool = False  # replay a file or folder from the start when it ends
    retry_initial_s: float = 0.5
    retry_max_s: float = 10.0
    max_retries: int | None = None  # None: keep trying for as long as the class runs
    live: bool = True  # a live device or stream: losing it is retried; a file that ends just ends

    @property
    def retry(self) -> Backoff:
        return Backoff(self.retry_initial_s, self.retry_max_s)


class CaptureThread(CaptureWorker):
    """Reads frames from a `Reader` on a named thread into `slot` (see the module docstring)."""

    thread_prefix = "camera"

    def __init__(
        self, name: str, reader: Reader, config: CaptureConfig | None = None, clock: Clock | None = None
    ) -> None:
        self.name = name
        self.reader = reader
        self.config = config or CaptureConfig()
        self.clock = clock or RealClock()
        self.slot: LatestSlot[Frame] = LatestSlot()
        CaptureWorker.__init__(self)
        self._lock = threading.Lock()
        self._state: CameraState = "idle"
        self._frames = 0
        self._attempts = 0
        self._error = ""
        self._times: list[float] = []

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._state in ("ended", "stopped")

    def status(self) -> CameraStatus:
        with self._lock:
            times = list(self._times)
            fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
            return CameraStatus(
                self.name, self._state, self._frames, self.slot.dropped, self._attempts, self._error, fps
            )

    def _set(self, state: CameraState, error: str | None = None) -> None:
        with self._lock:
            self._state = state
            if error is not None:
                self._error = error

    def _main(self) -> None:
        failures = 0
        while not self._stop.is_set():
            with self._lock:
                self._attempts += 1
            self._set("connecting")
            try:
                delivered = self._pump()
            except Exception as exc:  # noqa: BLE001 - any decoder/device error: report and retry, never crash the class
                log.warning("camera %s lost: %s", self.name, exc)
                delivered = -1
                error = f"{type(exc).__name__}: {exc}"
            else:
                error = ""
            if self._stop.is_set():
                break
            if delivered >= 0 and not self.config.live:
                if self.config.loop and delivered > 0:
                    continue
                self._set("ended", error or None)
                return
            if delivered > 0:  # it worked for a while: start the backoff again
                failures = 0
            failures += 1
            if self.config.max_retries is not None and failures > self.config.max_retries:
                self._set("ended", error or "stream ended")
                return
            self._set("retrying", error or "stream ended")
            if self.clock.wait(self._stop, self.config.retry.delay(failures)):
                break
        self._set("stopped")

    def _pump(self) -> int:
        """Deliver frames until the reader ends; returns how many were delivered."""
        interval = 1.0 / self.config.fps if self.config.fps else 0.0
        next_at: float | None = None
        delivered = 0
        for image in self.reader():
            if self._stop.is_set():
                break
            if interval:
                now = self.clock.monotonic()
                next_at = now if next_at is None else next_at
                if next_at > now:
                    self.clock.sleep(next_at - now)
                next_at = max(next_at + interval, self.clock.monotonic() - interval)
            captured = self.clock.monotonic()
            with self._lock:
                index = self._frames
                self._frames += 1
                self._times = [*self._times[-29:], captured]
                self._state = "streaming"
            self.slot.put(Frame(np.ascontiguousarray(image), captured, index, self.name))
            delivered += 1
        return delivered


# ---- opening a source by name ----------------------------------------------------------------------------
def parse_device(spec: str) -> str | None:
    """The V4L2 device path for `/dev/videoN`, `v4l2:/dev/videoN` or a bare index `N`; else None."""
    s = spec.strip()
    if s.startswith("v4l2:"):
        s = s[len("v4l2:") :]
    if s.isdigit():
        return f"/dev/video{s}"
    if s.startswith("/dev/video"):
        return s
    return None


def check_available(spec: str) -> None:
    """Fail fast, with advice, when a camera device or file named in the configuration is not there."""
    device = parse_device(spec)
    if device is not None:
        if not Path(device).exists():
            found = sorted(str(p) for p in Path("/dev").glob("video*"))
            raise DeviceUnavailable(
                f"camera {device} not found",
                hint=(f"cameras present: {', '.join(found)}" if found else "no /dev/video* device: plug the camera in")
                + "; check `v4l2-ctl --list-devices` and that this user is in the `video` group",
            )
        return
    if "://" in spec:
        return  # network streams are tried (and retried) by the capture thread
    path = Path(spec).expanduser()
    if not path.exists():
        raise DeviceUnavailable(f"camera source {spec} does not exist", hint="give a device, a stream URL or a file")
    if path.is_dir() and not any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
        raise DeviceUnavailable(f"folder {spec} holds no images", hint=f"expected {sorted(IMAGE_SUFFIXES)}")


def open_camera(
    spec: str,
    fps: float | None = None,
    loop: bool = False,
    clock: Clock | None = None,
    config: CaptureConfig | None = None,
    width: int | None = None,
    height: int | None = None,
) -> CaptureThread:
    """A capture thread (not started) for `spec` (see the module docstring). Raises DeviceUnavailable when a
    device or file is missing."""
    check_available(spec)
    device = parse_device(spec)
    base = config or CaptureConfig()
    if device is not None:
        opts = {"framerate": str(int(fps or 30))}
        if width and height:
            opts["video_size"] = f"{width}x{height}"
        reader = _av_reader(device, opts, fmt="v4l2")
        return CaptureThread(device, reader, dataclasses.replace(base, live=True, fps=None), clock)
    if "://" in spec:
        opts = {"rtsp_transport": "tcp"} if spec.startswith("rtsp") else {}
        return CaptureThread(
            spec.split("?")[0], _av_reader(spec, opts), dataclasses.replace(base, live=True, fps=None), clock
        )
    path = Path(spec).expanduser()
    if path.is_dir():
        reader = _folder_reader(path)
        rate = fps or 1.0
    elif path.suffix.lower() == ".gif":
        reader = _gif_reader(path)
        rate = fps or gif_fps(path)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        reader = _folder_reader_single(path)
        rate = fps or 1.0
    else:
        reader = _av_reader(str(path))
        rate = fps or video_fps(path)
    return CaptureThread(path.name, reader, dataclasses.replace(base, live=False, loop=loop, fps=rate), clock)


def _folder_reader_single(path: Path) -> Reader:
    def frames() -> Iterator[npt.NDArray[np.uint8]]:
        from PIL import Image

        with Image.open(path) as img:
            yield np.asarray(img.convert("RGB"))

    return frames


def frames_reader(frames: list[npt.NDArray[np.uint8]]) -> Reader:
    """A reader over frames already in memory (benchmarks and tests replay real media this way)."""

    def it() -> Iterator[npt.NDArray[np.uint8]]:
        yield from frames

    return it

"""Check that a media file really decodes, and read its duration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    path: str
    kind: str  # "video", "audio" or "image"
    duration_s: float | None
    width: int | None = None
    height: int | None = None
    has_audio: bool = False


class MediaProbeError(Exception):
    """The file is missing, empty, or does not decode."""


def probe_media(path: Path) -> MediaInfo:
    """Open `path`, decode its first video frame or audio packet, and report what it holds."""
    if not path.is_file():
        raise MediaProbeError("file not found")
    if path.stat().st_size == 0:
        raise MediaProbeError("file is empty")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _probe_image(path)
    return _probe_av(path)


def _probe_image(path: Path) -> MediaInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            return MediaInfo(str(path), "image", None, img.width, img.height)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaProbeError(f"not a readable image ({exc})") from exc


def _probe_av(path: Path) -> MediaInfo:
    import av

    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            if video is None and audio is None:
                raise MediaProbeError("no audio or video stream")
            stream = video if video is not None else audio
            decoded = False
            for _frame in container.decode(stream):
                decoded = True
                break
            if not decoded:
                raise MediaProbeError("no frame could be decoded")
            duration = None
            if container.duration is not None:
                duration = float(container.duration) / 1_000_000.0
            elif stream is not None and stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            if video is not None:
                return MediaInfo(
                    str(path),
                    "video",
                    duration,
                    video.codec_context.width,
                    video.codec_context.height,
                    has_audio=audio is not None,
                )
            return MediaInfo(str(path), "audio", duration, has_audio=True)
    except MediaProbeError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise MediaProbeError(f"does not decode ({type(exc).__name__}: {exc})") from exc

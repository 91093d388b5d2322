"""The real inputs of `dual-teacher bench`: classroom camera streams, speech utterances, the display's video.

Camera streams come from the evaluation data (`dual_teacher.resources.shared_data_dir()`, ../shared/data): the
two classroom GIFs (real classroom video, frames in order) and the classroom photos (a still camera: the same
frame again and again), each fitted into the profile's camera resolution. Without that folder the demo
lesson's videos stand in (one frame a second), and the result says so.

Utterances are the English recordings of DIR/speech with their reference transcripts (references.tsv; the
clips whose reference is weak are left out), silence trimmed. Without them, the demo lesson's narration
(espeak-ng speech, no reference text) stands in.

Display playback is the demo lesson's video decoded at its own frame rate (see classroom.py).
Everything is held in memory; nothing is written.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from dual_teacher.media.audio import SAMPLE_RATE, decode_audio
from dual_teacher.media.frames import save_video_frames
from dual_teacher.resources import demo_pack_dir, shared_data_dir

RGB = npt.NDArray[np.uint8]

VIDEOS = ("classroom_omz_smart_classroom_demo.gif", "classroom_intel_sample_videos_preview.gif")
STILLS = (
    "classroom_omz_teacher_17p_0raised.png",
    "classroom_omz_raisinghand_5p_1raised.png",
    "classroom_omz_action0005_5p_1raised.png",
)
# references that are not one plain English utterance (see ../shared/data/speech/references.tsv notes)
WEAK_REFERENCES = frozenset(
    {
        "en_fw_stereo_diarization.wav",
        "en_fw_hotwords.mp3",
        "mixed_en_de_fw_multilingual.mp3",
        "en_azure_wreck_a_nice_beach.wav",  # an ambiguous phrase on purpose ("recognize speech")
    }
)
# read sentences first (one speaker, a clean reference), then the rest; name order within each group
CLIP_ORDER = ("en_sb_harvard", "en_ljspeech", "en_librivox", "en_ls_", "en_jfk")


def _clip_rank(name: str) -> tuple[int, str]:
    return next((i for i, prefix in enumerate(CLIP_ORDER) if name.startswith(prefix)), len(CLIP_ORDER)), name


DISPLAY_VIDEO = "counting_on.mp4"


@dataclasses.dataclass(frozen=True)
class Stream:
    """One camera's frames (in order; a still camera has one) and where they came from."""

    name: str
    kind: Literal["video", "still"]
    frames: tuple[RGB, ...]
    fps: float
    source: str
    people_true: int | None = None


@dataclasses.dataclass(frozen=True)
class Clip:
    name: str
    audio: npt.NDArray[np.float32]
    truth: str | None

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def fit(img: Image.Image, size: tuple[int, int]) -> RGB:
    """The picture scaled to fit `size` (aspect kept), centred on black, as H x W x 3 uint8."""
    w, h = size
    scale = min(w / img.width, h / img.height)
    resized = img.convert("RGB").resize(
        (max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.BILINEAR
    )
    canvas = Image.new("RGB", size)
    canvas.paste(resized, ((w - resized.width) // 2, (h - resized.height) // 2))
    return np.asarray(canvas)


def _ground_truth(data: Path) -> dict[str, int]:
    path = data / "images" / "ground_truth.tsv"
    out: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                try:
                    out[Path(row["file"]).name] = int(row["people"])
                except (KeyError, ValueError):
                    continue
    except OSError:
        return {}
    return out


def _gif(path: Path, size: tuple[int, int], max_frames: int) -> tuple[list[RGB], float]:
    with Image.open(path) as img:
        n = int(getattr(img, "n_frames", 1))
        step = max(1, -(-n // max_frames))
        duration = float(img.info.get("duration") or 100.0)
        frames = []
        for i in range(0, n, step):
            img.seek(i)
            frames.append(fit(img, size))
    return frames, 1000.0 / (duration * step)


def camera_streams(
    size: tuple[int, int], data: Path | None = None, max_frames: int = 24
) -> tuple[list[Stream], list[str]]:
    """The classroom streams (videos first) and notes on what stood in for what."""
    data = data if data is not None else shared_data_dir()
    notes: list[str] = []
    streams: list[Stream] = []
    if data is not None and (data / "video").is_dir():
        truth = _ground_truth(data)
        for name in VIDEOS:
            path = data / "video" / name
            if path.is_file():
                frames, fps = _gif(path, size, max_frames)
                streams.append(Stream(Path(name).stem, "video", tuple(frames), fps, str(path), truth.get(name)))
        for name in STILLS:
            path = data / "images" / name
            if path.is_file():
                with Image.open(path) as img:
                    frame = fit(img, size)
                streams.append(Stream(Path(name).stem, "still", (frame,), 1.0, str(path), truth.get(name)))
    if not streams:
        notes.append(
            "no classroom frames (../shared/data not found): the demo lesson's videos stand in, one frame a second"
        )
        streams = _demo_streams(size, max_frames)
    return streams, notes


def _demo_streams(size: tuple[int, int], max_frames: int) -> list[Stream]:
    out = []
    media = demo_pack_dir() / "media"
    for video in sorted(media.glob("*.mp4"))[:2]:
        with tempfile.TemporaryDirectory() as tmp:
            frames = []
            for png in save_video_frames(video, Path(tmp), every_s=1.0, limit=max_frames):
                with Image.open(png) as img:
                    frames.append(fit(img, size))
        if frames:
            out.append(Stream(video.stem, "video", tuple(frames), 1.0, str(video)))
    return out


def trim_silence(audio: npt.NDArray[np.float32], floor_db: float = -35.0) -> npt.NDArray[np.float32]:
    """Cut leading and trailing 20 ms frames quieter than `floor_db` below the loudest one."""
    frame = 320
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-12
    loud = np.flatnonzero(20 * np.log10(rms / rms.max()) > floor_db)
    return audio[loud[0] * frame : (loud[-1] + 1) * frame]


def speech_clips(data: Path | None = None, max_s: float = 20.0) -> tuple[list[Clip], list[str]]:
    """English utterances with their reference text (read sentences first), and notes on stand-ins."""
    data = data if data is not None else shared_data_dir()
    clips: list[Clip] = []
    notes: list[str] = []
    refs = data / "speech" / "references.tsv" if data is not None else None
    if refs is not None and refs.is_file():
        with refs.open(encoding="utf-8", newline="") as f:
            rows = sorted(csv.DictReader(f, delimiter="\t"), key=lambda r: _clip_rank(r.get("file", "")))
        for row in rows:
            name = row.get("file", "")
            if row.get("language") != "en" or name in WEAK_REFERENCES:
                continue
            path = refs.parent / name
            if not path.is_file():
                continue
            audio = trim_silence(decode_audio(path).astype(np.float32))
            if 0.5 <= len(audio) / SAMPLE_RATE <= max_s:
                clips.append(Clip(name, audio, row.get("reference") or None))
    if not clips:
        notes.append("no recorded speech (../shared/data/speech not found): the demo lesson's narration stands in")
        clips = _demo_clips()
    return clips, notes


def _demo_clips(piece_s: float = 8.0) -> list[Clip]:
    out = []
    for video in sorted((demo_pack_dir() / "media").glob("*.mp4")):
        audio = trim_silence(decode_audio(video).astype(np.float32))
        n = int(piece_s * SAMPLE_RATE)
        for i in range(0, len(audio), n):
            piece = audio[i : i + n]
            if len(piece) >= SAMPLE_RATE:
                out.append(Clip(f"{video.stem}@{i // SAMPLE_RATE}s", piece, None))
    return out


def display_video() -> Path | None:
    """The demo lesson video the Classroom scenario plays as the classroom display."""
    media = demo_pack_dir() / "media"
    preferred = media / DISPLAY_VIDEO
    if preferred.is_file():
        return preferred
    videos = sorted(media.glob("*.mp4"))
    return videos[0] if videos else None


def classroom_audio(
    clips: list[Clip], seconds: float, gap_s: float = 2.0, tail_s: float = 4.0, seed: int = 0
) -> tuple[npt.NDArray[np.float32], list[tuple[float, float, str]]]:
    """The lead teacher's audio for `seconds`: utterances in turn with quiet room noise between them.

    Returns the signal and the (start s, end s, clip name) of every utterance that ends at least `tail_s`
    before the end (the last ones need time for their final transcript)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    signal = (rng.standard_normal(n) * 1e-3).astype(np.float32)  # about -60 dBFS of room noise
    spans: list[tuple[float, float, str]] = []
    t = gap_s / 2
    i = 0
    while clips:
        clip = clips[i % len(clips)]
        start, end = t, t + clip.seconds
        if end > seconds - tail_s:
            break
        a = int(start * SAMPLE_RATE)
        signal[a : a + len(clip.audio)] += clip.audio
        spans.append((round(start, 3), round(end, 3), clip.name))
        t = end + gap_s
        i += 1
    return signal, spans

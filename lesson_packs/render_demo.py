"""Render the demo lesson's five videos from text (lesson_packs/demo/script.toml).

Narration is spoken by espeak-ng, slides are drawn with Pillow and everything is encoded with PyAV
(H.264 + AAC in mp4). Nothing is downloaded. Outputs are cached: a segment is rendered again only when
its section of script.toml, the voice settings or RENDERER_VERSION change (or with --force). Each video gets
WebVTT captions of its narration beside it (`intro.vtt`), written again if missing.

    .venv/bin/python lesson_packs/render_demo.py [--out lesson_packs/demo/media] [--force]

Needs the apt packages espeak-ng and fonts-wqy-microhei (fonts-dejavu-core is used for Latin text if
present).
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

RENDERER_VERSION = "1"

HERE = Path(__file__).resolve().parent
DEFAULT_SCRIPT = HERE / "demo" / "script.toml"
DEFAULT_OUT = HERE / "demo" / "media"
MANIFEST_NAME = ".render-manifest.json"

WIDTH, HEIGHT = 1280, 720
FPS = 12
SAMPLE_RATE = 48_000
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS
LEAD_IN_S = 0.3
BEAT_PAD_S = 0.4
GOP_FRAMES = FPS * 2

BACKGROUND = (255, 251, 240)
BAND = (255, 233, 176)
INK = (33, 37, 41)
SUBTLE = (84, 90, 98)
EQUATION_INK = (21, 67, 140)
HOP = (239, 108, 0)
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (229, 57, 53),
    "green": (46, 125, 50),
    "blue": (30, 136, 229),
    "orange": (251, 140, 0),
    "purple": (142, 36, 170),
}
DEFAULT_COLORS = ("red", "blue", "orange")

CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
LATIN_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
)

RGB = tuple[int, int, int]
Frame = npt.NDArray[np.uint8]
Audio = npt.NDArray[np.float32]


class RenderError(Exception):
    """An expected failure (missing tool, font or bad script) reported without a traceback."""


# ---------------------------------------------------------------------------------------------- script


@dataclass(frozen=True)
class NumberLine:
    start: int
    hops: int
    low: int = 0
    high: int = 10


@dataclass(frozen=True)
class Beat:
    say: str
    zh: str
    en: str
    equation: str = ""
    groups: tuple[int, ...] = ()
    count_on: bool = False
    number_line: NumberLine | None = None
    ten_frame: tuple[int, ...] = ()
    colors: tuple[RGB, ...] = ()
    animate: bool = True

    def color(self, index: int) -> RGB:
        if index < len(self.colors):
            return self.colors[index]
        return COLORS[DEFAULT_COLORS[index % len(DEFAULT_COLORS)]]

    def animated_items(self) -> int:
        """How many items of this beat appear one by one (0 when nothing is animated)."""
        if not self.animate:
            return 0
        if self.groups:
            return sum(self.groups[1:])
        if self.number_line is not None:
            return self.number_line.hops
        return sum(self.ten_frame[1:])


@dataclass(frozen=True)
class Voice:
    name: str = "en-us"
    speed: int = 140
    pitch: int = 50
    word_gap: int = 0


@dataclass(frozen=True)
class Segment:
    id: str
    beats: tuple[Beat, ...]
    voice: Voice
    digest: str = field(compare=False)

    @property
    def filename(self) -> str:
        return f"{self.id}.mp4"


def _ints(value: Any, key: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and v >= 0 for v in value):
        raise RenderError(f"script: `{key}` must be a list of non-negative integers, got {value!r}")
    return tuple(value)


def _colors(value: Any) -> tuple[RGB, ...]:
    names = value if isinstance(value, list) else []
    unknown = [n for n in names if n not in COLORS]
    if not isinstance(value, list) or unknown:
        raise RenderError(f"script: `colors` must list names from {sorted(COLORS)}, got {value!r}")
    return tuple(COLORS[n] for n in names)


def _number_line(value: Any) -> NumberLine:
    if not isinstance(value, dict):
        raise RenderError(f"script: `number_line` must be a table, got {value!r}")
    line = NumberLine(
        start=int(value.get("start", 0)),
        hops=int(value.get("hops", 0)),
        low=int(value.get("min", 0)),
        high=int(value.get("max", 10)),
    )
    if not line.low <= line.start <= line.start + line.hops <= line.high or line.high - line.low > 20:
        raise RenderError(f"script: number line {value!r} does not fit between min and max (≤ 20 apart)")
    return line


def parse_beat(raw: dict[str, Any], where: str) -> Beat:
    for key in ("say", "zh", "en"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RenderError(f"script: {where} needs a non-empty `{key}`")
    visuals = [k for k in ("groups", "number_line", "ten_frame") if k in raw]
    if len(visuals) > 1:
        raise RenderError(f"script: {where} uses {visuals}; use at most one of them")
    return Beat(
        say=raw["say"].strip(),
        zh=raw["zh"].strip(),
        en=raw["en"].strip(),
        equation=str(raw.get("equation", "")).strip(),
        groups=_ints(raw["groups"], "groups") if "groups" in raw else (),
        count_on=bool(raw.get("count_on", False)),
        number_line=_number_line(raw["number_line"]) if "number_line" in raw else None,
        ten_frame=_ints(raw["ten_frame"], "ten_frame") if "ten_frame" in raw else (),
        colors=_colors(raw["colors"]) if "colors" in raw else (),
        animate=bool(raw.get("animate", True)),
    )


def _digest(voice: dict[str, Any], section: dict[str, Any], codec: str) -> str:
    payload = {"renderer": RENDERER_VERSION, "codec": codec, "voice": voice, "segment": section}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def load_script(path: Path, codec: str) -> list[Segment]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RenderError(f"script not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RenderError(f"{path}: invalid TOML: {exc}") from exc
    voice_raw: dict[str, Any] = data.get("voice", {})
    sections: dict[str, Any] = data.get("segments", {})
    if not sections:
        raise RenderError(f"{path}: no [segments.*] tables")
    segments = []
    for seg_id, section in sections.items():
        beats = tuple(parse_beat(b, f"{seg_id} beat {i + 1}") for i, b in enumerate(section.get("beats", [])))
        if not beats:
            raise RenderError(f"{path}: segment {seg_id} has no beats")
        voice = Voice(
            name=str(voice_raw.get("name", "en-us")),
            speed=int(section.get("speed", voice_raw.get("speed", 140))),
            pitch=int(voice_raw.get("pitch", 50)),
            word_gap=int(voice_raw.get("word_gap", 0)),
        )
        segments.append(Segment(seg_id, beats, voice, _digest(voice_raw, section, codec)))
    return segments


# ---------------------------------------------------------------------------------------- dependencies


@dataclass(frozen=True)
class Fonts:
    cjk: Path
    latin: Path

    def zh(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(str(self.cjk), size)

    def en(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(str(self.latin), size)


_FONT_CACHE: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = ImageFont.truetype(path, size)
    return _FONT_CACHE[key]


def _fc_files(pattern: str) -> list[Path]:
    if shutil.which("fc-list") is None:
        return []
    result = subprocess.run(["fc-list", pattern, "file"], capture_output=True, text=True, check=False)
    return sorted(Path(line.strip().rstrip(":")) for line in result.stdout.splitlines() if line.strip())


def find_fonts() -> Fonts:
    cjk = next((Path(p) for p in CJK_FONT_PATHS if Path(p).is_file()), None)
    if cjk is None:
        cjk = next(iter(_fc_files(":lang=zh-cn")), None)
    if cjk is None:
        raise RenderError(
            "no Chinese font found: install fonts-wqy-microhei with apt-get (sudo apt-get install fonts-wqy-microhei)"
        )
    latin = next((Path(p) for p in LATIN_FONT_PATHS if Path(p).is_file()), None)
    if latin is None:
        latin = next(iter(_fc_files("DejaVu Sans:style=Bold")), cjk)
    return Fonts(cjk=cjk, latin=latin)


def find_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RenderError("espeak-ng not found: install espeak-ng with apt-get (sudo apt-get install espeak-ng)")
    return exe


def video_codec() -> str:
    if "libx264" in av.codecs_available:
        return "libx264"
    print("warning: PyAV's ffmpeg has no libx264; falling back to MPEG-4 Part 2 video", file=sys.stderr)
    return "mpeg4"


# --------------------------------------------------------------------------------------------- speech


def speak(espeak: str, text: str, voice: Voice, workdir: Path) -> Audio:
    """Speak `text` with espeak-ng and return mono float32 samples at SAMPLE_RATE."""
    wav = workdir / "speech.wav"
    cmd = [espeak, "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch)]
    cmd += ["-g", str(voice.word_gap), "-w", str(wav), "--stdin"]
    result = subprocess.run(cmd, input=text, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not wav.is_file():
        raise RenderError(f"espeak-ng failed ({result.returncode}): {result.stderr.strip()}")
    return read_audio(wav)


def read_audio(path: Path) -> Audio:
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE)
    chunks: list[Audio] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(f.to_ndarray()[0] for f in resampler.resample(frame))
    chunks.extend(f.to_ndarray()[0] for f in resampler.resample(None))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


# ---------------------------------------------------------------------------------------------- scene


@dataclass(frozen=True)
class Timed:
    """A beat placed on the segment's timeline, in video frames."""

    beat: Beat
    first_frame: int
    frames: int
    speech_frames: int

    def visible(self, frame: int) -> int:
        """Animated items visible at segment frame `frame` (they appear over 15-85 % of the speech)."""
        total = self.beat.animated_items()
        if total == 0:
            return total
        t = (frame - self.first_frame) / max(self.speech_frames, 1)
        return max(0, min(total, math.floor((t - 0.15) / 0.7 * total) + 1))


def _text_fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> bool:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return right - left <= width


def _fitted(draw: ImageDraw.ImageDraw, text: str, fonts: Fonts, zh: bool, size: int) -> ImageFont.FreeTypeFont:
    while size > 20:
        font = fonts.zh(size) if zh else fonts.en(size)
        if _text_fit(draw, text, font, WIDTH - 80):
            return font
        size -= 4
    return fonts.zh(size) if zh else fonts.en(size)


def draw_heading(draw: ImageDraw.ImageDraw, beat: Beat, fonts: Fonts, centred: bool) -> None:
    zh_y, en_y = (260, 400) if centred else (80, 160)
    zh_size, en_size = (120, 64) if centred else (80, 46)
    stroke = 3 if centred else 2
    if not centred:
        draw.rectangle((0, 0, WIDTH, 205), fill=BAND)
    zh_font = _fitted(draw, beat.zh, fonts, True, zh_size)
    draw.text((WIDTH // 2, zh_y), beat.zh, font=zh_font, fill=INK, anchor="mm", stroke_width=stroke, stroke_fill=INK)
    en_font = _fitted(draw, beat.en, fonts, False, en_size)
    draw.text((WIDTH // 2, en_y), beat.en, font=en_font, fill=SUBTLE, anchor="mm")


def draw_equation(draw: ImageDraw.ImageDraw, text: str, fonts: Fonts, alone: bool) -> None:
    y, size = (420, 160) if alone else (645, 100)
    font = _fitted(draw, text, fonts, False, size)
    draw.text((WIDTH // 2, y), text, font=font, fill=EQUATION_INK, anchor="mm")


def draw_apple(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, color: RGB) -> None:
    dark = tuple(int(c * 0.6) for c in color)
    draw.rectangle((cx - r * 0.07, cy - r * 1.25, cx + r * 0.07, cy - r * 0.75), fill=(110, 76, 40))
    draw.ellipse((cx + r * 0.05, cy - r * 1.25, cx + r * 0.6, cy - r * 0.95), fill=(76, 175, 80))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color, outline=dark, width=max(3, int(r / 12)))
    draw.ellipse((cx - r * 0.55, cy - r * 0.6, cx - r * 0.2, cy - r * 0.2), fill=(255, 255, 255))


def draw_groups(draw: ImageDraw.ImageDraw, beat: Beat, visible: int, fonts: Fonts) -> None:
    total, gaps = sum(beat.groups), len(beat.groups) - 1
    d = min(110.0, (WIDTH - 120) / (total * 1.25 + gaps * 1.1))
    pitch, gap = d * 1.25, d * 1.1
    x = (WIDTH - (total * pitch - (pitch - d) + gaps * gap)) / 2 + d / 2
    cy = 360.0 if beat.count_on else 390.0
    label = fonts.en(int(min(56, d * 0.6)))
    shown, count = 0, 0
    for g, n in enumerate(beat.groups):
        if g > 0:
            plus_x = x - pitch / 2 + gap / 2
            draw.text((plus_x, cy), "+", font=fonts.en(int(d * 0.7)), fill=INK, anchor="mm")
            x += gap
        group_left = x - d / 2
        for _ in range(n):
            count += 1
            if g > 0 and beat.animated_items() and shown >= visible:
                return
            shown += g > 0
            draw_apple(draw, x, cy, d / 2, beat.color(g))
            if beat.count_on and g > 0:
                draw.text((x, cy + d * 0.95), str(count), font=label, fill=INK, anchor="mm")
            x += pitch
        if beat.count_on and g == 0:
            _brace_label(draw, group_left, x - pitch + d / 2, cy + d * 0.7, str(n), label)


def _brace_label(
    draw: ImageDraw.ImageDraw, x0: float, x1: float, y: float, text: str, font: ImageFont.FreeTypeFont
) -> None:
    draw.line((x0, y, x0, y + 14, x1, y + 14, x1, y), fill=SUBTLE, width=5)
    cx = (x0 + x1) / 2
    draw.rounded_rectangle((cx - 45, y + 26, cx + 45, y + 96), radius=18, fill=(255, 224, 130), outline=SUBTLE, width=3)
    draw.text((cx, y + 61), text, font=font, fill=INK, anchor="mm")


def draw_number_line(draw: ImageDraw.ImageDraw, line: NumberLine, visible: int, fonts: Fonts) -> None:
    y, x0, x1 = 470, 90, WIDTH - 90
    step = (x1 - x0) / (line.high - line.low)

    def xs(n: int) -> float:
        return x0 + (n - line.low) * step

    draw.line((x0 - 30, y, x1 + 30, y), fill=INK, width=6)
    draw.polygon([(x1 + 45, y), (x1 + 25, y - 14), (x1 + 25, y + 14)], fill=INK)
    landed = {line.start + i + 1 for i in range(visible)}
    number_font, plus_font = fonts.en(46), fonts.en(34)
    for n in range(line.low, line.high + 1):
        draw.line((xs(n), y - 16, xs(n), y + 16), fill=INK, width=4)
        if n == line.start or n in landed:
            fill = COLORS["red"] if n == line.start else HOP
            draw.ellipse((xs(n) - 34, y + 24, xs(n) + 34, y + 92), fill=fill)
        colour = (255, 255, 255) if n == line.start or n in landed else INK
        draw.text((xs(n), y + 58), str(n), font=number_font, fill=colour, anchor="mm")
    draw.ellipse((xs(line.start) - 16, y - 16, xs(line.start) + 16, y + 16), fill=COLORS["red"])
    for i in range(visible):
        a, b = xs(line.start + i), xs(line.start + i + 1)
        draw.arc((a, y - 110, b, y + 110), start=180, end=360, fill=HOP, width=8)
        draw.text(((a + b) / 2, y - 140), "+1", font=plus_font, fill=HOP, anchor="mm")
    if visible:
        end = xs(line.start + visible)
        draw.polygon([(end, y - 6), (end - 16, y - 34), (end + 16, y - 34)], fill=HOP)


def draw_ten_frames(draw: ImageDraw.ImageDraw, beat: Beat, visible: int) -> None:
    counters = [g for g, n in enumerate(beat.ten_frame) for _ in range(n)]
    if beat.animated_items():
        counters = counters[: beat.ten_frame[0] + visible]
    frames = max(1, math.ceil(sum(beat.ten_frame) / 10))
    cell, gap = 96, 70
    left = (WIDTH - (frames * 5 * cell + (frames - 1) * gap)) / 2
    top = 392 - cell
    for f in range(frames):
        fx = left + f * (5 * cell + gap)
        for i in range(10):
            x, y = fx + (i % 5) * cell, top + (i // 5) * cell
            draw.rectangle((x, y, x + cell, y + cell), fill=(255, 255, 255), outline=INK, width=5)
            k = f * 10 + i
            if k < len(counters):
                color = beat.color(counters[k])
                dark = tuple(int(c * 0.6) for c in color)
                pad = cell * 0.14
                draw.ellipse((x + pad, y + pad, x + cell - pad, y + cell - pad), fill=color, outline=dark, width=4)


def render_scene(beat: Beat, visible: int, fonts: Fonts) -> Frame:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    has_visual = bool(beat.groups or beat.ten_frame or beat.number_line)
    draw_heading(draw, beat, fonts, centred=not has_visual and not beat.equation)
    if beat.groups:
        draw_groups(draw, beat, visible, fonts)
    elif beat.number_line is not None:
        hops = visible if beat.animated_items() else beat.number_line.hops
        draw_number_line(draw, beat.number_line, hops, fonts)
    elif beat.ten_frame:
        draw_ten_frames(draw, beat, visible)
    if beat.equation:
        draw_equation(draw, beat.equation, fonts, alone=not has_visual)
    return np.asarray(image, dtype=np.uint8)


# --------------------------------------------------------------------------------------------- encode


def build_timeline(segment: Segment, espeak: str) -> tuple[list[Timed], Audio]:
    """Speak every beat and lay the beats out on whole video frames; returns beats and the audio track."""
    timed: list[Timed] = []
    pieces: list[Audio] = [np.zeros(round(LEAD_IN_S * FPS) * SAMPLES_PER_FRAME, np.float32)]
    frame = round(LEAD_IN_S * FPS)
    with tempfile.TemporaryDirectory(prefix="render-demo-") as tmp:
        for beat in segment.beats:
            speech = speak(espeak, beat.say, segment.voice, Path(tmp))
            speech_frames = math.ceil(len(speech) / SAMPLES_PER_FRAME)
            frames = math.ceil(len(speech) / SAMPLES_PER_FRAME + BEAT_PAD_S * FPS)
            padded = np.zeros(frames * SAMPLES_PER_FRAME, np.float32)
            padded[: len(speech)] = speech
            pieces.append(padded)
            timed.append(Timed(beat, frame, frames, speech_frames))
            frame += frames
    return timed, np.concatenate(pieces)


def frames_of(timeline: Sequence[Timed], fonts: Fonts) -> Iterator[Frame]:
    """Yield yuv420p frames for the whole segment (the lead-in repeats the first beat's scene)."""
    cache: dict[tuple[int, int], Frame] = {}
    for index, timed in enumerate(timeline):
        start = 0 if index == 0 else timed.first_frame
        for frame in range(start, timed.first_frame + timed.frames):
            key = (index, timed.visible(frame))
            if key not in cache:
                rgb = av.VideoFrame.from_ndarray(render_scene(timed.beat, key[1], fonts), format="rgb24")
                cache[key] = np.asarray(rgb.reformat(format="yuv420p").to_ndarray(), dtype=np.uint8)
            yield cache[key]


def encode(path: Path, timeline: Sequence[Timed], audio: Audio, fonts: Fonts, codec: str) -> None:
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream(codec, rate=FPS)
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        if not isinstance(video, av.VideoStream) or not isinstance(sound, av.AudioStream):
            raise RenderError(f"PyAV could not create {codec}/aac streams")
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.codec_context.gop_size = GOP_FRAMES
        if codec == "libx264":
            video.options = {"preset": "veryfast", "crf": "23", "tune": "stillimage"}
        else:
            video.bit_rate = 1_500_000
        sound.bit_rate = 64_000
        for i, yuv in enumerate(frames_of(timeline, fonts)):
            picture = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            picture.pts, picture.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(picture))
            chunk = audio[i * SAMPLES_PER_FRAME : (i + 1) * SAMPLES_PER_FRAME]
            samples = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
            samples.sample_rate, samples.pts = SAMPLE_RATE, i * SAMPLES_PER_FRAME
            samples.time_base = Fraction(1, SAMPLE_RATE)
            container.mux(sound.encode(samples))
        container.mux(video.encode(None))
        container.mux(sound.encode(None))


def write_captions(timeline: Sequence[Timed], path: Path) -> None:
    """WebVTT captions: one cue per beat, from its first frame until the next beat."""

    def stamp(frame: int) -> str:
        ms = round(frame * 1000 / FPS)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    cues = [f"{stamp(t.first_frame)} --> {stamp(t.first_frame + t.frames)}\n{t.beat.say}" for t in timeline]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
    tmp.replace(path)


def render_segment(segment: Segment, out_path: Path, espeak: str, fonts: Fonts, codec: str) -> float:
    """Render one segment to `out_path` atomically; returns its duration in seconds."""
    timeline, audio = build_timeline(segment, espeak)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{segment.id}-", suffix=".mp4", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        encode(tmp, timeline, audio, fonts, codec)
        tmp.chmod(0o644)
        tmp.replace(out_path)
        write_captions(timeline, out_path.with_suffix(".vtt"))
    finally:
        tmp.unlink(missing_ok=True)
    return len(audio) / SAMPLE_RATE


# ------------------------------------------------------------------------------------------- manifest


def load_manifest(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_manifest(out_dir: Path, manifest: dict[str, str]) -> None:
    tmp = out_dir / f"{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out_dir / MANIFEST_NAME)


def render_all(out_dir: Path, force: bool = False, script: Path = DEFAULT_SCRIPT) -> list[Path]:
    """Render every segment of `script` into `out_dir` (skipping up-to-date ones); returns the mp4 paths.

    Raises RenderError when espeak-ng, the fonts or the script are missing or invalid.
    """
    espeak, fonts, codec = find_espeak(), find_fonts(), video_codec()
    segments = load_script(script, codec)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(out_dir)
    outputs = []
    for segment in segments:
        out_path = out_dir / segment.filename
        outputs.append(out_path)
        if not force and out_path.is_file() and manifest.get(segment.filename) == segment.digest:
            if not out_path.with_suffix(".vtt").is_file():
                write_captions(build_timeline(segment, espeak)[0], out_path.with_suffix(".vtt"))
                print(f"captions for {segment.filename}", flush=True)
            print(f"up to date {segment.filename}", flush=True)
            continue
        print(f"rendering {segment.filename} ... ", end="", flush=True)
        started = time.monotonic()
        try:
            duration = render_segment(segment, out_path, espeak, fonts, codec)
        except RenderError:
            print("failed", flush=True)
            raise
        print(f"{duration:.1f} s (took {time.monotonic() - started:.1f} s)", flush=True)
        manifest[segment.filename] = segment.digest
        save_manifest(out_dir, manifest)
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the demo lesson's videos from demo/script.toml.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--script", type=Path, default=DEFAULT_SCRIPT, help="narration and scene script")
    parser.add_argument("--force", action="store_true", help="render again even if up to date")
    args = parser.parse_args(argv)
    try:
        render_all(args.out, force=args.force, script=args.script)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

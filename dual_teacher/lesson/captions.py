"""Timed captions for video segments: a WebVTT file beside the video (`intro.vtt` or `intro.zh-Hans.vtt`).

Only what a caption line needs is read: cue timings and text (settings, styling and notes are ignored).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from pathlib import Path

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_TAG = re.compile(r"<[^>]+>")


@dataclasses.dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str


def _seconds(text: str) -> float | None:
    m = _TIME.fullmatch(text.strip())
    if m is None:
        return None
    hours, minutes, secs, frac = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def parse_vtt(text: str) -> list[Cue]:
    """Cues in time order; malformed blocks are skipped."""
    cues: list[Cue] = []
    for block in re.split(r"\r?\n\s*\r?\n", text.lstrip("\ufeff")):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        timing = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if timing is None:
            continue
        left, _, right = lines[timing].partition("-->")
        start, end = _seconds(left), _seconds(right.split()[0] if right.split() else "")
        words = " ".join(_TAG.sub("", ln).strip() for ln in lines[timing + 1 :]).strip()
        if start is None or end is None or end <= start or not words:
            continue
        cues.append(Cue(start, end, words))
    cues.sort(key=lambda c: c.start_s)
    return cues


def format_vtt(cues: list[Cue]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    blocks = [f"{stamp(c.start_s)} --> {stamp(c.end_s)}\n{c.text}" for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


class CaptionTrack:
    def __init__(self, cues: list[Cue]) -> None:
        self.cues = sorted(cues, key=lambda c: c.start_s)
        self._starts = [c.start_s for c in self.cues]

    def at(self, t: float) -> str:
        """The caption showing at `t` seconds into the media ("" between cues)."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return ""
        cue = self.cues[i]
        return cue.text if t < cue.end_s else ""


def sidecar_for(video: Path, lang: str) -> Path | None:
    """`<stem>.<lang>.vtt` (also the bare language, `zh` for `zh-Hans`), else `<stem>.vtt`."""
    names = [f"{video.stem}.{lang}.vtt", f"{video.stem}.{lang.split('-')[0]}.vtt", f"{video.stem}.vtt"]
    for name in dict.fromkeys(names):
        candidate = video.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def load_captions(video: Path, lang: str) -> CaptionTrack | None:
    path = sidecar_for(video, lang)
    if path is None:
        return None
    try:
        cues = parse_vtt(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return CaptionTrack(cues) if cues else None

"""Decode still frames from a video file (used for parity checks when no photos are at hand)."""

from __future__ import annotations

from pathlib import Path


def save_video_frames(video: Path, out_dir: Path, every_s: float = 10.0, limit: int = 4) -> list[Path]:
    """Write up to `limit` PNG frames, one every `every_s` seconds, named after the video."""
    import av

    saved: list[Path] = []
    next_t = 0.0
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_t:
                continue
            path = out_dir / f"{video.stem}_{int(t):04d}s.png"
            frame.to_image().save(path)  # type: ignore[no-untyped-call]
            saved.append(path)
            next_t = t + every_s
            if len(saved) >= limit:
                break
    return saved

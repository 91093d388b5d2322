"""Raised hands in video, not stills: clips built from the annotated photos, run through the live path.

    python benchmarks/eval_perception_video.py --data ../shared/data --out results/eval_perception_video.json
        [--annotations benchmarks/annotations/perception.json] [--seconds 2] [--fps 15] [--quick]

In class the camera gives seconds of frames, and a hand that is up for a second must be found even where one
frame misses it. The evaluation data has no video of hands going up (the two GIFs have none), so each annotated
photo with raised hands becomes a clip: `--seconds` at `--fps` of a slow camera move (a zoom from 100 % to
90 % of the frame and back, drifting sideways by 5 %, resampled each frame, so every frame differs in scale,
position and interpolation like a real camera's frames do). The clip runs through what a class runs:
`RoomPerception.process` (tile schedule, tracking, round-robin landmarks, face scan, palm budget) and
`RoomSignals` (N-of-M hysteresis -> `HandRaised`). A track that raised a hand is mapped back to the photo
(through its last frame's crop) and matched per person to the annotated raised heads, as in eval_perception.py.
The same photos are also scored as stills (`analyse_still`, every region and person at once) for comparison.
Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import fmt, write_json  # noqa: E402

from dual_teacher.core import events as ev  # noqa: E402
from dual_teacher.core.stats import median  # noqa: E402
from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.evaluation import Annotation, MatchCounts, PredictedHead, score_raised  # noqa: E402
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.signals import RoomSignals  # noqa: E402

DEFAULT_ANNOTATIONS = REPO / "benchmarks" / "annotations" / "perception.json"


def crop_box(i: int, n: int, w: int, h: int) -> tuple[float, float, float, float]:
    """The camera's view of the photo in frame i of n: zoom 100 % -> 90 % -> 100 %, drifting sideways 5 %."""
    phase = i / max(n - 1, 1)
    zoom = 1.0 - 0.1 * math.sin(math.pi * phase)
    cw, ch = w * zoom, h * zoom
    cx = w / 2 + 0.05 * w * (phase - 0.5) * zoom
    cy = h / 2
    x0 = min(max(cx - cw / 2, 0.0), w - cw)
    y0 = min(max(cy - ch / 2, 0.0), h - ch)
    return x0, y0, x0 + cw, y0 + ch


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="2 photos, 1 s clips")
    args = ap.parse_args(argv)
    if not args.annotations.is_file():
        print(f"no annotations at {args.annotations}", file=sys.stderr)
        return 2
    images: dict[str, dict[str, Any]] = json.loads(args.annotations.read_text(encoding="utf-8"))["images"]
    picked = [(k, v) for k, v in sorted(images.items()) if "#" not in k and v.get("raised")]
    seconds = args.seconds
    if args.quick:
        picked, seconds = picked[:2], 1.0
    models = PerceptionModels.load(threads=args.threads)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for key, entry in picked:
        path = args.data / key
        if not path.is_file():
            continue
        with Image.open(path) as img:
            photo = img.convert("RGB")
        w, h = photo.size
        if (w, h) != (int(entry["width"]), int(entry["height"])):
            continue
        ann = Annotation.from_json(entry)
        still = RoomPerception(models).analyse_still(np.asarray(photo))
        still_heads = [PredictedHead(p.head[0], p.head[1], p.head[2], bool(p.raised)) for p in still.people]
        room, signals = RoomPerception(models), RoomSignals()
        n = max(2, round(seconds * args.fps))
        last_seen: dict[int, tuple[float, float, float]] = {}
        raised_ids: set[int] = set()
        frame_s: list[float] = []
        for i in range(n):
            box = crop_box(i, n, w, h)
            frame = np.asarray(photo.resize((w, h), Image.Resampling.BILINEAR, box=box))
            t0 = time.perf_counter()
            result = room.process(frame, i / args.fps)
            frame_s.append(time.perf_counter() - t0)
            sx, sy = (box[2] - box[0]) / w, (box[3] - box[1]) / h
            for p in result.people:  # back to photo pixels through this frame's crop
                last_seen[p.track_id] = (box[0] + p.head[0] * sx, box[1] + p.head[1] * sy, p.head[2] * sx)
            for e in signals.on_frame(result, i / args.fps):
                if isinstance(e, ev.HandRaised):
                    raised_ids.add(e.track_id)
        video_heads = [PredictedHead(x, y, s, tid in raised_ids) for tid, (x, y, s) in last_seen.items()]
        v, s_ = score_raised(video_heads, ann), score_raised(still_heads, ann)
        rows.append(
            {
                "file": key,
                "scene": ann.scene,
                "raised_true": len(ann.raised),
                "frames": n,
                "video": [v.tp, v.fp, v.fn],
                "still": [s_.tp, s_.fp, s_.fn],
                "frame_p50_ms": (median(frame_s) or 0.0) * 1000,
            }
        )
    total_v = sum((MatchCounts(*r["video"]) for r in rows), MatchCounts(0, 0, 0))
    total_s = sum((MatchCounts(*r["still"]) for r in rows), MatchCounts(0, 0, 0))

    print_table(
        [
            {**r, "video tp/fp/fn": "/".join(map(str, r["video"])), "still tp/fp/fn": "/".join(map(str, r["still"]))}
            for r in rows
        ],
        ["file", "scene", "raised_true", "frames", "video tp/fp/fn", "still tp/fp/fn", "frame_p50_ms"],
    )
    summary = {
        name: {"precision": m.precision, "recall": m.recall, "f1": m.f1, "tp": m.tp, "fp": m.fp, "fn": m.fn}
        for name, m in (("video", total_v), ("still", total_s))
    }
    print()
    print_table(
        [
            {
                "mode": k,
                "P": fmt(x["precision"], 2),
                "R": fmt(x["recall"], 2),
                "F1": fmt(x["f1"], 2),
                "raised (n)": x["tp"] + x["fn"],
            }
            for k, x in summary.items()
        ],
        ["mode", "P", "R", "F1", "raised (n)"],
    )
    print(f"({len(rows)} clips of {seconds:g} s at {args.fps:g} frames/s; per-person matching)")
    write_json(
        args.out,
        {
            "clips": len(rows),
            "seconds": seconds,
            "fps": args.fps,
            "video": summary["video"],
            "still": summary["still"],
            "rows": rows,
            "providers": models.providers_in_use(),
            "wall_s": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How far off is the head count? A measured band for the count reported, scored by leave-one-source-out.

    python benchmarks/calibrate_count.py --data ../shared/data --out results/calibrate_count.json
        [--coverage 0.8] [--quick] [--video results/eval_perception_video.json]

Every frame of the evaluation (the frames of `eval_perception.py`: each still and the annotated or sampled GIF
frames) is analysed once by the default pipeline with the cues' own bounds (`count_band=None`). A frame's relative
error is (TSV count - count reported) / count reported. The band is the pair of quantiles of those errors,
(1 - coverage) / 2 and (1 + coverage) / 2, every source weighted alike (a source = the repository or photo series
a frame comes from), so a source with many frames does not set it alone; `fusion.count_band` turns it into the
range [low, high] the console and the lead teacher are given.

Scored by leave-one-source-out: for each source, the band fitted on the *other* sources is applied to its frames;
the held-out frames of all sources, pooled, give the coverage (how often the TSV count lies in [low, high]) and
the width (high - low) a new room would see. Printed next to the cues' own bounds (the sure people .. the people
and every weak face) on the same frames, per scene kind, with the number of frames behind each figure; the band
fitted on every source is what `PerceptionConfig.count_band` should hold. With `--video`, the band is also scored
on the live path: the last count each clip of an `eval_perception_video.py` run reported, held out the same way.
This script reports and changes nothing. Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
for p in (REPO, REPO / "benchmarks"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from _common import fmt, write_json  # noqa: E402
from eval_perception import DEFAULT_ANNOTATIONS, evaluate, read_annotations, read_truth  # noqa: E402

from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.fusion import count_band  # noqa: E402
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.room_config import PerceptionConfig  # noqa: E402
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads  # noqa: E402

Bounds = Callable[[dict[str, Any]], tuple[int, int]]
FRAME_FIELDS = ("label", "scene", "source", "people_true", "people_found", "people_low", "people_high")


def relative_error(row: dict[str, Any]) -> float:
    return (row["people_true"] - row["people_found"]) / max(row["people_found"], 1)


def fit_band(rows: Sequence[dict[str, Any]], coverage: float) -> tuple[float, float]:
    """The (1 - coverage) / 2 and (1 + coverage) / 2 quantiles of the rows' relative errors, each source
    weighted alike; lower <= 0 <= upper."""
    per_source: dict[str, int] = {}
    for r in rows:
        per_source[r["source"]] = per_source.get(r["source"], 0) + 1
    errors = np.array([relative_error(r) for r in rows])
    weights = np.array([1.0 / per_source[r["source"]] for r in rows])
    q = np.quantile(errors, [(1 - coverage) / 2, (1 + coverage) / 2], weights=weights, method="inverted_cdf")
    return min(float(q[0]), 0.0), max(float(q[1]), 0.0)


def score(rows: Sequence[dict[str, Any]], bounds: Bounds) -> dict[str, Any]:
    """Coverage (the TSV count within the bounds) and widths over `rows`."""
    if not rows:
        return {"frames": 0}
    spans = [bounds(r) for r in rows]
    inside = [lo <= r["people_true"] <= hi for r, (lo, hi) in zip(rows, spans, strict=True)]
    width = [hi - lo for lo, hi in spans]
    exact = [lo == hi for lo, hi in spans]
    return {
        "frames": len(rows),
        "coverage": float(np.mean(inside)),
        "mean_width": float(np.mean(width)),
        "relative_width": float(np.mean([w / max(r["people_found"], 1) for r, w in zip(rows, width, strict=True)])),
        "exact_share": float(np.mean(exact)),
        "exact_right": sum(1 for e, i in zip(exact, inside, strict=True) if e and i),
        "exact_frames": sum(exact),
    }


def loso_bounds(rows: Sequence[dict[str, Any]], coverage: float) -> tuple[dict[int, tuple[int, int]], dict[str, Any]]:
    """Each row's bounds from the band fitted without its source (by row index), and each source's band."""
    out: dict[int, tuple[int, int]] = {}
    bands: dict[str, Any] = {}
    for src in sorted({r["source"] for r in rows}):
        band = fit_band([r for r in rows if r["source"] != src], coverage)
        bands[src] = [round(band[0], 3), round(band[1], 3)]
        for i, r in enumerate(rows):
            if r["source"] == src:
                out[i] = count_band(int(r["people_found"]), band)
    return out, bands


def subsets(rows: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Row indices of every subset reported: all, classroom stills, and each scene kind."""
    out = {"all": list(range(len(rows)))}
    out["classroom stills"] = [i for i, r in enumerate(rows) if r["classroom"] and r["frame"] is None]
    for scene in sorted({r["scene"] for r in rows}):
        out[f"scene: {scene}"] = [i for i, r in enumerate(rows) if r["scene"] == scene]
    return out


def live_path(video: Path, rows: Sequence[dict[str, Any]], coverage: float) -> dict[str, Any]:
    """The band on the live path: each clip of an `eval_perception_video.py` run (its last count reported, its
    low and high then) against its TSV count, the band fitted on the stills of the other sources; printed and
    returned next to the bounds the clip reported."""
    clips = json.loads(video.read_text(encoding="utf-8"))["rows"]
    fitted = {
        src: fit_band([r for r in rows if r["source"] != src] or rows, coverage) for src in {c["source"] for c in clips}
    }
    as_rows = [
        {**c, "people_found": c["video_count"], "people_low": c["video_low"], "people_high": c["video_high"]}
        for c in clips
    ]
    methods: dict[str, Bounds] = {
        "the bounds reported live": lambda r: (int(r["people_low"]), int(r["people_high"])),
        "band, leave-one-source-out": lambda r: count_band(int(r["people_found"]), fitted[r["source"]]),
    }
    parts = {"live clips": as_rows, "live classroom clips": [r for r in as_rows if r["classroom"]]}
    out = {name: {m: score(part, b) for m, b in methods.items()} for name, part in parts.items()}
    print_table(
        [
            {
                "subset": name,
                "bounds": m,
                "clips": s["frames"],
                "coverage": fmt(s["coverage"], 2),
                "mean width": fmt(s["mean_width"], 1),
            }
            for name, figures in out.items()
            for m, s in figures.items()
        ],
        ["subset", "bounds", "clips", "coverage", "mean width"],
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with images/ground_truth.tsv")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file")
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    ap.add_argument("--coverage", type=float, default=0.8, help="the share of rooms the band should hold")
    ap.add_argument("--quick", action="store_true", help="6 images and 2 frames of one GIF (smoke run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--video",
        type=Path,
        help="also score the band on the live path: an eval_perception_video.py JSON (its last count per clip)",
    )
    args = ap.parse_args(argv)
    if not 0.0 < args.coverage < 1.0:
        ap.error("--coverage must be between 0 and 1")
    truth = read_truth(args.data)
    if args.quick:
        stills = [t for t in truth if not t["file"].lower().endswith(".gif")][:6]
        truth = stills + [t for t in truth if t["file"].lower().endswith(".gif")][:1]
    started = time.perf_counter()
    threads, workers = region_threads(args.threads, ["CPUExecutionProvider"])
    models = PerceptionModels.load(threads=threads)
    config = dataclasses.replace(PerceptionConfig(), count_band=None)
    with ThreadFanout(workers) as fan:
        room = RoomPerception(models, config, fanout=fan)
        found = evaluate(args.data, truth, read_annotations(args.annotations), {"cues": room}, 2 if args.quick else 6)
    rows = [r for r in found["cues"] if r["source"]]
    held, bands = loso_bounds(rows, args.coverage)
    held_of = {id(r): held[i] for i, r in enumerate(rows)}
    pooled = fit_band(rows, args.coverage)
    methods: dict[str, Bounds] = {
        "the cues' bounds": lambda r: (int(r["people_low"]), int(r["people_high"])),
        "band, leave-one-source-out": lambda r: held_of[id(r)],
        "band fitted on all (in sample)": lambda r: count_band(int(r["people_found"]), pooled),
    }
    results: dict[str, dict[str, Any]] = {}
    table = []
    for subset, idx in subsets(rows).items():
        part = [rows[i] for i in idx]
        for name, bounds in methods.items():
            s = score(part, bounds)
            results.setdefault(subset, {})[name] = s
            table.append(
                {
                    "subset": subset,
                    "bounds": name,
                    "frames": s["frames"],
                    "coverage": fmt(s["coverage"], 2),
                    "mean width": fmt(s["mean_width"], 1),
                    "width / count": fmt(s["relative_width"], 2),
                    "exact (right)": f"{s['exact_frames']} ({s['exact_right']})",
                }
            )
    print_table(table, ["subset", "bounds", "frames", "coverage", "mean width", "width / count", "exact (right)"])
    sources = sorted({r["source"] for r in rows})
    print(
        f"(coverage: the TSV count within [low, high]; target {args.coverage:.2f}; {len(rows)} frames, {len(sources)}"
        f" sources; exact: frames reported as an exact count, and how many of those were right)"
    )
    print(f"band fitted on every source: ({pooled[0]:.3f}, {pooled[1]:.3f}) -> PerceptionConfig.count_band")
    live = live_path(args.video, rows, args.coverage) if args.video else None
    top = results["all"]
    write_json(
        args.out,
        {
            "coverage_target": args.coverage,
            "band": [round(pooled[0], 3), round(pooled[1], 3)],
            "loso_coverage": top["band, leave-one-source-out"]["coverage"],
            "loso_mean_width": top["band, leave-one-source-out"]["mean_width"],
            "cues_coverage": top["the cues' bounds"]["coverage"],
            "cues_mean_width": top["the cues' bounds"]["mean_width"],
            "subsets": results,
            "bands_per_held_out_source": bands,
            "per_frame": [{k: r[k] for k in FRAME_FIELDS} | {"loso_band": list(held[i])} for i, r in enumerate(rows)],
            "live": live,
            "quick": args.quick,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

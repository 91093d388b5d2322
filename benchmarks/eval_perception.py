"""Accuracy of classroom perception on real photos and GIF frames: people counted and raised hands found.

    python benchmarks/eval_perception.py --data ../shared/data --out results/eval_perception.json [--quick]

`--data` has the layout of ../shared/data: `images/ground_truth.tsv` lists files relative to that folder
(`images/...` or `video/...`) with the true number of people and raised hands. Every image, and every frame
of each GIF (`--quick`: 3 frames per GIF and 4 images), is analysed on its own (`RoomPerception.analyse_still`:
all regions, all people). Printed per file and frame: people found vs truth, raised hands found vs truth;
then totals. Raised-hand precision/recall are over hand counts per image: matched = min(found, true).
The people MAE is also given for the subset where faces are visible (the detector is face-anchored: a
ground-truth note saying people are seen "from behind" excludes a file from that subset), and for the
classroom files. Frames stay in memory; nothing but the JSON is written.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dual_teacher.hardware.benchreport import print_table, write_json  # noqa: E402
from dual_teacher.perception.pipeline import PerceptionConfig, PerceptionModels, RoomPerception  # noqa: E402


def read_truth(data: Path) -> list[dict[str, str]]:
    with (data / "images" / "ground_truth.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def frames_of(path: Path, limit: int | None) -> list[tuple[str, np.ndarray]]:
    """(label, RGB array) for an image, or for each frame of an animated image."""
    out: list[tuple[str, np.ndarray]] = []
    with Image.open(path) as img:
        n = getattr(img, "n_frames", 1)
        if n <= 1:
            return [(path.name, np.asarray(img.convert("RGB")))]
        picks = set(range(n)) if limit is None else set(np.linspace(0, n - 1, limit).round().astype(int).tolist())
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i in picks:
                out.append((f"{path.name}#{i}", np.asarray(frame.convert("RGB"))))
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {"images": 0}
    err = [abs(r["people_found"] - r["people_true"]) for r in rows]
    t = sum(r["raised_true"] for r in rows)
    f = sum(r["raised_found"] for r in rows)
    m = sum(min(r["raised_true"], r["raised_found"]) for r in rows)
    return {
        "images": len(rows),
        "files": len({r["file"] for r in rows}),
        "people_true": sum(r["people_true"] for r in rows),
        "people_found": sum(r["people_found"] for r in rows),
        "people_mae": float(np.mean(err)),
        "raised_hands_true": t,
        "raised_hands_found": f,
        "raised_matched": m,
        "raised_precision": (m / f) if f else (1.0 if t == 0 else 0.0),
        "raised_recall": (m / t) if t else 1.0,
        "images_with_raised_hands": sum(1 for r in rows if r["raised_true"] > 0),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with images/ground_truth.tsv")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file")
    ap.add_argument("--quick", action="store_true", help="4 images and 3 frames per GIF (smoke run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gif-frames", type=int, default=None, help="analyse this many frames per GIF (default: all)")
    ap.add_argument("--min-person-px", type=float, default=None, help="override the smallest person (frame px)")
    args = ap.parse_args(argv)

    truth = read_truth(args.data)
    if args.quick:
        stills = [t for t in truth if not t["file"].lower().endswith(".gif")][:3]
        gifs = [t for t in truth if t["file"].lower().endswith(".gif")][:1]
        truth = stills + gifs
    config = PerceptionConfig()
    if args.min_person_px is not None:
        from dataclasses import replace

        config = replace(config, tiling=replace(config.tiling, min_person_px=args.min_person_px))
    models = PerceptionModels.load(threads=args.threads, with_faces=True)
    room = RoomPerception(models, config)
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for t in truth:
        path = args.data / t["file"]
        if not path.is_file():
            print(f"missing: {path}", file=sys.stderr)
            continue
        notes = t.get("notes", "")
        for label, frame in frames_of(path, 3 if args.quick else args.gif_frames):
            t0 = time.perf_counter()
            result = room.analyse_still(frame)
            rows.append(
                {
                    "file": t["file"],
                    "frame": label,
                    "size": f"{frame.shape[1]}x{frame.shape[0]}",
                    "people_true": int(t["people"]),
                    "people_found": result.count,
                    "raised_true": int(t["raised_hands"]),
                    "raised_found": result.raised_count,
                    "approx": t.get("people_approx", "0") == "1" or t.get("raised_approx", "0") == "1",
                    "faces_visible": "from behind" not in notes.lower(),
                    "classroom": "classroom" in t["file"].lower(),
                    "regions": result.regions,
                    "seconds": round(time.perf_counter() - t0, 3),
                }
            )
    print_table(
        [
            {
                **r,
                "people": f"{r['people_found']} / {r['people_true']}",
                "raised": f"{r['raised_found']} / {r['raised_true']}",
            }
            for r in rows
        ],
        ["frame", "size", "people", "raised", "regions", "seconds"],
    )
    total = summarise(rows)
    faces = summarise([r for r in rows if r["faces_visible"]])
    classroom = summarise([r for r in rows if r["classroom"]])
    classroom_faces = summarise([r for r in rows if r["classroom"] and r["faces_visible"]])
    stills = summarise([r for r in rows if "#" not in r["frame"]])
    print()
    print_table(
        [
            {"subset": name, **s}
            for name, s in (
                ("all", total),
                ("faces visible", faces),
                ("classroom", classroom),
                ("classroom, faces visible", classroom_faces),
                ("stills only", stills),
            )
        ],
        [
            "subset",
            "images",
            "files",
            "people_mae",
            "raised_hands_true",
            "raised_hands_found",
            "raised_precision",
            "raised_recall",
        ],
    )
    print("(found / true; raised precision/recall over hand counts per image, matched = min(found, true))")
    write_json(
        args.out,
        {
            **total,
            "subsets": {
                "faces_visible": faces,
                "classroom": classroom,
                "classroom_faces_visible": classroom_faces,
                "stills": stills,
            },
            "per_image": rows,
            "config": {"tiling": vars(config.tiling), "detect_min_score": config.detect_min_score},
            "providers": models.providers_in_use(),
            "quick": args.quick,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

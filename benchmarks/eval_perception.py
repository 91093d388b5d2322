"""Accuracy of classroom perception on real photos and GIF frames: people counted and raised hands found.

    python benchmarks/eval_perception.py --data ../shared/data --out results/eval_perception.json
        [--annotations benchmarks/annotations/perception.json] [--quick]
        [--variants before,faces,all,bodies-unfiltered,sizes,bodies,boxes,centerface,veto,count]

`--data` has the layout of ../shared/data: `images/ground_truth.tsv` lists files relative to that folder
(`images/...` or `video/...`) with the true number of people and raised hands. Annotations (optional) mark a
head point per person and per raised hand (see benchmarks/annotations/README.md); they are used for the files
they name when the image sizes agree, so the script runs on any folder of that layout.

Every image (and every annotated GIF frame; without annotations `--gif-frames` evenly spaced frames) is analysed
on its own (`RoomPerception.analyse_still`) by each variant:
- `before`: the pose pipeline with the old settings (MediaPipe's 1.25 landmark region, no face or palm cue,
  the "facing the camera" test for everyone);
- `faces`: + people from the full-range face detector over face-sized tiles, fused with the pose people;
- `all`: + the palm cue above each head, facing test only in a teacher zone (none set): the default before
  the body cue;
- `bodies-unfiltered`: + people from MoveNet MultiPose over body tiles (`body_cue.py`), chosen by
  leave-one-source-out (`tune_perception.py --grid bodies`);
- `sizes`: + people far smaller than the frame's typical head not counted (`people.small_outliers`, the
  fraction chosen by leave-one-source-out: `tune_perception.py --grid sizes`);
- `bodies`: + a person's landmarks judged by presence x upper-body visibility, which picks among duplicates
  and among a still's two passes (`people.landmark_quality`; leave-one-source-out: `tune_perception.py --grid
  landmarks`);
- `boxes`: + SSDLite person boxes confirmed by MoveNet (`tune_perception.py --grid boxes`);
- `centerface`: + the face count's faces from CenterFace over the whole frame (`--grid centerface`);
- `veto`: + a palm on another person's head is nobody's raise (`FusionConfig.palm_head_veto`, `--grid palms`);
- `count` (the product's default): + the count reported adds the weak faces no cue explains
  (`fusion.FusedRoom.estimate`, the weight chosen by `tune_perception.py --grid count`).

Scores (dual_teacher/perception/evaluation.py): per-person matching of predicted head points to annotated ones:
raised-hand precision / recall / F1, people recall / precision; and per image the people count error against
the TSV count. Reported for all frames, per scene kind, for exact vs approximate TSV rows, and for classroom
stills; each figure with the number of frames and true items behind it. Where a file has no annotation, raised
hands fall back to the per-image count score (matched = min(found, true)); the JSON says which was used.
Nothing here is fitted to the data: every threshold is a default of the pipeline (the body cue's were chosen
by leave-one-source-out in `tune_perception.py`). Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import fmt, write_json  # noqa: E402

from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.evaluation import (  # noqa: E402
    Annotation,
    MatchCounts,
    PredictedHead,
    score_people,
    score_raised,
    variant_config,
)
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.results import FrameResult  # noqa: E402

DEFAULT_ANNOTATIONS = REPO / "benchmarks" / "annotations" / "perception.json"


def read_truth(data: Path) -> list[dict[str, str]]:
    with (data / "images" / "ground_truth.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_annotations(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None or not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    images: dict[str, dict[str, Any]] = data.get("images", {})
    return images


def frames_of(path: Path, picks: set[int] | None, limit: int | None) -> list[tuple[int | None, np.ndarray]]:
    """(frame index or None for a still, RGB array). `picks`: these GIF frames; else `limit` evenly spaced."""
    out: list[tuple[int | None, np.ndarray]] = []
    with Image.open(path) as img:
        n = getattr(img, "n_frames", 1)
        if n <= 1:
            return [(None, np.asarray(img.convert("RGB")))]
        if picks is None:
            picks = set(range(n)) if limit is None else set(np.linspace(0, n - 1, limit).round().astype(int).tolist())
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i in picks:
                out.append((i, np.asarray(frame.convert("RGB"))))
    return out


def heads(result: FrameResult) -> list[PredictedHead]:
    return [PredictedHead(p.head[0], p.head[1], p.head[2], bool(p.raised)) for p in result.people]


def figure_cells(s: dict[str, Any]) -> dict[str, Any]:
    """A subset's figures (from `summarise`) as table cells, with the counts behind them."""
    return {
        "people MAE": fmt(s["people_mae"], 2),
        "MAE marked (n)": f"{fmt(s['people_mae_marked'], 2)} ({s['frames_marked']})",
        "people P": fmt(s["people_precision"], 2),
        "people R (n)": f"{fmt(s['people_recall'], 2)} ({s['people_marked']})",
        "raised P": fmt(s["raised_precision"], 2),
        "raised R": fmt(s["raised_recall"], 2),
        "raised F1": fmt(s["raised_f1"], 2),
        "raised (n)": s["raised_true"],
    }


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures of a subset of frame rows, with the counts behind them."""
    if not rows:
        return {"frames": 0}
    err = [abs(r["people_found"] - r["people_true"]) for r in rows]
    # against the people an annotator could mark in the picture (fewer than the TSV count where some are hidden)
    err_marked = [abs(r["people_found"] - r["people_marked"]) for r in rows if r.get("people_marked") is not None]
    matched = [r for r in rows if r["matching"] == "per_person"]
    raised = sum((MatchCounts(*r["raised_match"]) for r in matched), MatchCounts(0, 0, 0))
    people = sum((MatchCounts(*r["people_match"]) for r in matched), MatchCounts(0, 0, 0))
    counted = [r for r in rows if r["matching"] == "count"]
    c_true = sum(r["raised_true"] for r in counted)
    c_found = sum(r["raised_found"] for r in counted)
    c_m = sum(min(r["raised_true"], r["raised_found"]) for r in counted)
    tp, fp, fn = raised.tp + c_m, raised.fp + (c_found - c_m), raised.fn + (c_true - c_m)
    total = MatchCounts(tp, fp, fn)
    return {
        "frames": len(rows),
        "files": len({r["file"] for r in rows}),
        "frames_per_person": len(matched),
        "people_true": sum(r["people_true"] for r in rows),
        "people_found": sum(r["people_found"] for r in rows),
        "people_mae": float(np.mean(err)),
        "people_bias": float(np.mean([r["people_found"] - r["people_true"] for r in rows])),
        "people_mae_marked": float(np.mean(err_marked)) if err_marked else None,
        "frames_marked": len(err_marked),
        "people_recall": people.recall,
        "people_precision": people.precision,
        "people_marked": people.tp + people.fn,
        "raised_true": tp + fn,
        "raised_found": tp + fp,
        "raised_tp": tp,
        "raised_precision": total.precision if tp + fp else (1.0 if tp + fn == 0 else 0.0),
        "raised_recall": total.recall if tp + fn else None,
        "raised_f1": total.f1,
        "seconds_per_frame": float(np.mean([r["seconds"] for r in rows])),
    }


def subsets(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"all": summarise(rows)}
    stills = [r for r in rows if r["frame"] is None]
    out["stills"] = summarise(stills)
    out["classroom stills"] = summarise([r for r in stills if r["classroom"]])
    out["classroom stills, exact rows"] = summarise([r for r in stills if r["classroom"] and not r["approx"]])
    out["exact rows"] = summarise([r for r in rows if not r["approx"]])
    out["approximate rows"] = summarise([r for r in rows if r["approx"]])
    for scene in sorted({r["scene"] for r in rows}):
        out[f"scene: {scene}"] = summarise([r for r in rows if r["scene"] == scene])
    return out


def evaluate(
    data: Path,
    truth: Sequence[dict[str, str]],
    annotations: dict[str, dict[str, Any]],
    rooms: dict[str, RoomPerception],
    gif_frames: int,
) -> dict[str, list[dict[str, Any]]]:
    """Every frame of `truth` through each room's `analyse_still`: one row per frame and room (see the module
    docstring for the fields)."""
    rows: dict[str, list[dict[str, Any]]] = {n: [] for n in rooms}
    for t in truth:
        path = data / t["file"]
        if not path.is_file():
            print(f"missing: {path}", file=sys.stderr)
            continue
        ann_frames = sorted(
            int(k.split("#", 1)[1])
            for k in annotations
            if k.startswith(t["file"] + "#") and k.split("#", 1)[1].isdigit()
        )
        picks = set(ann_frames) if ann_frames else None
        for index, frame in frames_of(path, picks, gif_frames):
            key = t["file"] if index is None else f"{t['file']}#{index}"
            entry = annotations.get(key)
            h, w = frame.shape[:2]
            ann = None
            if entry is not None and int(entry.get("width", w)) == w and int(entry.get("height", h)) == h:
                ann = Annotation.from_json(entry)
            for name, room in rooms.items():
                t0 = time.perf_counter()
                result = room.analyse_still(frame)
                secs = time.perf_counter() - t0
                predicted = heads(result)
                row: dict[str, Any] = {
                    "file": t["file"],
                    "frame": index,
                    "label": key.split("/", 1)[-1],
                    "size": f"{w}x{h}",
                    "scene": ann.scene if ann else "unannotated",
                    "source": ann.source if ann and ann.source else t.get("source", "").split(":", 1)[0],
                    "people_true": int(t["people"]),
                    "people_marked": ann.total_people if ann else None,
                    "people_found": result.head_count,
                    "people_listed": result.count,
                    "people_low": result.count_low,
                    "people_high": result.count_high,
                    "raised_true": len(ann.raised) if ann else int(t["raised_hands"]),
                    "raised_found": result.raised_count,
                    "approx": t.get("people_approx", "0") == "1" or t.get("raised_approx", "0") == "1",
                    "classroom": "classroom" in t["file"].lower(),
                    "matching": "per_person" if ann else "count",
                    "regions": result.regions,
                    "seconds": round(secs, 3),
                }
                if ann:
                    pm, rm = score_people(predicted, ann), score_raised(predicted, ann)
                    row["people_match"] = [pm.tp, pm.fp, pm.fn]
                    row["raised_match"] = [rm.tp, rm.fp, rm.fn]
                rows[name].append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with images/ground_truth.tsv")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file")
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS, help="head-point annotations (JSON)")
    ap.add_argument(
        "--variants",
        default="count",
        help="comma-separated: before, faces, all, bodies-unfiltered, sizes, bodies, boxes, centerface, veto, count"
        " (the default pipeline); the first is the baseline",
    )
    ap.add_argument("--quick", action="store_true", help="4 images and 2 frames of one GIF (smoke run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gif-frames", type=int, default=6, help="frames per GIF without annotations")
    ap.add_argument("--per-frame", action="store_true", help="print the per-frame table")
    ap.add_argument("--only", default="", help="only files whose name contains this (development)")
    args = ap.parse_args(argv)

    truth = read_truth(args.data)
    if args.quick:
        stills = [t for t in truth if not t["file"].lower().endswith(".gif")][:3]
        gifs = [t for t in truth if t["file"].lower().endswith(".gif")][:1]
        truth = stills + gifs
    truth = [t for t in truth if args.only in t["file"]]
    annotations = read_annotations(args.annotations)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    configs = {n: variant_config(n) for n in names}
    models = PerceptionModels.load(threads=args.threads, with_faces=True, with_palms=True)
    rooms = {n: RoomPerception(models, c) for n, c in configs.items()}
    started = time.perf_counter()
    rows = evaluate(args.data, truth, annotations, rooms, 2 if args.quick else args.gif_frames)
    if args.per_frame:
        for name in names:
            print(f"\n== {name}: per frame (found / TSV true; raised tp/fp/fn where annotated)")
            print_table(
                [
                    {
                        **r,
                        "people": f"{r['people_found']} / {r['people_true']}",
                        "raised": f"{r['raised_found']} / {r['raised_true']}",
                        "raised tp/fp/fn": "/".join(map(str, r.get("raised_match", []))) or "count",
                    }
                    for r in rows[name]
                ],
                ["label", "scene", "size", "people", "raised", "raised tp/fp/fn", "seconds"],
            )
    results = {n: subsets(rows[n]) for n in names}
    print()
    table = []
    for subset in results[names[-1]]:
        for n in names:
            s = results[n].get(subset, {"frames": 0})
            if not s.get("frames"):
                continue
            table.append(
                {
                    "subset": subset,
                    "variant": n,
                    "frames": s["frames"],
                    **figure_cells(s),
                    "s/frame": fmt(s["seconds_per_frame"], 2),
                }
            )
    print_table(
        table,
        [
            "subset",
            "variant",
            "frames",
            "people MAE",
            "MAE marked (n)",
            "people R (n)",
            "raised P",
            "raised R",
            "raised F1",
            "raised (n)",
            "s/frame",
        ],
    )
    print(
        "(people MAE: |count reported - TSV count| per frame, the count being the people found + the weighted weak"
        " faces; MAE marked: the same against the people the annotation marks in the picture, n = annotated"
        " frames; R/P: per-person matching on annotated frames, n = true items)"
    )
    main_name = names[-1]
    top = results[main_name]["all"]
    write_json(
        args.out,
        {
            "variant": main_name,
            "people_mae": top["people_mae"],
            "raised_precision": top["raised_precision"],
            "raised_recall": top["raised_recall"],
            "raised_f1": top["raised_f1"],
            "people_recall": top["people_recall"],
            "matching": "per_person" if top["frames_per_person"] == top["frames"] else "mixed",
            "subsets": results[main_name],
            "variants": results,
            "per_frame": rows,
            "annotations": str(args.annotations) if annotations else None,
            "providers": models.providers_in_use(),
            "quick": args.quick,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which perception thresholds generalise? A leave-one-source-out choice over a small grid of settings.

    python benchmarks/tune_perception.py --data ../shared/data --out results/tune_perception.json [--quick]
        [--grid thresholds|bodies|sizes|landmarks|boxes|centerface|count|palms]
        [--settings "NAME,NAME"]  (a subset of the grid; its default is always in)

Every frame of the evaluation (the frames and scores of `eval_perception.py`) is analysed once per setting of a
grid (`GRIDS`: overrides of the pipeline's `PerceptionConfig`; `thresholds`: detector, lone-face and presence
scores; `bodies`: the MoveNet body cue off, or on at three person scores, three tile sizes and with its raise
verdict; `sizes`: people much smaller than the frame's typical head counted, or not under four fractions;
`landmarks`: which landmarks of a person a still keeps, by presence or by presence x upper-body visibility;
`boxes`: SSDLite person boxes confirmed by MoveNet off, or on at five box scores; `centerface`: the face count's
faces from BlazeFace over face tiles, or from CenterFace over the whole frame at four scores, with its sure faces
taken as whole people, and without the palm check of face-only people; `count`: the weight of the weak faces in
the count reported and whether they must pass the tests a lone face passes, judged by the count error alone;
`palms`: a palm on another head vetoed at three reaches, and body-only people checked for palms).
Then, for each source (the repository or photo series a frame comes from, `source` in the annotations), the
setting with the best objective on the *other* sources is chosen and scored on the held-out source; the held-out
frames of all sources, pooled, give the leave-one-source-out figures of the tuning
procedure. They are printed next to the default's figures on the same frames, with the setting each fold chose.
Objective: people F1 (per-person matching) + raised-hand F1 (the `count` grid: minus the people count's MAE).
The product changes a default only when the leave-one-source-out figures beat the default's; this script reports
and changes nothing. Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for p in (REPO, REPO / "benchmarks"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from _common import write_json  # noqa: E402
from eval_perception import (  # noqa: E402
    DEFAULT_ANNOTATIONS,
    evaluate,
    figure_cells,
    read_annotations,
    read_truth,
    summarise,
)

from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.fusion import FusionConfig  # noqa: E402
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.room_config import PerceptionConfig  # noqa: E402
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads  # noqa: E402

# name -> overrides of PerceptionConfig; "default" first. Kept small: every setting costs a full evaluation.
SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "detector 0.3": {"detect_min_score": 0.3},
    "detector 0.25": {"detect_min_score": 0.25},
    "lone face 0.5": {"face_only_score": 0.5},
    "presence 0.6": {"presence_min": 0.6},
    "detector 0.3 + lone face 0.5": {"detect_min_score": 0.3, "face_only_score": 0.5},
    "palms unconfirmed": {"palm_hand_presence": None},
    "hand presence 0.25": {"palm_hand_presence": 0.25},
}
# the body cue (body_cue.py): off (the product before it), or on at a MoveNet person score and tile size
# ("default" = on, 0.1, tiles 0.35: what this grid chose in all 16 folds, then made the default)
_FINER = {"body_cue": True, "body_tile_fraction": 0.35}
BODY_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "bodies off": {"body_cue": False},
    "bodies 0.1, tiles 0.5": {"body_cue": True, "body_min_score": 0.1, "body_tile_fraction": 0.5},
    "bodies 0.05, tiles 0.35": {**_FINER, "body_min_score": 0.05},
    "bodies 0.15, tiles 0.35": {**_FINER, "body_min_score": 0.15},
    "bodies 0.1, tiles 0.25": {"body_cue": True, "body_min_score": 0.1, "body_tile_fraction": 0.25},
    "bodies 0.1, tiles 0.35, raise": {**_FINER, "body_min_score": 0.1, "body_raise": True},
}
# people much smaller than the frame's median head not counted (`people.small_outliers`): off, or under a fraction
SIZE_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "small heads 0.3": {"min_head_fraction": 0.3},
    "small heads 0.4": {"min_head_fraction": 0.4},
    "small heads 0.5": {"min_head_fraction": 0.5},
    "small heads 0.6": {"min_head_fraction": 0.6},
    "small heads 0.5, median twice": {"min_head_fraction": 0.5, "min_head_rounds": 2},
    "small heads 0.5, median until stable": {"min_head_fraction": 0.5, "min_head_rounds": 10},
}
# which landmarks of a person a still keeps (`people.landmark_quality`): the presence picks among duplicates (the
# default), or presence x upper-body visibility, and also among the two passes of one frame
LANDMARK_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "quality by visibility": {"quality_by_visibility": True},
    "quality by visibility, best pass": {"quality_by_visibility": True, "keep_best_pass": True},
}
# SSDLite person boxes confirmed by MoveNet (`person_boxes.py`): off (the product before them), or on at a box
# score ("default" = on, 0.5: chosen by this grid in 14 of 16 folds, on in all 16, then made the default)
BOX_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "boxes off": {"box_cue": False},
    **{f"boxes {s}": {"box_cue": True, "box_min_score": s} for s in (0.3, 0.4, 0.6, 0.7)},
}
# the face count's faces: the full-range BlazeFace over face tiles (the product before), or CenterFace over the
# whole frame at a score a face needs to count alone, its sure faces taken as whole people, and with or without the
# palm check of face-only people (`face_count.py`; "default" = CenterFace at 0.25, chosen in 12 of 16 folds of the
# grid's first run against BlazeFace and CenterFace at 0.2-0.5, with its faces from 0.7 whole people, chosen in 13
# of 16 folds of the second run, then made the default)
CENTERFACE_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "centerface, whole none": {"centerface_whole_score": None},
    "blazeface": {"face_model": "blazeface"},
    **{f"centerface {s}": {"face_model": "centerface", "centerface_score": s} for s in (0.2, 0.3, 0.4)},
    "centerface, whole from 0.5": {"centerface_whole_score": 0.5},
    "centerface, no palms on face-only people": {"palm_face_only": False},
}
# the count reported: the people found + a weight x the weak faces no one explains (`fusion.FusedRoom.estimate`),
# with CenterFace's weak faces from 0.15 (the default) or 0.1, and only those that pass the tests a lone face passes
# (`FusionConfig.weak_plausible`: chosen in 14 of 16 folds, yet kept off: it helps the count of 3 sources, harms 4,
# and without one source the others prefer it off). The people and raised hands found are the same in every
# setting, so this grid is judged by the count error alone (`count_objective`)
COUNT_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    **{f"weak x {w}": {"count_weak_weight": w} for w in (0.0, 0.25, 0.5, 0.75)},
    **{f"weak from 0.1, x {w}": {"count_weak_weight": w, "centerface_weak_score": 0.1} for w in (0.5, 1.0)},
    "weak tested": {"fusion": FusionConfig(weak_plausible=True)},
}
# whose raise a palm is: a palm on another person's head vetoed (`FusionConfig.palm_head_veto`: the palm detector
# firing on a face, or a hand at someone's face; within 0.35 / 0.5 / 0.75 x that head's size of its centre), and
# body-only people checked for palms too, their heads competing for the palms found (`palm_body_only`)
PALM_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    **{f"veto {v}": {"fusion": FusionConfig(palm_head_veto=v)} for v in (0.35, 0.5, 0.75)},
    "body-only palms": {"palm_body_only": True},
    "body-only palms, veto 0.5": {"palm_body_only": True, "fusion": FusionConfig(palm_head_veto=0.5)},
}
GRIDS = {
    "thresholds": SETTINGS,
    "palms": PALM_SETTINGS,
    "count": COUNT_SETTINGS,
    "centerface": CENTERFACE_SETTINGS,
    "boxes": BOX_SETTINGS,
    "bodies": BODY_SETTINGS,
    "sizes": SIZE_SETTINGS,
    "landmarks": LANDMARK_SETTINGS,
}


def objective(rows: Sequence[dict[str, Any]]) -> float:
    s = summarise(rows)
    if not s.get("frames"):
        return 0.0
    p, r = s["people_precision"] or 0.0, s["people_recall"] or 0.0
    people_f1 = 2 * p * r / (p + r) if p + r else 0.0
    return people_f1 + (s["raised_f1"] or 0.0)


def count_objective(rows: Sequence[dict[str, Any]]) -> float:
    """Minus the people count's mean absolute error per frame (higher is better, like `objective`)."""
    s = summarise(rows)
    return -float(s["people_mae"]) if s.get("frames") else 0.0


Objective = Callable[[Sequence[dict[str, Any]]], float]
# a grid's objective and what it is called in the printout; grids not named here use `objective`
OBJECTIVES: dict[str, tuple[str, Objective]] = {"count": ("minus the people MAE", count_objective)}


def loso(
    rows: dict[str, list[dict[str, Any]]], objective: Objective = objective
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The held-out rows of every source under the setting chosen without it, and each source's choice."""
    names = list(rows)
    sources = sorted({r["source"] for r in rows[names[0]]})
    held: list[dict[str, Any]] = []
    chosen: dict[str, str] = {}
    for src in sources:
        scores = {n: objective([r for r in rows[n] if r["source"] != src]) for n in names}
        best = max(names, key=lambda n: (scores[n], n == "default"))  # ties keep the default
        chosen[src] = best
        held += [r for r in rows[best] if r["source"] == src]
    return held, chosen


def _line(label: str, s: dict[str, Any]) -> dict[str, Any]:
    return {"figures": label, "frames": s["frames"], **figure_cells(s)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with images/ground_truth.tsv")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file")
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    ap.add_argument("--quick", action="store_true", help="6 images, the first 2 settings (smoke run)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--grid", choices=sorted(GRIDS), default="thresholds", help="which settings to compare")
    ap.add_argument(
        "--settings", default="", help="comma-separated names of the grid's settings (its default is always in)"
    )
    args = ap.parse_args(argv)
    truth = read_truth(args.data)
    grid = GRIDS[args.grid]
    settings = dict(grid)
    if args.settings:
        wanted = {n.strip() for n in args.settings.split(",")} | {"default"}
        unknown = wanted - set(grid)
        if unknown:
            ap.error(f"unknown settings: {', '.join(sorted(unknown))} (known: {', '.join(grid)})")
        settings = {n: o for n, o in grid.items() if n in wanted}
    if args.quick:
        truth = [t for t in truth if not t["file"].lower().endswith(".gif")][:6]
        settings = dict(list(settings.items())[:2])
    annotations = read_annotations(args.annotations)
    started = time.perf_counter()
    threads, workers = region_threads(args.threads, ["CPUExecutionProvider"])
    models = PerceptionModels.load(threads=threads)
    with ThreadFanout(workers) as fan:
        rooms = {
            n: RoomPerception(models, dataclasses.replace(PerceptionConfig(), **o), fanout=fan)
            for n, o in settings.items()
        }
        rows = evaluate(args.data, truth, annotations, rooms, 2 if args.quick else 6)
    # per-person matched frames only: the objective and the folds need annotated frames with a source
    rows = {n: [r for r in rs if r["matching"] == "per_person" and r["source"]] for n, rs in rows.items()}
    what, score = OBJECTIVES.get(args.grid, ("people F1 + raised F1", objective))
    held, chosen = loso(rows, score)
    default_rows = rows["default"]
    held_sources = Counter(r["source"] for r in held)
    in_sample = {n: summarise(rs) for n, rs in rows.items()}
    table = [_line(f"in-sample: {n}", s) for n, s in in_sample.items()]
    table.append(_line("leave-one-source-out choice", summarise(held)))
    print_table(
        table,
        [
            "figures",
            "frames",
            "people MAE",
            "people P",
            "people R (n)",
            "raised P",
            "raised R",
            "raised F1",
            "raised (n)",
        ],
    )
    picks = Counter(chosen.values())
    print(f"{len(held_sources)} sources; each fold's choice: " + ", ".join(f"{n} x{k}" for n, k in picks.items()))
    loso_obj, default_obj = score(held), score(default_rows)
    verdict = "the choice beats the default" if loso_obj > default_obj else "keep the default"
    print(f"objective ({what}): leave-one-source-out {loso_obj:.3f}, default {default_obj:.3f}: {verdict}")
    write_json(
        args.out,
        {
            "grid": args.grid,
            "settings": settings,
            "in_sample": in_sample,
            "loso": summarise(held),
            "loso_objective": loso_obj,
            "default_objective": default_obj,
            "chosen_per_source": chosen,
            "sources": dict(held_sources),
            "verdict": verdict,
            "quick": args.quick,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""People and raised hands in video, not stills: clips built from the annotated photos, run through the live path.

    python benchmarks/eval_perception_video.py --data ../shared/data --out results/eval_perception_video.json
        [--annotations benchmarks/annotations/perception.json] [--variants count] [--clips all|raised]
        [--pace fixed|live] [--seconds 8] [--fps 3] [--signals default,...] [--loso [--loso-by people|raised]]
        [--quick]

In class the camera gives seconds of frames: a hand that is up for a second must be found even where one frame
misses it, and the head count the console shows comes from the live path, whose budgets (tiles, landmarks,
bodies and palms per frame, CenterFace on every other frame) a still does not have. The evaluation data has no
video of hands going up (the two GIFs have none), so each annotated photo becomes a clip (`--clips all`; `raised`:
only the photos with raised hands): `--seconds` of a slow camera move (a zoom from 100 % to 90 % of the frame
and back, drifting sideways by 5 %, resampled each frame, so every frame differs in scale, position and
interpolation like a real camera's frames do). The clip runs through what a class runs:
`RoomPerception.process` (tile schedule, tracking, round-robin landmarks, face scan, palm budget) and
`RoomSignals` (N-of-M hysteresis -> `HandRaised`, the smoothed `HeadCountReported`). `--signals` replays each
clip's frames through several `RoomSignals` settings (`evaluation.signals_variant`: `default+up_n=2` for another
hysteresis, `default+seat_reach=null` for every track id as it is, without the seat continuity that keeps one id
across the pipeline's id switches): the same frames for each, so the settings are compared on equal terms.

Pacing (`--pace`): `fixed` analyses every frame of a `--fps` camera (the clip's time advances 1/fps a frame,
whatever the analysis costs: the same on every machine); `live` is what a class gets on this machine: the
analysis takes the newest camera frame when it is done with the last one, so the clip's time advances by what
each frame's analysis took, and a cheaper budget is seen more often (compare budgets this way). The defaults, 8 s
at a fixed 3 frames/s, are about what a 2-core PC analyses of a 1080p room of 18 (a real camera gives more frames
than are analysed); with `live`, give the camera's rate (`--fps 15`): the analysis never sees more than it.

Scores, per clip: raised hands (every `HandRaised` event, at its person's head in the frame of the event mapped
back to the photo through that frame's crop, matched per person to the annotated raised heads as in
eval_perception.py: one hand queued twice, by two tracks, is one right and one false); the people count (the last
`HeadCountReported` against the TSV count) and people recall (the last frame's people, per person). The same
photos are also scored as stills (`analyse_still`, every region and person at once) for comparison. Variants
are the names of `eval_perception.py` with fields changed (`count+bodies_per_frame=1`, see
`evaluation.variant_config`). Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import fmt, write_json  # noqa: E402
from eval_perception import read_truth  # noqa: E402
from tune_perception import loso  # noqa: E402

from dual_teacher.core import events as ev  # noqa: E402
from dual_teacher.core.stats import median  # noqa: E402
from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.evaluation import (  # noqa: E402
    Annotation,
    MatchCounts,
    PredictedHead,
    score_people,
    score_raised,
    signals_variant,
    variant_config,
)
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.results import FrameResult  # noqa: E402
from dual_teacher.perception.room_config import PerceptionConfig  # noqa: E402
from dual_teacher.perception.signals import RoomSignals, SignalsConfig  # noqa: E402
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads  # noqa: E402

DEFAULT_ANNOTATIONS = REPO / "benchmarks" / "annotations" / "perception.json"
Box = tuple[float, float, float, float]


def crop_box(phase: float, w: int, h: int) -> Box:
    """The camera's view of the photo at `phase` (0..1) of the clip: zoom 100 % -> 90 % -> 100 %, drifting
    sideways 5 %."""
    phase = min(max(phase, 0.0), 1.0)
    zoom = 1.0 - 0.1 * math.sin(math.pi * phase)
    cw, ch = w * zoom, h * zoom
    cx = w / 2 + 0.05 * w * (phase - 0.5) * zoom
    cy = h / 2
    x0 = min(max(cx - cw / 2, 0.0), w - cw)
    y0 = min(max(cy - ch / 2, 0.0), h - ch)
    return x0, y0, x0 + cw, y0 + ch


def heads_in_photo(result: FrameResult, box: Box, w: int, h: int) -> dict[int, tuple[float, float, float]]:
    """Each person's head (x, y, size) in photo pixels, through this frame's crop."""
    sx, sy = (box[2] - box[0]) / w, (box[3] - box[1]) / h
    return {p.track_id: (box[0] + p.head[0] * sx, box[1] + p.head[1] * sy, p.head[2] * sx) for p in result.people}


def clip_times(seconds: float, fps: float, pace: str, last_cost: list[float]) -> Iterator[float]:
    """The clip's time at each analysed frame: every 1/fps (`fixed`), or after what the last analysis took,
    rounded up to the camera's next frame (`live`; `last_cost` holds the seconds the caller measured)."""
    n = max(2, round(seconds * fps))
    if pace == "fixed":
        for i in range(n):
            yield i / fps
        return
    t = 0.0
    while t < seconds:
        yield t
        t = (math.floor((t + (last_cost[-1] if last_cost else 0.0)) * fps) + 1) / fps


def run_clip(
    models: PerceptionModels,
    config: PerceptionConfig,
    fanout: ThreadFanout,
    photo: Image.Image,
    seconds: float,
    fps: float,
    pace: str,
    signals_configs: Sequence[SignalsConfig],
) -> list[dict[str, Any]]:
    """One clip through `process` (on the worker pool, as in class), its frames replayed through `RoomSignals`
    with each of `signals_configs` (the same frames for each): per config, the heads of its `HandRaised` events,
    the last count reported, the last frame's people, all in photo pixels."""
    w, h = photo.size
    room = RoomPerception(models, config, fanout=fanout)
    frames: list[tuple[float, FrameResult, dict[int, tuple[float, float, float]]]] = []
    cost: list[float] = []
    for t in clip_times(seconds, fps, pace, cost):
        box = crop_box(t / seconds, w, h)
        frame = np.asarray(photo.resize((w, h), Image.Resampling.BILINEAR, box=box))
        t0 = time.perf_counter()
        result = room.process(frame, t)
        cost.append(time.perf_counter() - t0)
        frames.append((t, result, heads_in_photo(result, box, w, h)))
    return [
        {**replay(frames, c), "frames": len(cost), "frame_p50_ms": (median(cost) or 0.0) * 1000}
        for c in signals_configs
    ]


def replay(
    frames: Sequence[tuple[float, FrameResult, dict[int, tuple[float, float, float]]]], config: SignalsConfig
) -> dict[str, Any]:
    """A clip's frames through one `RoomSignals`: where its `HandRaised` events put the hands, the last count."""
    signals = RoomSignals(config)
    final: dict[int, tuple[float, float, float]] = {}
    raised_at: list[tuple[float, float, float]] = []
    reported: ev.HeadCountReported | None = None
    for t, result, final in frames:
        for e in signals.on_frame(result, t):
            if isinstance(e, ev.HandRaised):
                # an event names the seat (`continuity`): its hand is where the seat's track is now
                track = signals.continuity.track_of(e.track_id)
                if track in final:
                    raised_at.append(final[track])  # where the console's queue shows the hand
            elif isinstance(e, ev.HeadCountReported):
                reported = e
    return {
        "raised": [PredictedHead(x, y, s, True) for x, y, s in raised_at],
        "people": [PredictedHead(x, y, s, False) for x, y, s in final.values()],
        "count": None if reported is None else reported.count,
        "low": None if reported is None else reported.low,
        "high": None if reported is None else reported.high,
    }


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A subset's figures, with the counts behind them."""
    if not rows:
        return {"clips": 0}
    out: dict[str, Any] = {"clips": len(rows), "raised_true": sum(r["raised_true"] for r in rows)}
    for mode in ("video", "still"):
        m = sum((MatchCounts(*r[f"{mode}_raised"]) for r in rows), MatchCounts(0, 0, 0))
        people = sum((MatchCounts(*r[f"{mode}_people"]) for r in rows), MatchCounts(0, 0, 0))
        err = [abs(r[f"{mode}_count"] - r["people_true"]) for r in rows if r[f"{mode}_count"] is not None]
        out[mode] = {
            "precision": m.precision,
            "recall": m.recall,
            "f1": m.f1,
            "tp": m.tp,
            "fp": m.fp,
            "fn": m.fn,
            "people_mae": float(np.mean(err)) if err else None,
            "people_counted": len(err),
            "people_recall": people.recall,
            "people_marked": people.tp + people.fn,
        }
    return out


def subsets(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {"all": summarise(rows), "with raised hands": summarise([r for r in rows if r["raised_true"]])}
    classroom = [r for r in rows if r["classroom"]]
    out["classroom"] = summarise(classroom)
    out["classroom, exact rows"] = summarise([r for r in classroom if not r["approx"]])
    for scene in sorted({r["scene"] for r in rows}):
        out[f"scene: {scene}"] = summarise([r for r in rows if r["scene"] == scene])
    return {k: v for k, v in out.items() if v["clips"]}


def live_count_objective(rows: Sequence[dict[str, Any]]) -> float:
    """Minus the live count's mean absolute error per clip (higher is better)."""
    mae = summarise(rows).get("video", {}).get("people_mae") if rows else None
    return -float(mae) if mae is not None else 0.0


def live_raised_objective(rows: Sequence[dict[str, Any]]) -> float:
    """The live raised-hand F1 over the clips (higher is better)."""
    return float(summarise(rows).get("video", {}).get("f1") or 0.0) if rows else 0.0


OBJECTIVES = {
    "people": (live_count_objective, "minus the live people MAE"),
    "raised": (live_raised_objective, "the live raised-hand F1"),
}


def held_out(rows: dict[str, list[dict[str, Any]]], by: str = "people") -> dict[str, Any]:
    """Leave-one-source-out over the variants: each source's clips scored with the variant whose objective
    (`by`) is best on the other sources' clips (`tune_perception.loso`); the choices and the held-out figures."""
    objective, says = OBJECTIVES[by]
    held, chosen = loso(rows, objective)
    return {
        "objective": says,
        "chosen": dict(Counter(chosen.values())),
        "sources": len(chosen),
        "held_out": subsets(held),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    ap.add_argument("--variants", default="count", help="comma-separated (see the docstring); the last is the main")
    ap.add_argument("--clips", choices=["all", "raised"], default="all")
    ap.add_argument("--pace", choices=["fixed", "live"], default="fixed")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--fps", type=float, default=3.0)
    ap.add_argument(
        "--signals",
        default="default",
        help="comma-separated `RoomSignals` settings to replay each clip's frames through (`default+up_n=2`,"
        " `default+seat_reach=null`: every track id as it is); with more than one, a variant is perception/signals",
    )
    ap.add_argument("--threads", type=int, default=2, help="cores (live pace runs on this many)")
    ap.add_argument("--only", default="", help="only files whose name contains this (development)")
    ap.add_argument("--quick", action="store_true", help="2 photos with raised hands, 1 s clips")
    ap.add_argument("--loso", action="store_true", help="also the leave-one-source-out choice among the variants")
    ap.add_argument("--loso-by", choices=sorted(OBJECTIVES), default="people", help="what the choice maximises")
    ap.add_argument("--rescore", type=Path, default=None, help="a JSON this script wrote: score its rows again")
    args = ap.parse_args(argv)
    if args.rescore is not None:
        old = json.loads(args.rescore.read_text(encoding="utf-8"))
        reach = str(old.get("seat_reach", "none")).lower()  # files before --signals; the oldest: track ids
        signals = old.get("signals", [f"default+seat_reach={'null' if reach == 'none' else reach}"])
        clips = (old["seconds"], old["fps"], old["pace"], signals)
        return report(args, old["per_variant_rows"], *clips, old.get("providers", []), 0.0)
    if not args.annotations.is_file():
        print(f"no annotations at {args.annotations}", file=sys.stderr)
        return 2
    try:
        configs = {n.strip(): variant_config(n.strip()) for n in args.variants.split(",") if n.strip()}
        signals = {n.strip(): signals_variant(n.strip()) for n in args.signals.split(",") if n.strip()}
    except ValueError as e:
        print(f"--variants / --signals: {e}", file=sys.stderr)
        return 2
    images: dict[str, dict[str, Any]] = json.loads(args.annotations.read_text(encoding="utf-8"))["images"]
    truth = {t["file"]: t for t in read_truth(args.data)}
    picked = [
        (k, v)
        for k, v in sorted(images.items())
        if "#" not in k and k in truth and args.only in k and (v.get("raised") or args.clips == "all")
    ]
    seconds = args.seconds
    if args.quick:
        picked, seconds = [(k, v) for k, v in picked if v.get("raised")][:2], 1.0
    if args.pace == "live" and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.threads:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])  # a classroom PC's cores
    threads, workers = region_threads(args.threads, ["CPUExecutionProvider"])
    models = PerceptionModels.load(threads=threads, frame_threads=args.threads)
    fanout = ThreadFanout(workers, name="eval-regions")
    names = {(n, g): n if len(signals) == 1 else f"{n}/{g}" for n in configs for g in signals}
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in names.values()}
    started = time.perf_counter()
    for key, entry in picked:
        path = args.data / key
        if not path.is_file():
            print(f"missing: {path}", file=sys.stderr)
            continue
        with Image.open(path) as img:
            photo = img.convert("RGB")
        if photo.size != (int(entry["width"]), int(entry["height"])):
            print(f"skipped {key}: its size is not the annotation's", file=sys.stderr)
            continue
        ann, t = Annotation.from_json(entry), truth[key]
        for name, config in configs.items():
            still = RoomPerception(models, config, fanout=fanout).analyse_still(np.asarray(photo))
            still_heads = [PredictedHead(p.head[0], p.head[1], p.head[2], bool(p.raised)) for p in still.people]
            s_, sp = score_raised(still_heads, ann), score_people(still_heads, ann)
            clips = run_clip(models, config, fanout, photo, seconds, args.fps, args.pace, list(signals.values()))
            for sig, clip in zip(signals, clips, strict=True):
                v, vp = score_raised(clip["raised"], ann), score_people(clip["people"], ann)
                rows[names[name, sig]].append(
                    {
                        "file": key,
                        "scene": ann.scene,
                        "source": ann.source,
                        "classroom": "classroom" in key.lower(),
                        "approx": t.get("people_approx", "0") == "1" or t.get("raised_approx", "0") == "1",
                        "people_true": int(t["people"]),
                        "raised_true": len(ann.raised),
                        "frames": clip["frames"],
                        "video_raised": [v.tp, v.fp, v.fn],
                        "still_raised": [s_.tp, s_.fp, s_.fn],
                        "video_count": clip["count"],
                        "video_low": clip["low"],
                        "video_high": clip["high"],
                        "still_count": still.head_count,
                        "video_people": [vp.tp, vp.fp, vp.fn],
                        "still_people": [sp.tp, sp.fp, sp.fn],
                        "frame_p50_ms": clip["frame_p50_ms"],
                    }
                )
    fanout.close()
    clips = (seconds, args.fps, args.pace, list(signals))
    return report(args, rows, *clips, models.providers_in_use(), time.perf_counter() - started)


def report(
    args: argparse.Namespace,
    rows: dict[str, list[dict[str, Any]]],
    seconds: float,
    fps: float,
    pace: str,
    signals: list[str],
    providers: Any,
    wall_s: float,
) -> int:
    """The tables, and the JSON (`--out`)."""
    configs = list(rows)
    main_name = configs[-1]
    print_table(
        [
            {
                **r,
                "file": r["file"].rsplit("/", 1)[-1][:44],
                "people live / still / true": f"{r['video_count']} / {r['still_count']} / {r['people_true']}",
                "raised live tp/fp/fn": "/".join(map(str, r["video_raised"])),
                "still tp/fp/fn": "/".join(map(str, r["still_raised"])),
            }
            for r in rows[main_name]
        ],
        [
            "file",
            "scene",
            "frames",
            "people live / still / true",
            "raised live tp/fp/fn",
            "still tp/fp/fn",
            "frame_p50_ms",
        ],
    )
    results = {n: subsets(rows[n]) for n in configs}
    table = []
    for subset in results[main_name]:
        for n in configs:
            s = results[n].get(subset)
            if not s:
                continue
            for mode in ("video", "still"):
                x = s[mode]
                table.append(
                    {
                        "subset": subset,
                        "variant": n,
                        "mode": "live" if mode == "video" else "still",
                        "clips": s["clips"],
                        "people MAE": fmt(x["people_mae"], 2),
                        "people R (n)": f"{fmt(x['people_recall'], 2)} ({x['people_marked']})",
                        "raised P": fmt(x["precision"], 2),
                        "raised R": fmt(x["recall"], 2),
                        "raised F1": fmt(x["f1"], 2),
                        "raised (n)": s["raised_true"],
                    }
                )
    print()
    print_table(
        table,
        [
            "subset",
            "variant",
            "mode",
            "clips",
            "people MAE",
            "people R (n)",
            "raised P",
            "raised R",
            "raised F1",
            "raised (n)",
        ],
    )
    print(
        f"({len(rows[main_name])} clips of {seconds:g} s, {pace} pace at {fps:g} camera frames/s;"
        " people MAE: the last count reported live (the count a still reports) against the TSV count;"
        " per-person matching)"
    )
    chosen = held_out(rows, args.loso_by) if args.loso and len(configs) > 1 and rows[main_name] else None
    if chosen is not None:
        print()
        print_table(
            [
                {
                    "subset": k,
                    "clips": v["clips"],
                    "people MAE": fmt(v["video"]["people_mae"], 2),
                    "raised P": fmt(v["video"]["precision"], 2),
                    "raised R": fmt(v["video"]["recall"], 2),
                    "raised (n)": v["raised_true"],
                }
                for k, v in chosen["held_out"].items()
            ],
            ["subset", "clips", "people MAE", "raised P", "raised R", "raised (n)"],
        )
        picks = ", ".join(f"{n}: {c}" for n, c in chosen["chosen"].items())
        print(f"(live, each of {chosen['sources']} sources held out; chosen by {chosen['objective']}: {picks})")
    top = results[main_name].get("all", {"clips": 0})
    write_json(
        args.out,
        {
            "variant": main_name,
            "clips": top["clips"],
            "seconds": seconds,
            "fps": fps,
            "pace": pace,
            "signals": signals,
            "video": top.get("video"),
            "still": top.get("still"),
            "subsets": results[main_name],
            "variants": results,
            "loso": chosen,
            "rows": rows[main_name],
            "per_variant_rows": rows,
            "providers": providers,
            "wall_s": round(wall_s, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed of classroom perception at 720p and 1080p, against MediaPipe's own pipeline, and hand-up latency.

    python benchmarks/bench_perception.py --out results/bench_perception.json [--quick] [--budget-s 4]

Scenes are real photos from ../shared/data (`--data`), fitted into 1280x720 and 1920x1080 frames:
"1 person" (a man standing by a truck), "5 people" (the OpenVINO classroom photo) and "18 people" (a 2x2
collage of the four classroom pictures: two photos and the first frames of the two GIFs). Each frame is
analysed again and again as a video (`RoomPerception.process`: tracking, the tile schedule, landmarks
round-robin), after one warm-up tile cycle; per-frame latency p50/p90 and sustained frames/s over `--budget-s`
seconds. Per person = p50 / people found. Pipelines side by side (`--variants`): `before` (the pose pipeline
as it was: one region at a time on `--threads` ONNX Runtime threads), `centerface:serial` (every cue, one
region at a time, as on main before the worker pool), `boxes` (every cue with the face count's faces from
BlazeFace over face tiles: the default before CenterFace) and `centerface` (every cue, the product's default
pipeline, what a class runs: a step's regions on `--threads` workers with one ONNX Runtime thread each,
`runtime.fanout_pool`); `faces`, `all` (without the body cue) and `bodies` (without the person boxes) can be
added.

The peer: the same frames through MediaPipe 0.10.14 in its own venv (its protobuf pin cannot share ours),
made on demand under the model cache (`--peer auto`; `--quick` only uses one that exists): the legacy
`mp.solutions.pose` (one person) and a Tasks `PoseLandmarker` with num_poses=20, pinned to 2 CPUs.
If the venv cannot be made the peer is reported as skipped with the reason.

Hand up -> event: a paced camera (15 frames/s, the capture thread and `PerceptionStage` as in class) shows
the OpenVINO classroom GIF (no hand up), then cuts to the classroom photo of the same room where a student
holds a hand up; latency = time of the `HandRaised` event - time the first hand-up frame was captured. The
cut brings new people into view, so this includes finding and tracking them (a hand going up on someone
already tracked needs only the hysteresis); no real clip of a hand going up was available.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from dual_teacher.bench.peers import peer_python

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import write_json  # noqa: E402

from dual_teacher.core import events as ev  # noqa: E402
from dual_teacher.core.fanout import SERIAL, Fanout  # noqa: E402
from dual_teacher.core.stats import median, percentiles_ms  # noqa: E402
from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.media.camera import CaptureConfig, CaptureThread  # noqa: E402
from dual_teacher.perception.body_cue import MOVENET  # noqa: E402
from dual_teacher.perception.centerface import CENTERFACE  # noqa: E402
from dual_teacher.perception.evaluation import variant_config  # noqa: E402
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.person_boxes import SSDLITE  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402
from dual_teacher.perception.room_config import PerceptionConfig  # noqa: E402
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads  # noqa: E402
from dual_teacher.runtime.perception_stage import PerceptionStage  # noqa: E402

RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}


def _load(path: Path, frame: int = 0) -> Image.Image:
    with Image.open(path) as img:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(frame)
        return img.convert("RGB")


def fit(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """The picture scaled to fit `size` (aspect kept), centred on black."""
    w, h = size
    scale = min(w / img.width, h / img.height)
    resized = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size)
    canvas.paste(resized, ((w - resized.width) // 2, (h - resized.height) // 2))
    return np.asarray(canvas)


def scenes(data: Path) -> dict[str, tuple[int, Image.Image]]:
    images, video = data / "images", data / "video"
    classroom = _load(images / "classroom_omz_raisinghand_5p_1raised.png")
    quads = [
        classroom,
        _load(images / "classroom_omz_action0005_5p_1raised.png"),
        _load(video / "classroom_omz_smart_classroom_demo.gif"),
        _load(video / "classroom_intel_sample_videos_preview.gif"),
    ]
    collage = Image.new("RGB", (1920, 1080))
    for i, q in enumerate(quads):
        collage.paste(Image.fromarray(fit(q, (960, 540))), ((i % 2) * 960, (i // 2) * 540))
    return {
        "1 person": (1, _load(images / "single_mpii_051423444_standing.jpg")),
        "5 people": (5, classroom),
        "18 people": (18, collage),
    }


@dataclasses.dataclass(frozen=True)
class Variant:
    """A pipeline to time: its settings, and its regions one at a time or on the worker pool."""

    label: str
    config: PerceptionConfig
    parallel: bool


def parse_variants(spec: str) -> list[Variant]:
    """`name[:serial|:fanout]`, comma-separated; `before` is serial unless told, the rest use the pool."""
    out = []
    for item in (v.strip() for v in spec.split(",")):
        if not item:
            continue
        name, _, mode = item.partition(":")
        if mode not in ("", "serial", "fanout"):
            raise SystemExit(f"unknown mode {mode!r} in {item!r}: serial or fanout")
        parallel = mode == "fanout" or (mode == "" and name != "before")
        out.append(Variant(f"{name}_{mode}" if mode else name, variant_config(name), parallel))
    return out


def time_ours(
    models: PerceptionModels,
    frame: np.ndarray,
    budget_s: float,
    config: PerceptionConfig | None = None,
    fanout: Fanout = SERIAL,
) -> dict[str, Any]:
    room = RoomPerception(models, config, fanout=fanout)
    warm = room.config.detect_every + 2
    for i in range(warm):
        room.process(frame, i / 15)
    times: list[float] = []
    people: list[int] = []
    for runner in models.runners:
        runner.usage(reset=True)
    start = time.perf_counter()
    i = warm
    while time.perf_counter() - start < budget_s or len(times) < 5:
        t0 = time.perf_counter()
        result = room.process(frame, i / 15)
        times.append(time.perf_counter() - t0)
        people.append(result.head_count)
        i += 1
    wall = time.perf_counter() - start
    stats = percentiles_ms(times)
    found = int(median(people) or 0)
    return {
        **stats,
        "fps": len(times) / wall,
        "people_found": found,
        "per_person_ms": stats["p50_ms"] / max(found, 1),
        **model_time(models, len(times), wall),
    }


def model_time(models: PerceptionModels, frames: int, wall: float) -> dict[str, Any]:
    """Where a frame's time goes: per model, runs and milliseconds inside ONNX Runtime per frame (summed over the
    workers), and `models_in_flight`: model time / wall time, the mean number of model runs going at once (at
    most the workers; the rest of the wall time is Python, image crops and steps waiting for their slowest
    region)."""
    per_model = {}
    total = 0.0
    for runner in models.runners:
        used = runner.usage()
        total += used.seconds
        if used.runs:
            per_model[runner.name] = {
                "runs_per_frame": used.runs / frames,
                "ms_per_run": 1000 * used.seconds / used.runs,
                "ms_per_frame": 1000 * used.seconds / frames,
            }
    return {"model_ms_per_frame": 1000 * total / frames, "models_in_flight": total / wall, "models": per_model}


# the input the pipeline feeds the models of dynamic size (their example inputs would be 1 x 1 pixels)
LIVE_SHAPES = {MOVENET: (1, 256, 256, 3), SSDLITE: (1, 300, 300, 3), CENTERFACE: (1, 544, 960, 3)}


def calibrate(models: PerceptionModels, runs: int = 20) -> dict[str, float]:
    """Bare model latency in this run (p50 ms), to compare machines and load (FIELD_NOTES: ~3 and ~5-6 ms);
    models of dynamic size at the size the pipeline feeds them live (`LIVE_SHAPES`)."""
    out = {}
    for runner in models.runners:
        feeds = runner.example_inputs()
        if runner.name in LIVE_SHAPES:
            feeds = {k: np.zeros(LIVE_SHAPES[runner.name], dtype=v.dtype) for k, v in feeds.items()}
        runner.run(feeds)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            runner.run(feeds)
            times.append(time.perf_counter() - t0)
        out[runner.name] = (median(times) or 0.0) * 1000
    return out


# ---- the MediaPipe peer ------------------------------------------------------------------------------------
def run_peer(python: Path, frames: dict[str, np.ndarray], budget_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "frames.npz"
        np.savez(npz, **frames)  # public photos, not camera frames
        out = Path(tmp) / "peer.json"
        cmd = [str(python), str(REPO / "benchmarks" / "_mediapipe_peer.py"), "--frames", str(npz), "--out", str(out)]
        proc = subprocess.run([*cmd, "--budget-s", str(budget_s)], capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0 or not out.is_file():
            return {"skipped": f"peer exited {proc.returncode}: {proc.stderr[-600:]}"}
        import json

        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return data


# ---- hand up -> HandRaised ---------------------------------------------------------------------------------
def hand_up_latency(
    models: PerceptionModels,
    data: Path,
    trials: int,
    fps: float = 15.0,
    config: PerceptionConfig | None = None,
    fanout: Fanout = SERIAL,
) -> dict[str, Any]:
    size = RESOLUTIONS["1080p"]
    with Image.open(data / "video" / "classroom_omz_smart_classroom_demo.gif") as gif:
        before = []
        for i in range(gif.n_frames):
            gif.seek(i)
            before.append(fit(gif.convert("RGB"), size))
    hand = fit(_load(data / "images" / "classroom_omz_raisinghand_5p_1raised.png"), size)
    latencies: list[float] = []
    missed = 0
    for trial in range(trials):
        n_before = len(before) + (trial * 5) % 15  # vary the phase of the cut against the tile schedule
        frames = [before[i % len(before)] for i in range(n_before)] + [hand] * int(fps * 10)
        cut: list[float] = []

        def reader(
            frames: list[np.ndarray] = frames, n_before: int = n_before, cut: list[float] = cut
        ) -> Iterator[np.ndarray]:
            for i, f in enumerate(frames):
                if i == n_before:
                    cut.append(time.monotonic())
                yield f

        camera = CaptureThread("bench", reader, CaptureConfig(fps=fps, live=False))
        stage = PerceptionStage(camera, RoomPerception(models, config, fanout=fanout), keep_records=10_000)
        stage.start()
        raised_at = None
        while raised_at is None and not camera.finished:
            time.sleep(0.01)
            if any(isinstance(e, ev.HandRaised) for e in stage.poll(0.0)):
                raised_at = time.monotonic()
        stage.stop()
        if raised_at is None or not cut:
            missed += 1
            continue
        latencies.append(raised_at - cut[0])
    stats = percentiles_ms(latencies)
    return {
        "trials": trials,
        "missed": missed,
        "camera_fps": fps,
        "resolution": "1080p",
        "p50_s": stats["p50_ms"] / 1000,
        "p90_s": stats["p90_ms"] / 1000,
        "latencies_s": [round(x, 3) for x in latencies],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="../shared/data layout")
    ap.add_argument("--quick", action="store_true", help="tiny budget, 1 hand-up trial, no peer venv creation")
    ap.add_argument("--budget-s", type=float, default=None, help="seconds per scene (default 4, quick 0.5)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--peer", choices=["auto", "skip"], default="auto")
    ap.add_argument("--trials", type=int, default=None, help="hand-up trials (default 5, quick 1)")
    ap.add_argument(
        "--variants",
        default="before,centerface:serial,boxes,centerface",
        help="pipelines side by side: before (pose only, old settings), faces, all (every cue but bodies),"
        " bodies (every cue but the person boxes), boxes (every cue, BlazeFace face count), centerface (every cue:"
        " the product's default);"
        " :serial or :fanout picks one region at a time or the worker pool (before: serial, others: fanout)",
    )
    args = ap.parse_args(argv)
    variants = {v.label: v for v in parse_variants(args.variants)}
    budget = args.budget_s if args.budget_s is not None else (0.5 if args.quick else 4.0)
    trials = args.trials if args.trials is not None else (1 if args.quick else 5)
    if not (args.data / "images" / "ground_truth.tsv").is_file():
        print(f"no evaluation data at {args.data}", file=sys.stderr)
        return 2
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.threads:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])
    serial_models = PerceptionModels.load(threads=args.threads)
    threads, workers = region_threads(args.threads, ["CPUExecutionProvider"])
    pool_models = PerceptionModels.load(threads=threads, frame_threads=args.threads)
    pool = ThreadFanout(workers, name="bench-regions")

    def setup(v: Variant) -> tuple[PerceptionModels, Fanout]:
        return (pool_models, pool) if v.parallel else (serial_models, SERIAL)

    models = serial_models
    calibration = calibrate(models)
    print("bare model p50 ms: " + ", ".join(f"{k} {v:.1f}" for k, v in calibration.items()))
    picked = scenes(args.data)
    python: Path | None = None
    why = "--peer skip"
    if args.peer == "auto":
        python, why = peer_python()
    rows: list[dict[str, Any]] = []
    peer: dict[str, Any] = {"skipped": why} if python is None else {}
    for res, size in RESOLUTIONS.items():
        for scene, (people, img) in picked.items():
            frame = fit(img, size)
            name = f"{scene.replace(' ', '_')}_{res}"
            row: dict[str, Any] = {"scene": f"{scene} @ {res}", "people_true": people}
            for vname, v in variants.items():  # the last variant's figures are the row's own
                vmodels, vfanout = setup(v)
                got_v = time_ours(vmodels, frame, budget, v.config, vfanout)
                row[f"{vname}_fps"] = got_v["fps"]
                row[f"{vname}_p90_ms"] = got_v["p90_ms"]
                row[f"{vname}_people"] = got_v["people_found"]
                row[f"{vname}_models_in_flight"] = got_v["models_in_flight"]
            row.update(got_v)
            if python is not None:  # right after ours, so both see the same load on the machine
                got = run_peer(python, {name: frame}, budget)
                for kind, value in got.items():
                    if isinstance(value, dict) and name in value:
                        peer.setdefault(kind, {})[name] = value[name]
                    elif (isinstance(value, dict) and "skipped" in value) or kind not in peer:
                        peer[kind] = value
            rows.append(row)
            for kind in ("legacy_pose", "tasks_pose_landmarker"):
                p = peer.get(kind, {}).get(name) if isinstance(peer.get(kind), dict) else None
                if p:
                    row[f"{kind}_p50_ms"] = p["p50_ms"]
                    row[f"{kind}_people"] = p["people_found"]
                    row[f"speedup_vs_{kind}"] = p["p50_ms"] / row["p50_ms"]
                    theirs = p["p50_ms"] / max(p["people_found"], 1)
                    row[f"per_person_speedup_vs_{kind}"] = theirs / row["per_person_ms"]
    print_table(
        rows,
        [
            "scene",
            "people_true",
            *(f"{v}_{k}" for v in variants for k in ("people", "fps")),
            "people_found",
            "p50_ms",
            "p90_ms",
            "fps",
            "per_person_ms",
            "model_ms_per_frame",
            "models_in_flight",
            "legacy_pose_p50_ms",
            "tasks_pose_landmarker_p50_ms",
            "tasks_pose_landmarker_people",
            "per_person_speedup_vs_tasks_pose_landmarker",
        ],
    )
    big = next(r for r in rows if r["scene"] == "18 people @ 1080p")
    print(
        f"where a frame's time goes, {big['scene']} ({list(variants)[-1]}): {big['model_ms_per_frame']:.0f} ms in the"
        f" models a frame, {big['models_in_flight']:.2f} runs in flight on average, wall p50 {big['p50_ms']:.0f} ms"
    )
    print_table(
        [{"model": n, **m} for n, m in sorted(big["models"].items(), key=lambda kv: -kv[1]["ms_per_frame"])],
        ["model", "runs_per_frame", "ms_per_run", "ms_per_frame"],
    )
    if "skipped" in peer or any(isinstance(v, dict) and "skipped" in v for v in peer.values()):
        print(f"MediaPipe peer: {peer.get('skipped') or {k: v for k, v in peer.items() if isinstance(v, dict)}}")
    latencies = {
        name: hand_up_latency(setup(v)[0], args.data, trials, config=v.config, fanout=setup(v)[1])
        for name, v in variants.items()
    }
    pool.close()
    for v, lat in latencies.items():
        print(f"{v}: hand up -> HandRaised p50 {lat['p50_s']:.2f} s, p90 {lat['p90_s']:.2f} s ({lat['missed']} missed)")
    latency = latencies[list(variants)[-1]]
    print(
        f"hand up -> HandRaised (1080p, camera {latency['camera_fps']:.0f} fps, {len(latency['latencies_s'])} trials,"
        f" {latency['missed']} missed): p50 {latency['p50_s']:.2f} s, p90 {latency['p90_s']:.2f} s"
    )
    goals = {
        "fps_1080p_15plus_people": big["fps"],
        "fps_goal": 5.0,
        "hand_up_event_p90_s": latency["p90_s"],
        "hand_up_goal_s": 1.0,
        "per_person_speedup_vs_tasks_1080p_15plus": big.get("per_person_speedup_vs_tasks_pose_landmarker"),
    }
    write_json(
        args.out,
        {
            "rows": rows,
            "peer": peer,
            "hand_up_latency": latency,
            "hand_up_latency_by_variant": latencies,
            "variants": list(variants),
            "goals": goals,
            "threads": args.threads,
            "pool": {"workers": workers, "ort_threads": threads},
            "variant_modes": {n: ("fanout" if v.parallel else "serial") for n, v in variants.items()},
            "model_p50_ms": calibration,
            "providers": models.providers_in_use(),
            "budget_s": budget,
            "quick": args.quick,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

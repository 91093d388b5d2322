"""MediaPipe's own pipeline on the same frames: the peer for benchmarks/bench_perception.py.

Runs inside a separate venv with mediapipe==0.10.14 (its protobuf pin cannot share the runtime venv):

    <peer-venv>/bin/python benchmarks/_mediapipe_peer.py --frames scenes.npz --out peer.json

For each scene in the npz (key = scene name, value = H x W x 3 uint8 frame): per-frame latency of
(a) the legacy `mp.solutions.pose` (model_complexity=1, tracking mode; one person only), and
(b) a Tasks `PoseLandmarker` (VIDEO mode, `num_poses` = `--num-poses`), built offline from the TFLite files
inside the mediapipe wheel with normalisation metadata added (detector mean/std 127.5, landmarks 0/255).
Both run on the CPUs this process may use (the caller pins it to 2). Standard library + numpy + mediapipe.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKS = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"


def _stats(seconds: list[float], people: list[int]) -> dict[str, Any]:
    a = np.asarray(seconds) * 1000
    return {
        "n": len(seconds),
        "p50_ms": float(np.percentile(a, 50)),
        "p90_ms": float(np.percentile(a, 90)),
        "fps": len(seconds) / float(np.sum(seconds)) if seconds else None,
        "people_found": int(np.median(people)) if people else 0,
    }


def _with_metadata(model: bytes, mean: float, std: float, outputs: int) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(model)
    writer.add_general_info("model", "bundled by dual-teacher's benchmark")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for i in range(outputs):
        writer.add_feature_output(name=f"output_{i}")
    bundled, _ = writer.populate()
    return bytes(bundled)


def build_task(wheel: Path | None, out: Path) -> Path:
    """A PoseLandmarker .task from the TFLite files in the wheel (or in the installed mediapipe package)."""
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    if wheel is not None:
        with zipfile.ZipFile(wheel) as zf:
            detector = zf.read(DETECTOR)
            landmarks = zf.read(LANDMARKS)
    else:
        import mediapipe

        root = Path(mediapipe.__file__).resolve().parent.parent
        detector = (root / DETECTOR).read_bytes()
        landmarks = (root / LANDMARKS).read_bytes()
    models = {
        "pose_detector.tflite": _with_metadata(detector, 127.5, 127.5, 2),
        "pose_landmarks_detector.tflite": _with_metadata(landmarks, 0.0, 255.0, 5),
    }
    model_asset_bundle_utils.create_model_asset_bundle(models, str(out))
    return out


def time_legacy(frames: dict[str, np.ndarray], budget_s: float) -> dict[str, Any]:
    import mediapipe as mp

    out = {}
    for name, frame in frames.items():
        with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
            pose.process(frame)
            times: list[float] = []
            people: list[int] = []
            start = time.perf_counter()
            while time.perf_counter() - start < budget_s or len(times) < 3:
                t0 = time.perf_counter()
                res = pose.process(frame)
                times.append(time.perf_counter() - t0)
                people.append(1 if res.pose_landmarks else 0)
        out[name] = _stats(times, people)
    return out


def time_tasks(frames: dict[str, np.ndarray], budget_s: float, task: Path, num_poses: int) -> dict[str, Any]:
    import mediapipe as mp
    from mediapipe.tasks import python as mp_tasks
    from mediapipe.tasks.python import vision

    out = {}
    for name, frame in frames.items():
        options = vision.PoseLandmarkerOptions(
            base_options=mp_tasks.BaseOptions(model_asset_path=str(task)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
        )
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            ts = 0
            landmarker.detect_for_video(image, ts)
            times: list[float] = []
            people: list[int] = []
            start = time.perf_counter()
            while time.perf_counter() - start < budget_s or len(times) < 3:
                ts += 33
                t0 = time.perf_counter()
                res = landmarker.detect_for_video(image, ts)
                times.append(time.perf_counter() - t0)
                people.append(len(res.pose_landmarks))
        out[name] = _stats(times, people)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=Path, required=True)
    ap.add_argument("--wheel", type=Path, default=None, help="mediapipe wheel (default: the installed package)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--budget-s", type=float, default=3.0)
    ap.add_argument("--num-poses", type=int, default=20)
    ap.add_argument("--cpus", type=int, default=2)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[: args.cpus]
        os.sched_setaffinity(0, cpus)
    with np.load(args.frames) as data:
        frames = {k: data[k] for k in data.files}
    import mediapipe as mp

    result: dict[str, Any] = {"mediapipe": mp.__version__, "cpus": len(os.sched_getaffinity(0))}
    try:
        result["legacy_pose"] = time_legacy(frames, args.budget_s)
    except Exception as exc:  # noqa: BLE001 - report the peer's failure, do not hide the rest
        result["legacy_pose"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            task = build_task(args.wheel, Path(tmp) / "pose_landmarker_full.task")
            result["tasks_pose_landmarker"] = time_tasks(frames, args.budget_s, task, args.num_poses)
            result["tasks_num_poses"] = args.num_poses
    except Exception as exc:  # noqa: BLE001
        result["tasks_pose_landmarker"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

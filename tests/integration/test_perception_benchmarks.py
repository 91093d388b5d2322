"""Smoke runs of the perception benchmark scripts with a tiny budget, so they cannot rot (no figures checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.registry import ModelRegistry
from tests.conftest import REPO, SHARED_DATA

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SHARED_DATA / "images" / "ground_truth.tsv").is_file(),
        reason=f"shared evaluation data not found at {SHARED_DATA}",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _models_built() -> None:
    try:
        for name in ("pose_detection", "pose_landmark_full", "face_detection_full_range_sparse"):
            ModelRegistry().onnx_path(name)
    except ModelLoadError as exc:
        pytest.skip(f"perception models not built ({exc.message}): run `dual-teacher models build`")


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ},
    )


def test_eval_perception_quick(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    proc = _run("eval_perception.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    keys = {"images", "people_mae", "raised_hands_true", "raised_hands_found", "raised_precision", "raised_recall"}
    assert keys <= set(data)
    assert data["images"] >= 4 and isinstance(data["people_mae"], float)
    assert {"faces_visible", "classroom"} <= set(data["subsets"])
    assert {"platform", "cpu_count"} <= set(data["machine"])
    assert " / " in proc.stdout and "people_mae" in proc.stdout


def test_bench_perception_quick(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = _run("bench_perception.py", "--out", str(out), "--quick", "--data", str(SHARED_DATA), "--budget-s", "0.2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"rows", "peer", "hand_up_latency", "goals", "machine"} <= set(data)
    scenes = {r["scene"] for r in data["rows"]}
    assert {"1 person @ 720p", "5 people @ 1080p", "18 people @ 1080p"} <= scenes
    for row in data["rows"]:
        assert {"p50_ms", "p90_ms", "fps", "people_found", "per_person_ms"} <= set(row)
    assert {"p50_s", "p90_s", "trials"} <= set(data["hand_up_latency"])
    assert "fps_1080p_15plus_people" in data["goals"]
    assert "hand up -> HandRaised" in proc.stdout

"""Smoke runs of `dual-teacher bench` (tiny budget, real models on the CPU) so it cannot rot. No speed is checked,
but the run must be complete and valid: on the CPU profile the profile is the accuracy gate's own reference."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.registry import ModelRegistry
from dual_teacher.perception.models import FACE_DETECTION, POSE_DETECTION, POSE_LANDMARKS

pytestmark = pytest.mark.slow
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")


def _models_missing() -> str:
    try:
        registry = ModelRegistry()
        for name in (POSE_DETECTION, POSE_LANDMARKS, FACE_DETECTION):
            state = registry.variants(name, check_hashes=False)[0].state
            if state != "ok":
                return f"{name} is {state}"
        registry.whisper_dir("tiny.en", assemble=False)
    except ModelLoadError as exc:
        return exc.message
    return ""


@pytest.fixture(scope="module")
def models_built() -> None:
    missing = _models_missing()
    if missing:
        pytest.skip(f"models not built ({missing}): run `dual-teacher models build`")


def _bench(*args: str) -> list[str]:
    exe = str(Path(sys.executable).parent / "dual-teacher")
    return [exe if Path(exe).is_file() else shutil.which("dual-teacher") or "dual-teacher", "bench", *args]


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory: pytest.TempPathFactory, models_built: None, demo_pack_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = subprocess.run(
        _bench("--quick", "--budget-s", "1", "--profile", "cpu-generic", "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]  # 1 would be: marked invalid
    assert "SingleStream perception" in proc.stdout and f"report: {out.with_suffix('.html')}" in proc.stdout
    return out


def test_quick_run_writes_json_with_every_part(quick_result: Path) -> None:
    data: dict[str, Any] = json.loads(quick_result.read_text(encoding="utf-8"))
    assert data["kind"] == "dual-teacher-bench" and data["mode"] == "quick" and data["partial"] is False
    assert data["valid"] is True and data["invalid_reasons"] == [], data["invalid_reasons"]
    assert data["profile"]["used"] == "cpu-generic" and data["providers"]["fell_back"] is False
    assert all(c["passed"] for c in data["accuracy"]["checks"] if c["gated"])
    assert {"cpu", "cpu_count", "packages", "python", "git_commit"} <= set(data["machine"])
    assert {"profile_requested", "profile_used", "requested", "used_by_model", "used_first", "fell_back"} <= set(
        data["providers"]
    )
    assert data["asr"]["requested"] and data["asr"]["used"]["device"]
    assert {c["name"].split(":")[0] for c in data["accuracy"]["checks"]} == {"raw", "perception", "asr"}
    sc = data["scenarios"]
    for part in (sc["single_stream"]["perception"], sc["single_stream"]["asr"]):
        assert {"n", "p50_ms", "p90_ms", "p99_ms"} <= set(part["latency"]) and part["latency"]["n"] >= 1
    assert sc["multi_stream"]["perception"]["step_latency"]["n"] >= 1
    assert sc["offline"]["perception"]["frames_per_s"] is not None
    assert sc["offline"]["asr"]["audio_s_per_s"] is not None
    room = sc["classroom"]
    assert {"perception", "asr", "display", "cpu_percent", "peak_rss_mb", "peak_gpu_mem_mb"} <= set(room)
    assert room["perception"]["frames_captured"] >= room["perception"]["frames_analysed"] >= 1
    assert {"mediapipe", "faster_whisper"} <= set(data["peers"])
    assert data["resources"]["samples"] and data["resources"]["phases"]


def test_quick_run_writes_the_html_report(quick_result: Path) -> None:
    page = quick_result.with_suffix(".html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert page.count("<svg") >= 4  # latency histograms, frames/s and resources over time


def test_compare_prints_ratios(quick_result: Path, tmp_path: Path) -> None:
    data = json.loads(quick_result.read_text(encoding="utf-8"))
    data["scenarios"]["single_stream"]["perception"]["latency"]["p50_ms"] *= 2
    other = tmp_path / "slower.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    proc = subprocess.run(
        _bench("compare", str(quick_result), str(other)), capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SingleStream perception p50 ms"))
    assert "2.000" in line and "B worse" in line
    assert "B/A" in proc.stdout


def _sigint_as_in_a_terminal() -> None:
    # a command started in the background by a shell without job control inherits SIGINT ignored, and Python
    # then never raises KeyboardInterrupt: give the bench the disposition it has when typed in a terminal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_writes_partial_results(tmp_path: Path, models_built: None, demo_pack_dir: Path) -> None:
    out = tmp_path / "interrupted.json"
    proc = subprocess.Popen(
        _bench("--quick", "--budget-s", "5", "--peers", "skip", "--out", str(out)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_sigint_as_in_a_terminal,
    )
    assert proc.stderr is not None
    try:
        deadline = time.monotonic() + 240
        for line in proc.stderr:  # the progress lines (stderr is not a terminal)
            if "SingleStream perception" in line or time.monotonic() > deadline:
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["partial"] is True and data["interrupted_in"]
    assert out.with_suffix(".html").is_file()
    assert "PARTIAL" in stdout

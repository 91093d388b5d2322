"""The MediaPipe peer of `dual-teacher bench`: MediaPipe's own pose pipelines on the same frames.

MediaPipe 0.10.14 pins protobuf < 5, which cannot share the runtime's environment, so it runs in its own venv
under the model cache (the same venv benchmarks/bench_perception.py uses, made at set-up by `dual-teacher bench
setup-peers` from the mediapipe wheel the model build cached plus the pinned benchmarks/peer-mediapipe.txt, never
during a benchmark run) through the perception benchmark's runner
script, `benchmarks/_mediapipe_peer.py` (in a checkout or installed under share/dual-teacher/benchmarks).
If any of that is missing the peer is reported as skipped with the reason; the run goes on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.config import models_cache_dir
from dual_teacher.resources import resource_dir

MEDIAPIPE = "mediapipe==0.10.14"
VENV_NAME = "peer-mediapipe-0.10.14"
SETUP_HINT = "run `dual-teacher bench setup-peers` once (set-up step; needs the package index)"


def peer_script() -> Path | None:
    path = resource_dir("benchmarks") / "_mediapipe_peer.py"
    return path if path.is_file() else None


def peer_requirements() -> Path | None:
    path = resource_dir("benchmarks") / "peer-mediapipe.txt"
    return path if path.is_file() else None


def peer_venv() -> Path:
    return models_cache_dir() / VENV_NAME


def peer_python() -> tuple[Path | None, str]:
    """The peer venv's python, or None and why not. Never installs anything: a benchmark run on an offline
    classroom PC cannot, so the venv is made beforehand by `setup_peers` (`dual-teacher bench setup-peers`)."""
    venv = peer_venv()
    python = venv / "bin" / "python"
    if python.is_file() and (venv / ".complete").is_file():
        return python, ""
    return None, f"no MediaPipe peer venv at {venv}: {SETUP_HINT}"


def setup_peers(force: bool = False) -> tuple[Path | None, str]:
    """Make the MediaPipe peer's venv from the pinned list (benchmarks/peer-mediapipe.txt) and the mediapipe
    wheel the model build cached (else the index). Idempotent: an existing complete venv is kept unless
    `force`. Returns the venv's python, or None and why it could not be made."""
    if not force:
        python, _ = peer_python()
        if python is not None:
            return python, "already set up"
    requirements = peer_requirements()
    if requirements is None:
        return None, "benchmarks/peer-mediapipe.txt not found (not a checkout, not installed)"
    cache = models_cache_dir()
    venv = peer_venv()
    python = venv / "bin" / "python"
    staging = cache / f".{VENV_NAME}.{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True, capture_output=True, timeout=180)
        wheels = sorted((cache.parent / "wheels").glob("mediapipe-0.10.14-*.whl"))
        source = [str(wheels[0])] if wheels else [MEDIAPIPE]
        pip = [str(staging / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", *source], check=True, capture_output=True, text=True, timeout=900)
        subprocess.run([*pip, "-r", str(requirements)], check=True, capture_output=True, text=True, timeout=900)
        subprocess.run(
            [str(staging / "bin" / "python"), "-c", "import mediapipe"], check=True, capture_output=True, timeout=180
        )
        (staging / ".complete").write_text("ok\n", encoding="utf-8")
        shutil.rmtree(venv, ignore_errors=True)
        staging.rename(venv)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = str(getattr(exc, "stderr", "") or "")[-400:]
        return None, f"could not make the MediaPipe venv: {exc} {detail}".strip()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return (python, "made") if python.is_file() else (None, f"the MediaPipe venv at {venv} is incomplete")


def run_mediapipe(
    python: Path, frames: dict[str, npt.NDArray[np.uint8]], budget_s: float, cpus: int, timeout_s: float = 1800
) -> dict[str, Any]:
    """Run the peer script on `frames` (scene name -> frame); its JSON, or {"skipped": why}."""
    script = peer_script()
    if script is None:
        return {"skipped": "benchmarks/_mediapipe_peer.py not found (not a checkout, not installed)"}
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "frames.npz"
        np.savez(npz, **frames)  # type: ignore[arg-type]  # public classroom photos and GIF frames, never camera frames
        out = Path(tmp) / "peer.json"
        cmd = [str(python), str(script), "--frames", str(npz), "--out", str(out)]
        cmd += ["--budget-s", f"{budget_s:g}", "--cpus", str(max(1, cpus))]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"skipped": f"peer did not finish: {exc}"}
        if proc.returncode != 0 or not out.is_file():
            return {"skipped": f"peer exited {proc.returncode}: {proc.stderr[-600:]}"}
        try:
            data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        except ValueError as exc:
            return {"skipped": f"peer wrote no JSON: {exc}"}
    return data

"""`dual-teacher demo --screenshots DIR` (a product feature and a test) and the UI benchmark's smoke run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtGui import QImage

from tests.conftest import REPO

pytestmark = [pytest.mark.gui, pytest.mark.slow]

EXPECTED = ["1-video-captions", "2-question", "3-hand-poll", "4-live", "5-fallback", "6-summary", "7-camera-setup"]


def _light_share(path: Path) -> tuple[float, int]:
    """Share of sampled pixels that are not near-black, and how many distinct colours were sampled."""
    image = QImage(str(path))
    assert not image.isNull(), path
    w, h = image.width(), image.height()
    samples = [image.pixelColor(int(w * x / 12), int(h * y / 12)) for x in range(1, 12) for y in range(1, 12)]
    lit = sum(1 for c in samples if max(c.red(), c.green(), c.blue()) > 24)
    return lit / len(samples), len({c.rgb() for c in samples})


def test_demo_screenshots(demo_pack_dir: Path, tmp_path: Path) -> None:
    exe = shutil.which("dual-teacher") or str(Path(sys.executable).parent / "dual-teacher")
    out = REPO / "artifacts" / "screenshots"
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "DUAL_TEACHER_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [exe, "demo", "--screenshots", str(out)], env=env, cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "QML" not in done.stderr, done.stderr[-3000:]
    shots = json.loads((out / "shots.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in shots] == EXPECTED
    late = [s["name"] for s in shots if s["timed_out"]]
    assert late == [], f"moments that did not come: {late}"
    for shot in shots:
        for file in shot["files"]:
            lit, colours = _light_share(Path(file))
            assert lit > 0.9 and colours > 2, f"{file}: black or blank"
    assert sorted(p.name for p in out.glob("*-display.png")) == sorted(f"{n}-display.png" for n in EXPECTED[:-1])


def test_bench_ui_smoke(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"
    result = tmp_path / "ui.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_ui.py"),
            "--seconds",
            "5",
            "--load",
            "pose",
            "--out",
            str(result),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "frame_interval_p99_ms" in done.stdout
    data = json.loads(result.read_text())
    assert data["benchmark"] == "ui_frame_time" and "machine" in data
    assert [p["phase"] for p in data["phases"]] == ["idle", "with pose"]

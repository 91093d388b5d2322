"""The peers of `dual-teacher bench`: ratios beside MediaPipe, and no peer is ever installed during a run."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import cast

import pytest

from dual_teacher.bench import peers
from dual_teacher.bench.peer_scenario import median_of, mediapipe_peer, perception_peer_rows
from dual_teacher.bench.results import Skipped
from dual_teacher.bench.setup import Rig

BENCH = Path(peers.__file__).parent


def test_perception_peer_rows_ratios() -> None:
    ours = {"room": {"p50_ms": 50.0, "people": 5}, "still": {"p50_ms": 40.0, "people": 0}}
    peer = {
        "legacy_pose": {"room": {"p50_ms": 20.0, "people_found": 1}},
        "tasks_pose_landmarker": {"room": {"p50_ms": 100.0, "people_found": 2}, "still": {"p50_ms": 0}},
    }
    rows = {r["scene"]: r for r in perception_peer_rows(ours, peer)}
    room = rows["room"]
    assert room["speedup_vs_tasks_pose_landmarker"] == 2.0
    assert room["per_person_speedup_vs_tasks_pose_landmarker"] == pytest.approx((100 / 2) / (50 / 5))
    assert room["speedup_vs_legacy_pose"] == 0.4
    assert "speedup_vs_tasks_pose_landmarker" not in rows["still"]  # the peer had no figure for it


def test_perception_peer_rows_with_skipped_peer() -> None:
    rows = perception_peer_rows({"room": {"p50_ms": 50.0, "people": 5}}, {"legacy_pose": {"skipped": "no"}})
    assert rows == [{"scene": "room", "ours_p50_ms": 50.0, "ours_people": 5}]


def test_a_benchmark_run_never_installs_a_peer(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without the peer venv, peer_python reports how to set it up and makes nothing (no pip during a run)."""
    monkeypatch.setenv("DUAL_TEACHER_CACHE", str(tmp_path))
    calls: list[object] = []
    monkeypatch.setattr(peers.subprocess, "run", lambda *a, **k: calls.append(a))
    python, why = peers.peer_python()
    assert python is None and "dual-teacher bench setup-peers" in why
    assert calls == [] and not any(tmp_path.iterdir())
    assert peers.peer_requirements() is not None  # the pinned list ships with the project


def _calls(module: Path) -> dict[str, set[str]]:
    """Per function of a module: the string constants "pip" it holds and the subprocess functions it calls."""
    out: dict[str, set[str]] = {}
    for fn in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.Constant) and node.value == "pip":
                    out.setdefault(fn.name, set()).add("pip")
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "subprocess"
                ):
                    out.setdefault(fn.name, set()).add(f"subprocess.{node.attr}")
    return {k: v for k, v in out.items() if v}


def test_only_the_set_up_step_runs_pip() -> None:
    """In the bench package, pip runs only in `setup_peers` (`dual-teacher bench setup-peers`); a run starts
    processes only for the MediaPipe peer (its own venv, made beforehand) and nvidia-smi."""
    sites = {f"{path.stem}.{fn}": what for path in sorted(BENCH.glob("*.py")) for fn, what in _calls(path).items()}
    pip = sorted(name for name, what in sites.items() if "pip" in what)
    assert pip == ["peers.setup_peers"]
    assert sorted(sites) == ["monitor.gpu_memory_mb", "peers.run_mediapipe", "peers.setup_peers"], sites


def test_median_of_rows() -> None:
    rows = [{"x": 1.0}, {"x": 3.0}, {"x": None}, {"y": 9.0}, {"x": 2}]
    assert median_of(rows, "x") == 2.0
    assert median_of(rows, "z") is None
    assert median_of([{"x": 1.0}, {"x": 2.0}], "x") == pytest.approx(1.5)


def test_a_missing_peer_is_reported_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUAL_TEACHER_CACHE", str(tmp_path))
    monkeypatch.setattr(peers.subprocess, "run", lambda *a, **k: pytest.fail("a run must not start pip"))
    got = mediapipe_peer(cast(Rig, None), None)  # returns before it needs the rig
    assert isinstance(got, Skipped) and "dual-teacher bench setup-peers" in got.skipped

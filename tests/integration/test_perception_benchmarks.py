"""Smoke runs of the perception benchmark scripts with a tiny budget, so they cannot rot (no figures checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA, needs_data, require_models

pytestmark = [
    pytest.mark.slow,
    needs_data(SHARED_DATA / "images" / "ground_truth.tsv"),
]


@pytest.fixture(scope="module", autouse=True)
def _models_built() -> None:
    require_models("pose_detection", "pose_landmark_full", "face_detection_full_range_sparse")


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
    proc = _run(
        "eval_perception.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick", "--variants", "before,all"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"people_mae", "raised_precision", "raised_recall", "raised_f1", "people_recall"} <= set(data)
    assert isinstance(data["people_mae"], float)
    assert {"all", "stills", "classroom stills", "exact rows"} <= set(data["subsets"])
    assert data["subsets"]["all"]["frames"] >= 4
    assert set(data["variants"]) == {"before", "all"}
    assert {r["matching"] for r in data["per_frame"]["all"]} <= {"per_person", "count"}
    assert {"platform", "cpu_count"} <= set(data["machine"])
    assert "people MAE" in proc.stdout and "raised F1" in proc.stdout


def test_eval_perception_scores_per_person_with_annotations(tmp_path: Path) -> None:
    """With an annotation for a file, that file is scored by per-person matching (here: the true raiser's head
    point, so a raise found on anyone else would count as a false positive and a miss)."""
    name = "images/classroom_omz_action0005_5p_1raised.png"
    ann = {
        "schema_version": 1,
        "images": {
            name: {
                "width": 1540,
                "height": 1003,
                "scene": "classroom_front",
                "people": [[345, 612], [516, 468], [645, 525], [933, 458], [1336, 540]],
                "raised": [[645, 525]],
            }
        },
    }
    annotations = tmp_path / "ann.json"
    annotations.write_text(json.dumps(ann), encoding="utf-8")
    out = tmp_path / "eval.json"
    proc = _run(
        "eval_perception.py", "--data", str(SHARED_DATA), "--out", str(out), "--annotations", str(annotations),
        "--only", "omz_action0005",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["variant"] == "count"  # the default variant: the product's default pipeline
    row = data["per_frame"]["count"][0]
    assert row["matching"] == "per_person" and row["scene"] == "classroom_front"
    tp, fp, fn = row["raised_match"]
    assert tp + fn == 1 and tp + fp == row["raised_found"]
    assert data["matching"] == "per_person"


def test_bench_perception_quick(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    # two of the default's four pipelines: a smoke run (every variant runs the same code, at 2x the time)
    proc = _run(
        "bench_perception.py", "--out", str(out), "--quick", "--data", str(SHARED_DATA), "--budget-s", "0.2",
        "--variants", "before,centerface",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"rows", "peer", "hand_up_latency", "goals", "machine"} <= set(data)
    assert {"before_fps", "centerface_fps"} <= set(data["rows"][0])
    scenes = {r["scene"] for r in data["rows"]}
    assert {"1 person @ 720p", "5 people @ 1080p", "18 people @ 1080p"} <= scenes
    for row in data["rows"]:
        assert {"p50_ms", "p90_ms", "fps", "people_found", "per_person_ms"} <= set(row)
        # where the time goes: the pose detector runs on every frame, every model's time is its runs' time, and
        # no more runs are in flight than the pool's workers (plus CenterFace's own second thread)
        models = row["models"]
        assert models["pose_detection"]["runs_per_frame"] >= 1
        for m in models.values():
            assert abs(m["ms_per_frame"] - m["runs_per_frame"] * m["ms_per_run"]) < 1e-6 * max(1.0, m["ms_per_frame"])
        assert abs(row["model_ms_per_frame"] - sum(m["ms_per_frame"] for m in models.values())) < 1e-6 * 1000
        assert 0 < row["models_in_flight"] <= data["pool"]["workers"] + 1
        assert 0 < row["before_models_in_flight"] <= 1.0 + 1e-6  # one region at a time
    assert "where a frame's time goes, 18 people @ 1080p" in proc.stdout
    assert {"p50_s", "p90_s", "trials"} <= set(data["hand_up_latency"])
    assert "fps_1080p_15plus_people" in data["goals"]
    assert "hand up -> HandRaised" in proc.stdout


def test_eval_perception_video_quick(tmp_path: Path) -> None:
    annotations = REPO / "benchmarks" / "annotations" / "perception.json"
    if not annotations.is_file():
        pytest.fail(f"the perception annotations are part of the project: {annotations} is missing")
    out = tmp_path / "video.json"
    proc = _run("eval_perception_video.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["clips"] == 2 and {"video", "still", "rows", "subsets"} <= set(data)
    for row in data["rows"]:
        for mode in ("video", "still"):
            tp, _fp, fn = row[f"{mode}_raised"]
            assert tp + fn == row["raised_true"] > 0
            tp, _fp, fn = row[f"{mode}_people"]
            assert tp + fn > 0
        assert isinstance(row["video_count"], int) and isinstance(row["still_count"], int)
    for mode in ("video", "still"):
        assert data[mode]["people_counted"] == 2 and data[mode]["people_mae"] >= 0
    assert "live" in proc.stdout and "still" in proc.stdout


def test_eval_perception_video_live_pace_and_a_changed_budget(tmp_path: Path) -> None:
    out = tmp_path / "video.json"
    proc = _run(
        "eval_perception_video.py",
        "--data",
        str(SHARED_DATA),
        "--out",
        str(out),
        "--quick",
        "--pace",
        "live",
        "--variants",
        "count+bodies_per_frame=1,count",
        "--signals",
        "default+up_n=1+window=1+min_up_s=0,default",
        "--only",
        "dakshin",
        "--loso",
        "--loso-by",
        "raised",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    signals = ("default+up_n=1+window=1+min_up_s=0", "default")
    assert data["pace"] == "live" and data["signals"] == list(signals)
    assert set(data["variants"]) == {f"{v}/{g}" for v in ("count+bodies_per_frame=1", "count") for g in signals}
    assert data["clips"] == 1 and data["rows"][0]["frames"] >= 1
    assert data["loso"]["sources"] == 1 and sum(data["loso"]["chosen"].values()) == 1
    assert data["loso"]["objective"] == "the live raised-hand F1"
    rows = data["per_variant_rows"]
    eager, default = rows["count/" + signals[0]][0], rows["count/default"][0]
    assert eager["frames"] == default["frames"] and eager["still_raised"] == default["still_raised"]  # same frames
    # a hand up on any single frame is an event with the eager hysteresis: never fewer events than the default
    assert sum(eager["video_raised"][:2]) >= sum(default["video_raised"][:2])
    again = tmp_path / "again.json"
    proc = _run("eval_perception_video.py", "--data", str(SHARED_DATA), "--out", str(again), "--rescore", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(again.read_text(encoding="utf-8"))["variants"] == data["variants"]  # the same rows, scored again
    bad = _run("eval_perception_video.py", "--data", str(SHARED_DATA), "--out", str(out), "--variants", "count+x=1")
    assert bad.returncode == 2 and "--variants" in bad.stderr
    bad = _run("eval_perception_video.py", "--data", str(SHARED_DATA), "--out", str(out), "--signals", "default+x=1")
    assert bad.returncode == 2 and "--signals" in bad.stderr


def test_train_raise_classifier_quick(tmp_path: Path) -> None:
    out = tmp_path / "clf.json"
    proc = _run("train_raise_classifier.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["examples"] > 0 and data["positives"] > 0
    assert {"classifier", "rule"} == set(data["leave_one_source_out"])
    assert isinstance(data["classifier_beats_rule"], bool)
    assert "leave-one-source-out F1" in proc.stdout


def test_tune_perception_quick(tmp_path: Path) -> None:
    out = tmp_path / "tune.json"
    args = ["--data", str(SHARED_DATA), "--out", str(out), "--quick", "--settings", "palms unconfirmed"]
    proc = _run("tune_perception.py", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["settings"]) == ["default", "palms unconfirmed"]
    frames = data["in_sample"]["default"]["frames"]
    assert frames > 0 and data["loso"]["frames"] == frames  # every held-out frame scored once
    assert set(data["chosen_per_source"]) == set(data["sources"])
    assert sum(data["sources"].values()) == frames
    beats = data["loso_objective"] > data["default_objective"]
    assert data["verdict"] == ("the choice beats the default" if beats else "keep the default")
    assert "leave-one-source-out" in proc.stdout


def test_calibrate_count_quick(tmp_path: Path) -> None:
    out = tmp_path / "band.json"
    clip = {"source": "a/b", "classroom": True, "people_true": 30, "video_count": 24, "video_low": 20, "video_high": 24}
    video = tmp_path / "video.json"  # the fields of an eval_perception_video.py run it reads
    video.write_text(
        json.dumps({"rows": [clip, {**clip, "classroom": False, "video_count": 31, "video_high": 31}]}),
        encoding="utf-8",
    )
    proc = _run("calibrate_count.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick", "--video", str(video))
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    low, high = data["band"]
    assert low <= 0.0 <= high
    frames = data["subsets"]["all"]["band, leave-one-source-out"]["frames"]
    assert frames == len(data["per_frame"]) > 0  # every frame scored once, held out
    assert set(data["bands_per_held_out_source"]) == {r["source"] for r in data["per_frame"]}
    for r in data["per_frame"]:
        assert r["loso_band"][0] <= r["people_found"] <= r["loso_band"][1]
    assert 0.0 <= data["loso_coverage"] <= 1.0 and "PerceptionConfig.count_band" in proc.stdout
    live = data["live"]["live clips"]
    assert live["the bounds reported live"]["frames"] == 2 and live["the bounds reported live"]["coverage"] == 0.5
    assert data["live"]["live classroom clips"]["band, leave-one-source-out"]["frames"] == 1


def test_calibrate_count_refuses_a_coverage_outside_0_1(tmp_path: Path) -> None:
    proc = _run("calibrate_count.py", "--data", str(SHARED_DATA), "--out", str(tmp_path / "x.json"), "--coverage", "1")
    assert proc.returncode == 2 and "--coverage" in proc.stderr


def test_tune_perception_refuses_a_setting_it_does_not_know(tmp_path: Path) -> None:
    out = tmp_path / "tune.json"
    proc = _run("tune_perception.py", "--data", str(SHARED_DATA), "--out", str(out), "--settings", "detector 0.9")
    assert proc.returncode == 2 and "unknown settings: detector 0.9" in proc.stderr
    assert not out.exists()

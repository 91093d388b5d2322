"""Pure parts of `dual-teacher bench`: budgets, statistics, compare, the accuracy gate, the fallback record, HTML."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from dual_teacher.runtime import bench_gate as gate
from dual_teacher.runtime.bench_html import histogram_svg, lines_svg, nice_ticks, render, summary_rows
from dual_teacher.runtime.bench_stats import (
    budget_for,
    compare,
    cpu_percent,
    done,
    final_latencies,
    format_compare,
    get_path,
    latency_summary,
    perception_peer_rows,
    rate,
    rate_over_time,
    split_budget,
    window,
    word_error_counts,
)


# ---- budgets -----------------------------------------------------------------------------------------------------
def test_full_uses_mlperf_minimums() -> None:
    full = budget_for("full")
    assert min(full.single_stream_s, full.multi_stream_s, full.offline_s, full.classroom_s) >= 600
    assert full.min_single_stream == 1024
    assert full.min_multi_stream == 662


def test_quick_is_shorter_than_default() -> None:
    quick, default = budget_for("quick"), budget_for("default")
    assert quick.single_stream_s < default.single_stream_s
    assert quick.classroom_s < default.classroom_s


def test_budget_override_shrinks_everything() -> None:
    b = budget_for("full", budget_s=1.0)
    assert (b.single_stream_s, b.multi_stream_s, b.offline_s, b.classroom_s) == (1.0, 1.0, 1.0, 3.0)
    assert b.min_single_stream <= 3 and b.min_offline == 1 and b.gate_frames <= 2
    with pytest.raises(ValueError):
        budget_for("quick", budget_s=0)


@pytest.mark.parametrize(
    ("elapsed", "count", "expected"),
    [(0.5, 100, False), (2.0, 1, False), (2.0, 5, True), (10.0, 5, True)],
)
def test_done_needs_both_duration_and_queries(elapsed: float, count: int, expected: bool) -> None:
    assert done(elapsed, count, duration_s=1.0, min_count=5) is expected


def test_split_budget() -> None:
    assert split_budget(10.0, 7, 5) == (2.0, 2)
    assert split_budget(10.0, 0, 4) == (2.5, 1)
    assert split_budget(3.0, 3, 0) == (3.0, 3)


# ---- statistics --------------------------------------------------------------------------------------------------
def test_latency_summary_in_ms() -> None:
    s = latency_summary([0.001 * i for i in range(1, 101)])
    assert s["n"] == 100
    assert s["p50_ms"] == pytest.approx(50.5)
    assert s["p90_ms"] == pytest.approx(90.1)
    assert s["p99_ms"] == pytest.approx(99.01)
    assert s["max_ms"] == pytest.approx(100.0)


def test_latency_summary_empty_is_none_not_nan() -> None:
    s = latency_summary([])
    assert s["n"] == 0 and s["p50_ms"] is None and s["p99_ms"] is None


def test_rates() -> None:
    assert rate(10, 4.0) == 2.5
    assert rate(3, 0.0) is None
    assert cpu_percent(3.0, 2.0) == 150.0
    assert cpu_percent(1.0, 0.0) is None


def test_rate_over_time_bins() -> None:
    times = [100.1, 100.2, 100.9, 101.5, 102.2, 102.3, 102.4]
    assert rate_over_time(times, 100.0, 103.0) == [[0.0, 3.0], [1.0, 1.0], [2.0, 3.0]]
    assert rate_over_time(times, 100.0, 102.6)[-1] == [2.0, 5.0]  # a last bin of 0.6 s is kept
    assert len(rate_over_time(times, 100.0, 102.3)) == 2  # 0.3 s: too short to be a rate
    assert rate_over_time([], 5.0, 5.0) == []


def test_window_peaks() -> None:
    samples: list[list[float | None]] = [[0.0, 90.0, 100.0, None], [1.0, 80.0, 300.0, 50.0], [5.0, 70.0, 900.0, 70.0]]
    assert window(samples, 0.0, 2.0) == {"peak_rss_mb": 300.0, "peak_gpu_mem_mb": 50.0}
    assert window(samples, 10.0, 20.0) == {"peak_rss_mb": None, "peak_gpu_mem_mb": None}


@pytest.mark.parametrize(
    ("ref", "hyp", "errors"),
    [
        ("a b c", "a b c", 0),
        ("a b c", "a x c", 1),
        ("a b c", "a c", 1),
        ("a b", "a b c d", 2),
        ("", "a", 1),
    ],
)
def test_word_error_counts(ref: str, hyp: str, errors: int) -> None:
    assert word_error_counts(ref.split(), hyp.split()) == errors


def test_final_latencies_match_utterances_to_finals() -> None:
    spans = [(1.0, 3.0), (5.0, 7.0), (9.0, 11.0), (20.0, 22.0)]
    finals = [
        (0.9, 2.0, 102.5),  # first half of utterance 1 (split by the segmenter)
        (2.0, 3.1, 104.0),  # its end: ready at 104.0 -> 1.0 s after the end (t0 100 + 3.0)
        (5.0, 5.5, 106.0),  # utterance 2 heard only up to 5.5 s: missed
        (8.9, 11.2, 111.7),  # utterance 3 -> 0.7 s
    ]
    latencies, missed = final_latencies(spans, finals, stream_t0=100.0, played_s=15.0)
    assert latencies == pytest.approx([1.0, 0.7])
    assert missed == 1  # utterance 4 had not been played yet and does not count


# ---- peers ---------------------------------------------------------------------------------------------------------
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


# ---- compare -------------------------------------------------------------------------------------------------------
def _result(p50: float, fps: float, **extra: Any) -> dict[str, Any]:
    return {
        "mode": "quick",
        "valid": True,
        "profile": {"used": "cpu-generic"},
        "providers": {"used_first": ["CPUExecutionProvider"]},
        "machine": {"cpu": "x", "cpu_count": 2},
        "scenarios": {
            "single_stream": {"perception": {"latency": {"p50_ms": p50}}},
            "offline": {"perception": {"frames_per_s": fps}},
        },
        **extra,
    }


def test_compare_ratios_and_verdicts() -> None:
    rows = {r.label: r for r in compare(_result(100.0, 10.0), _result(50.0, 10.1))}
    lat = rows["SingleStream perception p50 ms"]
    assert lat.ratio == pytest.approx(0.5) and lat.verdict == "B better"  # lower latency
    thr = rows["Offline perception frames/s"]
    assert thr.ratio == pytest.approx(1.01) and thr.verdict == "same"  # within 2 %
    worse = {r.label: r for r in compare(_result(100.0, 10.0), _result(100.0, 5.0))}
    assert worse["Offline perception frames/s"].verdict == "B worse"
    assert len(rows) == 2  # metrics neither result has are left out


def test_compare_handles_missing_and_zero() -> None:
    a = _result(0.0, 10.0)
    b = _result(10.0, 10.0)
    del b["scenarios"]["offline"]
    rows = {r.label: r for r in compare(a, b)}
    assert rows["SingleStream perception p50 ms"].ratio is None
    assert rows["Offline perception frames/s"].b is None and rows["Offline perception frames/s"].verdict == "-"


def test_format_compare_warns_about_invalid_and_partial() -> None:
    a = _result(100.0, 10.0)
    b = _result(80.0, 12.0, valid=False, invalid_reasons=["asr: too many errors"], partial=True, interrupted_in="x")
    text = format_compare(a, b, "a.json", "b.json")
    assert "B is marked invalid: asr: too many errors" in text
    assert "B is partial" in text
    assert "0.800" in text and "1.200" in text
    b["providers"] = {"fell_back": True, "profile_requested": "nvidia-cuda", "used_first": ["CPUExecutionProvider"]}
    assert "FALLBACK from nvidia-cuda" in format_compare(a, b, "a.json", "b.json")


def test_get_path() -> None:
    assert get_path({"a": {"b": 3}}, "a.b") == 3
    assert get_path({"a": {"b": 3}}, "a.c") is None
    assert get_path({"a": 1}, "a.b") is None


# ---- accuracy gate -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variant", "diff", "passed"),
    [("fp32", 0.05, True), ("fp32", 0.2, False), ("fp16", 0.9, True), ("fp16", 1.2, False), ("int8", 5.0, True)],
)
def test_raw_output_check_tolerance_by_variant(variant: str, diff: float, passed: bool) -> None:
    check = gate.raw_output_check("pose_detection", "Identity", diff, scale=100.0, variant=variant, n_inputs=4)
    assert check.passed is passed and check.gated


def test_raw_output_check_unread_outputs_are_reported_not_gated() -> None:
    check = gate.raw_output_check("pose_landmark_full", "Identity_2", 50.0, scale=100.0, variant="fp32", n_inputs=4)
    assert not check.gated and check.passed
    assert "reported only" in check.detail
    nan = gate.raw_output_check("pose_detection", "Identity", math.nan, scale=1.0, variant="fp32", n_inputs=1)
    assert not nan.passed


@pytest.mark.parametrize(
    ("ref", "got", "passed"),
    [([5, 5], [5, 5], True), ([5, 5], [5, 6], True), ([5, 5], [4, 6], False), ([20, 20], [22, 20], True)],
)
def test_count_check(ref: list[int], got: list[int], passed: bool) -> None:
    assert gate.count_check(ref, got).passed is passed


def _pose(dx: float = 0.0, scale: float = 100.0) -> gate.Pose:
    pts = np.stack([np.arange(33, dtype=np.float32) * 3 + 100 + dx, np.full(33, 200, np.float32)], axis=1)
    return gate.Pose(pts.astype(np.float32), np.ones(33, bool), scale)


def test_match_poses_and_landmark_check() -> None:
    errors = gate.match_poses([_pose(0), _pose(1000)], [_pose(1002), _pose(2)])
    assert errors == pytest.approx([0.02, 0.02])
    assert gate.landmark_check(errors, 2).passed
    assert not gate.landmark_check(gate.match_poses([_pose(0)], [_pose(10)]), 1).passed  # 10 % of body size
    assert not gate.landmark_check([0.0], 3).passed  # only one of three people found
    assert gate.landmark_check([], 0).passed  # nobody in view: nothing to compare


def test_asr_check_allows_one_percent_more_errors_than_the_reference() -> None:
    assert gate.asr_check(50, 2, 3, "ground truth", 3).passed  # one word of slack
    assert not gate.asr_check(50, 2, 4, "ground truth", 3).passed
    assert gate.asr_check(500, 20, 25, "ground truth", 30).passed  # 1 % of 500 = 5 words
    assert not gate.asr_check(500, 20, 26, "ground truth", 30).passed


def test_decide() -> None:
    ok = gate.GateCheck("a", True, 0.0, 1.0, "fine")
    bad = gate.GateCheck("b", False, 2.0, 1.0, "too far")
    ungated = gate.GateCheck("c", False, 2.0, 1.0, "reported", gated=False)
    assert gate.decide([ok, ungated]) == (True, [])
    assert gate.decide([ok, bad]) == (False, ["too far"])
    assert gate.decide([])[0] is False


# ---- the record of what really ran ---------------------------------------------------------------------------------
CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


def test_provider_record_auto_without_fallback() -> None:
    rec = gate.provider_record(
        None, "cpu-generic", [("nvidia-cuda", "needs onnxruntime-gpu")], [CPU], [CPU], {"m1": [CPU], "m2": [CPU]}
    )
    assert rec["profile_requested"] == "auto" and rec["profile_used"] == "cpu-generic"
    assert not rec["fell_back"] and rec["fallback_reasons"] == []
    assert rec["used_first"] == [CPU]


def test_provider_record_forced_profile_that_did_not_work() -> None:
    rec = gate.provider_record(
        "nvidia-cuda",
        "cpu-generic",
        [("nvidia-cuda", "CUDAExecutionProvider did not run a model here")],
        [CUDA, CPU],
        [CPU],
        {"m1": [CPU]},
    )
    assert rec["fell_back"]
    assert rec["requested"] == [CUDA, CPU] and rec["used_first"] == [CPU]
    assert "nvidia-cuda not used: CUDAExecutionProvider did not run a model here" in rec["fallback_reasons"][0]


def test_provider_record_model_that_fell_back_to_cpu() -> None:
    rec = gate.provider_record(
        "nvidia-cuda", "nvidia-cuda", [], [CUDA, CPU], [CUDA, CPU], {"a": [CUDA, CPU], "b": [CPU]}
    )
    assert rec["fell_back"]
    assert rec["fallback_reasons"] == ["b runs on CPUExecutionProvider instead of CUDAExecutionProvider"]
    assert rec["used_first"] == [CUDA, CPU]


def test_provider_record_auto_reports_a_failed_better_profile() -> None:
    rec = gate.provider_record(None, "cpu-generic", [("intel-openvino", "OpenVINO:NPU did not run")], [CPU], [CPU], {})
    assert rec["fell_back"] and "intel-openvino" in rec["fallback_reasons"][0]


# ---- HTML --------------------------------------------------------------------------------------------------------
def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0, 12.5, 4) == [0, 5, 10, 15]
    ticks = nice_ticks(480, 660)
    assert ticks[0] <= 480 and ticks[-1] >= 660


def test_svgs_are_well_formed() -> None:
    ET.fromstring(histogram_svg([1.0, 2.0, 2.5, 10.0], "lat <&>"))
    ET.fromstring(histogram_svg([5.0], "one"))
    ET.fromstring(lines_svg([("fps", [[0, 1.0], [1, 2.0], [2, None]])], "t", bands=[("a", 0.0, 1.0)]))
    assert "no samples" in histogram_svg([], "empty")
    assert "no samples" in lines_svg([("x", [])], "empty")


def test_render_a_partial_result() -> None:
    result = _result(100.0, 10.0, partial=True, interrupted_in="Classroom", valid=False, invalid_reasons=["gate"])
    result["scenarios"]["single_stream"]["perception"]["samples_ms"] = [90.0, 100.0, 120.0]
    result["scenarios"]["single_stream"]["perception"]["interrupted"] = True
    page = render(result)
    assert "PARTIAL (interrupted in Classroom)" in page and "INVALID" in page
    assert page.count("<svg") >= 1
    rows = summary_rows(result)
    assert rows[0]["scenario"] == "SingleStream perception (interrupted)"
    assert render({}).startswith("<!doctype html>")


def test_a_benchmark_run_never_installs_a_peer(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without the peer venv, peer_python reports how to set it up and makes nothing (no pip during a run)."""
    from dual_teacher.runtime import bench_peers

    monkeypatch.setenv("DUAL_TEACHER_CACHE", str(tmp_path))
    calls: list[object] = []
    monkeypatch.setattr(bench_peers.subprocess, "run", lambda *a, **k: calls.append(a))
    python, why = bench_peers.peer_python()
    assert python is None and "dual-teacher bench setup-peers" in why
    assert calls == [] and not any(tmp_path.iterdir())
    assert bench_peers.peer_requirements() is not None  # the pinned list ships with the project

"""The accuracy gate of `dual-teacher bench` and the record of what really ran (bench/gate.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dual_teacher.bench import gate
from dual_teacher.bench.results import to_json


@pytest.mark.parametrize(
    ("variant", "diff", "passed"),
    [("fp32", 0.05, True), ("fp32", 0.2, False), ("fp16", 0.9, True), ("fp16", 1.2, False), ("int8", 5.0, True)],
)
def test_raw_output_check_tolerance_by_variant(variant: str, diff: float, passed: bool) -> None:
    check = gate.raw_output_check("pose_detection", "Identity", diff, scale=100.0, variant=variant, n_inputs=4)
    assert check.passed is passed and check.gated


def test_raw_output_check_gates_every_output_and_fails_a_nan() -> None:
    check = gate.raw_output_check("pose_landmark_full", "Identity_2", 50.0, scale=100.0, variant="fp32", n_inputs=4)
    assert check.gated and not check.passed  # no output is exempt: a model ships only what the runtime reads
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
    assert rec.profile_requested == "auto" and rec.profile_used == "cpu-generic"
    assert not rec.fell_back and rec.fallback_reasons == ()
    assert rec.used_first == (CPU,)


def test_provider_record_forced_profile_that_did_not_work() -> None:
    rec = gate.provider_record(
        "nvidia-cuda",
        "cpu-generic",
        [("nvidia-cuda", "CUDAExecutionProvider did not run a model here")],
        [CUDA, CPU],
        [CPU],
        {"m1": [CPU]},
    )
    assert rec.fell_back
    assert rec.requested == (CUDA, CPU) and rec.used_first == (CPU,)
    assert "nvidia-cuda not used: CUDAExecutionProvider did not run a model here" in rec.fallback_reasons[0]


def test_provider_record_model_that_fell_back_to_cpu() -> None:
    rec = gate.provider_record(
        "nvidia-cuda", "nvidia-cuda", [], [CUDA, CPU], [CUDA, CPU], {"a": [CUDA, CPU], "b": [CPU]}
    )
    assert rec.fell_back
    assert rec.fallback_reasons == ("b runs on CPUExecutionProvider instead of CUDAExecutionProvider",)
    assert rec.used_first == (CUDA, CPU)


def test_provider_record_auto_reports_a_failed_better_profile() -> None:
    rec = gate.provider_record(None, "cpu-generic", [("intel-openvino", "OpenVINO:NPU did not run")], [CPU], [CPU], {})
    assert rec.fell_back and "intel-openvino" in rec.fallback_reasons[0]


def test_provider_record_json_keeps_its_keys() -> None:
    rec = gate.provider_record(None, "cpu-generic", [("x", "needs y")], [CPU], [CPU], {"m1": [CPU]})
    data = to_json(rec)
    assert data["passed_over"] == [["x", "needs y"]] and data["used_by_model"] == {"m1": [CPU]}
    assert set(data) == {
        "profile_requested", "profile_used", "requested", "asked", "used_by_model", "used_first", "fell_back",
        "fallback_reasons", "passed_over", "probes", "available",
    }  # fmt: skip

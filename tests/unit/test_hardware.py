"""Hardware profiles, the provider probe and the profile choice."""

from __future__ import annotations

import json

import pytest

from dual_teacher.cli import main
from dual_teacher.core.errors import ConfigError
from dual_teacher.hardware.probe import prove, prove_all
from dual_teacher.hardware.profiles import choose_profile, load_profiles

PROFILES = load_profiles()


def test_every_named_profile_exists_and_ends_with_the_cpu() -> None:
    assert set(PROFILES) == {
        "cpu-generic",
        "intel-openvino",
        "nvidia-cuda",
        "nvidia-tensorrt",
        "directml",
        "coreml",
        "qualcomm-qnn",
        "amd-migraphx",
    }
    for p in PROFILES.values():
        assert p.providers[-1].name == "CPUExecutionProvider"
        assert p.threads >= 1 and p.model_variant in ("fp32", "prelu", "fp16", "int8")


@pytest.mark.parametrize(
    ("proven", "installed", "wanted", "chosen", "fell_back"),
    [
        ({"CPUExecutionProvider": True}, {"onnxruntime"}, None, "cpu-generic", True),  # coreml listed, not proven
        (
            {"CPUExecutionProvider": True, "CUDAExecutionProvider": True},
            {"onnxruntime-gpu"},
            None,
            "nvidia-cuda",
            True,  # TensorRT ranks higher, ships in the same package and is not proven: a reported fallback
        ),
        (
            {"CPUExecutionProvider": True, "CUDAExecutionProvider": True, "TensorrtExecutionProvider": True},
            {"onnxruntime-gpu"},
            None,
            "nvidia-tensorrt",
            False,
        ),
        (
            {"CPUExecutionProvider": True, "CUDAExecutionProvider": False},
            {"onnxruntime-gpu"},
            None,
            "cpu-generic",
            True,
        ),
        (
            {
                "CPUExecutionProvider": True,
                "OpenVINOExecutionProvider:NPU": False,
                "OpenVINOExecutionProvider:CPU": True,
            },
            {"onnxruntime-openvino"},
            "intel-openvino",
            "cpu-generic",
            True,
        ),
        (
            {"CPUExecutionProvider": True, "OpenVINOExecutionProvider:NPU": True},
            {"onnxruntime-openvino"},
            "intel-openvino",
            "intel-openvino",
            False,
        ),
    ],
    ids=["cpu-only", "cuda", "tensorrt-first", "cuda-broken", "npu-missing", "npu-works"],
)
def test_choose_profile(
    proven: dict[str, bool], installed: set[str], wanted: str | None, chosen: str, fell_back: bool
) -> None:
    # cpu-generic and coreml both need the plain "onnxruntime" distribution, which every row has in reality.
    choice = choose_profile(PROFILES, proven, installed | {"onnxruntime"}, wanted)
    assert choice.profile.name == chosen
    assert choice.fell_back is fell_back
    assert all(name != chosen for name, _ in choice.passed_over)


def test_unknown_profile_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown hardware profile"):
        choose_profile(PROFILES, {"CPUExecutionProvider": True}, {"onnxruntime"}, "quantum")


def test_probe_proves_the_cpu_and_refuses_what_is_not_there() -> None:
    cpu = prove("CPUExecutionProvider")
    assert cpu.ok and cpu.used == "CPUExecutionProvider" and cpu.max_abs_error is not None
    assert cpu.max_abs_error < 1e-4
    ghost = prove_all([("NoSuchExecutionProvider", {}, "NoSuchExecutionProvider")])["NoSuchExecutionProvider"]
    assert not ghost.ok and ghost.used is None and ghost.error


def test_doctor_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--json"])
    data = json.loads(capsys.readouterr().out)
    items = {(c["section"], c["item"]): c for c in data["checks"]}
    assert items[("providers", "CPUExecutionProvider")]["status"] == "ok"
    assert data["profile"] == "cpu-generic" or data["profile"] in PROFILES
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert code == (1 if failed else 0), failed  # exit 1 exactly when a check failed, and it says which


def test_the_fingerprint_names_the_cpu_vector_instructions() -> None:
    from dual_teacher.hardware.fingerprint import cpu_simd, fingerprint

    assert cpu_simd("fpu sse4_2 avx avx2 fma") == ["sse4_2", "avx", "avx2"]
    assert cpu_simd("fpu avx avx512f avx512bw avx512_vnni amx_tile") == ["avx", "avx512f", "avx512_vnni", "amx_tile"]
    assert cpu_simd("") == []
    got = fingerprint()["cpu_simd"]
    assert isinstance(got, list) and set(got) <= {"sse4_2", "avx", "avx2", "avx512f", "avx512_vnni", "amx_tile"}

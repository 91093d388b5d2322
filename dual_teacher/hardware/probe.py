"""Prove each execution provider by running a tiny model on it, and compare what was asked with what ran.

ONNX Runtime silently falls back to the CPU when an accelerator cannot take a model, so "installed" is not
"working". The probe model (a 64x64 MatMul + Relu, written here as ONNX protobuf bytes) is checked against a
numpy reference too: a provider that runs but computes wrong numbers is not proven.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from dual_teacher.hardware.profiles import Choice, HardwareProfile, choose_profile, load_profiles

ORT_DISTRIBUTIONS = (
    "onnxruntime",
    "onnxruntime-gpu",
    "onnxruntime-openvino",
    "onnxruntime-directml",
    "onnxruntime-qnn",
    "onnxruntime-migraphx",
)
_N = 64


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def _value_info(name: str, dims: tuple[int, ...]) -> bytes:
    shape = b"".join(_field(1, _field(1, d)) for d in dims)
    tensor_type = _field(1, 1) + _field(2, shape)  # elem_type FLOAT, shape
    return _field(1, name) + _field(2, _field(1, tensor_type))


def probe_model_bytes(weights: np.ndarray) -> bytes:
    """ONNX model y = Relu(x @ W), opset 17, W (64x64 float32) as an initializer."""
    w = np.ascontiguousarray(weights, dtype="<f4")
    tensor = b"".join(_field(1, d) for d in w.shape) + _field(2, 1) + _field(8, "W") + _field(9, w.tobytes())
    matmul = _field(1, "x") + _field(1, "W") + _field(2, "h") + _field(3, "mm") + _field(4, "MatMul")
    relu = _field(1, "h") + _field(2, "y") + _field(3, "relu") + _field(4, "Relu")
    graph = (
        _field(1, matmul)
        + _field(1, relu)
        + _field(2, "probe")
        + _field(5, tensor)
        + _field(11, _value_info("x", (1, _N)))
        + _field(12, _value_info("y", (1, _N)))
    )
    opset = _field(1, "") + _field(2, 17)
    return _field(1, 8) + _field(2, "dual-teacher") + _field(7, graph) + _field(8, opset)


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    provider: str  # key, e.g. "OpenVINOExecutionProvider:NPU"
    requested: str
    used: str | None
    ok: bool
    latency_ms: float | None
    max_abs_error: float | None
    error: str = ""


def installed_ort_distributions() -> dict[str, str]:
    out = {}
    for name in ORT_DISTRIBUTIONS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def ort_errors() -> tuple[type[BaseException], ...]:
    """ONNX Runtime's own exception classes (they derive from Exception directly) plus the usual ones."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    names = (
        "Fail",
        "InvalidArgument",
        "NoSuchFile",
        "NoModel",
        "EngineError",
        "RuntimeException",
        "InvalidProtobuf",
        "ModelLoaded",
        "NotImplemented",
        "InvalidGraph",
        "EPFail",
    )
    found = tuple(getattr(state, n) for n in names if isinstance(getattr(state, n, None), type))
    return (*found, RuntimeError, ValueError, OSError)


def prove(provider: str, options: dict[str, Any] | None = None, key: str | None = None) -> ProbeResult:
    """Run the probe model on `provider` alone; ok only if that provider ran it and the numbers are right."""
    import onnxruntime as ort

    key = key or provider
    rng = np.random.default_rng(0)
    w = rng.standard_normal((_N, _N)).astype(np.float32) / 8
    x = rng.standard_normal((1, _N)).astype(np.float32)
    want = np.maximum(x @ w, 0)
    if provider not in ort.get_available_providers():
        return ProbeResult(key, provider, None, False, None, None, "not in this onnxruntime build")
    try:
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        session = ort.InferenceSession(
            probe_model_bytes(w), sess_options=opts, providers=[(provider, dict(options or {}))]
        )
        used = session.get_providers()[0] if session.get_providers() else None
        session.run(None, {"x": x})
        t0 = time.perf_counter()
        (y,) = session.run(None, {"x": x})
        took = (time.perf_counter() - t0) * 1000
    except ort_errors() as exc:
        return ProbeResult(key, provider, None, False, None, None, f"{type(exc).__name__}: {str(exc)[:300]}")
    err = float(np.max(np.abs(np.asarray(y) - want)))
    ok = used == provider and err < 1e-2
    why = "" if ok else (f"ran on {used} instead" if used != provider else f"wrong result (max error {err:.3g})")
    return ProbeResult(key, provider, used, ok, took, err, why)


def prove_all(provider_specs: list[tuple[str, dict[str, Any], str]]) -> dict[str, ProbeResult]:
    """Prove each (provider, options, key) once; CPU is always included."""
    results: dict[str, ProbeResult] = {}
    for provider, options, key in [("CPUExecutionProvider", {}, "CPUExecutionProvider"), *provider_specs]:
        if key not in results:
            results[key] = prove(provider, options, key)
    return results


def probe_profiles(
    profiles: Mapping[str, HardwareProfile] | None = None, wanted: str | None = None
) -> tuple[Choice, dict[str, ProbeResult]]:
    """Prove every provider of every hardware profile, then choose the profile as the runtime does at start-up
    (`wanted` first if it works): the one choice `dual-teacher doctor`, a class and the benchmark share."""
    profiles = load_profiles() if profiles is None else profiles
    specs = [(p.name, dict(p.options), p.key) for prof in profiles.values() for p in prof.providers]
    results = prove_all(specs)
    proven = {k: r.ok for k, r in results.items()}
    return choose_profile(profiles, proven, installed_ort_distributions(), wanted), results

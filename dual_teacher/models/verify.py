"""`dual-teacher models verify`: re-check every built model's hash and its parity with the TFLite original.

Parity is re-measured without the converter environment: the build stores, per model, the inputs it used
and the TFLite original's outputs (`<name>.parity.npz`); here ONNX Runtime runs each built variant on those
inputs and the difference must stay within the manifest's tolerance (fp32, prelu) or within the margin the
build recorded (fp16, int8).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.core.errors import DualTeacherError
from dual_teacher.inference.registry import ModelRegistry, VariantState
from dual_teacher.inference.runner import OnnxRunner


@dataclasses.dataclass(frozen=True)
class Finding:
    model: str
    variant: str
    ok: bool
    message: str


def _ranked(contract: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """Contract outputs of detections sorted by a score output (`ranked = {by, tie}`, see the manifest)."""
    return {
        str(o["name"]): (str(o["ranked"]["by"]), float(o["ranked"]["tie"]))
        for o in contract.get("outputs", [])
        if isinstance(o, dict) and isinstance(o.get("ranked"), dict)
    }


def _row_diff(
    ref: npt.NDArray[Any], out: npt.NDArray[Any], ref_by: npt.NDArray[Any], out_by: npt.NDArray[Any], tie: float
) -> float:
    """Max |ref - out| with each reference row against the closest output row of a score within `tie`
    (tied detections come in either order; the build's converter compares them the same way)."""
    rows = ref_by.size
    r = ref.reshape(rows, -1).astype(np.float64)
    o = out.reshape(rows, -1).astype(np.float64)
    cost = np.abs(r[:, None, :] - o[None, :, :]).max(axis=-1)
    cost[np.abs(ref_by.reshape(-1, 1).astype(np.float64) - out_by.reshape(1, -1)) > tie] = np.inf
    best = cost.min(axis=1)
    own = np.abs(r - o).max(axis=-1)
    return float(np.where(np.isinf(best), own, best).max(initial=0.0))


def _parity(registry: ModelRegistry, v: VariantState, npz: Path) -> Finding:
    """Run the variant on the stored inputs; each output must stay within the difference the build allowed."""
    info = registry.report().get("models", {}).get(v.model, {}).get("variants", {}).get(v.variant, {})
    allowed: dict[str, float] = info.get("allowed_abs_diff") or {}
    with np.load(npz) as data:
        inputs = {k[len("input:") :]: data[k] for k in data.files if k.startswith("input:")}
        refs = {k[len("ref:") :]: data[k] for k in data.files if k.startswith("ref:")}
    runner = OnnxRunner(v.path, name=f"{v.model}.{v.variant}", threads=2)
    names = [i.name for i in runner.inputs]
    if sorted(names) != sorted(inputs):
        return Finding(v.model, v.variant, False, f"inputs {names} differ from the parity file's {sorted(inputs)}")
    out_names = [o.name for o in runner.outputs]
    spec = next((m for m in registry.manifest.models if m.name == v.model), None)
    ranked = _ranked(spec.contract) if spec is not None else {}
    n = next(iter(inputs.values())).shape[0]
    worst: dict[str, float] = dict.fromkeys(out_names, 0.0)
    for i in range(n):
        got = dict(zip(out_names, runner.run({k: a[i : i + 1] for k, a in inputs.items()}), strict=True))
        for name, out in got.items():
            if name not in refs:
                continue
            ref = refs[name][i : i + 1]
            if name in ranked and ranked[name][0] in got and ranked[name][0] in refs:
                by, tie = ranked[name]
                diff = _row_diff(ref, out, refs[by][i : i + 1], got[by], tie)
            else:
                diff = float(np.max(np.abs(out.astype(np.float64) - ref.astype(np.float64))))
            worst[name] = max(worst[name], diff)
    over = {k: d for k, d in worst.items() if k in allowed and d > float(allowed[k]) * 1.0001}
    ratio = max((d / float(allowed[k]) for k, d in worst.items() if allowed.get(k)), default=0.0)
    if v.variant in ("fp16", "int8") and info.get("over_tolerance"):
        # The build already flagged this variant; verify only checks it still behaves as built.
        built = info.get("max_abs_diff") or {}
        over = {k: d for k, d in worst.items() if k in built and d > float(built[k]) * 1.5 + 1e-6}
    ok = not over
    detail = f"worst output at {ratio:.2f}x its allowed difference on {n} inputs"
    if info.get("over_tolerance"):
        detail += " (over tolerance as built: not used by default)"
    if over:
        detail += "; over: " + ", ".join(f"{k} {d:.2e}" for k, d in over.items())
    return Finding(v.model, v.variant, ok, detail)


def verify_models(registry: ModelRegistry) -> list[Finding]:
    findings: list[Finding] = []
    for spec in registry.manifest.models:
        for v in registry.variants(spec.name, check_hashes=True):
            if v.state != "ok":
                if v.state == "n/a":
                    findings.append(Finding(v.model, v.variant, True, v.detail))
                elif v.state == "missing" and v.variant != "fp32":
                    findings.append(Finding(v.model, v.variant, True, "not built (optional variant)"))
                else:
                    findings.append(Finding(v.model, v.variant, False, f"{v.state}: {v.detail}"))
                continue
            npz = registry.cache / f"{spec.name}.parity.npz"
            if not npz.is_file():
                findings.append(Finding(v.model, v.variant, False, "parity data missing"))
                continue
            try:
                findings.append(_parity(registry, v, npz))
            except (DualTeacherError, OSError, ValueError, KeyError) as exc:
                findings.append(Finding(v.model, v.variant, False, f"cannot check: {exc}"))
    return findings

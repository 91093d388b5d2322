"""`dual-teacher models verify`: re-check every built model's hash and its parity with the TFLite original.

Parity is re-measured without the converter environment: the build stores, per model, the inputs it used
and the TFLite original's outputs (`<name>.parity.npz`); here ONNX Runtime runs each built variant on those
inputs and the difference must stay within the manifest's tolerance (fp32, prelu) or within the margin the
build recorded (fp16, int8).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from dual_teacher.core.errors import DualTeacherError
from dual_teacher.inference.registry import ModelRegistry, VariantState
from dual_teacher.inference.runner import OnnxRunner


@dataclasses.dataclass(frozen=True)
class Finding:
    model: str
    variant: str
    ok: bool
    message: str


def _parity(registry: ModelRegistry, v: VariantState, npz: Path) -> Finding:
    spec = registry.spec(v.model)
    with np.load(npz) as data:
        inputs = {k[len("input:") :]: data[k] for k in data.files if k.startswith("input:")}
        refs = [
            data[k]
            for k in sorted((k for k in data.files if k.startswith("output:")), key=lambda k: int(k.split(":")[1]))
        ]
    runner = OnnxRunner(v.path, name=f"{v.model}.{v.variant}", threads=2)
    names = [i.name for i in runner.inputs]
    if sorted(names) != sorted(inputs):
        return Finding(v.model, v.variant, False, f"inputs {names} differ from the parity file's {sorted(inputs)}")
    n = next(iter(inputs.values())).shape[0]
    worst = 0.0
    for i in range(n):
        outs = runner.run({k: a[i : i + 1] for k, a in inputs.items()})
        for out, ref in zip(outs, refs, strict=False):
            worst = max(worst, float(np.max(np.abs(out.astype(np.float64) - ref[i : i + 1].astype(np.float64)))))
    if v.variant in ("fp32", "prelu"):
        limit = spec.tolerance
    else:
        built = v.max_abs_diff if v.max_abs_diff is not None else spec.variant_tolerance.get(v.variant, 1.0)
        limit = max(built * 1.5, spec.tolerance)
    ok = worst <= limit
    return Finding(v.model, v.variant, ok, f"max abs diff {worst:.2e} on {n} inputs (limit {limit:.1e})")


def verify_models(registry: ModelRegistry) -> list[Finding]:
    findings: list[Finding] = []
    for spec in registry.manifest.models:
        for v in registry.variants(spec.name, check_hashes=True):
            if v.state != "ok":
                if v.state == "missing" and v.variant != "fp32":
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

"""Pure decisions of `dual-teacher bench`: the accuracy gate and the record of what really ran.

Accuracy gate (MLPerf's rule that a fast result only counts if it is still accurate): the profile's outputs are
compared with a CPU fp32 reference on the same real inputs, and the run is marked invalid, with the reasons,
when any check fails:
- raw model outputs on the stored real inputs of the model build: max |profile - reference| <= rel x scale +
  abs, scale = the reference's max |value| of that output; rel by variant (`RAW_REL`). Every output a built model
  has is gated: a model ships only the outputs the runtime reads (`runtime_outputs` in the manifest).
- the perception pipeline on frames of a real classroom video: people counted (sum of |difference| at most
  10 % of the reference's people, at least one) and body landmarks of the people found by both (median error
  at most 5 % of the person's size; at least 90 % of the reference's people with body landmarks matched);
- ASR: word errors against the clips' ground truth at most 1 % of the words (at least one word) more than the
  CPU fp32 reference's; without ground truth, the word difference to the reference's text, same allowance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.core.stats import median

RAW_REL = {"fp32": 1e-3, "prelu": 1e-3, "fp16": 1e-2, "int8": 5e-2}
RAW_ABS = 1e-3
COUNT_FRACTION = 0.10
LANDMARK_FRACTION = 0.05
MATCHED_FRACTION = 0.90
WORD_FRACTION = 0.01


@dataclasses.dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    value: float | None
    limit: float | None
    detail: str
    gated: bool = True


def raw_output_check(
    model: str, output: str, max_abs_diff: float, scale: float, variant: str, n_inputs: int
) -> GateCheck:
    rel = RAW_REL.get(variant, RAW_REL["fp32"])
    limit = RAW_ABS + rel * scale
    ok = bool(np.isfinite(max_abs_diff)) and max_abs_diff <= limit
    detail = (
        f"{model}:{output} max |diff| {max_abs_diff:.3g} vs allowed {limit:.3g} "
        f"({rel:g} x scale {scale:.3g} + {RAW_ABS:g}) on {n_inputs} real inputs"
    )
    return GateCheck(f"raw:{model}:{output}", ok, max_abs_diff, limit, detail)


def count_check(reference: Sequence[int], got: Sequence[int]) -> GateCheck:
    total_ref = sum(reference)
    diff = sum(abs(a - b) for a, b in zip(reference, got, strict=True))
    limit = max(1.0, COUNT_FRACTION * total_ref)
    return GateCheck(
        "perception:people",
        diff <= limit,
        float(diff),
        limit,
        f"people counted on {len(reference)} frames: reference {total_ref}, profile {sum(got)}, "
        f"sum of |difference| {diff} (allowed {limit:g})",
    )


@dataclasses.dataclass(frozen=True)
class Pose:
    """Body landmarks of one person (33 x 2 frame pixels), which are visible, and the person's size (px)."""

    points: npt.NDArray[np.float32]
    visible: npt.NDArray[np.bool_]
    scale: float


def match_poses(reference: Sequence[Pose], got: Sequence[Pose]) -> list[float]:
    """Greedy nearest-nose matching (within half a body size); per matched person the median distance of the
    landmarks visible in the reference, divided by the reference person's size."""
    errors: list[float] = []
    used: set[int] = set()
    for ref in reference:
        best, best_d = None, 0.5 * ref.scale
        for j, g in enumerate(got):
            if j in used:
                continue
            d = float(np.hypot(*(g.points[0] - ref.points[0])))
            if d <= best_d:
                best, best_d = j, d
        if best is None:
            continue
        used.add(best)
        mask = ref.visible if int(ref.visible.sum()) >= 3 else np.ones(len(ref.points), bool)
        dist = np.hypot(*(got[best].points[mask] - ref.points[mask]).T)
        errors.append((median(dist) or 0.0) / max(ref.scale, 1.0))
    return errors


def landmark_check(errors: Sequence[float], reference_people: int) -> GateCheck:
    matched = len(errors)
    mid = median(errors)
    enough = reference_people == 0 or matched >= MATCHED_FRACTION * reference_people
    ok = enough and (mid is None or mid <= LANDMARK_FRACTION)
    return GateCheck(
        "perception:landmarks",
        ok,
        None if mid is None else round(mid, 4),
        LANDMARK_FRACTION,
        f"{matched} of {reference_people} reference people matched; median landmark error "
        + ("-" if mid is None else f"{mid:.3f}")
        + f" of body size (allowed {LANDMARK_FRACTION:g}, matched at least {MATCHED_FRACTION:.0%})",
    )


def asr_check(words: int, reference_errors: int, profile_errors: int, against: str, clips: int) -> GateCheck:
    """Word errors of the profile's transcripts vs the CPU fp32 reference's (both against `against`)."""
    allowed = reference_errors + max(1, math.ceil(WORD_FRACTION * words))
    return GateCheck(
        "asr:words",
        profile_errors <= allowed,
        float(profile_errors),
        float(allowed),
        f"{clips} utterances, {words} words of {against}: reference {reference_errors} word errors, "
        f"profile {profile_errors} (allowed {allowed})",
    )


def decide(checks: Sequence[GateCheck]) -> tuple[bool, list[str]]:
    """Valid only if every gated check passed and there was something to check."""
    failed = [c.detail for c in checks if c.gated and not c.passed]
    if not checks:
        return False, ["the accuracy gate did not run"]
    return not failed, failed


# ---- what really ran ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ProviderRecord:
    """Requested vs used: profile, execution providers per model, and every reason for a fallback."""

    profile_requested: str
    profile_used: str
    requested: tuple[str, ...]
    asked: tuple[str, ...]
    used_by_model: Mapping[str, tuple[str, ...]]
    used_first: tuple[str, ...]
    fell_back: bool
    fallback_reasons: tuple[str, ...]
    passed_over: tuple[tuple[str, str], ...]
    probes: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # provider key -> hardware.probe result
    available: tuple[str, ...] = ()  # the providers this onnxruntime build has


def provider_record(
    requested_profile: str | None,
    used_profile: str,
    passed_over: Sequence[tuple[str, str]],
    requested_providers: Sequence[str],
    asked_providers: Sequence[str],
    used_by_model: Mapping[str, Sequence[str]],
) -> ProviderRecord:
    """Requested vs used: profile, execution providers per model, and every reason for a fallback.

    A fallback is: a forced profile (`--profile`) that did not run, a better installed profile that failed its
    probe (auto choice), or a model whose session does not run on the first provider asked for."""
    reasons: list[str] = []
    if requested_profile is not None and requested_profile != used_profile:
        why = dict(passed_over).get(requested_profile, "did not work here")
        reasons.append(f"profile {requested_profile} not used: {why}; ran {used_profile}")
    elif requested_profile is None:
        reasons += [f"profile {name} passed over: {why}" for name, why in passed_over if not why.startswith("needs")]
    first_asked = asked_providers[0] if asked_providers else None
    used_first: list[str] = []
    for model, used in used_by_model.items():
        first = used[0] if used else None
        if first is not None and first not in used_first:
            used_first.append(first)
        if first != first_asked:
            reasons.append(f"{model} runs on {first or 'nothing'} instead of {first_asked}")
    return ProviderRecord(
        profile_requested=requested_profile or "auto",
        profile_used=used_profile,
        requested=tuple(requested_providers),
        asked=tuple(asked_providers),
        used_by_model={k: tuple(v) for k, v in used_by_model.items()},
        used_first=tuple(used_first),
        fell_back=bool(reasons),
        fallback_reasons=tuple(reasons),
        passed_over=tuple((name, why) for name, why in passed_over),
    )

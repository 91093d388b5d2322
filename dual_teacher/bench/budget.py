"""How long and how much each part of a `dual-teacher bench` run does (pure: numbers in, numbers out).

Budgets follow MLPerf Inference's run rules where they can: a scenario runs until BOTH its minimum duration
and its minimum query count are reached. `--full` uses MLPerf's 600 s minimum for every scenario with its
minimum query counts for SingleStream (1024) and MultiStream (662); Offline uses the 600 s minimum only
(MLPerf sizes its single Offline query to fill that time).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

Mode = Literal["quick", "default", "full"]


# ---- budgets -----------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Budget:
    """How long and how much each part of a run does (seconds; query counts)."""

    mode: Mode
    single_stream_s: float  # per modality (perception, ASR)
    multi_stream_s: float
    offline_s: float  # per modality
    classroom_s: float
    min_single_stream: int
    min_multi_stream: int
    min_offline: int
    peer_s: float  # MediaPipe peer: seconds per scene and pipeline
    peer_clips: int  # faster-whisper peer: utterances
    gate_frames: int  # accuracy gate: frames of a real video through the profile and the CPU reference
    gate_inputs: int  # accuracy gate: stored real inputs per model for the raw output comparison
    gate_clips: int  # accuracy gate: utterances through the profile's and the reference transcriber

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_BUDGETS: dict[Mode, Budget] = {
    # about a minute on a 2-core CPU (the figures are per scenario; set-up and peers come on top)
    "quick": Budget("quick", 5.0, 5.0, 3.0, 12.0, 5, 3, 3, 0.5, 3, 2, 6, 2),
    # about three minutes
    "default": Budget("default", 15.0, 15.0, 10.0, 45.0, 20, 10, 10, 1.5, 6, 6, 24, 5),
    # MLPerf-like minimums
    "full": Budget("full", 600.0, 600.0, 600.0, 600.0, 1024, 662, 1, 10.0, 32, 60, 24, 32),
}


def budget_for(mode: Mode, budget_s: float | None = None) -> Budget:
    """The budget of a mode; `budget_s` (smoke tests, quick looks) sets every scenario to that many seconds,
    the classroom to 3x, and the minimum query counts to a handful."""
    base = _BUDGETS[mode]
    if budget_s is None:
        return base
    if budget_s <= 0:
        raise ValueError("budget_s must be positive")
    return dataclasses.replace(
        base,
        single_stream_s=budget_s,
        multi_stream_s=budget_s,
        offline_s=budget_s,
        classroom_s=3 * budget_s,
        min_single_stream=min(base.min_single_stream, 3),
        min_multi_stream=min(base.min_multi_stream, 2),
        min_offline=1,
        peer_s=min(base.peer_s, max(0.2, budget_s / 4)),
        peer_clips=min(base.peer_clips, 2),
        gate_frames=min(base.gate_frames, 2),
        gate_inputs=min(base.gate_inputs, 4),
        gate_clips=min(base.gate_clips, 2),
    )


def done(elapsed_s: float, count: int, duration_s: float, min_count: int) -> bool:
    """MLPerf's stopping rule: both the minimum duration and the minimum query count are reached."""
    return elapsed_s >= duration_s and count >= min_count


def split_budget(total_s: float, min_count: int, parts: int) -> tuple[float, int]:
    """Seconds and minimum queries of each of `parts` equal shares (each share at least one query)."""
    parts = max(1, parts)
    return total_s / parts, max(1, math.ceil(min_count / parts))

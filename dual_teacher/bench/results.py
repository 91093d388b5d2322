"""The result types of `dual-teacher bench`: frozen dataclasses, turned into the JSON's dicts only at the edge.

`to_json(value)` walks dataclasses, mappings and sequences. Field metadata shapes the dict: `FLAT` merges a
child's keys into its parent (a scenario's CPU and memory figures sit beside its own), `OPTIONAL` leaves a
field out while it is None or False (`"interrupted"` only on a scenario Ctrl-C cut short). A type with a
`to_json()` method serialises itself (the nested scenario groups).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from dual_teacher.core.stats import summarize

FLAT = {"flat": True}  # field metadata: the field's dict is merged into its parent's
OPTIONAL = {"optional": True}  # field metadata: the field is left out of the dict while it is None or False


def _left_out(value: Any) -> bool:
    return value is None or value is False


def to_json(value: Any) -> Any:
    """Plain dicts, lists and scalars for `json.dumps` (the one place a result becomes a dict)."""
    method = getattr(value, "to_json", None)
    if callable(method) and not isinstance(value, type):
        return method()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.metadata.get("optional") and _left_out(v):
                continue
            if f.metadata.get("flat"):
                if v is not None:
                    out.update(to_json(v))
                continue
            out[f.name] = to_json(v)
        return out
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def ms(seconds: Sequence[float]) -> tuple[float, ...]:
    """Samples in milliseconds, 2 decimals (the histograms of the report)."""
    return tuple(round(s * 1000.0, 2) for s in seconds)


@dataclasses.dataclass(frozen=True)
class Latency:
    """n, mean, p50, p90, p99 and max in milliseconds (core.stats; None without a sample)."""

    n: int
    mean_ms: float | None
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        s = summarize(seconds, scale=1000.0, digits=3)
        return cls(s.n, s.mean, s.p50, s.p90, s.p99, s.max)


@dataclasses.dataclass(frozen=True)
class Usage:
    """CPU and memory over one part of the run (bench.monitor.UsageWindow)."""

    wall_s: float
    cpu_percent: float | None
    peak_rss_mb: float | None
    peak_gpu_mem_mb: float | None


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A part that did not run, and why (a missing peer, no video to play)."""

    skipped: str


class Scenario(Protocol):
    """One measured part of the run: `run()` measures (until its budget is spent, or Ctrl-C cuts it short),
    `summary(interrupted)` gives what it measured so far as a result dataclass."""

    def run(self) -> None: ...

    def summary(self, interrupted: bool) -> Any: ...

"""Pure figures of `dual-teacher bench`: rates, rates over time, CPU share, memory peaks, word errors.

No clock, no threads, no models: numbers in, numbers out (unit-tested). Percentiles come from core.stats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _num(x: float) -> float:
    return round(float(x), 3)


def rate(count: float, seconds: float) -> float | None:
    return None if seconds <= 0 else _num(count / seconds)


def rate_over_time(times: Sequence[float], start: float, end: float, bin_s: float = 1.0) -> list[list[float]]:
    """[[bin start relative to `start`, events per second in the bin], ...] over [start, end); a last partial
    bin shorter than half a bin is left out (its rate would be noise)."""
    if end <= start or bin_s <= 0:
        return []
    n = int((end - start) / bin_s)
    if (end - start) - n * bin_s >= bin_s / 2:
        n += 1
    counts = [0] * n
    for t in times:
        i = int((t - start) / bin_s)
        if 0 <= i < n and t >= start:
            counts[i] += 1
    out = []
    for i, c in enumerate(counts):
        width = min(bin_s, end - (start + i * bin_s))
        out.append([_num(i * bin_s), _num(c / width)])
    return out


def cpu_percent(cpu_s: float, wall_s: float) -> float | None:
    """Process CPU time over wall time, in percent of one core (200 = two cores busy)."""
    return None if wall_s <= 0 else round(100.0 * cpu_s / wall_s, 1)


def window(samples: Sequence[Sequence[float | None]], t0: float, t1: float) -> dict[str, Any]:
    """Peak RSS and GPU memory of resource samples [t, cpu %, rss MB, gpu MB or None] inside [t0, t1]."""
    inside = [s for s in samples if t0 <= float(s[0] or 0.0) <= t1]
    rss = [float(s[2]) for s in inside if s[2] is not None]
    gpu = [float(s[3]) for s in inside if len(s) > 3 and s[3] is not None]
    return {"peak_rss_mb": max(rss) if rss else None, "peak_gpu_mem_mb": max(gpu) if gpu else None}


def word_error_counts(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two token lists (substitutions + deletions + insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]

"""The one percentile and the summary statistics every benchmark and report figure is made of.

Method: linear interpolation between the closest ranks (Hyndman & Fan type 7, numpy's default `linear`):
for n sorted values x[0..n-1], the q-th percentile is at rank r = q / 100 * (n - 1), interpolated between
x[floor(r)] and x[ceil(r)]. So p0 is the minimum, p100 the maximum, p50 of an even count the midpoint.

Empty input: `percentile` and every figure of `summarize` are None (never NaN: JSON has no NaN, and a
missing figure must not look like a measured one). A q outside [0, 100] or a non-finite value is a ValueError.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

QUANTILES = (50.0, 90.0, 99.0)
Values = Sequence[float] | npt.NDArray[Any]


def _checked(values: Values) -> npt.NDArray[np.float64]:
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    if a.size and not np.all(np.isfinite(a)):
        raise ValueError("percentiles of non-finite values are undefined")
    return a


def percentile(values: Values, q: float) -> float | None:
    """The q-th percentile (0 <= q <= 100) by linear interpolation between closest ranks; None when empty."""
    if not 0.0 <= q <= 100.0 or math.isnan(q):
        raise ValueError(f"percentile q must be in [0, 100], not {q}")
    a = _checked(values)
    if not a.size:
        return None
    return float(np.percentile(a, q, method="linear"))


def median(values: Values) -> float | None:
    """The 50th percentile (the midpoint of the two middle values of an even count); None when empty."""
    return percentile(values, 50.0)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Count, mean, p50, p90, p99 and max of a sample (all None but `n` when it is empty)."""

    n: int
    mean: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None

    def as_dict(
        self, suffix: str = "", keys: Sequence[str] = ("n", "mean", "p50", "p90", "p99", "max")
    ) -> dict[str, int | float | None]:
        """The chosen figures as a dict; every key but "n" gets `suffix` (e.g. "_ms")."""
        out: dict[str, int | float | None] = {}
        for k in keys:
            out[k if k == "n" else f"{k}{suffix}"] = getattr(self, k)
        return out


def summarize(values: Values, scale: float = 1.0, digits: int | None = None) -> Summary:
    """The summary of `values` times `scale` (1000: seconds to ms), each figure rounded to `digits` if given."""
    a = _checked(values) * scale
    if not a.size:
        return Summary(0, None, None, None, None, None)

    def r(x: float) -> float:
        return float(x) if digits is None else round(float(x), digits)

    p50, p90, p99 = (float(v) for v in np.percentile(a, QUANTILES, method="linear"))
    return Summary(int(a.size), r(a.mean()), r(p50), r(p90), r(p99), r(a.max()))


def percentiles_ms(seconds: Values) -> dict[str, int | float | None]:
    """n, p50_ms, p90_ms and p99_ms of durations in seconds: a benchmark table's row (None when empty)."""
    return summarize(seconds, scale=1000.0).as_dict("_ms", ("n", "p50", "p90", "p99"))

"""The one percentile (linear between closest ranks) and the summary statistics built on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dual_teacher.core.stats import median, percentile, percentiles_ms, summarize


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),  # the midpoint of the two middle values
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([10.0, 20.0], 90, 19.0),  # rank 0.9 between 10 and 20
        ([4.0, 1.0, 3.0, 2.0], 25, 1.75),  # unsorted input
        ([7.0], 99, 7.0),
    ],
)
def test_percentile_is_linear_between_closest_ranks(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_empty_input_is_none_never_nan() -> None:
    assert percentile([], 50) is None and median([]) is None
    s = summarize([])
    assert s.n == 0 and s.mean is None and s.p50 is None and s.p99 is None and s.max is None
    assert percentiles_ms([]) == {"n": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None}


@pytest.mark.parametrize("q", [-1.0, 100.5, math.nan])
def test_q_outside_0_100_is_an_error(q: float) -> None:
    with pytest.raises(ValueError, match="q must be in"):
        percentile([1.0], q)


def test_non_finite_values_are_an_error() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        percentile([1.0, math.inf], 50)
    with pytest.raises(ValueError, match="non-finite"):
        summarize([math.nan])


def test_summarize_scales_and_rounds() -> None:
    s = summarize([0.001 * i for i in range(1, 101)], scale=1000.0, digits=3)
    assert (s.n, s.mean, s.p50, s.p90, s.p99, s.max) == (100, 50.5, 50.5, 90.1, 99.01, 100.0)
    assert s.as_dict("_ms", ("n", "p50", "max")) == {"n": 100, "p50_ms": 50.5, "max_ms": 100.0}
    assert percentiles_ms([0.010, 0.020]) == {"n": 2, "p50_ms": 15.0, "p90_ms": 19.0, "p99_ms": pytest.approx(19.9)}
    assert median(np.array([3.0, 1.0, 2.0])) == 2.0

"""Budgets of `dual-teacher bench` (bench/budget.py): MLPerf's minimums and stopping rule."""

from __future__ import annotations

import pytest

from dual_teacher.bench.budget import budget_for, done, split_budget


def test_full_uses_mlperf_minimums() -> None:
    full = budget_for("full")
    assert min(full.single_stream_s, full.multi_stream_s, full.offline_s, full.classroom_s) >= 600
    assert full.min_single_stream == 1024
    assert full.min_multi_stream == 662


def test_quick_is_shorter_than_default() -> None:
    quick, default = budget_for("quick"), budget_for("default")
    assert quick.single_stream_s < default.single_stream_s
    assert quick.classroom_s < default.classroom_s


def test_budget_override_shrinks_everything() -> None:
    b = budget_for("full", budget_s=1.0)
    assert (b.single_stream_s, b.multi_stream_s, b.offline_s, b.classroom_s) == (1.0, 1.0, 1.0, 3.0)
    assert b.min_single_stream <= 3 and b.min_offline == 1 and b.gate_frames <= 2
    with pytest.raises(ValueError):
        budget_for("quick", budget_s=0)


@pytest.mark.parametrize(
    ("elapsed", "count", "expected"),
    [(0.5, 100, False), (2.0, 1, False), (2.0, 5, True), (10.0, 5, True)],
)
def test_done_needs_both_duration_and_queries(elapsed: float, count: int, expected: bool) -> None:
    assert done(elapsed, count, duration_s=1.0, min_count=5) is expected


def test_split_budget() -> None:
    assert split_budget(10.0, 7, 5) == (2.0, 2)
    assert split_budget(10.0, 0, 4) == (2.5, 1)
    assert split_budget(3.0, 3, 0) == (3.0, 3)

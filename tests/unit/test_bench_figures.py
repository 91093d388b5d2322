"""Pure figures of `dual-teacher bench`: latency in ms, rates, memory peaks, word errors, classroom latencies."""

from __future__ import annotations

import pytest

from dual_teacher.bench.classroom import final_latencies
from dual_teacher.bench.figures import cpu_percent, rate, rate_over_time, window, word_error_counts
from dual_teacher.bench.results import Latency, to_json


def test_latency_in_ms() -> None:
    s = Latency.of([0.001 * i for i in range(1, 101)])
    assert s.n == 100
    assert s.p50_ms == pytest.approx(50.5)
    assert s.p90_ms == pytest.approx(90.1)
    assert s.p99_ms == pytest.approx(99.01)
    assert s.max_ms == pytest.approx(100.0)
    assert to_json(s) == {"n": 100, "mean_ms": 50.5, "p50_ms": 50.5, "p90_ms": 90.1, "p99_ms": 99.01, "max_ms": 100.0}


def test_latency_empty_is_none_not_nan() -> None:
    s = Latency.of([])
    assert s.n == 0 and s.p50_ms is None and s.p99_ms is None


def test_rates() -> None:
    assert rate(10, 4.0) == 2.5
    assert rate(3, 0.0) is None
    assert cpu_percent(3.0, 2.0) == 150.0
    assert cpu_percent(1.0, 0.0) is None


def test_rate_over_time_bins() -> None:
    times = [100.1, 100.2, 100.9, 101.5, 102.2, 102.3, 102.4]
    assert rate_over_time(times, 100.0, 103.0) == [[0.0, 3.0], [1.0, 1.0], [2.0, 3.0]]
    assert rate_over_time(times, 100.0, 102.6)[-1] == [2.0, 5.0]  # a last bin of 0.6 s is kept
    assert len(rate_over_time(times, 100.0, 102.3)) == 2  # 0.3 s: too short to be a rate
    assert rate_over_time([], 5.0, 5.0) == []


def test_window_peaks() -> None:
    samples: list[list[float | None]] = [[0.0, 90.0, 100.0, None], [1.0, 80.0, 300.0, 50.0], [5.0, 70.0, 900.0, 70.0]]
    assert window(samples, 0.0, 2.0) == {"peak_rss_mb": 300.0, "peak_gpu_mem_mb": 50.0}
    assert window(samples, 10.0, 20.0) == {"peak_rss_mb": None, "peak_gpu_mem_mb": None}


@pytest.mark.parametrize(
    ("ref", "hyp", "errors"),
    [
        ("a b c", "a b c", 0),
        ("a b c", "a x c", 1),
        ("a b c", "a c", 1),
        ("a b", "a b c d", 2),
        ("", "a", 1),
    ],
)
def test_word_error_counts(ref: str, hyp: str, errors: int) -> None:
    assert word_error_counts(ref.split(), hyp.split()) == errors


def test_final_latencies_match_utterances_to_finals() -> None:
    spans = [(1.0, 3.0), (5.0, 7.0), (9.0, 11.0), (20.0, 22.0)]
    finals = [
        (0.9, 2.0, 102.5),  # first half of utterance 1 (split by the segmenter)
        (2.0, 3.1, 104.0),  # its end: ready at 104.0 -> 1.0 s after the end (t0 100 + 3.0)
        (5.0, 5.5, 106.0),  # utterance 2 heard only up to 5.5 s: missed
        (8.9, 11.2, 111.7),  # utterance 3 -> 0.7 s
    ]
    latencies, missed = final_latencies(spans, finals, stream_t0=100.0, played_s=15.0)
    assert latencies == pytest.approx([1.0, 0.7])
    assert missed == 1  # utterance 4 had not been played yet and does not count

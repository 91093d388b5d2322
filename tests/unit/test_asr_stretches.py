"""benchmarks/asr_stretches.py: voiced stretches from Silero window probabilities, and one stretch kept alone."""

from __future__ import annotations

import sys

import numpy as np

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import asr_stretches  # noqa: E402
from dual_teacher.speech.vad import WINDOW_S  # noqa: E402


def probs(*runs: tuple[float, float]) -> np.ndarray:
    """Window probabilities from (seconds, probability) runs."""
    return np.concatenate([np.full(round(s / WINDOW_S), p) for s, p in runs])


def test_stretches_join_short_gaps_and_drop_blips() -> None:
    p = probs((0.5, 0.1), (0.6, 0.9), (0.1, 0.2), (0.4, 0.8), (1.0, 0.1), (0.032, 0.9), (0.5, 0.0), (0.7, 0.6))
    spans = asr_stretches.stretches(p)
    assert len(spans) == 2  # 0.6 + 0.4 s joined over a 0.1 s gap; the one-window blip dropped
    (s0, e0), (s1, e1) = spans
    assert abs(s0 - 0.5) < 0.05 and abs(e0 - 1.6) < 0.05
    assert e1 - s1 > 0.6


def test_only_stretch_replaces_the_others_with_the_quiet_floor() -> None:
    rng = np.random.default_rng(0)
    audio = (0.001 * rng.normal(size=16_000 * 3)).astype(np.float32)
    audio[8_000:16_000] += 0.5  # "speech" at 0.5-1.0 s
    audio[32_000:40_000] += 0.5  # and at 2.0-2.5 s
    floor = asr_stretches.quietest(audio)
    assert float(np.abs(floor).max()) < 0.01
    kept = asr_stretches.only_stretch(audio, [(0.5, 1.0), (2.0, 2.5)], 1, floor)
    assert float(np.abs(kept[8_000:16_000]).max()) < 0.01  # the first stretch is gone
    assert np.array_equal(kept[32_000:40_000], audio[32_000:40_000])  # the kept one is untouched

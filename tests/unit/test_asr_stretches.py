"""benchmarks/asr_stretches.py: voiced stretches from Silero window probabilities, and one stretch kept alone."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from dual_teacher.speech.vad import WINDOW_S
from tests.conftest import benchmark_module


@pytest.fixture(scope="module")
def stretches_mod() -> Iterator[ModuleType]:
    yield from benchmark_module("asr_stretches")


def probs(*runs: tuple[float, float]) -> np.ndarray:
    """Window probabilities from (seconds, probability) runs."""
    return np.concatenate([np.full(round(s / WINDOW_S), p) for s, p in runs])


def test_stretches_join_short_gaps_and_drop_blips(stretches_mod: ModuleType) -> None:
    p = probs((0.5, 0.1), (0.6, 0.9), (0.1, 0.2), (0.4, 0.8), (1.0, 0.1), (0.032, 0.9), (0.5, 0.0), (0.7, 0.6))
    spans = stretches_mod.stretches(p)
    assert len(spans) == 2  # 0.6 + 0.4 s joined over a 0.1 s gap; the one-window blip dropped
    (s0, e0), (s1, e1) = spans
    assert abs(s0 - 0.5) < 0.05 and abs(e0 - 1.6) < 0.05
    assert e1 - s1 > 0.6


def test_only_stretch_replaces_the_others_with_the_quiet_floor(stretches_mod: ModuleType) -> None:
    rng = np.random.default_rng(0)
    audio = (0.001 * rng.normal(size=16_000 * 3)).astype(np.float32)
    audio[8_000:16_000] += 0.5  # "speech" at 0.5-1.0 s
    audio[32_000:40_000] += 0.5  # and at 2.0-2.5 s
    floor = stretches_mod.quietest(audio)
    assert float(np.abs(floor).max()) < 0.01
    kept = stretches_mod.only_stretch(audio, [(0.5, 1.0), (2.0, 2.5)], 1, floor)
    assert float(np.abs(kept[8_000:16_000]).max()) < 0.01  # the first stretch is gone
    assert np.array_equal(kept[32_000:40_000], audio[32_000:40_000])  # the kept one is untouched


def test_reference_units_are_words_or_characters(stretches_mod: ModuleType) -> None:
    assert stretches_mod.reference_units("en", "porcupine") == 1
    assert stretches_mod.reference_units("zh", "豪猪 咖啡") == 4

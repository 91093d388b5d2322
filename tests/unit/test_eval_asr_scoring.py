"""benchmarks/eval_asr.py scores the project and the plain library with one normaliser: the spoken-zero rule."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def eval_asr() -> Iterator[ModuleType]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        yield importlib.import_module("eval_asr")
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("one nine oh two", ["one", "nine", "zero", "two"]),
        ("1 9 0 2", ["one", "nine", "zero", "two"]),
        ("Oh two one oh oh", ["zero", "two", "one", "zero", "zero"]),
        ("Oh, I see. No, oh well.", ["oh", "i", "see", "no", "oh", "well"]),  # the interjection stays
        ("O Captain", ["o", "captain"]),
    ],
)
def test_oh_next_to_a_digit_word_is_zero(eval_asr: ModuleType, text: str, words: list[str]) -> None:
    assert eval_asr.normalize_en_scored(text) == words


def test_both_columns_are_scored_alike(eval_asr: ModuleType) -> None:
    refs = ["one zero zero zero one nine oh two one oh zero"]
    assert eval_asr.score("en", refs, "1 0 0 0 1 9 0 2 1 0 0")[0] == 0
    assert eval_asr.score("en", refs, "1, 0, 0, 0, 1. 9, 0, 2, 1, 0.")[0] == 1  # one zero missing: one edit
    assert eval_asr.score("en", ["oh well"], "Oh, well.")[0] == 0
    assert eval_asr.score("en", ["oh well"], "zero well")[0] == 1  # "oh" is zero only beside a digit word

"""benchmarks/eval_asr.py scores the project and the plain library with one normaliser: the spoken-zero rule."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.conftest import benchmark_module


@pytest.fixture(scope="module")
def eval_asr() -> Iterator[ModuleType]:
    yield from benchmark_module("eval_asr")


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


@pytest.mark.parametrize(
    ("lang", "text", "n"),
    [
        ("en", "Our favorite board for a cute mine.", 9),
        ("en", "porcupine", 3),
        ("en", "The little table", 5),
        ("en", "eighteen thirteen", 4),
        ("zh", "豪猪，咖啡", 4),
    ],
)
def test_syllable_estimate(eval_asr: ModuleType, lang: str, text: str, n: int) -> None:
    assert eval_asr.syllables(lang, text) == n


def _rec(clip: str, rate: float, edits: int, units: int) -> dict[str, object]:
    return {
        "clip": clip,
        "lang": "en",
        "syllables_per_voiced_s": rate,
        "edits": edits,
        "ref_units": units,
        "hypothesis": "x",
    }


def test_rate_summary_counts_exact_clips_as_fast_as_an_invented_text(eval_asr: ModuleType) -> None:
    recs = [_rec("a", 6.3, 0, 27), _rec("bye", 10.4, 0, 1), _rec("b", 4.0, 0, 8), _rec("porcupine", 5.4, 7, 1)]
    recs.append(_rec("close", 4.5, 2, 8))  # wrong, but not mostly invented
    out = eval_asr.rate_summary(recs)["en"]
    assert (out["exact_clips"], out["max_on_exact_clips"], out["clip"]) == (3, 10.4, "bye")
    assert out["invented"] == [{"clip": "porcupine", "rate": 5.4, "edits": 7, "ref_units": 1, "exact_clips_as_fast": 2}]


def test_parity_counts_clips_worse_within_and_beyond_the_slack(eval_asr: ModuleType) -> None:
    def clip(name: str, lang: str, ours: int, plain: int) -> dict[str, object]:
        return {"clip": name, "lang": lang, "ref_units": 10, "edits": ours, "plain_edits": plain}

    rows = [clip("a", "en", 9, 7), clip("b", "zh", 37, 36), clip("c", "en", 2, 4), clip("d", "en", 0, 0)]
    p = eval_asr.parity([*rows, {**clip("e", "en", 1, 0), "plain_edits": None}])
    assert (p["clips"], p["better"], p["equal"], p["worse_within_slack"], p["worse"]) == (4, 1, 1, 1, ["a"])


@pytest.mark.parametrize(
    ("reference", "hypothesis", "edits"),
    [
        ("seven nine zero", "790", 0),  # read digit by digit
        ("seven hundred ninety", "790", 0),  # read as a number
        ("seven nine zero", "Seven-nine-zero.", 0),
        ("seven nine zero", "780", 1),  # a wrong digit is still wrong
        ("it cost one thousand two hundred", "It cost 1,200", 0),  # thousands separators stay one number
        ("pi is three point one four", "Pi is 3.14", 3),  # decimals are not split: scored as before
    ],
)
def test_a_number_counts_as_read_either_way(eval_asr: ModuleType, reference: str, hypothesis: str, edits: int) -> None:
    assert eval_asr.score("en", [reference], hypothesis)[0] == edits

"""Hallucination guards: repetition loops, non-speech tags, compression ratio."""

from __future__ import annotations

import pytest

from dual_teacher.speech.guard import collapse_repeats, compression_ratio, strip_annotations
from dual_teacher.speech.text import detokenize, tokenize

CASES = [
    # text, expected text, looped
    ("the cat sat on the mat", "the cat sat on the mat", False),
    ("no, no, no", "no, no, no", False),
    ("no no no no no no", "no", True),
    ("thank you thank you", "thank you thank you", False),
    ("I don't know. " * 40, "I don't know.", True),
    ("and then and then and then we left", "and then we left", True),
    ("the the", "the the", False),
    ("ha ha ha ha ha ha ha ha", "ha", True),
    ("我们我们我们我们我们", "我们", True),
    ("那么那么富有诗意", "那么那么富有诗意", False),
    ("秋天总是那么富有诗意" * 6, "秋天总是那么富有诗意", True),
    ("", "", False),
]


@pytest.mark.parametrize(("text", "expected", "looped"), CASES)
def test_collapse_repeats(text: str, expected: str, looped: bool) -> None:
    result = collapse_repeats(tokenize(text))
    assert detokenize(result.tokens) == expected
    assert result.looped is looped
    assert result.removed == len(tokenize(text)) - len(result.tokens)


def test_limits_are_configurable() -> None:
    assert not collapse_repeats(tokenize("go go go go go"), max_unigram=5).looped
    assert collapse_repeats(tokenize("go go"), max_unigram=1).tokens == ("go",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[Music]", ""),
        ("(applause) Thank you.", "Thank you."),
        ("♪ la la ♪", "la la"),
        ("*sighs* okay", "okay"),
        ("（笑声）好的", "好的"),
        ("plain text", "plain text"),
    ],
)
def test_strip_annotations(text: str, expected: str) -> None:
    assert strip_annotations(text) == expected


def test_compression_ratio_flags_repetition() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("The birch canoe slid on the smooth planks.") < 1.5
    assert compression_ratio("I don't know. " * 40) > 2.4

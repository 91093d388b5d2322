from __future__ import annotations

import pytest

from dual_teacher.speech.caption_safety import mask_unsafe_words


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("ask not what your country can do", "ask not what your country can do"),
        ("Like your cunt", "Like your ***"),
        ("What the FUCKING hell", "What the *** hell"),
        ("Scunthorpe and cocktail and assessment", "Scunthorpe and cocktail and assessment"),
        ("dick and Dickens", "*** and Dickens"),
        ("五加三等于八", "五加三等于八"),
    ],
)
def test_mask_unsafe_words(text: str, shown: str) -> None:
    assert mask_unsafe_words(text) == shown

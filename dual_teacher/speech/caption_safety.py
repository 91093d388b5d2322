"""Mask words that must never appear on a classroom screen in machine captions.

Speech recognition mishears (a partial caption of "what your country" once came out as a swear word); a caption
in front of children is masked word by word before it is shown. The list is short on purpose: common English
profanity and slurs by stem with common endings, matched on word boundaries, case-insensitively. Chinese
captions are left as they are.
"""

from __future__ import annotations

import re

MASK = "***"
_STEMS = (
    "fuck",
    "shit",
    "cunt",
    "bitch",
    "bastard",
    "dick",
    "cock",
    "pussy",
    "asshole",
    "arsehole",
    "wank",
    "twat",
    "slut",
    "whore",
    "nigger",
    "nigga",
    "faggot",
    "fag",
    "retard",
    "motherfuck",
    "bollock",
    "piss",
)
_SUFFIXES = r"(?:s|es|ed|er|ers|ing|in|y|ies|head|heads)?"  # fixed endings, so "cocktail", "Dickens" stay
_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in _STEMS) + r")" + _SUFFIXES + r"\b", re.IGNORECASE)


def mask_unsafe_words(text: str) -> str:
    """`text` with each unsafe word replaced by ***."""
    return _PATTERN.sub(MASK, text)

"""Toneless pinyin of Chinese characters, to match a homophone Whisper wrote to the word that was said.

Whisper often writes a Mandarin word as a homophone or a word that differs only in tone ("水饺" shuǐjiǎo heard
as "谁脚" shuí jiǎo). `same_sound(a, b)` is True when two strings of Chinese characters read the same without
tones: same length, and at every position the characters share a reading (every reading of a heteronym counts:
谁 is shéi or shuí). Nothing fuzzier (no merged initials like zh/z): the answer matcher uses this only for the
whole utterance against a whole answer text of two characters or more (`speech.answers`).

pypinyin (MIT) gives the readings; it comes with the speech extra. Without it `readings` returns None and
callers match by characters only.
"""

from __future__ import annotations

import importlib
from functools import cache, lru_cache
from types import ModuleType

from dual_teacher.speech.text import is_cjk


@cache
def _reading_table() -> ModuleType | None:
    try:
        return importlib.import_module("pypinyin")
    except ImportError:
        return None


@lru_cache(maxsize=4096)
def readings(text: str) -> tuple[frozenset[str], ...] | None:
    """The toneless readings of each character of `text` (Chinese characters only), or None when `text` has
    anything else in it or pypinyin is not installed."""
    if not text or not all(is_cjk(ch) for ch in text):
        return None
    pypinyin = _reading_table()
    if pypinyin is None:
        return None
    rows = pypinyin.pinyin(text, style=pypinyin.Style.NORMAL, heteronym=True, errors="ignore")
    if len(rows) != len(text):  # a character without a reading
        return None
    return tuple(frozenset(r) for r in rows)


def same_sound(a: str, b: str) -> bool:
    """True when `a` and `b` (Chinese characters) read the same without tones (see the module docstring)."""
    ra, rb = readings(a), readings(b)
    if ra is None or rb is None or len(ra) != len(rb):
        return False
    return all(x & y for x, y in zip(ra, rb, strict=True))

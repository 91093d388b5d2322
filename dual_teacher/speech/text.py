"""Text pieces shared by the commit policy, the repetition guard, answer matching and evaluation.

Tokens are words for space-separated scripts and single characters for CJK (Chinese has no spaces; a
character is the unit Whisper emits and the unit of CER). `key()` is the comparison form of a token.
"""

from __future__ import annotations

import unicodedata

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)


def is_cjk(ch: str) -> bool:
    """True for one CJK character or CJK punctuation mark (False for longer strings)."""
    if len(ch) != 1:
        return False
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def tokenize(text: str) -> list[str]:
    """Words (with their punctuation, for display) and single CJK characters."""
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        if ch.isspace():
            if word:
                out.append("".join(word))
                word = []
        elif is_cjk(ch):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


def detokenize(tokens: list[str] | tuple[str, ...]) -> str:
    """Join tokens: a space between two non-CJK tokens, nothing next to a CJK character."""
    out = ""
    for tok in tokens:
        if out and not (is_cjk(out[-1]) or is_cjk(tok[0])):
            out += " "
        out += tok
    return out


def key(token: str) -> str:
    """Comparison form: case-folded, NFKC, punctuation and symbols removed (apostrophes inside words kept)."""
    t = unicodedata.normalize("NFKC", token).casefold()
    kept = [ch for ch in t if unicodedata.category(ch)[0] in "LN" or ch == "'"]
    return "".join(kept).strip("'")


def keys(tokens: list[str] | tuple[str, ...]) -> list[str]:
    """Comparison forms, dropping tokens that are punctuation only."""
    return [k for k in (key(t) for t in tokens) if k]

"""Hallucination guards applied to every transcript before it becomes a caption or an answer.

- `collapse_repeats`: Whisper's loop failure ("the same phrase 40 times" on a child's reading, FIELD_NOTES)
  is cut back to one occurrence: a token may repeat `max_unigram` times in a row ("no, no, no"), a phrase
  of 2..`max_ngram` tokens `max_phrase` times ("thank you, thank you"); more is a loop.
- `strip_annotations`: non-speech tags that Whisper invents on noise ("[Music]", "(applause)", "♪") go, and
  so does U+FFFD (a multi-byte character cut off by the end of decoding).
- `compression_ratio`: zlib ratio of the text, as in Whisper (> 2.4 means repetitive output).

Pure functions over tokens (see `speech.text`): the same for English words and Chinese characters.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Sequence

from dual_teacher.speech.text import key

_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|（[^）]*）|【[^】]*】|\*[^*]*\*|[♪♫♬\ufffd]+")


@dataclasses.dataclass(frozen=True)
class GuardResult:
    tokens: tuple[str, ...]
    looped: bool
    removed: int


def collapse_repeats(
    tokens: Sequence[str], max_unigram: int = 3, max_phrase: int = 2, max_ngram: int = 12
) -> GuardResult:
    """Cut runs of a repeated token or phrase that go past the limits down to one occurrence."""
    toks = list(tokens)
    keys = [key(t) for t in toks]
    out: list[str] = []
    removed = 0
    looped = False
    i = 0
    while i < len(toks):
        best: tuple[int, int] | None = None  # (n, repeats)
        for n in range(1, min(max_ngram, (len(toks) - i) // 2) + 1):
            unit = keys[i : i + n]
            if not any(unit):
                continue
            reps = 1
            while keys[i + reps * n : i + (reps + 1) * n] == unit:
                reps += 1
            limit = max_unigram if n == 1 else max_phrase
            if reps > limit and (best is None or reps * n > best[0] * best[1]):
                best = (n, reps)
        if best is None:
            out.append(toks[i])
            i += 1
            continue
        n, reps = best
        out.extend(toks[i : i + n])
        removed += n * (reps - 1)
        looped = True
        i += n * reps
    return GuardResult(tuple(out), looped, removed)


def strip_annotations(text: str) -> str:
    """Remove bracketed non-speech tags, music symbols and broken characters; squeeze spaces."""
    return " ".join(_ANNOTATION.sub(" ", text).split())


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))

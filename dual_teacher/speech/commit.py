"""Streaming commit policy (LocalAgreement-2): partial text firms up into final text.

While an utterance grows, it is transcribed again every so often, each time from its start. A token
becomes *stable* (committed, never changed again) once two consecutive hypotheses agree on it, as a
common prefix after the tokens already committed; the rest of the newest hypothesis is *tentative* and
may still change. At the end of the utterance the final hypothesis (decoded with the full beam over the
whole utterance) *is* the text: `finalize` replaces committed words it disagrees with (`revised` counts
them; a word it keeps keeps its commit time). An empty final (rejected as non-speech) leaves the stable text.

Pure: hypotheses and `now` in, updates out; `commit_times` records when each token became stable, so a
replay on a fake clock reproduces the caption timeline exactly (Machacek et al. 2023, whisper_streaming).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence

from dual_teacher.speech.text import detokenize, key


@dataclasses.dataclass(frozen=True)
class CommitUpdate:
    stable: tuple[str, ...]
    tentative: tuple[str, ...]
    new_stable: tuple[str, ...]
    final: bool
    at: float
    revised: int = 0  # committed words the final hypothesis replaced or removed

    @property
    def stable_text(self) -> str:
        return detokenize(self.stable)

    @property
    def text(self) -> str:
        return detokenize(self.stable + self.tentative)


def _keys(tokens: Sequence[str]) -> list[str]:
    return [key(t) for t in tokens]


def _after_committed(committed: Sequence[str], hyp: Sequence[str]) -> int:
    """Index in `hyp` just after the part that corresponds to the committed tokens."""
    a, b = _keys(committed), _keys(hyp)
    if not a:
        return 0
    if b[: len(a)] == a:
        return len(a)
    blocks = [m for m in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks() if m.size]
    if not blocks:
        return min(len(a), len(b))
    last = blocks[-1]
    return min(len(b), last.b + last.size + (len(a) - (last.a + last.size)))


class LocalAgreement:
    """LocalAgreement-n over whole-utterance hypotheses (n=2: two consecutive hypotheses must agree)."""

    def __init__(self, n: int = 2) -> None:
        if n < 2:
            raise ValueError("LocalAgreement needs n >= 2")
        self.n = n
        self.reset()

    def reset(self) -> None:
        self.stable: list[str] = []
        self.commit_times: list[tuple[str, float]] = []
        self._history: list[list[str]] = []
        self.finalized = False

    def update(self, hypothesis: Sequence[str], now: float) -> CommitUpdate:
        """A partial hypothesis (tokens of the whole utterance so far)."""
        if self.finalized:
            raise ValueError("utterance already finalized: reset() first")
        hyp = list(hypothesis)
        self._history = [*self._history, hyp][-self.n :]
        tails = [h[_after_committed(self.stable, h) :] for h in self._history]
        new: list[str] = []
        if len(tails) == self.n:
            for i, tok in enumerate(tails[-1]):
                k = key(tok)
                if all(i < len(t) and key(t[i]) == k for t in tails[:-1]):
                    new.append(tok)
                else:
                    break
        self._commit(new, now)
        return CommitUpdate(tuple(self.stable), tuple(tails[-1][len(new) :]), tuple(new), False, now)

    def finalize(self, hypothesis: Sequence[str], now: float) -> CommitUpdate:
        """The final hypothesis of the utterance becomes its text (see the module docstring)."""
        hyp = list(hypothesis)
        self.finalized = True
        if not hyp:
            return CommitUpdate(tuple(self.stable), (), (), True, now)
        times = [now] * len(hyp)
        kept: set[int] = set()
        matcher = difflib.SequenceMatcher(a=_keys(self.stable), b=_keys(hyp), autojunk=False)
        for block in matcher.get_matching_blocks():
            for i in range(block.size):
                times[block.b + i] = self.commit_times[block.a + i][1]
                kept.add(block.b + i)
        revised = len(self.stable) - len(kept)
        new = tuple(tok for i, tok in enumerate(hyp) if i not in kept)
        self.stable = hyp
        self.commit_times = list(zip(hyp, times, strict=True))
        return CommitUpdate(tuple(self.stable), (), new, True, now, revised)

    def _commit(self, tokens: list[str], now: float) -> None:
        self.stable.extend(tokens)
        self.commit_times.extend((t, now) for t in tokens)

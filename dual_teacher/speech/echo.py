"""The echo gate: the lead teacher's own words, heard on the room microphone, are never a student's answer.

The room microphone hears the lesson video and the live stream too. `TeacherEcho` keeps what the teacher said
lately (the teacher channel's transcripts and the captions of the video being played) and tells whether a room
utterance repeats it. Pure: texts and `now` in.
"""

from __future__ import annotations

import collections

from dual_teacher.speech.answer_space import english_number
from dual_teacher.speech.guard import collapse_repeats
from dual_teacher.speech.pinyin import same_sound
from dual_teacher.speech.text import keys, tokenize


class TeacherEcho:
    """What the lead teacher said in the last `window_s` seconds (the teacher channel's transcripts and the
    captions of the lesson video being played), to tell the teacher's voice on the room microphone from a
    student's answer. Pure: texts and `now` in.

    A room utterance is the teacher's when its words (at least `min_tokens` of them) appear in that order in
    one recent teacher text, or when a one-word utterance is in a teacher text said within `short_window_s`
    (a student saying "B" a minute after the teacher mentioned B still counts). Texts carry the time they are
    said (a caption cue's start may lie in the future of the moment its video starts). Chinese characters of
    an utterance of two or more match by sound too (`speech.pinyin`): Whisper writes the teacher's "豪猪" on
    the room microphone as "好珠" as readily as a child's.
    """

    def __init__(self, window_s: float = 15.0, short_window_s: float = 5.0, min_tokens: int = 2) -> None:
        self.window_s = window_s
        self.short_window_s = short_window_s
        self.min_tokens = min_tokens
        self._said: collections.deque[tuple[float, tuple[str, ...]]] = collections.deque(maxlen=64)

    def add(self, text: str, now: float) -> None:
        toks = tuple(_echo_keys(text))
        if toks:
            self._said.append((now, toks))

    def heard(self, text: str, now: float) -> bool:
        room = list(collapse_repeats(_echo_keys(text), max_unigram=1, max_phrase=1).tokens)  # "Yes, yes."
        if not room:
            return False
        for at, said in self._said:
            age = now - at
            if age > self.window_s or age < -self.window_s:
                continue
            if len(room) >= self.min_tokens and _contains(said, room, by_sound=True):
                return True
            if len(room) < self.min_tokens and abs(age) <= self.short_window_s and _contains(said, room):
                return True
        return False


def _echo_keys(text: str) -> list[str]:
    """Comparison words, numbers spelled out in English ("17" and "seventeen" are the same words)."""
    out: list[str] = []
    for k in keys(tokenize(text.replace("-", " "))):
        if k.isdigit() and len(k) <= 5:
            out += english_number(int(k)).replace("-", " ").split()
        else:
            out.append(k)
    return out


def _contains(seq: tuple[str, ...], part: list[str], by_sound: bool = False) -> bool:
    """`part` appears in `seq` in order; `by_sound`: a Chinese character may be one that reads the same."""
    n = len(part)
    for i in range(len(seq) - n + 1):
        window = seq[i : i + n]
        if list(window) == part:
            return True
        if by_sound and all(a == b or same_sound(a, b) for a, b in zip(window, part, strict=True)):
            return True
    return False

"""Spoken answers: normalise what was heard and match it to the open question.

`match_answer(text, request)` returns the answer in the form `LessonEngine.normalize` expects (choice keys
"B" or "A,C", "true"/"false", a number like "13" or "2.5", short words) with a confidence in [0, 1], or
None when the utterance is not an answer to this question. Understood:

- choice letters: "B", "b.", "option B", "answer C", "选B"; sound-alikes ("bee", "see", "dee") only in short
  utterances or after a cue word; the article "a" counts as a letter only where it cannot be an article.
- choice words and numbers: "eight" or "8" or "八" picks the choice whose text is 8; "apple" picks "apple".
- numbers: digits ("13", "2.5", "-3", "1,000"), English number words ("thirteen", "twenty-one", "one
  hundred and five", "two point five", "minus three"), Chinese numerals (零〇一二两三...十百千万, 点, 负).
- yes/no: yes/yeah/true/right/correct/对/是/正确/没错 and no/false/wrong/not right/不对/不是/错.
- short words: at most four words (eight Chinese characters) after fillers like "um", "I think it's".

When an utterance names several answers, the last one counts ("B, no, C" is C) at a lower confidence.

An utterance counts only when it *is* an answer:
- a number must be the whole utterance (fillers aside; a Chinese measure word may follow: 两个), a number read
  digit by digit ("one seven", "6, 5" -> 17, 65), or follow a cue ("the answer is", "it's", "equals", "is",
  "答案是", "是", "等于"): "Good one." and "go forward ten meters" are not the answer 1 or 10;
- yes/no and choices only in short utterances (at most 6 words or 10 Chinese characters) or after a cue, so a
  sentence that happens to contain "right" or "a" is not an answer;
- on a Mandarin channel (`AnswerRequest.language == "zh"`) English words are not a Mandarin answer: only
  choice letters and digits may be Latin.

Privacy: this is the only place a student's words are looked at; only the matched answer leaves it.
"""

from __future__ import annotations

import dataclasses
import math

from dual_teacher.speech.guard import collapse_repeats
from dual_teacher.speech.pinyin import same_sound
from dual_teacher.speech.spoken_numbers import (
    ALONE_ONLY,
    CN_DIGITS,
    UNITS,
    SpokenNumber,
    Token,
    digit_value,
    find_numbers,
    format_number,
    numbers_in,
    without_fillers,
    word_tokens,
)
from dual_teacher.speech.text import detokenize, is_cjk, tokenize


@dataclasses.dataclass(frozen=True)
class AnswerRequest:
    """What the lesson is listening for (mirrors the engine's ListenForAnswer command)."""

    node_id: str
    qtype: str  # single_choice | multiple_choice | true_false | numeric | short_answer
    choices: tuple[tuple[str, str], ...] = ()
    # The answer space in every language of the pack: (answer, text), e.g. ("B", "eight"), ("B", "八"), for
    # numeric ("13", "13") and short answers ("cat", "cat"). Used to bias recognition (`speech.answer_space`).
    space: tuple[tuple[str, str], ...] = ()
    language: str = "en"  # Whisper code of the channel that listens ("en" | "zh")


@dataclasses.dataclass(frozen=True)
class AnswerMatch:
    answer: str
    confidence: float


# ---- yes / no -----------------------------------------------------------------------------------------
_YES_WORDS = {"yes", "yeah", "yep", "yup", "true", "right", "correct", "sure", "ok", "okay"}
_NO_WORDS = {"no", "nope", "nah", "false", "wrong", "incorrect"}
_NOT = {"not", "isn't", "it's not", "aren't", "don't"}
_CN_TF: list[tuple[str, bool | None]] = [  # longest first; scanned over the Chinese characters in order
    ("不知道", None), ("不确定", None), ("不正确", False), ("不对", False), ("不是", False), ("没错", True),
    ("错误", False), ("正确", True), ("对的", True), ("是的", True), ("没有", False), ("错", False),
    ("对", True), ("是", True), ("不", False),
]  # fmt: skip


def _true_false(toks: list[Token]) -> list[tuple[bool, int]]:
    found: list[tuple[bool, int]] = []
    i = 0
    while i < len(toks):
        t = toks[i].text
        if len(t) == 1 and is_cjk(t):
            for phrase, value in _CN_TF:
                if "".join(x.text for x in toks[i : i + len(phrase)]) == phrase:
                    if value is not None:
                        found.append((value, i))
                    i += len(phrase)
                    break
            else:
                i += 1
            continue
        if t in _YES_WORDS or t in _NO_WORDS:
            value = t in _YES_WORDS
            if i > 0 and toks[i - 1].text in _NOT:
                value = not value
            found.append((value, i))
        i += 1
    return found


# ---- choices --------------------------------------------------------------------------------------------
_CUES = {"option", "answer", "letter", "choice", "choose", "pick", "say", "选"}
_CUE_NOUNS = {"answer", "option", "choice", "letter", "案", "项"}  # "the answer is B", "答案是B"
_SOUNDALIKE = {
    "a": {"ay", "eh", "hey"},
    "b": {"bee", "be", "bea"},
    "c": {"see", "sea", "si", "cee"},
    "d": {"dee", "de"},
    "e": {"ee"},
    "f": {"ef", "eff"},
}


def _letter_mentions(toks: list[Token], keys: list[str]) -> list[tuple[str, int, float]]:
    """(key, position, confidence) for each choice letter said."""
    lower = {k.casefold(): k for k in keys}
    content = without_fillers(toks)
    short = len(content) <= 2
    found: list[tuple[str, int, float]] = []
    for idx, tok in enumerate(content):
        prev = content[idx - 1].text if idx > 0 else ""
        nxt = content[idx + 1].text if idx + 1 < len(content) else ""
        before = content[idx - 2].text if idx > 1 else ""
        cued = prev in _CUES or prev in ("and", "or", "和", "或") or (prev in ("is", "是") and before in _CUE_NOUNS)
        if tok.text in lower:
            k = lower[tok.text]
            if tok.text == "a" and not (
                len(content) == 1 or cued or nxt in ("and", "or") or (tok.raw == "A" and (idx > 0 or tok.punct_after))
            ):
                continue  # the article "a"
            found.append((k, tok.pos, 0.95 if short or cued else 0.85))
            continue
        for letter, sounds in _SOUNDALIKE.items():
            if letter in lower and tok.text in sounds and (len(content) == 1 or cued):
                found.append((lower[letter], tok.pos, 0.7))
    return found


def _choice_text_mentions(toks: list[Token], choices: tuple[tuple[str, str], ...]) -> list[tuple[str, int, float]]:
    nums = numbers_in(toks)
    words = [t.text for t in toks]
    found: list[tuple[str, int, float]] = []
    for k, text in choices:
        target_nums = find_numbers(text)
        choice_toks = [t.text for t in word_tokens(text)]
        if len(target_nums) == 1 and len(choice_toks) <= 3:
            found += [(k, n.pos, 0.9) for n in nums if math.isclose(n.value, target_nums[0])]
            continue
        if not choice_toks:
            continue
        n = len(choice_toks)
        for i in range(len(words) - n + 1):
            if words[i : i + n] == choice_toks:
                found.append((k, i, 0.85))
    return found


_CN_CUES = [["答", "案", "是"], ["我", "觉", "得"], ["我", "选"], ["选"], ["是"]]  # "选水饺", "答案是水饺"


def _said_alone(toks: list[Token]) -> tuple[str, int] | None:
    """The Chinese characters of an utterance that is one word, after a leading cue ("选", "答案是"), and the
    position of its first character; None for anything else (Latin words, digits, punctuation in it)."""
    content = without_fillers(toks)
    words = [t.text for t in content]
    for cue in _CN_CUES:
        if words[: len(cue)] == cue and len(words) > len(cue):
            content = content[len(cue) :]
            break
    if not content or not all(is_cjk(t.text) for t in content):
        return None
    return "".join(t.text for t in content), content[0].pos


def _sound_alike(toks: list[Token], texts: tuple[tuple[str, str], ...]) -> list[tuple[str, int, float]]:
    """A Mandarin utterance that reads like one answer text without tones ("谁脚" for "水饺"; see
    `speech.pinyin`): the whole utterance (after a cue), texts of two characters or more, one answer only."""
    said = _said_alone(toks)
    if said is None or len(said[0]) < 2:
        return []
    heard, pos = said
    keys = {k for k, text in texts if len(text) >= 2 and same_sound(heard, text)}
    return [(keys.pop(), pos, 0.75)] if len(keys) == 1 else []


# ---- is it an answer? -------------------------------------------------------------------------------------
_NUM_CUES = [
    ["the", "answer", "is"], ["answer", "is"], ["it's"], ["it", "is"], ["is"], ["equals"], ["makes"],
    ["i", "think", "it's"], ["i", "think"], ["答", "案", "是"], ["是"], ["等", "于"], ["得"],
]  # fmt: skip
_MEASURE = {"个", "只", "本", "块", "张", "条", "米", "岁", "次", "支", "颗", "朵", "天", "点"}
_DIGIT_WORDS = {**{k: v for k, v in UNITS.items() if k != "nought"}, "oh": 0}
SHORT_WORDS = 6  # yes/no and choices count in utterances this short, or after a cue
SHORT_CJK = 10


def _digit_sequence(content: list[Token]) -> float | None:
    """A number read digit by digit ("one seven", "6, 5", "八零二"): every content token one digit, 2-6 of them."""
    if not 2 <= len(content) <= 6:
        return None
    digits = []
    for t in content:
        if t.text in _DIGIT_WORDS:
            digits.append(str(_DIGIT_WORDS[t.text]))
        elif t.text.rstrip(",").isdigit() and len(t.text.rstrip(",")) == 1:
            digits.append(t.text.rstrip(","))
        elif t.text in CN_DIGITS and t.text != "两":
            digits.append(str(CN_DIGITS[t.text]))
        else:
            return None
    return float("".join(digits))


def _cued(toks: list[Token], pos: int) -> bool:
    """True when the content words just before token `pos` end with a cue ("the answer is", "是")."""
    before = [t.text for t in without_fillers(toks) if t.pos < pos]
    return any(len(before) >= len(c) and before[-len(c) :] == c for c in _NUM_CUES)


def _answer_numbers(toks: list[Token]) -> list[SpokenNumber]:
    """The numbers that are an answer: the whole utterance, digit by digit, or after a cue."""
    content = without_fillers(toks)
    if not content:
        return []
    seq = _digit_sequence(content)
    if seq is not None:
        return [SpokenNumber(seq, content[0].pos, content[-1].pos + 1)]
    nums = numbers_in(toks)
    first = content[0].pos
    out = []
    for n in nums:
        tail = [t for t in content if t.pos >= n.stop]
        whole = n.pos <= first and (not tail or (len(tail) == 1 and tail[0].text in _MEASURE))
        if whole or _cued(toks, n.pos):
            out.append(n)
    if not out and len(content) == 1 and content[0].text in ALONE_ONLY:
        out.append(SpokenNumber(float(ALONE_ONLY[content[0].text]), content[0].pos))
    return out


def _is_short(toks: list[Token]) -> bool:
    content = without_fillers(toks)
    cjk = sum(1 for t in content if is_cjk(t.text))
    return len(content) - cjk <= SHORT_WORDS and cjk <= SHORT_CJK


def _has_cue(toks: list[Token]) -> bool:
    """A choice cue word ("option", "answer", "选") anywhere: "the answer is B" even in a longer sentence."""
    return any(t.text in _CUES or t.text in _CUE_NOUNS for t in toks)


def _english_on_mandarin(toks: list[Token], request: AnswerRequest) -> bool:
    """English words heard on a Mandarin channel (choice letters and digits excepted)."""
    if request.language != "zh":
        return False
    keys = {k.casefold() for k, _ in request.choices}
    for t in without_fillers(toks):
        if is_cjk(t.text) or digit_value(t.text) is not None:
            continue
        if t.text in keys and len(t.text) == 1:
            continue
        return True
    return False


# ---- matching ------------------------------------------------------------------------------------------
def _last(found: list[tuple[str, int, float]]) -> AnswerMatch | None:
    if not found:
        return None
    distinct = {k for k, _, _ in found}
    key, _, conf = max(found, key=lambda f: f[1])
    return AnswerMatch(key, conf if len(distinct) == 1 else conf * 0.7)


def _short_answer(toks: list[Token]) -> AnswerMatch | None:
    content = without_fillers(toks)
    words = [t.text for t in content]
    for prefix in (
        ["the", "answer", "is"], ["i", "think", "it's"], ["i", "think", "it", "is"], ["i", "think"], ["it's"],
        ["it", "is"], ["maybe"], ["答", "案", "是"], ["我", "觉", "得"], ["是"],
    ):  # fmt: skip
        if words[: len(prefix)] == prefix and len(words) > len(prefix):
            words = words[len(prefix) :]
    if not words:
        return None
    cjk = all(is_cjk(w) for w in words)
    if (cjk and len(words) > 8) or (not cjk and len(words) > 4):
        return None
    return AnswerMatch(("" if cjk else " ").join(words), 0.8)


def not_an_answer(text: str, request: AnswerRequest) -> bool:
    """Heard text that is no answer whatever it may have been meant as: only fillers ("um", "哦嗯"), or
    English words on a Mandarin channel. The answer-space rescoring leaves these alone."""
    toks = word_tokens(text)
    return bool(toks) and (not without_fillers(toks) or _english_on_mandarin(toks, request))


def match_answer(text: str, request: AnswerRequest, asr_confidence: float = 1.0) -> AnswerMatch | None:
    """The answer heard in `text` for `request`, or None (see the module docstring)."""
    # a phrase said twice is one answer ("1, 7, 1, 7" is 17, "B B" is B)
    text = detokenize(collapse_repeats(tokenize(text), max_unigram=2, max_phrase=1).tokens)
    toks = word_tokens(text)
    if not without_fillers(toks) or _english_on_mandarin(toks, request):
        return None
    match: AnswerMatch | None
    if request.qtype in ("single_choice", "multiple_choice", "true_false") and not (_is_short(toks) or _has_cue(toks)):
        return None  # a sentence, not an answer
    if request.qtype in ("single_choice", "multiple_choice"):
        keys = [k for k, _ in request.choices]
        texts = tuple(dict.fromkeys(request.choices + tuple(p for p in request.space if p[0] in keys)))
        found = _letter_mentions(toks, keys) + _choice_text_mentions(toks, texts)
        if not found and request.language == "zh":
            found = _sound_alike(toks, texts)
        if request.qtype == "multiple_choice" and found:
            chosen = sorted({k for k, _, _ in found}, key=keys.index)
            match = AnswerMatch(",".join(chosen), min(c for _, _, c in found))
        else:
            match = _last(found)
    elif request.qtype == "true_false":
        tf = _true_false(toks)
        if not tf:
            return None
        value, _ = tf[-1]
        conf = 0.9 if len({v for v, _ in tf}) == 1 else 0.6
        match = AnswerMatch("true" if value else "false", conf)
    elif request.qtype == "numeric":
        nums = _answer_numbers(toks)
        if not nums:
            return None
        match = AnswerMatch(format_number(nums[-1].value), 0.9 if len(nums) == 1 else 0.6)
    else:
        match = _short_answer(toks)
        if match is not None and request.language == "zh" and match.answer not in {a for a, _ in request.space}:
            alike = _sound_alike(toks, request.space)  # a homophone of an accepted word is that word
            match = AnswerMatch(alike[0][0], alike[0][2]) if alike else match
    if match is None:
        return None
    return AnswerMatch(match.answer, round(max(0.0, min(1.0, match.confidence * asr_confidence)), 3))

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
import re
import unicodedata

from dual_teacher.speech.guard import collapse_repeats
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


# ---- tokens -------------------------------------------------------------------------------------------
_WORD = re.compile(r"-?\d[\d,]*(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@dataclasses.dataclass(frozen=True)
class _Tok:
    text: str  # case-folded
    raw: str  # as written
    pos: int  # order in the utterance
    punct_after: bool


def _tokens(text: str) -> list[_Tok]:
    """Latin words and numbers (hyphens split "twenty-one"), single CJK characters."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    out: list[_Tok] = []
    for m in _WORD.finditer(text):
        raw = m.group(0)
        after = text[m.end() : m.end() + 1]
        punct = bool(after) and not after.isspace() and not after.isalnum()
        if any(is_cjk(ch) for ch in raw):
            for ch in raw:
                out.append(_Tok(ch.casefold(), ch, len(out), False))
            continue
        out.append(_Tok(raw.casefold(), raw, len(out), punct))
    return out


_FILLERS = {"um", "uh", "er", "erm", "hmm", "mm", "ah", "oh", "嗯", "啊", "呃", "哦"}


def _content(toks: list[_Tok]) -> list[_Tok]:
    return [t for t in toks if t.text not in _FILLERS]


# ---- numbers ------------------------------------------------------------------------------------------
_UNITS = {
    "zero": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_ALONE_ONLY = {"won": 1, "to": 2, "too": 2, "for": 4, "ate": 8}  # sound-alikes, accepted as a whole utterance
_NEG = {"minus", "negative"}
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_CHARS = set(_CN_DIGITS) | set(_CN_UNITS) | {"万", "点", "负"}


@dataclasses.dataclass(frozen=True)
class _Num:
    value: float
    pos: int  # token index where it starts
    end: int = -1  # token index after it (-1: pos + 1)

    @property
    def stop(self) -> int:
        return self.pos + 1 if self.end < 0 else self.end


def _is_num_word(t: str) -> bool:
    return t in _UNITS or t in _TEENS or t in _TENS or t in _SCALES or t == "hundred"


def _parse_english(toks: list[_Tok], i: int) -> tuple[float, int] | None:
    """Parse an English number starting at token i; returns (value, next index)."""
    j = i
    sign = 1.0
    if toks[j].text in _NEG and j + 1 < len(toks) and (_is_num_word(toks[j + 1].text) or _digit(toks[j + 1].text)):
        sign, j = -1.0, j + 1
        if (d := _digit(toks[j].text)) is not None:
            return -d, j + 1
    if toks[j].text == "a" and j + 1 < len(toks) and toks[j + 1].text in ("hundred", "thousand"):
        j += 1
    total, current, last, start = 0, 0, "", j
    while j < len(toks):
        t = toks[j].text
        if t in _UNITS and last in ("", "ten", "hundred", "scale"):
            current += _UNITS[t]
            last = "unit"
        elif t in _TEENS and last in ("", "hundred", "scale"):
            current += _TEENS[t]
            last = "teen"
        elif t in _TENS and last in ("", "hundred", "scale"):
            current += _TENS[t]
            last = "ten"
        elif t == "hundred" and last in ("", "unit", "teen", "ten"):
            current = (current or 1) * 100
            last = "hundred"
        elif t in _SCALES and last in ("", "unit", "teen", "ten", "hundred"):
            total += (current or 1) * _SCALES[t]
            current, last = 0, "scale"
        elif t == "and" and last in ("hundred", "scale") and j + 1 < len(toks) and _is_num_word(toks[j + 1].text):
            pass
        else:
            break
        j += 1
    if j == start:
        return None
    value = float(total + current)
    if j + 1 < len(toks) and toks[j].text == "point":
        digits = []
        k = j + 1
        while k < len(toks) and toks[k].text in _UNITS:
            digits.append(str(_UNITS[toks[k].text]))
            k += 1
        if digits:
            value += float("0." + "".join(digits))
            j = k
    return sign * value, j


def _digit(t: str) -> float | None:
    if not t or not (t[0].isdigit() or (t[0] == "-" and len(t) > 1)):
        return None
    try:
        return float(t.replace(",", ""))
    except ValueError:
        return None


def _parse_chinese(s: str) -> float | None:
    """A run of Chinese numeral characters: 十三, 一百零五, 两百, 三点五, 负三, 二零二五 (digit by digit)."""
    sign = 1.0
    if s.startswith("负"):
        sign, s = -1.0, s[1:]
    whole, _, frac = s.partition("点")
    if not whole and not frac:
        return None
    if frac and any(ch not in _CN_DIGITS for ch in frac):
        return None
    if whole and all(ch in _CN_DIGITS for ch in whole) and len(whole) > 1:
        value = float("".join(str(_CN_DIGITS[ch]) for ch in whole))
    else:
        total = section = number = 0
        for ch in whole:
            if ch in _CN_DIGITS:
                number = _CN_DIGITS[ch]
            elif ch in _CN_UNITS:
                section += (number or 1) * _CN_UNITS[ch]
                number = 0
            elif ch == "万":
                total += (section + number or 1) * 10_000
                section = number = 0
            else:
                return None
        value = float(total + section + number)
    if frac:
        value += float("0." + "".join(str(_CN_DIGITS[ch]) for ch in frac))
    return sign * value


def find_numbers(text: str) -> list[float]:
    """Every number said in `text`, in order."""
    return [n.value for n in _numbers(_tokens(text))]


def _numbers(toks: list[_Tok]) -> list[_Num]:
    out: list[_Num] = []
    i = 0
    while i < len(toks):
        t = toks[i].text
        if (d := _digit(t)) is not None:
            out.append(_Num(d, i))
            i += 1
            continue
        if t in _CN_CHARS and len(t) == 1:
            j = i
            while j < len(toks) and toks[j].text in _CN_CHARS:
                j += 1
            value = _parse_chinese("".join(x.text for x in toks[i:j]))
            if value is not None:
                out.append(_Num(value, i, j))
                i = j
                continue
            i += 1
            continue
        parsed = _parse_english(toks, i)
        if parsed is not None:
            out.append(_Num(parsed[0], i, parsed[1]))
            i = parsed[1]
            continue
        i += 1
    content = _content(toks)
    if not out and len(content) == 1 and content[0].text in _ALONE_ONLY:
        out.append(_Num(float(_ALONE_ONLY[content[0].text]), content[0].pos))
    return out


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---- yes / no -----------------------------------------------------------------------------------------
_YES_WORDS = {"yes", "yeah", "yep", "yup", "true", "right", "correct", "sure", "ok", "okay"}
_NO_WORDS = {"no", "nope", "nah", "false", "wrong", "incorrect"}
_NOT = {"not", "isn't", "it's not", "aren't", "don't"}
_CN_TF: list[tuple[str, bool | None]] = [  # longest first; scanned over the Chinese characters in order
    ("不知道", None), ("不确定", None), ("不正确", False), ("不对", False), ("不是", False), ("没错", True),
    ("错误", False), ("正确", True), ("对的", True), ("是的", True), ("没有", False), ("错", False),
    ("对", True), ("是", True), ("不", False),
]  # fmt: skip


def _true_false(toks: list[_Tok]) -> list[tuple[bool, int]]:
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


def _letter_mentions(toks: list[_Tok], keys: list[str]) -> list[tuple[str, int, float]]:
    """(key, position, confidence) for each choice letter said."""
    lower = {k.casefold(): k for k in keys}
    content = _content(toks)
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


def _choice_text_mentions(toks: list[_Tok], choices: tuple[tuple[str, str], ...]) -> list[tuple[str, int, float]]:
    nums = _numbers(toks)
    words = [t.text for t in toks]
    found: list[tuple[str, int, float]] = []
    for k, text in choices:
        target_nums = find_numbers(text)
        choice_toks = [t.text for t in _tokens(text)]
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


# ---- is it an answer? -------------------------------------------------------------------------------------
_NUM_CUES = [
    ["the", "answer", "is"], ["answer", "is"], ["it's"], ["it", "is"], ["is"], ["equals"], ["makes"],
    ["i", "think", "it's"], ["i", "think"], ["答", "案", "是"], ["是"], ["等", "于"], ["得"],
]  # fmt: skip
_MEASURE = {"个", "只", "本", "块", "张", "条", "米", "岁", "次", "支", "颗", "朵", "天", "点"}
_DIGIT_WORDS = {**{k: v for k, v in _UNITS.items() if k != "nought"}, "oh": 0}
SHORT_WORDS = 6  # yes/no and choices count in utterances this short, or after a cue
SHORT_CJK = 10


def _digit_sequence(content: list[_Tok]) -> float | None:
    """A number read digit by digit ("one seven", "6, 5", "八零二"): every content token one digit, 2-6 of them."""
    if not 2 <= len(content) <= 6:
        return None
    digits = []
    for t in content:
        if t.text in _DIGIT_WORDS:
            digits.append(str(_DIGIT_WORDS[t.text]))
        elif t.text.rstrip(",").isdigit() and len(t.text.rstrip(",")) == 1:
            digits.append(t.text.rstrip(","))
        elif t.text in _CN_DIGITS and t.text != "两":
            digits.append(str(_CN_DIGITS[t.text]))
        else:
            return None
    return float("".join(digits))


def _cued(toks: list[_Tok], pos: int) -> bool:
    """True when the content words just before token `pos` end with a cue ("the answer is", "是")."""
    before = [t.text for t in _content(toks) if t.pos < pos]
    return any(len(before) >= len(c) and before[-len(c) :] == c for c in _NUM_CUES)


def _answer_numbers(toks: list[_Tok]) -> list[_Num]:
    """The numbers that are an answer: the whole utterance, digit by digit, or after a cue."""
    content = _content(toks)
    if not content:
        return []
    seq = _digit_sequence(content)
    if seq is not None:
        return [_Num(seq, content[0].pos, content[-1].pos + 1)]
    nums = _numbers(toks)
    first = content[0].pos
    out = []
    for n in nums:
        tail = [t for t in content if t.pos >= n.stop]
        whole = n.pos <= first and (not tail or (len(tail) == 1 and tail[0].text in _MEASURE))
        if whole or _cued(toks, n.pos):
            out.append(n)
    if not out and len(content) == 1 and content[0].text in _ALONE_ONLY:
        out.append(_Num(float(_ALONE_ONLY[content[0].text]), content[0].pos))
    return out


def _is_short(toks: list[_Tok]) -> bool:
    content = _content(toks)
    cjk = sum(1 for t in content if is_cjk(t.text))
    return len(content) - cjk <= SHORT_WORDS and cjk <= SHORT_CJK


def _has_cue(toks: list[_Tok]) -> bool:
    """A choice cue word ("option", "answer", "选") anywhere: "the answer is B" even in a longer sentence."""
    return any(t.text in _CUES or t.text in _CUE_NOUNS for t in toks)


def _english_on_mandarin(toks: list[_Tok], request: AnswerRequest) -> bool:
    """English words heard on a Mandarin channel (choice letters and digits excepted)."""
    if request.language != "zh":
        return False
    keys = {k.casefold() for k, _ in request.choices}
    for t in _content(toks):
        if is_cjk(t.text) or _digit(t.text) is not None:
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


def _short_answer(toks: list[_Tok]) -> AnswerMatch | None:
    content = _content(toks)
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
    toks = _tokens(text)
    return bool(toks) and (not _content(toks) or _english_on_mandarin(toks, request))


def match_answer(text: str, request: AnswerRequest, asr_confidence: float = 1.0) -> AnswerMatch | None:
    """The answer heard in `text` for `request`, or None (see the module docstring)."""
    # a phrase said twice is one answer ("1, 7, 1, 7" is 17, "B B" is B)
    text = detokenize(collapse_repeats(tokenize(text), max_unigram=2, max_phrase=1).tokens)
    toks = _tokens(text)
    if not _content(toks) or _english_on_mandarin(toks, request):
        return None
    match: AnswerMatch | None
    if request.qtype in ("single_choice", "multiple_choice", "true_false") and not (_is_short(toks) or _has_cue(toks)):
        return None  # a sentence, not an answer
    if request.qtype in ("single_choice", "multiple_choice"):
        keys = [k for k, _ in request.choices]
        texts = tuple(dict.fromkeys(request.choices + tuple(p for p in request.space if p[0] in keys)))
        found = _letter_mentions(toks, keys) + _choice_text_mentions(toks, texts)
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
    if match is None:
        return None
    return AnswerMatch(match.answer, round(max(0.0, min(1.0, match.confidence * asr_confidence)), 3))

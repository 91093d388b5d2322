"""Numbers said in English and Mandarin, for answer matching: an utterance's tokens (Latin words and numbers,
single CJK characters) and every number in them: digits ("13", "2.5", "-3", "1,000"), English number words
("thirteen", "twenty-one", "one hundred and five", "two point five", "minus three"), Chinese numerals
(零〇一二两三...十百千万, 点, 负; 二零二五 digit by digit)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from dual_teacher.speech.text import is_cjk

# ---- tokens -------------------------------------------------------------------------------------------
_WORD = re.compile(r"-?\d[\d,]*(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@dataclasses.dataclass(frozen=True)
class Token:
    text: str  # case-folded
    raw: str  # as written
    pos: int  # order in the utterance
    punct_after: bool


def word_tokens(text: str) -> list[Token]:
    """Latin words and numbers (hyphens split "twenty-one"), single CJK characters."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    out: list[Token] = []
    for m in _WORD.finditer(text):
        raw = m.group(0)
        after = text[m.end() : m.end() + 1]
        punct = bool(after) and not after.isspace() and not after.isalnum()
        if any(is_cjk(ch) for ch in raw):
            for ch in raw:
                out.append(Token(ch.casefold(), ch, len(out), False))
            continue
        out.append(Token(raw.casefold(), raw, len(out), punct))
    return out


FILLERS = {"um", "uh", "er", "erm", "hmm", "mm", "ah", "oh", "嗯", "啊", "呃", "哦"}


def without_fillers(toks: list[Token]) -> list[Token]:
    return [t for t in toks if t.text not in FILLERS]


# ---- numbers ------------------------------------------------------------------------------------------
UNITS = {
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
ALONE_ONLY = {"won": 1, "to": 2, "too": 2, "for": 4, "ate": 8}  # sound-alikes, accepted as a whole utterance
_NEG = {"minus", "negative"}
CN_DIGITS = {
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
_CN_CHARS = set(CN_DIGITS) | set(_CN_UNITS) | {"万", "点", "负"}


@dataclasses.dataclass(frozen=True)
class SpokenNumber:
    value: float
    pos: int  # token index where it starts
    end: int = -1  # token index after it (-1: pos + 1)

    @property
    def stop(self) -> int:
        return self.pos + 1 if self.end < 0 else self.end


def _is_num_word(t: str) -> bool:
    return t in UNITS or t in _TEENS or t in _TENS or t in _SCALES or t == "hundred"


def _parse_english(toks: list[Token], i: int) -> tuple[float, int] | None:
    """Parse an English number starting at token i; returns (value, next index)."""
    j = i
    sign = 1.0
    if toks[j].text in _NEG and j + 1 < len(toks) and (_is_num_word(toks[j + 1].text) or digit_value(toks[j + 1].text)):
        sign, j = -1.0, j + 1
        if (d := digit_value(toks[j].text)) is not None:
            return -d, j + 1
    if toks[j].text == "a" and j + 1 < len(toks) and toks[j + 1].text in ("hundred", "thousand"):
        j += 1
    total, current, last, start = 0, 0, "", j
    while j < len(toks):
        t = toks[j].text
        if t in UNITS and last in ("", "ten", "hundred", "scale"):
            current += UNITS[t]
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
        while k < len(toks) and toks[k].text in UNITS:
            digits.append(str(UNITS[toks[k].text]))
            k += 1
        if digits:
            value += float("0." + "".join(digits))
            j = k
    return sign * value, j


def digit_value(t: str) -> float | None:
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
    if frac and any(ch not in CN_DIGITS for ch in frac):
        return None
    if whole and all(ch in CN_DIGITS for ch in whole) and len(whole) > 1:
        value = float("".join(str(CN_DIGITS[ch]) for ch in whole))
    else:
        total = section = number = 0
        for ch in whole:
            if ch in CN_DIGITS:
                number = CN_DIGITS[ch]
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
        value += float("0." + "".join(str(CN_DIGITS[ch]) for ch in frac))
    return sign * value


def find_numbers(text: str) -> list[float]:
    """Every number said in `text`, in order."""
    return [n.value for n in numbers_in(word_tokens(text))]


def numbers_in(toks: list[Token]) -> list[SpokenNumber]:
    out: list[SpokenNumber] = []
    i = 0
    while i < len(toks):
        t = toks[i].text
        if (d := digit_value(t)) is not None:
            out.append(SpokenNumber(d, i))
            i += 1
            continue
        if t in _CN_CHARS and len(t) == 1:
            j = i
            while j < len(toks) and toks[j].text in _CN_CHARS:
                j += 1
            value = _parse_chinese("".join(x.text for x in toks[i:j]))
            if value is not None:
                out.append(SpokenNumber(value, i, j))
                i = j
                continue
            i += 1
            continue
        parsed = _parse_english(toks, i)
        if parsed is not None:
            out.append(SpokenNumber(parsed[0], i, parsed[1]))
            i = parsed[1]
            continue
        i += 1
    content = without_fillers(toks)
    if not out and len(content) == 1 and content[0].text in ALONE_ONLY:
        out.append(SpokenNumber(float(ALONE_ONLY[content[0].text]), content[0].pos))
    return out


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))

"""Lesson-aware spoken answers: the open question's answer space biases recognition.

A question knows what its answers can be (choice letters and their texts in every language of the pack, a
number, true/false, short-answer keys). When the free decoding of an utterance is not an answer
(`speech.answers.match_answer` finds none, e.g. a child's "豪猪" came back as "好珠", "good job" as "Go on the
drop."), each phrase of the answer space is scored by the model's own likelihood of that text given the audio
(forced decoding: `Transcriber.score_texts`, mean log-probability per token including the end of text), and
so is the free hypothesis. The best phrase is taken only when it is nearly as likely as what the model wrote
freely (`margin` nats per token) and not far-fetched in itself (`min_logprob`); otherwise the utterance is no
answer. Its confidence is its likelihood relative to the free text (1 when at least as likely).
A read sentence, meeting talk or the lead teacher's narration scores a short answer phrase far below its own
free text, so it stays no answer.

Written as Whisper writes: each English phrase is scored in its plain form and in Whisper's written style
(capitalised with a full stop: "Good job."), the likelier form counts. The free text is in that style, so a
phrase scored only as "good job" lost about 1 nat per token to the style alone. Mandarin one-word answers come
out unpunctuated ("好珠"), so Mandarin phrases are scored as they are.

Conditioned on the space (`RescoreConfig.space_prompt`, English channels): the free text and every phrase are
scored with the answer space's phrases as Whisper's prompt, the conditioning a hotword decode uses. A child's
"car" decoded as "Huh?" (a mispronunciation the model prefers by 1.2 nats per token without context) becomes as
likely as the free text once the model knows the question is about cars, buses and bikes, while a read sentence
stays 1.5-3.9 nats per token likelier than any phrase (a one-word keyword clip: 0.76). Off for Mandarin: the
multilingual base model follows the prompt so readily that 4 of the 11 Mandarin non-answer utterances of
benchmarks/bench_answers.py scored a choice text above their own free text (a filler "哦嗯", English speech,
"17" and "也是阿雷克"; the guards below stop the first two only). Never rescored: an utterance of fillers only,
and English words on a Mandarin channel (neither is an answer, however likely a phrase scores).

Distractors: for a number the space holds the key and its neighbours (±1, ±2, ±10), so a wrong number is as
reachable as the right one; choices hold every choice; true/false both values. Short-answer questions hold
only their accepted words (a pack names no wrong ones): those are the most biased, and the margin guards them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from dual_teacher.speech.answers import AnswerMatch, AnswerRequest, match_answer, not_an_answer
from dual_teacher.speech.spoken_numbers import format_number

_EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EN_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
             "nineteen"]  # fmt: skip
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_CN_DIGITS = "零一二三四五六七八九"


def english_number(n: int) -> str:
    """0..9999 in English words ("one hundred and five")."""
    if n < 0:
        return "minus " + english_number(-n)
    if n < 10:
        return _EN_UNITS[n]
    if n < 20:
        return _EN_TEENS[n - 10]
    if n < 100:
        return _EN_TENS[n // 10] + ("" if n % 10 == 0 else "-" + _EN_UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return _EN_UNITS[n // 100] + " hundred" + ("" if rest == 0 else " and " + english_number(rest))
    rest = n % 1000
    return english_number(n // 1000) + " thousand" + ("" if rest == 0 else " " + english_number(rest))


def chinese_number(n: int) -> str:
    """0..99999 in Chinese numerals (十三, 一百零五)."""
    if n < 0:
        return "负" + chinese_number(-n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + ("" if n == 10 else _CN_DIGITS[n - 10])
    out = ""
    units = [(10_000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")]
    zero = False
    started = False
    for value, name in units:
        d = (n // value) % 10 if value < 10_000 else n // value
        if d:
            if zero and started:
                out += "零"
            out += (chinese_number(d) if value == 10_000 else _CN_DIGITS[d]) + name
            started, zero = True, False
        elif started:
            zero = True
    return out


def _number_phrases(value: float, language: str) -> list[str]:
    if not float(value).is_integer():
        return [format_number(value)]
    n = int(value)
    if language == "zh":
        out = [chinese_number(n), str(n)]
        if n >= 10:
            out.append("".join(_CN_DIGITS[int(d)] for d in str(n)))
        return out
    out = [str(n), english_number(n)]
    if 10 <= n < 100_000:
        out.append(" ".join(_EN_UNITS[int(d)] for d in str(n)))  # read digit by digit
    return out


def _is_latin(text: str) -> bool:
    return any("a" <= ch.lower() <= "z" for ch in text)


def candidate_phrases(request: AnswerRequest) -> list[str]:
    """Phrases a student may say for each answer in the space, in the channel's language."""
    zh = request.language == "zh"
    out: list[str] = []
    if request.qtype in ("single_choice", "multiple_choice"):
        for key, _ in request.choices:
            out += [key, f"选{key}"] if zh else [key, f"the answer is {key}"]
        texts = [t for _, t in (request.space or request.choices)]
        out += [t for t in texts if t and (zh != _is_latin(t) or t.strip().isdigit())]
    elif request.qtype == "true_false":
        out += ["对", "不对", "是", "不是", "正确", "错"] if zh else ["yes", "no", "true", "false", "right", "wrong"]
    elif request.qtype == "numeric":
        keys = [float(a) for a, _ in request.space if _is_number(a)]
        values: list[float] = []
        for v in keys:
            values += [v] + [v + d for d in (-10, -2, -1, 1, 2, 10) if v + d >= 0]
        for v in dict.fromkeys(values):
            out += _number_phrases(v, request.language)
    else:
        out += [t for _, t in request.space if t and (zh != _is_latin(t))]
    return list(dict.fromkeys(p.strip() for p in out if p.strip()))


def in_space(answer: str, request: AnswerRequest) -> bool:
    """True when `answer` (as match_answer writes it) is one of the answers of the request's space."""
    forms = {m.answer for m in (match_answer(text, request) for _, text in request.space) if m is not None}
    return answer in forms or answer in {a for a, _ in request.space}


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@runtime_checkable
class TextScorer(Protocol):
    def score_texts(self, audio: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]: ...


@dataclasses.dataclass(frozen=True)
class RescoreConfig:
    margin: float = 0.5  # a phrase may be this much less likely per token than the free text
    min_logprob: float = -2.5  # ... and no less likely than this per token (non-answers score -5 and below)
    space_prompt: bool = False  # score with the answer space as the prompt (see the module docstring)


def written_forms(phrase: str, language: str) -> list[str]:
    """A phrase as said and as Whisper writes it, the written form last: "good job" -> ["good job", "Good job."].
    Mandarin: the phrase alone (a one-word answer comes out without punctuation: "好珠", "咖啡")."""
    if language == "zh":
        return [phrase]
    styled = phrase[:1].upper() + phrase[1:]
    styled = styled if styled[-1:] in ".?!" else styled + "."
    return list(dict.fromkeys([phrase, styled]))


def space_prompt(phrases: Sequence[str], language: str) -> str:
    """The answer space as Whisper's prompt: every phrase in its written form, comma-separated."""
    return ", ".join(dict.fromkeys(written_forms(p, language)[-1] for p in phrases))


@dataclasses.dataclass(frozen=True)
class Rescored:
    match: AnswerMatch | None
    phrase: str | None
    phrase_logprob: float
    free_logprob: float


def rescore_answer(
    scorer: TextScorer,
    audio: np.ndarray,
    free_text: str,
    request: AnswerRequest,
    config: RescoreConfig | None = None,
) -> Rescored:
    """The answer-space phrase the model finds nearly as likely as its own free text, if any."""
    cfg = config or RescoreConfig()
    phrases = candidate_phrases(request)
    if not phrases or not_an_answer(free_text, request):
        return Rescored(None, None, -math.inf, -math.inf)
    # under the prompt only the written forms (the prompt's own style): half the batch, and the plain forms
    # were never the likelier ones there (bench_answers.py)
    forms = [(p, f) for p in phrases for f in written_forms(p, request.language)[-1 if cfg.space_prompt else 0 :]]
    texts = ([free_text] if free_text else []) + [f for _, f in forms]
    prompt = space_prompt(phrases, request.language) if cfg.space_prompt else None
    scores = scorer.score_texts(audio, texts, prompt=prompt)
    free = scores[0] if free_text else -math.inf
    cand = scores[1:] if free_text else scores
    best = int(np.argmax(cand))
    lp = float(cand[best])
    phrase = forms[best][0]
    if lp < cfg.min_logprob or lp < free - cfg.margin:
        return Rescored(None, phrase, lp, free)
    # confidence: how the phrase compares with the model's own choice (1 when at least as likely)
    relative = 1.0 if free == -math.inf else math.exp(min(0.0, lp - free))
    match = match_answer(phrase, request, asr_confidence=relative)
    return Rescored(match, phrase, lp, free)

"""Spoken answer matching: every answer form the lesson engine accepts, in English and Chinese."""

from __future__ import annotations

import dataclasses

import pytest

from dual_teacher.lesson.engine import LessonEngine
from dual_teacher.lesson.schema import LessonPack
from dual_teacher.speech.answers import AnswerRequest, match_answer
from dual_teacher.speech.spoken_numbers import find_numbers

ABC = AnswerRequest("q", "single_choice", (("A", "7"), ("B", "8"), ("C", "9")))
WORDS = AnswerRequest("q", "single_choice", (("A", "apple"), ("B", "banana"), ("C", "ice cream"), ("D", "pear")))
MULTI = AnswerRequest("q", "multiple_choice", (("A", "cat"), ("B", "dog"), ("C", "cow")))
TF = AnswerRequest("q", "true_false")
NUM = AnswerRequest("q", "numeric")
SHORT = AnswerRequest("q", "short_answer")

CASES = [
    # request, heard, expected answer (None: not an answer), minimum confidence
    (ABC, "B", "B", 0.9),
    (ABC, "b.", "B", 0.9),
    (ABC, "Option B.", "B", 0.9),
    (ABC, "the answer is C", "C", 0.9),
    (ABC, "A.", "A", 0.9),
    (ABC, "A", "A", 0.9),
    (ABC, "Bee.", "B", 0.6),
    (ABC, "see", "C", 0.6),
    (ABC, "dee", None, 0),  # no choice D
    (ABC, "eight", "B", 0.85),
    (ABC, "8", "B", 0.85),
    (ABC, "八", "B", 0.85),
    (ABC, "选B", "B", 0.9),
    (ABC, "答案是C", "C", 0.9),
    (ABC, "I think it is a B", "B", 0.8),
    (ABC, "It is a dog", None, 0),  # the article "a" is not choice A
    (ABC, "I see", None, 0),  # a sound-alike in a sentence is not a letter
    (ABC, "B, no, C", "C", 0.5),  # self-correction: the last one counts, less sure
    (ABC, "um", None, 0),
    (ABC, "", None, 0),
    (WORDS, "banana", "B", 0.8),
    (WORDS, "I want ice cream", "C", 0.8),
    (WORDS, "pear", "D", 0.8),
    (WORDS, "dee", "D", 0.6),
    (MULTI, "A and C", "A,C", 0.8),
    (MULTI, "cat and cow", "A,C", 0.8),
    (MULTI, "B", "B", 0.9),
    (MULTI, "A, B", "A,B", 0.9),
    (TF, "yes", "true", 0.9),
    (TF, "Yeah.", "true", 0.9),
    (TF, "True.", "true", 0.9),
    (TF, "right", "true", 0.9),
    (TF, "No.", "false", 0.9),
    (TF, "false", "false", 0.9),
    (TF, "wrong", "false", 0.9),
    (TF, "not true", "false", 0.9),
    (TF, "That is not right", "false", 0.9),
    (TF, "It's not correct", "false", 0.9),
    (TF, "对", "true", 0.9),
    (TF, "是的", "true", 0.9),
    (TF, "没错", "true", 0.9),
    (TF, "正确", "true", 0.9),
    (TF, "不对", "false", 0.9),
    (TF, "不是", "false", 0.9),
    (TF, "错", "false", 0.9),
    (TF, "不知道", None, 0),
    (TF, "I don’t know", None, 0),
    (TF, "no, yes", "true", 0.5),
    (NUM, "13", "13", 0.9),
    (NUM, "Thirteen.", "13", 0.9),
    (NUM, "twenty-one", "21", 0.9),
    (NUM, "twenty one", "21", 0.9),
    (NUM, "ninety nine", "99", 0.9),
    (NUM, "a hundred", "100", 0.9),
    (NUM, "one hundred", "100", 0.9),
    (NUM, "one hundred and five", "105", 0.9),
    (NUM, "two thousand and twenty five", "2025", 0.9),
    (NUM, "zero", "0", 0.9),
    (NUM, "two point five", "2.5", 0.9),
    (NUM, "2.5", "2.5", 0.9),
    (NUM, "minus three", "-3", 0.9),
    (NUM, "-3", "-3", 0.9),
    (NUM, "1,000", "1000", 0.9),
    (NUM, "go forward 10 meters", None, 0),  # a number inside a sentence, with no cue, is not an answer
    (NUM, "Good one.", None, 0),  # was counted as the answer 1
    (NUM, "the answer is ten", "10", 0.9),
    (NUM, "it's 12", "12", 0.9),
    (NUM, "one seven", "17", 0.9),  # read digit by digit
    (NUM, "6, 5,", "65", 0.9),
    (NUM, "Eight zero two.", "802", 0.9),
    (NUM, "八零二", "802", 0.9),
    (NUM, "1, 7, 1, 7.", "17", 0.9),  # said twice: one answer
    (NUM, "one one", "11", 0.9),
    (NUM, "I have 3 apples and 2 pears", None, 0),
    (ABC, "The child almost hurt the small dog, see", None, 0),  # a sentence is not a choice
    (TF, "Yeah, so I think we should move the meeting to next week, right", None, 0),
    (TF, "yes a lake", "true", 0.9),
    (TF, "No, I am not.", "false", 0.9),
    (NUM, "seven plus six is thirteen", "13", 0.5),
    (NUM, "to", "2", 0.8),  # a lone sound-alike
    (NUM, "I want to go", None, 0),
    (NUM, "十", "10", 0.9),
    (NUM, "十三", "13", 0.9),
    (NUM, "二十", "20", 0.9),
    (NUM, "二十一", "21", 0.9),
    (NUM, "一百", "100", 0.9),
    (NUM, "一百零五", "105", 0.9),
    (NUM, "两百", "200", 0.9),
    (NUM, "两个", "2", 0.9),
    (NUM, "三千零五十", "3050", 0.9),
    (NUM, "一万两千", "12000", 0.9),
    (NUM, "零", "0", 0.9),
    (NUM, "三点五", "3.5", 0.9),
    (NUM, "负三", "-3", 0.9),
    (NUM, "二零二五", "2025", 0.9),
    (NUM, "答案是十三", "13", 0.9),
    (NUM, "hello", None, 0),
    (SHORT, "cat", "cat", 0.8),
    (SHORT, "The answer is cat.", "cat", 0.8),
    (SHORT, "Um, dog.", "dog", 0.8),
    (SHORT, "ice cream", "ice cream", 0.8),
    (SHORT, "I think it is a very big red dog today", None, 0),  # chatter, not an answer
    (SHORT, "猫", "猫", 0.8),
    (SHORT, "我觉得是猫", "猫", 0.8),
    # a Mandarin channel: English words are not a Mandarin answer; choice letters and digits still are
    (dataclasses.replace(NUM, language="zh"), "Good one.", None, 0),
    (dataclasses.replace(NUM, language="zh"), "十三", "13", 0.9),
    (dataclasses.replace(NUM, language="zh"), "13", "13", 0.9),
    (dataclasses.replace(ABC, language="zh"), "选B", "B", 0.9),
    (dataclasses.replace(ABC, language="zh"), "B", "B", 0.9),
    (dataclasses.replace(TF, language="zh"), "Yes.", None, 0),
    (dataclasses.replace(SHORT, language="zh"), "cat", None, 0),
]


@pytest.mark.parametrize(("request_", "heard", "expected", "min_conf"), CASES)
def test_match(request_: AnswerRequest, heard: str, expected: str | None, min_conf: float) -> None:
    match = match_answer(heard, request_)
    if expected is None:
        assert match is None
        return
    assert match is not None
    assert match.answer == expected
    assert min_conf <= match.confidence <= 1.0


def test_confidence_scales_with_the_asr_confidence() -> None:
    sure = match_answer("B", ABC, asr_confidence=1.0)
    unsure = match_answer("B", ABC, asr_confidence=0.5)
    assert sure is not None and unsure is not None
    assert unsure.confidence == pytest.approx(sure.confidence * 0.5, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("seven plus six is thirteen", [7, 6, 13]),
        ("one two three", [1, 2, 3]),
        ("twenty twenty", [20, 20]),
        ("5 + 3 = 8", [5, 3, 8]),
        ("七加六等于十三", [7, 6, 13]),
        ("no numbers here", []),
    ],
)
def test_find_numbers(text: str, numbers: list[float]) -> None:
    assert find_numbers(text) == numbers


def _pack(qtype: str, answer: object, choices: list[dict[str, str]] | None = None) -> LessonPack:
    node: dict[str, object] = {
        "id": "q",
        "kind": "question",
        "qtype": qtype,
        "prompt": "?",
        "answer": answer,
        "channels": ["spoken"],
    }
    if choices:
        node["choices"] = choices
    return LessonPack.model_validate(
        {"schema_version": 1, "id": "p", "title": "t", "nodes": [node, {"id": "end", "kind": "end"}]}
    )


@pytest.mark.parametrize(
    ("qtype", "answer", "choices", "heard"),
    [
        ("single_choice", "B", [{"key": "A", "text": "7"}, {"key": "B", "text": "8"}], "eight"),
        ("multiple_choice", ["A", "C"], [{"key": k, "text": k.lower() * 3} for k in "ABC"], "A and C"),
        ("true_false", True, None, "对"),
        ("numeric", 13, None, "十三"),
        ("numeric", 2.5, None, "two point five"),
        ("short_answer", "ice cream", None, "The answer is ice cream."),
    ],
)
def test_matched_answers_are_correct_keys_for_the_engine(
    qtype: str, answer: object, choices: list[dict[str, str]] | None, heard: str
) -> None:
    pack = _pack(qtype, answer, choices)
    engine = LessonEngine(pack)
    q = pack.nodes[0]
    request = AnswerRequest("q", qtype, tuple((c.key, str(c.text)) for c in getattr(q, "choices", []) or []))
    match = match_answer(heard, request)
    assert match is not None
    key = engine.normalize(q, match.answer)  # type: ignore[arg-type]
    assert key is not None and engine.is_correct(q, key)  # type: ignore[arg-type]


def test_a_choice_can_be_named_in_any_language_of_the_pack() -> None:
    request = AnswerRequest("q", "single_choice", (("A", "porcupine"), ("B", "coffee")), (("A", "豪猪"), ("B", "咖啡")))
    match = match_answer("豪猪", request)
    assert match is not None and match.answer == "A"


def test_fillers_and_english_on_a_mandarin_channel_are_not_an_answer() -> None:
    from dual_teacher.speech.answers import not_an_answer

    en = AnswerRequest("q", "single_choice", (("A", "cat"), ("B", "dog")))
    zh = AnswerRequest("q", "single_choice", (("A", "猫"), ("B", "狗")), language="zh")
    assert not_an_answer("Um, hmm.", en) and not_an_answer("哦嗯", zh)
    assert not_an_answer("drop the two", zh) and not not_an_answer("drop the two", en)
    assert not not_an_answer("B", zh) and not not_an_answer("猫", zh) and not not_an_answer("", en)


# ---- Mandarin homophones: toneless pinyin (speech.pinyin) ----------------------------------------------------
ZH4 = AnswerRequest(
    "q",
    "single_choice",
    (("A", "豪猪"), ("B", "咖啡"), ("C", "你好"), ("D", "水饺")),
    (("A", "豪猪"), ("A", "porcupine"), ("B", "咖啡"), ("B", "coffee"), ("D", "水饺"), ("D", "dumplings")),
    language="zh",
)
ZH_SHORT = AnswerRequest("q", "short_answer", space=(("砸自己的脚", "砸自己的脚"),), language="zh")


def test_toneless_readings() -> None:
    from dual_teacher.speech.pinyin import readings, same_sound

    assert same_sound("谁脚", "水饺")  # 谁 reads shéi or shuí: every reading of a heteronym counts
    assert same_sound("好珠", "豪猪") and same_sound("睡觉", "水饺")  # shuì jiào: tones only differ
    assert not same_sound("杂志", "砸自")  # zhi is not zi: initials are never merged
    assert not same_sound("水饺子", "水饺") and readings("B") is None and readings("水 B") is None


@pytest.mark.parametrize(
    ("request_", "heard", "expected"),
    [
        (ZH4, "谁脚", "D"),  # the miss of bench_answers.py: 水饺 heard as 谁脚
        (ZH4, "谁脚。", "D"),
        (ZH4, "好珠", "A"),
        (ZH4, "嗯，谁脚", "D"),  # fillers aside
        (ZH4, "我选谁脚", "D"),  # after a cue
        (ZH4, "答案是好珠", "A"),
        (ZH4, "水饺", "D"),  # the characters themselves, as before
        # near misses are not answers
        (ZH4, "谁", None),  # one syllable: too many homophones
        (ZH4, "他说谁脚好吃", None),  # not the whole utterance
        (ZH4, "谁脚好", None),
        (ZH4, "杂技", None),
        (dataclasses.replace(ZH4, language="en"), "谁脚", None),  # Mandarin channels only
        (ZH_SHORT, "砸自己的角", "砸自己的脚"),  # a short answer's homophone is the accepted word
        (ZH_SHORT, "杂志记得脚", "杂志记得脚"),  # zhi is not zi: stays what was heard (the rescoring judges it)
    ],
)
def test_a_homophone_of_an_answer_text_is_that_answer(
    request_: AnswerRequest, heard: str, expected: str | None
) -> None:
    match = match_answer(heard, request_, asr_confidence=0.8)
    assert (match.answer if match is not None else None) == expected
    if expected is not None and heard not in ("水饺", "杂志记得脚"):
        assert match is not None and match.confidence == pytest.approx(0.6)  # 0.75 x the ASR's confidence


def test_a_homophone_of_two_answers_is_no_answer() -> None:
    request = AnswerRequest("q", "single_choice", (("A", "水饺"), ("B", "谁教")), language="zh")
    assert match_answer("睡觉", request) is None  # shui jiao is both A and B: ambiguous
    assert match_answer("谁脚", request) is None
    assert match_answer("水饺", request) == match_answer("水饺", request) is not None  # the characters still decide


def test_numbers_and_truth_values_are_never_matched_by_sound() -> None:
    num = AnswerRequest("q", "numeric", space=(("13", "13"),), language="zh")
    assert match_answer("石山", num) is None  # shí shān, not 十三
    assert match_answer("是", AnswerRequest("q", "numeric", space=(("10", "10"),), language="zh")) is None
    tf = AnswerRequest("q", "true_false", language="zh")
    assert match_answer("队", tf) is None  # duì is not 对

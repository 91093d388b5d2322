"""The answer space of a question biases recognition: candidate phrases, number words, the rescoring rule
(with a scorer table standing in for the model), and the lead teacher's echo on the room microphone."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from dual_teacher.speech.answer_space import (
    RescoreConfig,
    candidate_phrases,
    chinese_number,
    english_number,
    rescore_answer,
    space_prompt,
    written_forms,
)
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.echo import TeacherEcho


@pytest.mark.parametrize(
    ("n", "en", "zh"),
    [
        (0, "zero", "零"),
        (7, "seven", "七"),
        (10, "ten", "十"),
        (13, "thirteen", "十三"),
        (21, "twenty-one", "二十一"),
        (100, "one hundred", "一百"),
        (105, "one hundred and five", "一百零五"),
        (2025, "two thousand twenty-five", "二千零二十五"),
        (3050, "three thousand fifty", "三千零五十"),
    ],
)
def test_number_words(n: int, en: str, zh: str) -> None:
    assert english_number(n) == en
    assert chinese_number(n) == zh


def test_number_words_round_trip_through_the_matcher() -> None:
    from dual_teacher.speech.spoken_numbers import find_numbers

    for n in (0, 3, 12, 17, 40, 99, 105, 802, 1000, 2025):
        assert find_numbers(english_number(n)) == [n]
        assert find_numbers(chinese_number(n)) == [n]


CHOICES = AnswerRequest(
    "q", "single_choice", (("A", "cat"), ("B", "dog")), (("A", "cat"), ("A", "猫"), ("B", "dog"), ("B", "狗"))
)


def test_candidates_follow_the_channel_language_and_hold_distractors() -> None:
    en = candidate_phrases(CHOICES)
    assert {"A", "B", "the answer is B", "cat", "dog"} <= set(en) and "猫" not in en
    zh = candidate_phrases(AnswerRequest(**{**CHOICES.__dict__, "language": "zh"}))
    assert {"A", "选B", "猫", "狗"} <= set(zh) and "cat" not in zh
    num = candidate_phrases(AnswerRequest("q", "numeric", (), (("17", "17"),)))
    assert {"17", "seventeen", "one seven", "16", "18", "7", "27"} <= set(num)
    assert set(candidate_phrases(AnswerRequest("q", "true_false", language="zh"))) >= {"对", "不对"}


class TableScorer:
    """Stands in for the model: a fixed mean log-probability per text."""

    def __init__(self, table: dict[str, float], prompted: dict[str, float] | None = None) -> None:
        self.table = table
        self.prompted = prompted if prompted is not None else table
        self.prompts: list[str | None] = []
        self.texts: list[str] = []

    def score_texts(self, audio: np.ndarray, texts: Sequence[str], prompt: str | None = None) -> list[float]:
        self.prompts.append(prompt)
        self.texts += texts
        table = self.table if prompt is None else self.prompted
        return [table.get(t, -9.0) for t in texts]


AUDIO = np.zeros(16_000, np.float32)


@pytest.mark.parametrize(
    ("free", "table", "answer"),
    [
        ("Go on the drop.", {"Go on the drop.": -0.5, "dog": -0.7}, "B"),  # nearly as likely: taken
        ("Go on the drop.", {"Go on the drop.": -0.5, "dog": -1.5}, None),  # much less likely: not an answer
        ("The child almost hurt the small dog.", {"The child almost hurt the small dog.": -0.1, "dog": -7.0}, None),
        ("", {"cat": -0.8}, "A"),  # nothing written freely: the phrase stands on its own
        ("", {"cat": -3.0}, None),  # ... unless far-fetched
    ],
)
def test_rescoring_takes_a_phrase_only_near_the_free_texts_likelihood(
    free: str, table: dict[str, float], answer: str | None
) -> None:
    found = rescore_answer(TableScorer(table), AUDIO, free, CHOICES)
    assert (found.match.answer if found.match else None) == answer


def test_the_lead_teachers_words_on_the_room_microphone_are_an_echo() -> None:
    echo = TeacherEcho(window_s=15.0, short_window_s=3.0)
    echo.add("Is it seventeen? The answer is seventeen.", now=100.0)
    assert echo.heard("the answer is 17", now=105.0)  # the teacher, heard through the room microphone
    assert not echo.heard("the answer is 17", now=130.0)  # long after: a student repeating it counts
    assert not echo.heard("sixteen", now=101.0)
    echo.add("Is it A or B?", now=200.0)
    assert echo.heard("B.", now=201.0)  # one word the teacher said a moment ago
    assert echo.heard("B, B.", now=201.0)
    assert not echo.heard("B", now=210.0)


def test_the_lead_teachers_mandarin_is_recognised_by_sound_too() -> None:
    echo = TeacherEcho(window_s=15.0, short_window_s=3.0)
    echo.add("这是什么动物？豪猪。", now=100.0)
    assert echo.heard("豪猪", now=101.0) and echo.heard("好珠", now=101.0)  # Whisper wrote a homophone
    assert not echo.heard("咖啡", now=101.0) and not echo.heard("好吃", now=101.0)
    assert not echo.heard("朱", now=101.0)  # one character: by its own character only (猪 is; 朱 is not)
    assert echo.heard("猪", now=101.0)
    assert not echo.heard("好珠", now=130.0)  # long after: a student


def test_phrases_are_scored_as_whisper_writes_them_and_the_likelier_form_counts() -> None:
    assert written_forms("good job", "en") == ["good job", "Good job."]
    assert written_forms("A", "en") == ["A", "A."]
    assert written_forms("Yes!", "en") == ["Yes!"]
    assert written_forms("豪猪", "zh") == ["豪猪"]
    # "dog" alone is 1.0 below the free text (not taken), "Dog." only 0.3 below: taken
    table = {"Go on the drop.": -0.5, "dog": -1.5, "Dog.": -0.8}
    found = rescore_answer(TableScorer(table), AUDIO, "Go on the drop.", CHOICES)
    assert found.match is not None and found.match.answer == "B" and found.phrase == "dog"


def test_the_space_as_prompt_conditions_the_free_text_and_every_phrase_alike() -> None:
    plain = {"Huh?": -2.5, "Cat.": -3.7}
    prompted = {"Huh?": -3.0, "Cat.": -1.3}
    off = TableScorer(plain, prompted)
    assert rescore_answer(off, AUDIO, "Huh?", CHOICES).match is None
    assert off.prompts == [None]
    on = TableScorer(plain, prompted)
    found = rescore_answer(on, AUDIO, "Huh?", CHOICES, RescoreConfig(space_prompt=True))
    assert found.match is not None and found.match.answer == "A"
    assert on.prompts == [space_prompt(candidate_phrases(CHOICES), "en")]
    assert on.prompts[0] is not None and "Cat." in on.prompts[0] and "Dog." in on.prompts[0]
    assert "Cat." in on.texts and "cat" not in on.texts  # under the prompt: its own written style only
    assert "cat" in off.texts and "Cat." in off.texts


def test_fillers_and_english_on_a_mandarin_channel_are_never_rescored_into_an_answer() -> None:
    zh = AnswerRequest(**{**CHOICES.__dict__, "language": "zh"})
    scorer = TableScorer({"哦嗯": -3.0, "猫": -0.5, "drop the two": -2.5, "Um.": -2.0, "cat": -0.5})
    assert rescore_answer(scorer, AUDIO, "哦嗯", zh).match is None
    assert rescore_answer(scorer, AUDIO, "drop the two", zh).match is None
    assert rescore_answer(scorer, AUDIO, "Um.", CHOICES).match is None
    assert scorer.prompts == []  # not even scored
    assert rescore_answer(scorer, AUDIO, "", zh).match is not None  # no free text: the phrase stands alone


def test_the_room_channel_conditions_rescoring_on_the_space_for_english_only() -> None:
    from dual_teacher.speech.channel import ChannelConfig

    assert ChannelConfig.room("en").rescore.space_prompt
    assert not ChannelConfig.room("zh").rescore.space_prompt

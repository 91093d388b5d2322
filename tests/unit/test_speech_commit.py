"""LocalAgreement-2 on a fake clock: partial text firms up into final text, replayably."""

from __future__ import annotations

import pytest

from dual_teacher.core.clock import FakeClock
from dual_teacher.speech.commit import LocalAgreement
from dual_teacher.speech.text import detokenize, tokenize

# Each case: hypotheses over time (partials, the last one final) and the stable text after each step.
CASES = [
    (
        "grows and agrees",
        ["the cat", "the cat sat", "the cat sat on the", "the cat sat on the mat."],
        ["", "the cat", "the cat sat", "the cat sat on the mat."],
    ),
    (
        "a revised tail is not committed",
        ["ask not what", "ask not want your", "ask not what your country", "ask not what your country can do"],
        ["", "ask not", "ask not", "ask not what your country can do"],
    ),
    (
        "case and punctuation do not block agreement",
        ["And so, my", "and so my fellow", "And so my fellow Americans."],
        ["", "and so my", "And so my fellow Americans."],  # the final's own spelling
    ),
    (
        "the final hypothesis replaces committed words it disagrees with",
        ["we shall go", "we shall go on", "we will go on to the end"],
        ["", "we shall go", "we will go on to the end"],
    ),
    (
        "Chinese characters are tokens",
        ["秋天总", "秋天总是那", "秋天总是那么富有诗意。"],
        ["", "秋天总", "秋天总是那么富有诗意。"],
    ),
    ("single final only", ["hello there."], ["hello there."]),
    ("empty hypotheses", ["", "", ""], ["", "", ""]),
]


@pytest.mark.parametrize(("name", "hyps", "stable"), CASES, ids=[c[0] for c in CASES])
def test_stable_text_over_time(name: str, hyps: list[str], stable: list[str]) -> None:
    clock = FakeClock()
    policy = LocalAgreement(2)
    got = []
    for i, h in enumerate(hyps):
        clock.advance(1.0)
        final = i == len(hyps) - 1
        upd = (policy.finalize if final else policy.update)(tokenize(h), clock.monotonic())
        got.append(upd.stable_text)
        assert upd.final is final
        if final:
            assert upd.tentative == ()
        else:
            assert upd.text.startswith(upd.stable_text)
    assert got == stable


def test_commit_times_are_replayable_on_a_fake_clock() -> None:
    def replay() -> list[tuple[str, float]]:
        clock = FakeClock(start_monotonic=100.0)
        p = LocalAgreement()
        for h in ["one two", "one two three", "one two three four"]:
            clock.advance(0.5)
            p.update(tokenize(h), clock.monotonic())
        clock.advance(0.7)
        p.finalize(tokenize("one two three four five"), clock.monotonic())
        return p.commit_times

    first = replay()
    assert first == replay()
    assert first == [("one", 101.0), ("two", 101.0), ("three", 101.5), ("four", 102.2), ("five", 102.2)]


def test_stable_part_only_grows() -> None:
    p = LocalAgreement()
    previous: tuple[str, ...] = ()
    for t, h in enumerate(["a b c", "a b x", "a b x y", "a q x y z", "a b x y z w"]):
        upd = p.update(tokenize(h), float(t))
        assert upd.stable[: len(previous)] == previous
        previous = upd.stable
    assert detokenize(list(previous)) == "a b x y z"


def test_new_stable_lists_only_the_words_committed_now() -> None:
    p = LocalAgreement()
    p.update(tokenize("red green"), 0.0)
    upd = p.update(tokenize("red green blue"), 1.0)
    assert upd.new_stable == ("red", "green")
    upd = p.finalize(tokenize("red green blue"), 2.0)
    assert upd.new_stable == ("blue",)


def test_update_after_finalize_is_refused_until_reset() -> None:
    p = LocalAgreement()
    p.finalize(tokenize("done"), 0.0)
    with pytest.raises(ValueError):
        p.update(tokenize("more"), 1.0)
    p.reset()
    assert p.update(tokenize("more"), 1.0).stable == ()


def test_n_below_two_is_refused() -> None:
    with pytest.raises(ValueError):
        LocalAgreement(1)


def test_final_revision_is_counted_and_kept_words_keep_their_commit_time() -> None:
    p = LocalAgreement()
    p.update(tokenize("we shall go"), 1.0)
    p.update(tokenize("we shall go on"), 2.0)  # "we shall go" committed at 2.0
    upd = p.finalize(tokenize("we will go on"), 3.0)
    assert upd.stable_text == "we will go on" and upd.revised == 1
    assert upd.new_stable == ("will", "on")
    assert p.commit_times == [("we", 2.0), ("will", 3.0), ("go", 2.0), ("on", 3.0)]


def test_an_empty_final_keeps_the_stable_text() -> None:
    p = LocalAgreement()
    p.update(tokenize("hello there"), 1.0)
    p.update(tokenize("hello there"), 2.0)
    assert p.finalize([], 3.0).stable_text == "hello there"

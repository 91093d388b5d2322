"""The streaming segmenter: probabilities and `now` in, utterances out (pure, table-driven)."""

from __future__ import annotations

import numpy as np
import pytest

from dual_teacher.speech.vad import (
    WINDOW_S,
    SegmenterConfig,
    SpeechStarted,
    StreamingSegmenter,
    Utterance,
    UtteranceDiscarded,
)

W = WINDOW_S


def probs(*runs: tuple[float, float]) -> np.ndarray:
    """(probability, seconds) runs -> one probability per 32 ms window."""
    return np.concatenate([np.full(round(s / W), p, np.float32) for p, s in runs])


def run(p: np.ndarray, cfg: SegmenterConfig | None = None, flush: bool = True) -> list[object]:
    seg = StreamingSegmenter(cfg)
    out: list[object] = list(seg.push_many(p, 0.0))
    if flush:
        out += seg.flush(len(p) * W)
    return out


def utterances(events: list[object]) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance)]


CASES = [
    # name, runs, expected utterances as (start, end, closed_by)
    ("silence only", [(0.02, 5.0)], []),
    ("one word", [(0.0, 1.0), (0.9, 0.8), (0.0, 1.0)], [(1.0, 1.8, "silence")]),
    ("pause shorter than hang-over joins", [(0.0, 1.0), (0.9, 1.0), (0.1, 0.3), (0.9, 1.0), (0.0, 1.0)],
     [(1.0, 3.3, "silence")]),
    ("pause longer than hang-over splits", [(0.0, 1.0), (0.9, 1.0), (0.1, 0.6), (0.9, 1.0), (0.0, 1.0)],
     [(1.0, 2.0, "silence"), (2.6, 3.6, "silence")]),
    ("hysteresis: 0.4 keeps speech going", [(0.0, 1.0), (0.9, 0.5), (0.4, 1.0), (0.0, 1.0)],
     [(1.0, 2.5, "silence")]),
    ("0.4 alone never starts speech", [(0.0, 1.0), (0.4, 2.0), (0.0, 1.0)], []),
    ("speech to the end is flushed", [(0.0, 1.0), (0.9, 1.0)], [(1.0, 2.0, "flush")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "runs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_utterance_boundaries(name: str, runs: list[tuple[float, float]], expected: list[tuple]) -> None:
    got = utterances(run(probs(*runs)))
    assert [(round(u.start, 2), round(u.end, 2), u.closed_by) for u in got] == [
        (pytest.approx(s, abs=2 * W), pytest.approx(e, abs=2 * W), c) for s, e, c in expected
    ]


def test_click_shorter_than_min_speech_is_discarded() -> None:
    events = run(probs((0.0, 1.0), (0.95, 0.1), (0.0, 1.0)))
    assert utterances(events) == []
    assert sum(isinstance(e, UtteranceDiscarded) for e in events) == 1


def test_pre_roll_and_post_pad_frame_the_audio() -> None:
    cfg = SegmenterConfig(pre_roll_s=0.3, post_pad_s=0.2, hangover_s=0.4)
    (u,) = utterances(run(probs((0.0, 2.0), (0.9, 1.0), (0.0, 2.0)), cfg))
    assert u.audio_start == pytest.approx(u.start - 0.3)
    assert u.audio_end == pytest.approx(u.end + 0.2)


def test_pre_roll_never_reaches_back_into_the_previous_utterance() -> None:
    got = utterances(run(probs((0.0, 1.0), (0.9, 1.0), (0.0, 0.45), (0.9, 1.0), (0.0, 1.0))))
    assert len(got) == 2
    assert got[1].audio_start >= got[0].audio_end - 1e-9


def test_pre_roll_is_clipped_at_the_stream_start() -> None:
    (u,) = utterances(run(probs((0.9, 1.0), (0.0, 1.0))))
    assert u.audio_start == 0.0


def test_long_speech_is_cut_at_max_length_and_goes_on() -> None:
    cfg = SegmenterConfig(max_utterance_s=4.0)
    got = utterances(run(probs((0.0, 1.0), (0.9, 10.0), (0.0, 1.0)), cfg))
    assert [u.closed_by for u in got] == ["max_length", "max_length", "silence"]
    assert all(u.end - u.start <= 4.0 + 1e-6 for u in got)
    assert got[1].start == pytest.approx(got[0].end)
    assert got[-1].end == pytest.approx(11.0, abs=W)


def test_start_is_announced_before_the_end() -> None:
    events = run(probs((0.0, 1.0), (0.9, 1.0), (0.0, 1.0)), flush=False)
    assert [type(e) for e in events] == [SpeechStarted, Utterance]
    assert isinstance(events[0], SpeechStarted) and events[0].start == pytest.approx(1.0, abs=W)


def test_end_is_decided_one_hang_over_after_the_last_speech() -> None:
    """The moment the utterance closes (its `now`) is end of speech + hang-over: the latency floor."""
    seg = StreamingSegmenter(SegmenterConfig(hangover_s=0.4))
    p = probs((0.0, 1.0), (0.9, 1.0), (0.0, 2.0))
    closed_at = None
    for i, x in enumerate(p):
        if any(isinstance(e, Utterance) for e in seg.push(float(x), (i + 1) * W)):
            closed_at = (i + 1) * W
    assert closed_at == pytest.approx(2.0 + 0.4, abs=W)


def test_replay_in_pieces_is_identical() -> None:
    p = probs((0.0, 1.0), (0.9, 2.0), (0.2, 0.5), (0.8, 1.0), (0.0, 1.0))
    whole = run(p)
    seg = StreamingSegmenter()
    pieces: list[object] = []
    for i in range(0, len(p), 7):
        pieces += seg.push_many(p[i : i + 7], i * W)
    pieces += seg.flush(len(p) * W)
    assert pieces == whole


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0.3, "neg_threshold": 0.5},
        {"post_pad_s": 0.5, "hangover_s": 0.4},
        {"max_utterance_s": 0.1, "min_speech_s": 0.25},
    ],
)
def test_bad_configs_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SegmenterConfig(**kwargs)


def test_a_long_turn_is_cut_in_its_longest_pause_not_in_a_word() -> None:
    cfg = SegmenterConfig(hangover_s=1.0, post_pad_s=0.4, max_utterance_s=10.0)
    # speech 1-4 s, short pause, speech to 6 s, the longest pause (0.6 s), then speech to 14 s
    p = probs((0.0, 1.0), (0.9, 3.0), (0.1, 0.2), (0.9, 1.8), (0.1, 0.6), (0.9, 7.4), (0.0, 2.0))
    found = utterances(run(p, cfg))
    assert [u.closed_by for u in found] == ["pause", "silence"]
    first, second = found
    assert first.end == pytest.approx(6.0, abs=0.05) and first.audio_end == pytest.approx(6.3, abs=0.05)
    assert second.start == pytest.approx(6.6, abs=0.05)
    assert second.audio_start == pytest.approx(6.3, abs=0.05)  # no overlap: pre-roll stops at the cut
    assert second.end == pytest.approx(14.0, abs=0.05)


def test_a_turn_without_pauses_is_still_cut_at_the_maximum_length() -> None:
    cfg = SegmenterConfig(max_utterance_s=5.0)
    found = utterances(run(probs((0.0, 1.0), (0.9, 7.0), (0.0, 1.0)), cfg))
    assert [u.closed_by for u in found] == ["max_length", "silence"]


EnergyRow = tuple[str, list[tuple[float, float, float]], int, int]
ENERGY_CASES: list[EnergyRow] = [
    # name, runs of (silero prob, level dB, seconds), windows raised to neg_threshold, windows raised to threshold
    ("quiet room, nothing to raise", [(0.02, -70, 3.0)], 0, 0),
    ("loud but Silero says no (a fan, hum)", [(0.02, -70, 1.0), (0.05, -30, 2.0)], 0, 0),
    ("a short energetic blip only keeps speech going", [(0.02, -70, 1.0), (0.2, -30, 0.16)], 5, 0),
    ("sustained energetic low-scored speech starts one", [(0.02, -70, 1.0), (0.2, -30, 0.64)], 7, 13),
    ("energy under the absolute minimum does not count", [(0.02, -90, 1.0), (0.2, -60, 1.0)], 0, 0),
    ("confident windows are left alone", [(0.02, -70, 1.0), (0.9, -30, 1.0)], 0, 0),
]


@pytest.mark.parametrize(("name", "runs", "to_neg", "to_start"), ENERGY_CASES, ids=[c[0] for c in ENERGY_CASES])
def test_energy_assist(name: str, runs: list[tuple[float, float, float]], to_neg: int, to_start: int) -> None:
    from dual_teacher.speech.vad import EnergyAssist

    p = np.concatenate([np.full(round(s / W), pr, np.float32) for pr, _, s in runs])
    db = np.concatenate([np.full(round(s / W), lv, np.float32) for _, lv, s in runs])
    assist = EnergyAssist(0.5, 0.35)
    out = assist.adjust(p, db)
    assert int(np.sum(np.isclose(out, 0.35) & ~np.isclose(p, 0.35))) == to_neg
    assert int(np.sum(np.isclose(out, 0.5) & ~np.isclose(p, 0.5))) == to_start
    assert np.all(out >= p)


def test_energy_floor_follows_a_rising_noise_slowly() -> None:
    from dual_teacher.speech.vad import EnergyAssist

    assist = EnergyAssist(0.5, 0.35)
    n = round(30 / W)  # the room gets 20 dB louder and stays so for 30 s: after a while it is the floor
    out = assist.adjust(np.full(n, 0.2, np.float32), np.concatenate([np.full(10, -70.0), np.full(n - 10, -50.0)]))
    assert out[20] > 0.2 and out[-1] == pytest.approx(0.2)

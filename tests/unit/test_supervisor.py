"""The supervisor's wire format and freeze decision (pure, on injected time)."""

from __future__ import annotations

import pytest

from dual_teacher.runtime.supervisor import FreezeWatch, Position, format_beat, parse_beat, parse_resume


def test_beats_and_resume_round_trip() -> None:
    line = format_beat("20261201-1-abc", "counting-on", 12.345, False)
    assert parse_beat(line) == Position("20261201-1-abc", "counting-on", 12.35, False)
    assert parse_beat(b"garbage\n") is None and parse_beat(b"beat\ta\tb\tnot-a-number\t0\n") is None
    pos = Position("20261201-1-abc", "q1", 3.5)
    assert parse_resume(pos.resume_arg()) == pos
    assert parse_resume("no-colons") is None


@pytest.mark.parametrize(
    ("beats", "now", "frozen"),
    [
        ([], 100.0, False),  # start-up is not timed
        ([0.0, 0.05, 0.1], 2.0, False),
        ([0.0, 0.05, 0.1], 3.1, True),
        ([0.0, 3.0], 5.9, False),
    ],
)
def test_freeze_watch_table(beats: list[float], now: float, frozen: bool) -> None:
    watch = FreezeWatch(3.0)
    for t in beats:
        watch.beat(t, Position("s", "n", t))
    assert watch.frozen(now) is frozen

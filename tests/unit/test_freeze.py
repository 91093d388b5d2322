"""The GUI heartbeat: which gaps are freezes (a table on injected time), and a real blocked thread gets its
stacks written by faulthandler's C thread while Python itself is stuck."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dual_teacher.runtime.freeze import FreezeClock, GuiHeartbeat


@pytest.mark.parametrize(
    ("beats", "freezes"),
    [
        ([0.0, 0.05, 0.1, 0.15], []),
        ([0.0, 2.9, 5.8], []),  # just under the threshold each time
        ([0.0, 0.05, 3.05, 3.1], [3.0]),
        ([0.0, 10.0, 10.05, 20.05], [10.0, 10.0]),
    ],
)
def test_freeze_clock_table(beats: list[float], freezes: list[float]) -> None:
    clock = FreezeClock(3.0)
    got = [g for g in (clock.beat(t) for t in beats) if g is not None]
    assert got == pytest.approx(freezes)
    assert clock.freezes == len(freezes)


def test_a_blocked_thread_gets_its_stacks_dumped(tmp_path: Path) -> None:
    """faulthandler's watchdog is real time (armed for 0.8 s, the thread blocks for 1.6 s); the gap the heartbeat
    reports is on the injected times, so it is exact."""
    beat = GuiHeartbeat(tmp_path / "freezes.log", threshold_s=1.0, rearm_s=0.2)
    assert beat.start()
    try:
        assert beat.beat(now=100.0) is None
        time.sleep(1.6)  # the "GUI thread" blocks: no beat
        blocked = beat.beat(now=101.6)
    finally:
        beat.stop()
    assert blocked == pytest.approx(1.6)
    assert beat.clock.freezes == 1
    text = (tmp_path / "freezes.log").read_text(encoding="utf-8")
    assert "most recent call first" in text and "test_a_blocked_thread_gets_its_stacks_dumped" in text
    assert "ran again after 1.6 s" in text

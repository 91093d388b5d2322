"""Aggregates and events: raise queue, head count smoothing, attention share, hand-poll counts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dual_teacher.core import events as ev
from dual_teacher.perception.aggregates import AttentionAggregate, HeadCountSmoother, RaiseQueue
from dual_teacher.perception.geometry import Roi
from dual_teacher.perception.handraise import HysteresisConfig
from dual_teacher.perception.models import PoseLandmarks
from dual_teacher.perception.results import FrameResult, PersonResult
from dual_teacher.perception.signals import RoomSignals, SignalsConfig


def test_raise_queue_is_first_come_first_served_one_entry_per_track() -> None:
    q = RaiseQueue()
    assert q.raised(5, 1.0) and q.raised(2, 1.5) and q.raised(9, 2.0)
    assert not q.raised(5, 3.0)  # already queued: keeps its place
    assert q.order() == [5, 2, 9]
    assert q.lowered(2) and not q.lowered(2)
    assert q.raised(2, 4.0)  # raised again: back of the queue
    assert q.order() == [5, 9, 2]


@pytest.mark.parametrize(
    ("samples", "reports"),
    [
        # steady 12: reported at once, then every 2 s
        ([(t * 0.5, 12) for t in range(9)], [(0.0, 12), (2.0, 12), (4.0, 12)]),
        # a one-frame dip (occlusion) does not move the median
        ([(0.0, 12), (0.5, 12), (1.0, 9), (1.5, 12), (2.0, 12)], [(0.0, 12), (2.0, 12)]),
        # a lasting change shows once it holds for about half the window (3 s window)
        ([(t * 0.5, 12 if t < 4 else 15) for t in range(10)], [(0.0, 12), (2.0, 12), (3.5, 15)]),
    ],
)
def test_head_count_smoothing(samples: list[tuple[float, int]], reports: list[tuple[float, int]]) -> None:
    s = HeadCountSmoother(window_s=3.0, every_s=2.0, min_gap_s=0.5)
    got = []
    for now, count in samples:
        s.add(count, now)
        value = s.report(now)
        if value is not None:
            got.append((now, value))
    assert got == reports


@pytest.mark.parametrize(
    ("faces", "now", "share", "count"),
    [
        ({1: (0.0, 5.0), 2: (0.0, -20.0), 3: (0.0, 60.0), 4: (0.0, -45.0)}, 1.0, 0.5, 4),
        ({1: (0.0, 5.0), 2: (0.0, 10.0)}, 1.0, 1.0, 2),
        ({1: (0.0, 5.0), 2: (2.5, 80.0)}, 4.0, 0.0, 1),  # track 1's face is older than the 3 s window
        ({1: (0.0, None), 2: (0.0, 10.0)}, 0.5, 1.0, 1),  # no face found on 1: not a face, not counted
    ],
)
def test_attention_share(faces: dict[int, tuple[float, float | None]], now: float, share: float, count: int) -> None:
    a = AttentionAggregate(window_s=3.0, every_s=1.0, max_yaw_deg=30.0)
    for tid, (at, yaw) in faces.items():
        a.observe(tid, yaw, at)
    reading = a.reading(now)
    assert reading is not None and (reading.share, reading.faces) == (share, count)


def test_attention_toward_a_display_beside_the_camera() -> None:
    a = AttentionAggregate(max_yaw_deg=20.0, display_yaw_deg=35.0)
    a.observe(1, 30.0, 0.0)
    a.observe(2, 0.0, 0.0)
    reading = a.reading(0.5)
    assert reading is not None and reading.share == 0.5


def _person(tid: int, raised: bool | None, seat: tuple[float, float] = (0.5, 0.5)) -> PersonResult:
    lm = PoseLandmarks(
        np.zeros((39, 3), np.float32), np.ones(39, np.float32), np.ones(39, np.float32), 1.0, Roi(0, 0, 1, 1)
    )
    return PersonResult(tid, seat, raised, lm, raised is not None)


def _frame(
    people: list[PersonResult], ended: tuple[int, ...] = (), faces: tuple[tuple[int, float | None], ...] = ()
) -> FrameResult:
    return FrameResult(0, 0.0, 1920, 1080, tuple(people), faces, ended, 1, len(people), {})


def test_signals_raise_lower_head_count_attention_and_poll() -> None:
    s = RoomSignals(
        SignalsConfig(hysteresis=HysteresisConfig(window=3, up_n=2, down_n=0, min_up_s=0.1, min_down_s=0.1))
    )
    assert s.open_poll("poll1", ()) == [ev.HandCountReported(0, None, "perception")]
    out: list[tuple[float, ev.Event]] = []
    for i in range(6):
        now = i * 0.1
        frame = _frame([_person(1, True, (0.25, 0.75)), _person(2, False)], faces=((1, 3.0), (2, 70.0)))
        out += [(now, e) for e in s.on_frame(frame, now)]
    kinds = [(t, type(e).__name__) for t, e in out]
    assert (0.1, "HandRaised") in kinds
    raised = next(e for _, e in out if isinstance(e, ev.HandRaised))
    assert (raised.track_id, raised.x, raised.y) == (1, 0.25, 0.75)
    assert next(e for _, e in out if isinstance(e, ev.HandCountReported)) == ev.HandCountReported(1, None, "perception")
    assert next(e for _, e in out if isinstance(e, ev.HeadCountReported)).count == 2
    assert next(e for _, e in out if isinstance(e, ev.AttentionMeasured)) == ev.AttentionMeasured(0.5, 2, "perception")
    # the track leaves the room with its hand up: after the seat's grace (no new track took its place)
    # lowered, and the poll count drops
    assert not any(isinstance(e, ev.HandLowered) for e in s.on_frame(_frame([_person(2, False)], ended=(1,)), 1.0))
    gone = s.on_frame(_frame([_person(2, False)]), 1.0 + SignalsConfig().seat_grace_s)
    assert ev.HandLowered(1, "perception") in gone
    assert ev.HandCountReported(0, None, "perception") in gone
    s.close_poll("poll1")
    assert s.poll_open is None


def test_the_head_count_reported_is_the_estimate_with_its_bounds() -> None:
    s = RoomSignals(SignalsConfig())
    people = [_person(1, False), _person(2, False)]
    frame = dataclasses.replace(_frame(people), count_low=1, count_high=5, count_estimate=4)
    assert (frame.count, frame.head_count) == (2, 4)
    assert _frame(people).head_count == 2  # no estimate: the people found
    heads = next(e for e in s.on_frame(frame, 0.0) if isinstance(e, ev.HeadCountReported))
    assert (heads.count, heads.low, heads.high) == (4, 1, 5)


def test_rounds_without_fresh_landmarks_are_not_observations() -> None:
    s = RoomSignals(
        SignalsConfig(hysteresis=HysteresisConfig(window=3, up_n=2, down_n=0, min_up_s=0.0, min_down_s=0.0))
    )
    s.on_frame(_frame([_person(1, True)]), 0.0)
    for i in range(1, 5):
        events = s.on_frame(_frame([_person(1, None)]), i * 0.1)
        assert not any(isinstance(e, ev.HandRaised) for e in events)
    assert any(isinstance(e, ev.HandRaised) for e in s.on_frame(_frame([_person(1, True)]), 0.6))


def test_a_hand_whose_person_is_no_longer_counted_is_lowered() -> None:
    s = RoomSignals(
        SignalsConfig(hysteresis=HysteresisConfig(window=3, up_n=2, down_n=0, min_up_s=0.0, min_down_s=0.0))
    )
    events = [e for i in range(3) for e in s.on_frame(_frame([_person(1, True), _person(2, False)]), i * 0.1)]
    assert ev.HandRaised(1, 0.5, 0.5, "perception") in events
    assert s.hands_up == 1
    # the track lives on, but the frame no longer counts it (far smaller than the room's typical head)
    grace = SignalsConfig().seat_grace_s
    assert not any(isinstance(e, ev.HandLowered) for e in s.on_frame(_frame([_person(2, False)]), 0.3))
    out = s.on_frame(_frame([_person(2, False)]), 0.3 + grace)
    assert ev.HandLowered(1, "perception") in out and s.hands_up == 0
    assert not any(isinstance(e, ev.HandLowered) for e in s.on_frame(_frame([_person(2, False)]), 0.4 + grace))

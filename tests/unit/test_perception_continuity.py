"""perception.continuity: a new track where one just left continues its public id (and, in RoomSignals, its
hand: no second HandRaised, no HandLowered in between)."""

from __future__ import annotations

from dual_teacher.core import events as ev
from dual_teacher.perception.continuity import FRESH_ID_BASE, SeatContinuity
from dual_teacher.perception.handraise import HysteresisConfig
from dual_teacher.perception.results import FrameResult, PersonResult
from dual_teacher.perception.signals import RoomSignals, SignalsConfig


def person(tid: int, x: float, y: float = 100.0, size: float = 40.0, raised: bool | None = None) -> PersonResult:
    return PersonResult(tid, (x / 1920, y / 1080), raised, None, raised is not None, head=(x, y, size))


def test_a_new_track_on_a_seat_just_left_takes_its_id_and_a_neighbour_does_not() -> None:
    c = SeatContinuity(reach=1.0, grace_s=1.0)
    assert c.assign([person(1, 100), person(2, 200)], 0.0) == [1, 2]
    # track 1 is replaced by 7 a head's width away (30 px < 40): same seat; 8 is 60 px from 2's seat while
    # 2 is still there: a new person
    assert c.assign([person(7, 130), person(2, 200), person(8, 260)], 0.1) == [1, 2, 8]
    assert c.track_of(1) == 7 and c.public_of(7) == 1 and c.public_of(1) is None
    assert c.gone(0.1) == []


def test_the_nearest_waiting_seat_wins_and_a_seat_is_gone_after_its_grace() -> None:
    c = SeatContinuity(reach=1.0, grace_s=1.0)
    c.assign([person(1, 100), person(2, 170)], 0.0)
    assert c.assign([], 0.2) == []  # both left
    assert c.gone(0.5) == []  # within the grace
    assert c.assign([person(5, 160)], 0.6) == [2]  # 10 px from seat 2, 60 from seat 1
    assert c.gone(1.2) == [1] and c.gone(1.3) == []
    assert c.assign([person(6, 100)], 1.4) == [6]  # seat 1 is gone: a new id


def test_an_old_track_back_beside_its_successor_gets_a_fresh_id() -> None:
    c = SeatContinuity(reach=1.0, grace_s=1.0)
    c.assign([person(1, 100)], 0.0)
    c.assign([person(7, 110)], 0.1)  # 7 continues seat 1
    assert c.assign([person(7, 110), person(1, 100)], 0.2) == [1, FRESH_ID_BASE + 1]


def test_an_old_track_back_on_its_seat_after_its_successor_left_takes_it_back() -> None:
    c = SeatContinuity(reach=1.0, grace_s=1.0)
    c.assign([person(1, 100)], 0.0)
    c.assign([person(7, 110)], 0.1)  # 7 continues seat 1
    assert c.assign([person(1, 100)], 0.2) == [1] and c.continued == [1] and c.track_of(1) == 1


def test_off_every_track_is_its_own_id_and_leaving_is_gone_at_once() -> None:
    c = SeatContinuity(reach=None)
    c.assign([person(1, 100)], 0.0)
    assert c.assign([person(7, 101)], 0.1) == [7]
    assert c.gone(0.1) == [1]


def frame(people: list[PersonResult], now: float) -> FrameResult:
    return FrameResult(0, now, 1920, 1080, tuple(people), (), (), 1, len(people), {})


def test_signals_keep_one_queued_hand_across_an_id_switch() -> None:
    hyst = HysteresisConfig(window=3, up_n=2, down_n=0, min_up_s=0.0, min_down_s=0.0, window_s=0.0)
    for reach, raised_events, lowered_events in ((1.0, 1, 0), (None, 2, 1)):
        s = RoomSignals(SignalsConfig(hysteresis=hyst, seat_reach=reach))
        events: list[ev.Event] = []
        for i in range(8):  # a face-only track (100000) becomes a pose track (3) on the same head at frame 4
            tid, x = (100000, 500.0) if i < 4 else (3, 510.0)
            events += s.on_frame(frame([person(tid, x, raised=True)], i * 0.1), i * 0.1)
        assert sum(isinstance(e, ev.HandRaised) for e in events) == raised_events
        assert sum(isinstance(e, ev.HandLowered) for e in events) == lowered_events
        assert s.hands_up == 1


def test_a_successor_does_not_inherit_stray_looks_of_a_hand_that_was_down() -> None:
    hyst = HysteresisConfig(window=5, up_n=3, down_n=0, min_up_s=0.0, min_down_s=0.0, window_s=0.0)
    s = RoomSignals(SignalsConfig(hysteresis=hyst))
    looks = [(1, 500.0, True), (1, 500.0, False), (1, 500.0, True), (2, 505.0, True), (2, 505.0, True)]
    events = [
        e
        for i, (tid, x, up) in enumerate(looks)
        for e in s.on_frame(frame([person(tid, x, raised=up)], i * 0.1), i * 0.1)
    ]
    assert not any(isinstance(e, ev.HandRaised) for e in events)  # 2 + 2 raised looks, but 2 of track 2's own
    assert any(isinstance(e, ev.HandRaised) for e in s.on_frame(frame([person(2, 505.0, raised=True)], 0.5), 0.5))


def test_a_young_second_track_on_one_person_is_merged_into_the_seat_that_leaves() -> None:
    c = SeatContinuity(reach=1.0, grace_s=1.0)
    c.assign([person(100001, 100)], 0.0)  # a face-only track
    assert c.assign([person(100001, 100), person(5, 110)], 0.3) == [100001, 5]  # a pose track on the same head
    assert c.assign([person(5, 110)], 0.4) == [100001]  # the face-only track ends: one seat
    assert c.merged == [5] and c.continued == [100001] and c.track_of(100001) == 5 and c.track_of(5) is None
    assert c.gone(2.0) == []  # nothing left behind
    # a seat in `keep` (its hand is up) is not merged; nor is a seat older than the grace
    k = SeatContinuity(reach=1.0, grace_s=1.0)
    k.assign([person(100001, 100), person(5, 110)], 0.0)
    assert k.assign([person(5, 110)], 0.1, keep={5}) == [5] and k.merged == []
    old = SeatContinuity(reach=1.0, grace_s=1.0)
    old.assign([person(100001, 100), person(5, 110)], 0.0)
    old.assign([person(100001, 100), person(5, 110)], 1.5)
    assert old.assign([person(5, 110)], 1.6) == [5] and old.merged == []
    # a young track a neighbour's width away (60 px > 40) keeps its own seat
    far = SeatContinuity(reach=1.0, grace_s=1.0)
    far.assign([person(100001, 100), person(5, 160)], 0.0)
    assert far.assign([person(5, 160)], 0.1) == [5] and far.merged == []


def test_signals_queue_a_child_once_while_two_tracks_overlap_on_them() -> None:
    hyst = HysteresisConfig(window=3, up_n=2, down_n=0, min_up_s=0.0, min_down_s=0.0, window_s=0.0)
    for reach, raised_events in ((1.0, 1), (None, 2)):
        s = RoomSignals(SignalsConfig(hysteresis=hyst, seat_reach=reach))
        events: list[ev.Event] = []
        for i in range(8):  # the face-only track (hand up) stays 2 frames after the pose track (3) starts
            people = [person(100000, 500.0, raised=True)] if i < 6 else []
            people += [person(3, 505.0, raised=i % 2 == 0)] if i >= 4 else []
            events += s.on_frame(frame(people, i * 0.1), i * 0.1)
        events += s.on_frame(frame([person(3, 505.0, raised=True)], 0.8), 0.8)
        assert sum(isinstance(e, ev.HandRaised) for e in events) == raised_events
        assert not any(isinstance(e, ev.HandLowered) for e in events) or reach is None
        assert s.hands_up == 1

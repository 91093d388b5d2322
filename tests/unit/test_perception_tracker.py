"""The anonymous tracker: stable ids, new people, ended tracks, a new lesson."""

from __future__ import annotations

import pytest

from dual_teacher.perception.tracker import Box, IouTracker


def _box(x: float, y: float, s: float = 20) -> Box:
    return (x, y, x + s, y + s)


def test_ids_stay_with_people_as_they_move() -> None:
    tracker = IouTracker(max_age_s=1.0)
    people = [(100.0, 100.0), (300.0, 100.0), (500.0, 120.0)]
    first = tracker.update([_box(x, y) for x, y in people], now=0.0)
    assert first == [1, 2, 3]
    for step in range(1, 20):
        moved = [(x + 3 * step, y + (step % 3)) for x, y in people]
        order = [2, 0, 1]  # detections arrive in any order
        ids = tracker.update([_box(*moved[i]) for i in order], now=step * 0.1)
        assert ids == [first[i] for i in order]


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([_box(100, 100)], [1]),  # same place
        ([_box(112, 100)], [1]),  # moved 0.6 box: centre distance still matches (IoU 0.25)
        ([_box(160, 100)], [2]),  # 3 boxes away: someone else
        ([_box(100, 100), _box(104, 100)], [1, 2]),  # a second box on the same spot: a new track, not a steal
    ],
)
def test_matching_table(boxes: list[Box], expected: list[int]) -> None:
    tracker = IouTracker()
    tracker.update([_box(100, 100)], now=0.0)
    assert tracker.update(boxes, now=0.1) == expected


def test_tracks_end_after_max_age_and_ids_are_not_reused() -> None:
    tracker = IouTracker(max_age_s=1.0)
    tracker.update([_box(0, 0), _box(200, 0)], now=0.0)
    tracker.update([_box(0, 0)], now=0.9)
    assert set(tracker.tracks) == {1, 2}
    gone = tracker.expire(now=1.5)
    assert gone == [2] and set(tracker.tracks) == {1}
    assert tracker.update([_box(200, 0)], now=1.6) == [3]


def test_reset_starts_a_new_lesson_from_id_one() -> None:
    tracker = IouTracker()
    tracker.update([_box(0, 0), _box(100, 0)], now=0.0)
    tracker.reset()
    assert tracker.tracks == {}
    assert tracker.update([_box(100, 0)], now=5.0) == [1]

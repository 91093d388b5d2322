"""Fusion of pose people, faces and palms, and the per-person scoring of the evaluation (pure logic)."""

from __future__ import annotations

import numpy as np
import pytest

from dual_teacher.perception.aggregates import HeadCountSmoother
from dual_teacher.perception.evaluation import Annotation, PredictedHead, match, score_people, score_raised
from dual_teacher.perception.fusion import FusionConfig, HeadCue, Palm, assign_palms, count_band, fuse


def pose(x: float, y: float, raised: bool | None = False, size: float = 20.0, tid: int = 1) -> HeadCue:
    return HeadCue(x, y, size, 0.95, "pose", tid, raised)


def face(x: float, y: float, size: float = 20.0, score: float = 0.9) -> HeadCue:
    return HeadCue(x, y, size, score, "face")


@pytest.mark.parametrize(
    ("poses", "faces", "count", "sources"),
    [
        ([pose(100, 100)], [face(104, 98)], 1, [("pose", "face")]),  # the same head: counted once
        ([pose(100, 100)], [face(160, 100)], 2, [("pose",), ("face",)]),  # a face the pose missed
        ([], [face(100, 100), face(105, 102, score=0.7)], 1, [("face",)]),  # one face from two tiles
        ([pose(100, 100, tid=1), pose(130, 100, tid=2)], [face(128, 101)], 2, [("pose",), ("pose", "face")]),
        ([], [], 0, []),
    ],
)
def test_people_are_counted_once_across_cues(
    poses: list[HeadCue], faces: list[HeadCue], count: int, sources: list[tuple[str, ...]]
) -> None:
    room = fuse(poses, faces)
    assert room.count == count
    assert [p.sources for p in room.people] == sources


def test_uncertainty_widens_with_weak_faces_and_lone_unsure_cues() -> None:
    room = fuse([pose(100, 100)], [face(200, 100, score=0.7)], weak_faces=[face(300, 100, score=0.5)])
    assert (room.low, room.count, room.high) == (1, 2, 3)
    assert room.uncertain
    sure = fuse([pose(100, 100)], [face(102, 100)])
    assert (sure.low, sure.count, sure.high) == (1, 1, 1)
    assert not sure.uncertain


@pytest.mark.parametrize(("weight", "estimate"), [(0.0, 2), (0.2, 2), (0.25, 3), (0.5, 3), (0.75, 4), (1.0, 4)])
def test_the_count_reported_adds_a_share_of_the_weak_faces(weight: float, estimate: int) -> None:
    weak = [face(300, 100, score=0.2), face(400, 100, score=0.2)]
    room = fuse([pose(100, 100)], [face(200, 100, score=0.7)], weak_faces=weak)
    assert (room.count, room.high) == (2, 4)
    assert room.estimate(weight) == estimate  # 0.25 x 2 weak faces = 0.5: one more (halves round up)
    assert room.low <= room.estimate(weight) <= room.high
    # a weak face on a counted head is that person, not another one
    assert fuse([pose(100, 100)], [], weak_faces=[face(102, 101, score=0.2)]).estimate(1.0) == 1


@pytest.mark.parametrize(
    ("weak", "counted"),
    [
        (face(100, 150, size=14, score=0.2), False),  # a smaller "face" on someone's chest: a hand, a bag
        (face(100, 150, size=24, score=0.2), True),  # a larger head below: someone in the row in front
        (face(100, 200, size=14, score=0.2), True),  # below that body (5 head sizes down): a person of its own
        (face(150, 150, size=14, score=0.2), True),  # beside the body, not inside it
        (face(300, 100, size=4, score=0.2), False),  # far smaller than the room's typical head: a pattern
    ],
)
def test_weak_faces_widen_the_count_only_where_a_lone_face_would_be_a_person(weak: HeadCue, counted: bool) -> None:
    tested = fuse(
        [pose(100, 100), pose(400, 100, tid=2)], [], weak_faces=[weak], config=FusionConfig(weak_plausible=True)
    )
    assert tested.high == 2 + counted
    # the tests are a setting, off by default: then every weak face no one explains widens the count
    assert fuse([pose(100, 100), pose(400, 100, tid=2)], [], weak_faces=[weak]).high == 3


@pytest.mark.parametrize(
    ("palm", "owner"),
    [
        (Palm(100, 60, 15, 0.9), 0),  # straight above the first head
        (Palm(125, 62, 15, 0.9), 0),  # above and to the side, still within reach of the first head
        (Palm(100, 95, 15, 0.9), None),  # at face height: not held up
        (Palm(100, -200, 15, 0.9), None),  # far above: someone else's
        (Palm(300, 20, 15, 0.9), 1),  # the far head's own hand
    ],
)
def test_a_palm_belongs_to_the_nearest_head_below_it(palm: Palm, owner: int | None) -> None:
    heads = [(100.0, 100.0, 20.0), (300.0, 60.0, 20.0)]
    counts = assign_palms(heads, [palm], FusionConfig())
    assert counts == [int(owner == i) for i in range(2)]


@pytest.mark.parametrize(
    ("veto", "owners"),
    [
        (None, [1, 0]),  # no veto: the palm on the second face is the first person's raise
        (0.5, [0, 0]),  # on the second head's box: the palm detector fired on a face, nobody's raise
        (0.2, [1, 0]),  # a narrower veto leaves a palm off that head's centre alone
    ],
)
def test_a_palm_on_another_head_is_nobodys_raise(veto: float | None, owners: list[int]) -> None:
    heads = [(100.0, 100.0, 20.0), (112.0, 62.0, 20.0)]  # the second head sits in the row behind, above
    assert assign_palms(heads, [Palm(106, 62, 10, 0.9)], FusionConfig(palm_head_veto=veto)) == owners


def test_a_palm_raises_a_person_the_pose_has_down_or_could_not_see() -> None:
    room = fuse([pose(100, 100, raised=False)], [face(300, 100)], [Palm(100, 60, 15, 0.9), Palm(300, 55, 15, 0.9)])
    assert [(p.raised, p.raised_by) for p in room.people] == [(True, ("palm",)), (True, ("palm",))]
    no_palm = fuse([pose(100, 100, raised=True)], [], [], config=FusionConfig(use_palm=False))
    assert [(p.raised, p.raised_by) for p in no_palm.people] == [(True, ("pose",))]


def test_matching_is_one_to_one_and_errors_cannot_cancel_out() -> None:
    ann = Annotation(people=((100, 100), (200, 100)), raised=((100, 100),))
    # the wrong person raised and the right one down: the per-image count would say 1 of 1, perfect
    predicted = [PredictedHead(100, 100, 20, False), PredictedHead(200, 100, 20, True)]
    raised = score_raised(predicted, ann)
    assert (raised.tp, raised.fp, raised.fn) == (0, 1, 1)
    people = score_people(predicted, ann)
    assert (people.tp, people.fp, people.fn) == (2, 0, 0)
    # two predictions on one head: one matches, one is a false positive
    assert len(match([PredictedHead(100, 100, 20, False), PredictedHead(103, 100, 20, False)], [(100, 100)])) == 1


def test_predictions_inside_dense_regions_are_not_scored_as_people() -> None:
    ann = Annotation(people=((50, 50),), raised=((300, 300),), dense=((250, 250, 400, 400),), dense_people=10)
    predicted = [
        PredictedHead(50, 50, 20, False),
        PredictedHead(300, 300, 20, True),
        PredictedHead(320, 330, 20, False),
    ]
    people = score_people(predicted, ann)
    assert (people.tp, people.fp, people.fn) == (1, 0, 0)
    assert ann.total_people == 11
    raised = score_raised(predicted, ann)
    assert (raised.tp, raised.fp, raised.fn) == (1, 0, 0)


def test_head_count_bounds_are_medians_of_the_window() -> None:
    s = HeadCountSmoother(window_s=3.0)
    for t, (c, lo, hi) in enumerate([(27, 24, 30), (28, 25, 31), (27, 23, 29)]):
        s.add(c, float(t), lo, hi)
    assert s.value() == 27
    assert s.bounds() == (24, 30)
    s.add(10, 10.0)  # the old samples leave the window
    assert s.bounds() == (10, 10)


def test_ignored_regions_are_neither_right_nor_wrong() -> None:
    ann = Annotation(people=((500, 500),), raised=(), ignore=((0, 0, 100, 100),))
    predicted = [PredictedHead(50, 50, 20, True), PredictedHead(500, 500, 20, False)]
    people, raised = score_people(predicted, ann), score_raised(predicted, ann)
    assert (people.tp, people.fp, people.fn) == (1, 0, 0)
    assert (raised.tp, raised.fp, raised.fn) == (0, 0, 0)


def test_small_outliers_are_people_far_smaller_than_the_rooms_typical_head() -> None:
    from dual_teacher.perception.people import small_outliers

    sizes = [40.0, 36.0, 44.0, 30.0, 12.0, 2.0]  # median 33: 12 and 2 are under 0.45 x 33
    assert small_outliers(sizes, 0.45) == {4, 5}
    assert small_outliers(sizes, None) == set()  # off
    assert small_outliers([40.0, 2.0, 38.0], 0.45) == set()  # too few people for a typical size
    assert small_outliers([20.0] * 6, 0.9) == set()  # one size: nobody is an outlier


def test_small_outliers_can_take_the_typical_head_again_without_the_dropped_ones() -> None:
    from dual_teacher.perception.people import small_outliers

    # three children (79, 29, 46 px heads), a collapsed 2 px skeleton, a 13 px "face" on the wall and a 15 px
    # bottle: the tiny ones pull the median of all six down to 21.9, so one round drops only the skeleton
    sizes = [78.9, 28.6, 2.0, 46.4, 13.4, 15.1]
    assert small_outliers(sizes, 0.5) == {2}
    assert small_outliers(sizes, 0.5, rounds=2) == {2, 4}  # median of the other five: 28.6
    assert small_outliers(sizes, 0.5, rounds=10) == {2, 4, 5}  # then 37.5; then nothing more
    # a room whose heads shrink steadily with distance loses nobody, however many rounds
    steady = [60.0, 52.0, 45.0, 40.0, 36.0, 33.0, 30.0]
    assert small_outliers(steady, 0.5, rounds=10) == set()
    # a fraction over 1 drops every head in one round; the next round has no median to take and stops there
    assert small_outliers([30.0, 40.0, 50.0, 60.0], 2.0, rounds=3) == {0, 1, 2, 3}


def test_landmark_quality_tells_a_collapsed_skeleton_from_a_seen_one() -> None:
    from dual_teacher.perception.geometry import Roi
    from dual_teacher.perception.models import PoseLandmarks
    from dual_teacher.perception.people import landmark_quality

    def lm(upper_visibility: float, presence: float) -> PoseLandmarks:
        vis = np.ones(39, np.float32)
        vis[:17] = upper_visibility
        return PoseLandmarks(np.zeros((39, 3), np.float32), vis, np.ones(39, np.float32), presence, Roi(0, 0, 9, 9))

    seen, collapsed = lm(0.93, 0.99), lm(0.6, 1.0)
    assert landmark_quality(collapsed, False) > landmark_quality(seen, False)  # the presence alone prefers it
    assert landmark_quality(seen, True) > landmark_quality(collapsed, True)
    assert landmark_quality(seen, True) == pytest.approx(0.99 * 0.93, rel=1e-5)


def test_dedupe_loser_keeps_confirmed_then_older_then_better_tracks() -> None:
    from dual_teacher.perception.geometry import Roi
    from dual_teacher.perception.people import PoseTrack, dedupe_loser

    def track(tid: int, confirmed: bool, best: float) -> PoseTrack:
        return PoseTrack(tid, Roi(0, 0, 9, 9), confirmed=confirmed, best_quality=best)

    assert dedupe_loser(track(1, False, 0.9), track(2, True, 0.1)) == 1  # unconfirmed loses
    assert dedupe_loser(track(1, True, 0.1), track(2, True, 0.9)) == 2  # both confirmed: the newer loses
    assert dedupe_loser(track(1, False, 0.5), track(2, False, 0.8)) == 1  # both new: the lower quality loses
    assert dedupe_loser(track(1, False, 0.8), track(2, False, 0.8)) == 2  # a tie: the newer loses


@pytest.mark.parametrize(
    ("estimate", "band", "bounds"),
    [
        (0, (-0.2, 0.3), (0, 0)),
        (2, (-0.2, 0.2), (2, 2)),  # a small count stays exact where the band is narrow
        (4, (-0.2, 0.3), (3, 5)),
        (30, (-0.1, 0.3), (27, 39)),
        (10, (0.1, 0.2), (10, 12)),  # a band that does not hold the count itself is widened to it
        (10, (-0.3, -0.1), (7, 10)),
    ],
)
def test_a_measured_band_gives_the_range_around_the_count(
    estimate: int, band: tuple[float, float], bounds: tuple[int, int]
) -> None:
    assert count_band(estimate, band) == bounds

"""The body cue (MoveNet MultiPose people without a face): decoding, head points, tiles, body-only people."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from dual_teacher.core.fanout import SERIAL
from dual_teacher.perception.body_cue import (
    LEFT_EAR,
    LEFT_SHOULDER,
    LEFT_WRIST,
    NOSE,
    RIGHT_EAR,
    RIGHT_SHOULDER,
    BodyPeople,
    BodyPose,
    OnnxMoveNet,
    body_hand_up,
    body_head,
    body_tiles,
    decode_poses,
    dedupe_heads,
)
from dual_teacher.perception.face_people import BODY_ID_BASE, LoneTrack
from dual_teacher.perception.frame_people import frame_people
from dual_teacher.perception.fusion import FusionConfig, HeadCue, fuse, plausible_lone
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.room_config import PerceptionConfig


def row(keypoints: Mapping[int, tuple[float, float, float]], box: tuple[float, float, float, float], score: float):
    """One MoveNet output row: 17 x (y, x, score) normalised, then ymin, xmin, ymax, xmax, score."""
    r = np.zeros(56, dtype=np.float32)
    for i, (y, x, s) in keypoints.items():
        r[3 * i : 3 * i + 3] = (y, x, s)
    r[51:56] = (*box, score)
    return r


def pose(points: Mapping[int, tuple[float, float]], score: float = 0.5) -> BodyPose:
    """A body in frame pixels: the given keypoints (x, y) seen (score 0.9), the rest unseen."""
    pts = np.zeros((17, 2), dtype=np.float32)
    scores = np.zeros(17, dtype=np.float32)
    for i, (x, y) in points.items():
        pts[i] = (x, y)
        scores[i] = 0.9
    return BodyPose(pts, scores, (0.0, 0.0, 1.0, 1.0), score)


def test_decoding_maps_rows_to_frame_pixels_and_drops_weak_people() -> None:
    roi = Roi(cx=300, cy=200, width=200, height=200)  # the input covers x 200..400, y 100..300
    raw = np.stack(
        [
            row({NOSE: (0.25, 0.5, 0.8)}, (0.1, 0.25, 0.9, 0.75), 0.6),
            row({NOSE: (0.5, 0.5, 0.8)}, (0.0, 0.0, 1.0, 1.0), 0.1),  # below the score floor
            *[np.zeros(56, dtype=np.float32)] * 4,  # empty rows
        ]
    )
    poses = decode_poses(raw, roi, min_score=0.25)
    assert len(poses) == 1
    p = poses[0]
    assert p.points[NOSE] == pytest.approx((300.0, 150.0))  # (x, y): MoveNet gives (y, x)
    assert p.box == pytest.approx((250.0, 120.0, 350.0, 280.0))
    assert p.score == pytest.approx(0.6) and p.scores[NOSE] == pytest.approx(0.8)


def test_a_body_head_comes_from_head_keypoints_else_from_above_the_shoulders() -> None:
    front = body_head(pose({NOSE: (100, 50), LEFT_EAR: (110, 52), RIGHT_EAR: (90, 52)}))
    assert front is not None and (front.x, front.y) == pytest.approx((100.0, 51.33), abs=0.01)
    assert front.source == "body" and front.size == pytest.approx(24.0)  # 1.2 x the ear span
    behind = body_head(pose({LEFT_SHOULDER: (130, 200), RIGHT_SHOULDER: (70, 200)}))  # no head keypoint seen
    assert behind is not None and (behind.x, behind.y) == pytest.approx((100.0, 164.0))  # 0.6 x 60 px above
    assert behind.size == pytest.approx(36.0)  # 0.6 x the shoulder width
    assert body_head(pose({LEFT_SHOULDER: (130, 200)})) is None  # one shoulder, no head: nowhere to put it


def test_body_tiles_start_at_half_the_shorter_side_and_end_with_the_whole_frame() -> None:
    tiles = body_tiles(1920, 1080)
    finest = [t for t in tiles if t.level == 0]
    assert {round(t.roi.width) for t in finest} == {540}
    assert tiles[-1].roi.width == 1920 and tiles[-1].roi == Roi(960, 540, 1920, 1920)
    xs = sorted({t.roi.cx for t in finest})
    assert xs[0] - 270 == pytest.approx(0) and xs[-1] + 270 == pytest.approx(1920)  # the frame is covered
    small = body_tiles(280, 180)  # a small frame: tiles no finer than 192 px, then the whole frame
    assert [(t.level, round(t.roi.width)) for t in small] == [(0, 192), (0, 192), (1, 280)]


def test_overlapping_tiles_give_one_head_per_person() -> None:
    heads = [
        HeadCue(100, 100, 20, 0.3, "body"),
        HeadCue(104, 101, 22, 0.5, "body"),  # the same person from the next tile, surer
        HeadCue(200, 100, 20, 0.4, "body"),
    ]
    kept = dedupe_heads(heads, radius=0.8)
    assert [(h.x, h.score) for h in kept] == [(104, 0.5), (200, 0.4)]


def test_lone_bodies_are_people_unless_inside_another_body_or_far_too_small() -> None:
    room = fuse(
        [HeadCue(100, 100, 30, 0.95, "pose", 1)],
        [
            HeadCue(200, 100, 28, 0.3, "body"),  # a student seen from behind
            HeadCue(100, 160, 10, 0.3, "body"),  # inside the pose person's body, smaller: a hand
            HeadCue(300, 100, 5, 0.3, "body"),  # a fifth of the typical head: a pattern
            HeadCue(400, 100, 28, 0.9, "face"),  # a face-only person is not a lone body
        ],
    )
    assert [(p.x, p.y) for p in plausible_lone(room.people, "body")] == [(200, 100)]
    assert [(p.x, p.y) for p in plausible_lone(room.people, "face")] == [(400, 100)]
    # a person box of its own makes the smaller head in front of the pose person a whole person (a child in
    # the row in front), but not the pattern: a fifth of the typical head is still too small
    whole = {(100, 160), (300, 100)}
    assert [(p.x, p.y) for p in plausible_lone(room.people, "body", whole=whole)] == [(200, 100), (100, 160)]


def test_a_lone_face_and_a_lone_body_on_one_head_count_once() -> None:
    room = fuse([], [HeadCue(100, 100, 20, 0.5, "face"), HeadCue(104, 103, 24, 0.9, "body")])
    assert room.count == 1 and room.people[0].sources == ("body", "face")  # the surer cue leads


class FakeMoveNet(OnnxMoveNet):
    """Returns the given rows for any region (no model): the pipeline's plumbing without ONNX Runtime."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.size = 256
        self.calls = 0

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float) -> list[BodyPose]:
        self.calls += 1
        return decode_poses(self.rows, roi, min_score)


def test_body_only_people_are_found_held_and_ended_when_another_cue_explains_them() -> None:
    # one person seen from behind: both shoulders, no head keypoint; the whole-frame tile only (the fake
    # model returns the same row for every region)
    rows = np.stack([row({LEFT_SHOULDER: (0.6, 0.6, 0.9), RIGHT_SHOULDER: (0.6, 0.4, 0.9)}, (0.3, 0.3, 0.9, 0.7), 0.5)])
    net = FakeMoveNet(rows)
    bodies = BodyPeople(net, min_score=0.25, max_age_s=5.0, fusion=FusionConfig())
    pyramid = FramePyramid(np.zeros((256, 256, 3), dtype=np.uint8))
    tiles = bodies.tiles_for(256, 256)[-1:]
    assert tiles[0].roi == Roi(128, 128, 256, 256)
    heads = bodies.scan(pyramid, tiles, SERIAL)
    assert len(heads) == 1 and heads[0].source == "body"
    assert bodies.update(heads, [], now=0.0, min_head=4.0) == []
    (person,) = bodies.in_order()
    assert person.track_id == BODY_ID_BASE and person.source == "body"
    assert bodies.update([], [], now=3.0, min_head=4.0) == []  # not seen for 3 s: still held
    h = heads[0]
    ended = bodies.update(heads, [HeadCue(h.x, h.y, h.size, 0.95, "pose", 1)], now=3.5, min_head=4.0)
    assert ended == [BODY_ID_BASE] and bodies.in_order() == []  # the pose found them: one person, not two
    assert bodies.update(heads, [], now=4.0, min_head=4.0) == []
    assert bodies.update([], [], now=10.0, min_head=4.0) == [BODY_ID_BASE + 1]  # unseen past 5 s: gone


def test_the_live_schedule_goes_round_the_body_tiles() -> None:
    bodies = BodyPeople(None, 0.25, 5.0, FusionConfig())
    tiles = bodies.tiles_for(1920, 1080)
    seen = [bodies.next_tiles(1920, 1080, 2) for _ in range(len(tiles))]
    flat = [t for chunk in seen for t in chunk]
    assert all(len(chunk) == 2 for chunk in seen)
    assert flat[: len(tiles)] == tiles and flat[len(tiles) :] == tiles  # every tile once per round, in order
    assert bodies.scan(FramePyramid(np.zeros((8, 8, 3), dtype=np.uint8)), tiles, SERIAL) == []  # no model


@pytest.mark.parametrize(
    ("wrist", "up"),
    [
        ((105, 0), True),  # held high above the head
        ((100, 64), False),  # at the top of the head (a hand on the head)
        ((100, 90), False),  # at the chin
        ((220, 0), False),  # high but far to the side: a neighbour's arm
    ],
)
def test_a_body_only_persons_hand_is_up_when_a_wrist_is_clear_above_the_head(wrist: tuple[int, int], up: bool) -> None:
    body = pose({LEFT_SHOULDER: (130, 120), RIGHT_SHOULDER: (70, 120), LEFT_WRIST: wrist})  # seen from behind
    head = body_head(body, judge_raise=True)
    assert head is not None and (head.y, head.size) == pytest.approx((84.0, 36.0))
    assert body_hand_up(body, head) is up and head.pose_raised is up
    assert body_head(body).pose_raised is None  # not judged unless asked
    room = fuse([], [head])
    assert room.people[0].raised is up and room.people[0].raised_by == (("body",) if up else ())


def test_the_evaluation_variants_add_one_cue_at_a_time() -> None:
    from dual_teacher.perception.evaluation import VARIANTS, variant_config
    from dual_teacher.perception.room_config import PerceptionConfig

    cues = {
        n: (
            c.face_count,
            c.palm_cue,
            c.body_cue,
            c.min_head_fraction is not None,
            c.keep_best_pass,
            c.box_cue,
            c.face_model == "centerface",
            c.fusion.palm_head_veto is not None,
            c.count_weak_weight > 0,
        )
        for n in VARIANTS
        for c in [variant_config(n)]
    }
    assert cues == {
        "before": (False, False, False, False, False, False, False, False, False),
        "faces": (True, False, False, False, False, False, False, False, False),
        "all": (True, True, False, False, False, False, False, False, False),
        "bodies-unfiltered": (True, True, True, False, False, False, False, False, False),
        "sizes": (True, True, True, True, False, False, False, False, False),
        "bodies": (True, True, True, True, True, False, False, False, False),
        "boxes": (True, True, True, True, True, True, False, False, False),
        "centerface": (True, True, True, True, True, True, True, False, False),
        "veto": (True, True, True, True, True, True, True, True, False),
        "count": (True, True, True, True, True, True, True, True, True),
    }
    assert variant_config("count") == PerceptionConfig()  # the default


def test_a_variant_can_change_fields_of_its_pipeline() -> None:
    import dataclasses

    import pytest

    from dual_teacher.perception.evaluation import variant_config
    from dual_teacher.perception.room_config import PerceptionConfig

    got = variant_config("count+bodies_per_frame=1+centerface_score=1+min_head_fraction=null+palm_cue=false")
    want = dataclasses.replace(
        PerceptionConfig(), bodies_per_frame=1, centerface_score=1.0, min_head_fraction=None, palm_cue=False
    )
    assert got == want and isinstance(got.centerface_score, float)
    assert variant_config("before+detect_every=6").detect_every == 6
    assert variant_config("before+detect_every=6").face_count is False  # the rest of `before` stays
    assert variant_config("count+face_model=blazeface").face_model == "blazeface"
    assert variant_config("count+palm_hand_presence=null").palm_hand_presence is None
    assert variant_config("count+face_tentative_misses=null+min_head_fraction=1").min_head_fraction == 1.0
    fused = variant_config("count+fusion.palm_head_veto=0.5+palm_body_only=true")  # a field of its FusionConfig
    assert fused.fusion.palm_head_veto == 0.5 and fused.palm_body_only and fused.fusion.palm_reach == 1.6
    for bad in (
        "count+fusion.no_such_field=1",
        "count+fusion.use_palm=1",
        "count+no_such_field=1",
        "count+bodies_per_frame",
        "count+bodies_per_frame=1.5",
        "count+palm_cue=1",
        "count+face_model=1",
        "count+rule=null",
        "count+bodies_per_frame=null",  # not a field that takes None
        "count+teacher_zone=1",  # a None default takes only its annotation's type (a tuple: not here)
        "count+teacher_zone=[0,0,1,1]",
        "count+palm_hand_presence=true",
        "nope",
    ):
        with pytest.raises(ValueError):
            variant_config(bad)


def test_a_signals_variant_changes_room_signals_or_its_hysteresis() -> None:
    import dataclasses

    import pytest

    from dual_teacher.perception.evaluation import signals_variant
    from dual_teacher.perception.handraise import HysteresisConfig
    from dual_teacher.perception.signals import SignalsConfig

    assert signals_variant("default") == SignalsConfig()
    got = signals_variant("default+up_n=2+min_up_s=0+seat_reach=null+seat_merge=false")
    want = SignalsConfig(
        hysteresis=dataclasses.replace(HysteresisConfig(), up_n=2, min_up_s=0.0), seat_reach=None, seat_merge=False
    )
    assert got == want and isinstance(got.hysteresis.min_up_s, float)
    for bad in ("count", "default+up_n=2.5", "default+hysteresis=null", "default+nope=1", "default+up_n"):
        with pytest.raises(ValueError):
            signals_variant(bad)


@pytest.mark.parametrize(
    ("wrists_up", "palm_up", "raised", "by"),
    [
        (False, False, False, ()),
        (True, False, True, ("body",)),  # MoveNet's own wrists above the head
        (False, True, True, ("palm",)),  # a palm above the head (`palm_body_only`): the arm MoveNet missed
        (True, True, True, ("body", "palm")),
    ],
)
def test_a_body_only_person_is_raised_by_its_wrists_or_by_a_palm(
    wrists_up: bool, palm_up: bool, raised: bool, by: tuple[str, ...]
) -> None:
    body = LoneTrack(BODY_ID_BASE, (100.0, 100.0, 140.0, 140.0), 0.5, 0.0, palm_up, source="body", raised=wrists_up)
    people, room = frame_people(
        [],
        [body],
        [],
        fresh=(),
        palm_checked={BODY_ID_BASE},
        landmarks_of=lambda p: p.landmarks,
        cue_of=lambda f: HeadCue(*f.head, f.score, f.source, f.track_id),
        size=(640, 480),
        config=PerceptionConfig(),
    )
    assert [(p.raised, p.raised_by, p.sources) for p in people] == [(raised, by, ("body",))]
    assert room.count == 1

"""The hand-raise rule on synthetic poses (one per hard negative), and N-of-M hysteresis over time."""

from __future__ import annotations

import numpy as np
import pytest

from dual_teacher.perception.geometry import Roi
from dual_teacher.perception.handraise import HysteresisConfig, RaiseHysteresis, arm_verdicts, raised_hand
from dual_teacher.perception.models import PoseLandmarks

# A seated student facing the camera, frame pixels (y down): shoulders 100 px apart at y = 300.
BASE = {
    0: (200, 220),  # nose
    1: (195, 212), 2: (190, 210), 3: (185, 210),  # left eye inner / eye / outer (image right of nose: person's left)
    4: (205, 212), 5: (210, 210), 6: (215, 210),
    7: (175, 218), 8: (225, 218),  # ears
    9: (193, 240), 10: (207, 240),  # mouth
    11: (150, 300), 12: (250, 300),  # shoulders
    13: (140, 370), 14: (260, 370),  # elbows
    15: (170, 420), 16: (230, 420),  # wrists on the desk
    19: (175, 430), 20: (225, 430),  # index fingers
    23: (165, 460), 24: (235, 460),  # hips
}  # fmt: skip


def pose(overrides: dict[int, tuple[float, float]] | None = None, hidden: tuple[int, ...] = ()) -> PoseLandmarks:
    pts = np.zeros((39, 3), np.float32)
    for i, (x, y) in {**BASE, **(overrides or {})}.items():
        pts[i, :2] = (x, y)
    vis = np.ones(39, np.float32)
    for i in hidden:
        vis[i] = 0.1
    return PoseLandmarks(pts, vis, np.ones(39, np.float32), 0.99, Roi(200, 300, 400, 400))


@pytest.mark.parametrize(
    ("name", "overrides", "hidden", "raised", "reason"),
    [
        ("hands on the desk", {}, (), False, "hand low"),
        ("arm straight up", {13: (140, 230), 15: (140, 150), 19: (140, 135)}, (), True, "raised"),
        ("hand beside the head, elbow low", {13: (130, 300), 15: (130, 215), 19: (130, 200)}, (), True, "raised"),
        (
            "hand up but the arm is not seen",
            {13: (140, 230), 15: (140, 150), 19: (140, 135)},
            (15,),
            False,
            "arm not seen",
        ),
        ("hand on top of the head", {13: (120, 230), 15: (180, 190), 19: (195, 175)}, (), False, "hand on the head"),
        ("phone at the ear", {13: (140, 330), 15: (172, 235), 19: (176, 222)}, (), False, "hand at the ear"),
        ("chin on the hand", {13: (170, 330), 15: (195, 250), 19: (198, 238)}, (), False, "hand at the ear"),
        (
            "swing: hand at head height, far out",
            {13: (80, 300), 15: (20, 250), 19: (10, 238)},
            (),
            False,
            "arm out to the side",
        ),
        (
            "forearm hanging from a high elbow",
            {13: (140, 150), 15: (150, 220), 19: (150, 232)},
            (),
            False,
            "forearm not up",
        ),
        (
            "writing on the board: back to the camera",
            {13: (140, 230), 15: (140, 150), 19: (140, 135)},
            (0, 2, 5),
            False,
            "not facing the camera",
        ),
        (
            "profile: nose outside the ears",
            {0: (240, 220), 13: (140, 230), 15: (140, 150), 19: (140, 135)},
            (),
            False,
            "not facing the camera",
        ),
    ],
)
def test_rule(
    name: str, overrides: dict[int, tuple[float, float]], hidden: tuple[int, ...], raised: bool, reason: str
) -> None:
    lm = pose(overrides, hidden)
    left = next(v for v in arm_verdicts(lm) if v.side == "left")
    assert (left.raised, left.reason) == (raised, reason), name
    assert raised_hand(lm) is raised


def test_either_arm_counts() -> None:
    assert raised_hand(pose({14: (260, 230), 16: (260, 150), 20: (260, 135)}))


CFG = HysteresisConfig(window=5, up_n=3, down_n=1, min_up_s=0.3, min_down_s=0.4, window_s=0.0)


@pytest.mark.parametrize(
    ("observations", "flips"),
    [
        # steady up at 10 fps: up once 3 of 5 are raised and the first raised one is 0.3 s old
        ([(0.0, True), (0.1, True), (0.2, True), (0.3, True), (0.4, True)], [(0.3, "raised")]),
        # a single raised frame (a wave, a stretch): nothing
        ([(0.0, False), (0.1, True), (0.2, False), (0.3, False), (0.4, False), (0.5, False)], []),
        # 3 of 5 with a missed frame in between still counts (N of M)
        ([(0.0, True), (0.1, False), (0.2, True), (0.3, True), (0.4, False)], [(0.3, "raised")]),
        # fast but short: 3 raised in 0.2 s is not enough until 0.3 s have passed
        ([(0.0, True), (0.1, True), (0.2, True), (0.25, True), (0.35, True)], [(0.35, "raised")]),
        # up, then down: lowered once at most 1 of the last 5 is raised and the first lowered is 0.4 s old
        (
            [(0.0, True), (0.1, True), (0.2, True), (0.3, True)] + [(0.4 + 0.1 * i, False) for i in range(8)],
            [(0.3, "raised"), (0.8, "lowered")],
        ),
        # one dropped frame while up does not lower the hand
        (
            [(0.0, True), (0.1, True), (0.2, True), (0.3, True), (0.4, False), (0.5, True), (0.6, True)],
            [(0.3, "raised")],
        ),
    ],
)
def test_hysteresis(observations: list[tuple[float, bool]], flips: list[tuple[float, str]]) -> None:
    h = RaiseHysteresis(CFG)
    got = [(now, flip) for now, raised in observations if (flip := h.observe(7, raised, now)) is not None]
    assert got == flips


@pytest.mark.parametrize("fps", [5.0, 10.0, 15.0, 30.0])
def test_a_hand_up_for_half_a_second_goes_up_at_any_frame_rate_and_a_flicker_does_not(fps: float) -> None:
    h = RaiseHysteresis(HysteresisConfig())
    frames = [i / fps for i in range(int(2 * fps))]
    up = [(t, h.observe(1, 0.2 <= t < 0.7, t)) for t in frames]
    assert [f for _, f in up if f] == ["raised", "lowered"]
    raised_at = next(t for t, f in up if f == "raised")
    assert raised_at - 0.2 <= 0.5
    flicker = RaiseHysteresis(HysteresisConfig())
    assert not [f for t in frames if (f := flicker.observe(2, int(t * fps) % 4 == 0, t))]  # 1 frame in 4


def test_hysteresis_tracks_are_independent_and_forgotten() -> None:
    h = RaiseHysteresis(CFG)
    for i in range(5):
        h.observe(1, True, i * 0.1)
        h.observe(2, False, i * 0.1)
    assert h.up_tracks() == [1]
    assert h.forget(1) is True and h.forget(2) is False
    assert h.up_tracks() == []


class _Landmarker:
    """Landmarks from a script: one answer per call, in order."""

    def __init__(self, answers: list[PoseLandmarks]) -> None:
        self.answers = answers

    def landmarks(self, pyramid: object, roi: Roi) -> PoseLandmarks:
        return self.answers.pop(0)


@pytest.mark.parametrize(
    ("tentative", "looks_before", "kept"),
    [(True, 1, False), (True, 2, True), (False, 1, True)],
)
def test_a_pose_person_seen_on_one_frame_only_is_dropped_at_the_next_failed_look_live(
    tentative: bool, looks_before: int, kept: bool
) -> None:
    import dataclasses
    from types import SimpleNamespace
    from typing import cast

    from dual_teacher.perception.geometry import FramePyramid
    from dual_teacher.perception.model_set import PerceptionModels
    from dual_teacher.perception.people import PoseTrack
    from dual_teacher.perception.pipeline import RoomPerception
    from dual_teacher.perception.room_config import PerceptionConfig

    person, nobody = pose(), dataclasses.replace(pose(), score=0.1)  # presence too low: not a person
    landmarker = _Landmarker([person] * looks_before + [nobody, nobody])
    models = SimpleNamespace(landmarker=landmarker, faces=None, centerface=None, bodies=None, boxes=None)
    config = dataclasses.replace(PerceptionConfig(), pose_tentative=tentative, face_count=False)
    room = RoomPerception(cast(PerceptionModels, models), config)
    pyramid = FramePyramid(np.zeros((720, 1280, 3), np.uint8))
    room._people[1] = PoseTrack(1, Roi(200, 300, 400, 400))
    room.tracker.start((0.0, 0.0, 10.0, 10.0), 0.0)
    for i in range(looks_before):
        assert room._landmarks(pyramid, [1], 0.1 * i) == [1]
    assert room._people[1].looks == looks_before
    room._landmarks(pyramid, [1], 0.1 * (looks_before - 1))  # a second pass of the last frame fails (a still)
    assert 1 in room._people
    room._landmarks(pyramid, [1], 0.1 * looks_before)  # a later frame's look fails
    assert (1 in room._people) is kept

"""CenterFace for the face count: input size, decoding to frame pixels, and when the face count runs it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from dual_teacher.core.fanout import SERIAL
from dual_teacher.perception.centerface import OnnxCenterFace, decode, input_size, source_level
from dual_teacher.perception.face_count import FaceCount
from dual_teacher.perception.geometry import FramePyramid
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.room_config import PerceptionConfig
from dual_teacher.perception.ssd import Detections

NAMES = ("heatmap", "scale", "offset", "landmarks")


def outputs(h: int, w: int, faces: list[tuple[int, int, float, float, float]]) -> dict[str, np.ndarray]:
    """Model outputs on an (h, w) stride-4 grid with faces (row, col, score, box height, box width) in input
    pixels, no offset; landmark k at (0.1 k, 0.2 k) of the box."""
    heat = np.zeros((1, 1, h, w), np.float32)
    size = np.zeros((1, 2, h, w), np.float32)
    lms = np.zeros((1, 10, h, w), np.float32)
    for r, c, score, bh, bw in faces:
        heat[0, 0, r, c] = score
        size[0, :, r, c] = (math.log(bh / 4), math.log(bw / 4))
        for k in range(5):
            lms[0, 2 * k, r, c], lms[0, 2 * k + 1, r, c] = 0.1 * k, 0.2 * k
    return {"heatmap": heat, "scale": size, "offset": np.zeros((1, 2, h, w), np.float32), "landmarks": lms}


def test_input_is_the_frame_scaled_down_to_the_side_in_multiples_of_32() -> None:
    assert input_size(1920, 1080, 960) == (960, 544)
    assert input_size(1920, 1080, 1920) == (1920, 1088)
    assert input_size(300, 200, 1920) == (320, 224)  # never scaled up, only rounded up to 32 x k


def test_decoding_places_a_face_in_frame_pixels_and_merges_its_neighbour_cells() -> None:
    out = outputs(16, 16, [(5, 7, 0.9, 20.0, 16.0), (5, 8, 0.5, 20.0, 16.0), (12, 2, 0.1, 12.0, 12.0)])
    dets = decode(out, (2.0, 2.0), min_score=0.3)
    assert len(dets) == 1  # the weak face is under the score; the two cells of one face are one face
    x0, y0, x1, y1 = dets.boxes[0].tolist()
    # the surer cell: centre ((7 + 0.5) * 4, (5 + 0.5) * 4) = (30, 22) input px, x 2 in the frame; the neighbour
    # cell pulls the weighted average 4 px right (its centre is 34): (30 * 0.9 + 34 * 0.5) / 1.4
    cx = (30 * 0.9 + 34 * 0.5) / 1.4
    assert (x0 + x1) / 2 == pytest.approx(2 * cx, abs=1e-3) and (y0 + y1) / 2 == pytest.approx(44.0)
    assert x1 - x0 == pytest.approx(32.0) and y1 - y0 == pytest.approx(40.0)
    assert dets.scores[0] == pytest.approx(0.9)
    assert dets.keypoints.shape == (1, 5, 2)
    assert dets.keypoints[0, 0].tolist() == pytest.approx([x0, y0], abs=1e-3)  # landmark 0 at the box corner
    assert len(decode(out, (1.0, 1.0), min_score=0.95)) == 0


class FakeRunner:
    name = "centerface"

    def __init__(self, faces: list[tuple[int, int, float, float, float]]) -> None:
        self.faces = faces
        self.shapes: list[tuple[int, ...]] = []

    def run(self, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs.values()
        assert x.dtype == np.float32
        self.shapes.append(x.shape)
        out = outputs(x.shape[1] // 4, x.shape[2] // 4, self.faces)
        return [out[n] for n in NAMES]

    def warmup(self, runs: int = 2) -> float:
        return 0.0

    def providers_in_use(self) -> list[str]:
        return ["CPUExecutionProvider"]


CONTRACT = {"inputs": [{"name": "image"}], "outputs": [{"name": n} for n in NAMES]}


def test_the_model_runs_on_the_scaled_frame_and_answers_in_frame_pixels() -> None:
    runner = FakeRunner([(10, 20, 0.8, 24.0, 24.0)])
    model = OnnxCenterFace(runner, CONTRACT)
    frame = np.zeros((1080, 1920, 3), np.uint8)
    dets = model.detect(FramePyramid(frame), 960, 0.3)
    assert runner.shapes == [(1, 544, 960, 3)]
    cx = (dets.boxes[0, 0] + dets.boxes[0, 2]) / 2
    assert cx == pytest.approx((20 + 0.5) * 4 * 1920 / 960)


def test_the_input_is_resized_from_the_smallest_reduction_still_about_its_size() -> None:
    pyramid = FramePyramid(np.zeros((1080, 1920, 3), np.uint8))
    assert source_level(pyramid, 960, 544).size == (960, 540)  # the half frame, 540 -> 544 lines
    assert source_level(pyramid, 1920, 1088).size == (1920, 1080)  # a still at its own size: the frame itself
    assert source_level(pyramid, 480, 272).size == (480, 270)
    assert source_level(pyramid, 480, 288).size == (960, 540)  # a quarter frame 6 % short: the half
    assert source_level(pyramid, 1000, 576).size == (1920, 1080)  # the half frame would be upsampled by 4 %


def face_count(config: PerceptionConfig, runner: FakeRunner) -> FaceCount:
    models = SimpleNamespace(centerface=OnnxCenterFace(runner, CONTRACT), faces=None)
    return FaceCount(cast(PerceptionModels, models), config, SERIAL)


def test_live_the_face_count_runs_centerface_every_other_frame_and_keeps_its_weak_faces() -> None:
    config = PerceptionConfig(centerface_every=2, centerface_score=0.5, centerface_weak_score=0.2)
    runner = FakeRunner([(10, 20, 0.8, 24.0, 24.0), (30, 60, 0.3, 24.0, 24.0), (50, 90, 0.1, 24.0, 24.0)])
    count = face_count(config, runner)
    assert count.only_score == 0.5 and count.available
    pyramid = FramePyramid(np.zeros((480, 640, 3), np.uint8))
    regions = [object()]  # any face tile due (CenterFace itself takes the whole frame)
    found, weak = count.scan(pyramid, regions, 0, 960)
    assert found is not None and sorted(found.scores.tolist()) == pytest.approx([0.3, 0.8])
    assert [round(w.score, 2) for w in weak] == [0.3]  # under the face-only score: widens the uncertainty
    assert count.scanned == 1  # one region: the whole frame
    skipped, still_weak = count.scan(pyramid, regions, 1, 960)
    assert skipped is None and still_weak == weak and len(runner.shapes) == 1 and count.scanned == 0
    assert count.scan(pyramid, [], 2, 960) == (None, [])  # no face tile due: no scan
    count.reset()
    assert count.scan(pyramid, regions, 3, 960)[1] == []


def test_blazeface_is_the_face_model_on_request_and_keeps_its_own_scores() -> None:
    config = dataclasses.replace(PerceptionConfig(), face_model="blazeface")
    count = face_count(config, FakeRunner([]))
    assert count.centerface is None and count.only_score == config.face_only_score
    assert not count.available  # no BlazeFace model loaded in this fake


def test_sure_centerface_faces_are_whole_people_even_just_below_a_larger_head() -> None:
    from dual_teacher.perception.face_people import FaceOnlyPeople
    from dual_teacher.perception.fusion import FusionConfig, HeadCue
    from dual_teacher.perception.ssd import Detections

    # a pose head of 30 px at (100, 100), and a 26 px face 20 px lower and 30 px aside: the neighbour half a row
    # lower in a class photo, which the "inside someone's body" test takes for a hand in front of the pose person
    pose = [HeadCue(100, 100, 30, 0.95, "pose", 1)]
    box = np.array([[117, 107, 143, 133]], np.float32)  # centre (130, 120), side 26
    faces = Detections(box, np.zeros((1, 5, 2), np.float32), np.array([0.7], np.float32))
    plain = FaceOnlyPeople(5.0, 0.3, FusionConfig())
    plain.update(faces, pose, 0.0, 5.0)
    assert plain.in_order() == []
    trusting = FaceOnlyPeople(5.0, 0.3, FusionConfig())
    trusting.update(faces, pose, 0.0, 5.0, whole_score=0.6)
    assert [f.head[:2] for f in trusting.in_order()] == [(130.0, 120.0)]
    unsure = FaceOnlyPeople(5.0, 0.3, FusionConfig())
    unsure.update(faces, pose, 0.0, 5.0, whole_score=0.8)  # not sure enough to skip the test
    assert unsure.in_order() == []


def _faces_at(*centres: tuple[float, float], side: float = 20.0, score: float = 0.7) -> Detections:
    boxes = np.array([[x - side / 2, y - side / 2, x + side / 2, y + side / 2] for x, y in centres], np.float32)
    n = len(centres)
    return Detections(boxes.reshape(n, 4), np.zeros((n, 5, 2), np.float32), np.full(n, score, np.float32))


def test_a_face_seen_in_one_scan_stops_counting_after_two_missed_scans_live() -> None:
    from dual_teacher.perception.face_people import FaceOnlyPeople
    from dual_teacher.perception.fusion import FusionConfig

    none = _faces_at()
    for misses, kept_after in ((2, 1), (None, 99)):
        people = FaceOnlyPeople(5.0, 0.3, FusionConfig(), tentative_misses=misses)
        people.update(_faces_at((100, 100), (300, 100)), [], 0.0, 5.0)
        people.update(_faces_at((300, 100)), [], 0.1, 5.0)  # the second face seen twice
        ended: list[int] = []
        for i in range(3):  # three scans that see neither
            ended += people.update(none, [], 0.2 + 0.1 * i, 5.0)
            if i + 1 == kept_after:
                assert [f.head[0] for f in people.in_order()] == [300.0]
        if misses is None:
            assert len(people.in_order()) == 2 and ended == []  # both kept face_track_age_s
        else:
            assert [f.head[0] for f in people.in_order()] == [300.0] and len(ended) == 1
    # a face seen again resets its misses: seen every other scan, a tentative face is never dropped
    people = FaceOnlyPeople(5.0, 0.3, FusionConfig(), tentative_misses=2)
    for i in range(6):
        people.update(_faces_at((100, 100)) if i % 2 == 0 else none, [], 0.1 * i, 5.0)
    assert len(people.in_order()) == 1


def test_a_face_that_moved_on_between_scans_continues_its_track_with_a_rematch_reach() -> None:
    from dual_teacher.perception.face_people import FaceOnlyPeople
    from dual_teacher.perception.fusion import FusionConfig

    for reach, tracks in ((None, 2), (1.5, 1)):
        people = FaceOnlyPeople(5.0, 0.3, FusionConfig(), rematch_reach=reach)
        people.update(_faces_at((100, 100)), [], 0.0, 5.0)
        people.update(_faces_at((125, 100)), [], 1.0, 5.0)  # 1.25 faces on: too far for 0.7
        assert len(people.in_order()) == tracks
    # the wider reach is only for tracks this scan missed: two faces side by side stay two people
    people = FaceOnlyPeople(5.0, 0.3, FusionConfig(), rematch_reach=1.5)
    people.update(_faces_at((100, 100)), [], 0.0, 5.0)
    people.update(_faces_at((100, 100), (125, 100)), [], 0.1, 5.0)
    assert len(people.in_order()) == 2

"""The palm cue: upright palms above heads, confirmed by the hand landmark model (fake models, real geometry)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.models import hand_roi
from dual_teacher.perception.palm_cue import upright_palms
from dual_teacher.perception.ssd import Detections


@pytest.mark.parametrize(
    ("wrist", "finger", "rotation", "shift"),
    [
        ((50.0, 60.0), (50.0, 40.0), 0.0, (0.0, -10.0)),  # fingers up: the region moves up half a box
        ((40.0, 50.0), (60.0, 50.0), math.pi / 2, (10.0, 0.0)),  # fingers to the right
        ((50.0, 40.0), (50.0, 60.0), -math.pi, (0.0, 10.0)),  # fingers down
    ],
)
def test_the_hand_region_follows_the_palm_towards_the_fingers(
    wrist: tuple[float, float], finger: tuple[float, float], rotation: float, shift: tuple[float, float]
) -> None:
    roi = hand_roi((40.0, 40.0, 60.0, 60.0), wrist, finger)
    assert roi.width == roi.height == pytest.approx(52.0)  # 2.6 x the 20 px box
    assert math.cos(roi.rotation) == pytest.approx(math.cos(rotation), abs=1e-6)
    assert math.sin(roi.rotation) == pytest.approx(math.sin(rotation), abs=1e-6)
    assert (roi.cx - 50.0, roi.cy - 50.0) == pytest.approx(shift, abs=1e-6)
    # the region's own "up" (0.5, 0) -> its top edge's middle lies towards the fingers
    top = roi.to_frame(np.array([[0.5, 0.0]], np.float32))[0]
    direction = np.subtract(finger, wrist) / np.linalg.norm(np.subtract(finger, wrist))
    assert float(np.dot(top - (roi.cx, roi.cy), direction)) == pytest.approx(26.0, abs=1e-4)


class FakePalms:
    """Two palms, both upright: one at (100, 40), one at (300, 40)."""

    info = SimpleNamespace(num_keypoints=7)
    nms_iou = 0.3

    def detect(self, pyramid: FramePyramid, roi: Roi) -> Detections:
        boxes, kps = [], []
        for x in (100.0, 300.0):
            boxes.append([x - 10, 30, x + 10, 50])
            k = np.zeros((7, 2), np.float32)
            k[0], k[2] = (x, 50.0), (x, 32.0)  # wrist below the middle finger's base: upright
            kps.append(k)
        return Detections(np.array(boxes, np.float32), np.array(kps, np.float32), np.array([0.9, 0.9], np.float32))


class FakeHands:
    """A hand is there only left of x = 200; records the regions asked about."""

    def __init__(self) -> None:
        self.asked: list[Roi] = []

    def presence(self, pyramid: FramePyramid, roi: Roi) -> float:
        self.asked.append(roi)
        return 0.97 if roi.cx < 200 else 0.04


def test_a_palm_counts_only_where_the_hand_model_sees_a_hand() -> None:
    pyramid = FramePyramid(np.zeros((240, 400, 3), np.uint8))
    heads = [(100.0, 120.0, 30.0), (300.0, 120.0, 30.0)]
    unverified = upright_palms(FakePalms(), pyramid, heads, 0.5, 1.0)  # type: ignore[arg-type]
    assert sorted(p.x for p in unverified) == [100.0, 300.0]
    hands = FakeHands()
    verified = upright_palms(FakePalms(), pyramid, heads, 0.5, 1.0, hands=hands)  # type: ignore[arg-type]
    assert [p.x for p in verified] == [100.0]
    assert len(hands.asked) == 2 and all(r.rotation == pytest.approx(0.0) for r in hands.asked)
    lenient = upright_palms(FakePalms(), pyramid, heads, 0.5, 1.0, hands=hands, hand_presence=0.01)  # type: ignore[arg-type]
    assert len(lenient) == 2


class TiltedPalm(FakePalms):
    """One palm tilted by about 17 degrees (still upright enough to count)."""

    def detect(self, pyramid: FramePyramid, roi: Roi) -> Detections:
        k = np.zeros((7, 2), np.float32)
        k[0], k[2] = (100.0, 50.0), (106.0, 30.0)
        return Detections(np.array([[90, 30, 110, 50]], np.float32), k[None], np.array([0.9], np.float32))


class SaysMoreUpright:
    """A small hand the model sees better held upright than in the (noisy) rotated region."""

    def __init__(self, upright: float) -> None:
        self.upright = upright
        self.rotations: list[float] = []

    def presence(self, pyramid: FramePyramid, roi: Roi) -> float:
        self.rotations.append(roi.rotation)
        return self.upright if roi.rotation == 0.0 else 0.3


@pytest.mark.parametrize(("upright", "kept"), [(0.7, True), (0.2, False)])
def test_a_tilted_palm_is_also_judged_upright(upright: float, kept: bool) -> None:
    pyramid = FramePyramid(np.zeros((240, 400, 3), np.uint8))
    hands = SaysMoreUpright(upright)
    palms = upright_palms(TiltedPalm(), pyramid, [(100.0, 120.0, 30.0)], 0.5, 1.0, hands=hands)  # type: ignore[arg-type]
    assert bool(palms) is kept
    assert len(hands.rotations) == 2 and hands.rotations[0] != 0.0 and hands.rotations[1] == 0.0


def test_the_upright_view_is_asked_whenever_the_rotated_one_is_under_the_threshold() -> None:
    class Rotated055(SaysMoreUpright):
        def presence(self, pyramid: FramePyramid, roi: Roi) -> float:
            self.rotations.append(roi.rotation)
            return self.upright if roi.rotation == 0.0 else 0.55

    pyramid = FramePyramid(np.zeros((240, 400, 3), np.uint8))
    hands = Rotated055(0.7)
    heads = [(100.0, 120.0, 30.0)]
    kept = upright_palms(TiltedPalm(), pyramid, heads, 0.5, 1.0, hands=hands, hand_presence=0.6)  # type: ignore[arg-type]
    assert len(kept) == 1 and len(hands.rotations) == 2  # 0.55 < 0.6: the upright view (0.7) decides
    hands = Rotated055(0.7)
    assert upright_palms(TiltedPalm(), pyramid, heads, 0.5, 1.0, hands=hands)  # type: ignore[arg-type]
    assert len(hands.rotations) == 1  # 0.55 >= 0.5: one view is enough

"""SSD anchors, decoding and weighted NMS (tables; no model files needed)."""

from __future__ import annotations

import numpy as np
import pytest

from dual_teacher.perception.models import FACE_DETECTION, POSE_DETECTION, load_contracts, pose_face_boxes
from dual_teacher.perception.ssd import AnchorSpec, Detections, decode, generate_anchors, iou_matrix, weighted_nms

CONTRACTS = load_contracts([POSE_DETECTION, FACE_DETECTION, "palm_detection_full"])


@pytest.mark.parametrize(
    ("model", "count", "first", "last"),
    [
        (POSE_DETECTION, 2254, (0.5 / 28, 0.5 / 28), (6.5 / 7, 6.5 / 7)),
        (FACE_DETECTION, 2304, (0.5 / 48, 0.5 / 48), (47.5 / 48, 47.5 / 48)),
        ("palm_detection_full", 2016, (0.5 / 24, 0.5 / 24), (11.5 / 12, 11.5 / 12)),
    ],
)
def test_anchor_counts_and_centres(
    model: str, count: int, first: tuple[float, float], last: tuple[float, float]
) -> None:
    anchors = generate_anchors(AnchorSpec.from_contract(CONTRACTS[model]["anchors"]))
    assert anchors.shape == (count, 4)
    assert anchors[0, :2] == pytest.approx(first)
    assert anchors[-1, :2] == pytest.approx(last)
    assert np.all(anchors[:, 2:] == 1.0)  # fixed anchor size


def test_pose_anchor_layout_two_per_cell_then_six() -> None:
    anchors = generate_anchors(AnchorSpec.from_contract(CONTRACTS[POSE_DETECTION]["anchors"]))
    # stride 8: 28 x 28 cells x 2 anchors, stride 16: 14 x 14 x 2, strides 32 x 3 layers: 7 x 7 x 6
    assert anchors[0, :2] == pytest.approx(anchors[1, :2])
    assert anchors[28 * 28 * 2, :2] == pytest.approx((0.5 / 14, 0.5 / 14))
    tail = anchors[28 * 28 * 2 + 14 * 14 * 2 :]
    assert len(tail) == 7 * 7 * 6 and np.allclose(tail[:6, :2], tail[0, :2])


def test_mismatched_anchor_options_are_refused() -> None:
    spec = AnchorSpec.from_contract({**CONTRACTS[POSE_DETECTION]["anchors"], "num_boxes": 100})
    with pytest.raises(ValueError, match="2254 anchors"):
        generate_anchors(spec)


def test_decode_a_synthetic_detection() -> None:
    anchors = generate_anchors(AnchorSpec.from_contract(CONTRACTS[POSE_DETECTION]["anchors"]))
    raw = np.zeros((1, len(anchors), 12), np.float32)
    logits = np.full((1, len(anchors), 1), -10.0, np.float32)
    i = 500
    ax, ay = anchors[i, :2]
    # centre 11.2 px right and 22.4 px below the anchor; 44.8 px wide/high; keypoints at +-22.4 px
    raw[0, i, :4] = (11.2, 22.4, 44.8, 44.8)
    raw[0, i, 4:] = (0, 22.4, 0, -22.4, 22.4, 0, -22.4, 0)
    logits[0, i, 0] = 3.0
    dets = decode(raw, logits, anchors, 4, (224, 224), min_score=0.5)
    assert len(dets) == 1
    cx, cy = ax + 0.05, ay + 0.1
    assert dets.boxes[0] == pytest.approx((cx - 0.1, cy - 0.1, cx + 0.1, cy + 0.1), abs=1e-6)
    assert dets.keypoints[0] == pytest.approx(
        np.array([[ax, ay + 0.1], [ax, ay - 0.1], [ax + 0.1, ay], [ax - 0.1, ay]]), abs=1e-6
    )
    assert dets.scores[0] == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_decode_drops_low_scores_and_clips_logits() -> None:
    anchors = np.array([[0.5, 0.5, 1, 1], [0.2, 0.2, 1, 1]], np.float32)
    raw = np.zeros((2, 12), np.float32)
    dets = decode(raw, np.array([[1e6], [-1.0]], np.float32), anchors, 4, (224, 224), min_score=0.5)
    assert len(dets) == 1 and dets.scores[0] == pytest.approx(1.0)


def _dets(boxes: list[tuple[float, float, float, float]], scores: list[float]) -> Detections:
    b = np.asarray(boxes, np.float32)
    kp = np.repeat(((b[:, :2] + b[:, 2:]) / 2)[:, None, :], 2, axis=1)
    return Detections(b, kp.astype(np.float32), np.asarray(scores, np.float32))


@pytest.mark.parametrize(
    ("boxes", "scores", "kept", "first_box"),
    [
        ([(0, 0, 10, 10)], [0.9], 1, (0, 0, 10, 10)),
        # two overlapping (IoU 0.82): one box, score-weighted average, best score kept
        ([(0, 0, 10, 10), (1, 0, 11, 10)], [0.9, 0.3], 1, (0.25, 0, 10.25, 10)),
        # IoU 0.25 < 0.3: both kept
        ([(0, 0, 10, 10), (6, 0, 16, 10)], [0.9, 0.8], 2, (0, 0, 10, 10)),
        # far apart, lower score first in the input: sorted by score
        ([(50, 50, 60, 60), (0, 0, 10, 10)], [0.4, 0.9], 2, (0, 0, 10, 10)),
    ],
)
def test_weighted_nms(
    boxes: list[tuple[float, float, float, float]], scores: list[float], kept: int, first_box: tuple[float, ...]
) -> None:
    out = weighted_nms(_dets(boxes, scores), 0.3)
    assert len(out) == kept
    assert out.boxes[0] == pytest.approx(first_box, abs=1e-5)
    assert out.scores[0] == pytest.approx(max(scores))


def test_iou_matrix() -> None:
    m = iou_matrix(np.array([[0, 0, 2, 2]]), np.array([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]]))
    assert m[0] == pytest.approx((1 / 7, 1.0, 0.0))


def test_pose_boxes_scale_with_the_person() -> None:
    # two people: the shoulder-to-upper-body distance sets the box side (0.3 x it)
    kp = np.zeros((2, 4, 2), np.float32)
    kp[0, 2], kp[0, 3] = (0.5, 0.5), (0.5, 0.1)  # 0.4 -> side 0.12
    kp[1, 2], kp[1, 3] = (0.2, 0.5), (0.2, 0.4)  # 0.1 -> side 0.03
    boxes = np.array([[0.4, 0.3, 0.6, 0.5], [0.1, 0.3, 0.3, 0.5]], np.float32)  # constant 0.2 boxes
    out = pose_face_boxes(Detections(boxes, kp, np.array([0.9, 0.8], np.float32)))
    assert out.boxes[0] == pytest.approx((0.44, 0.34, 0.56, 0.46), abs=1e-6)
    assert out.boxes[1] == pytest.approx((0.185, 0.385, 0.215, 0.415), abs=1e-6)

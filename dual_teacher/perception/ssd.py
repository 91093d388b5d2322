"""SSD anchors, box decoding and weighted non-maximum suppression for MediaPipe's single-shot detectors.

Written from the options in MediaPipe's graphs (`SsdAnchorsCalculator`, `TensorsToDetectionsCalculator`,
`NonMaxSuppressionCalculator` with the WEIGHTED algorithm), as the model manifest records them:
pose_detection (5 layers, strides 8/16/32/32/32, 2254 anchors), palm_detection (2016) and the full-range face
detector (2304). Coordinates are normalised to the model input (0..1), boxes as (x_min, y_min, x_max, y_max).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


@dataclasses.dataclass(frozen=True)
class AnchorSpec:
    """The `SsdAnchorsCalculatorOptions` of one detector (see `anchors` in models/manifest.toml)."""

    num_layers: int
    strides: tuple[int, ...]
    min_scale: float
    max_scale: float
    input_size: tuple[int, int]  # (width, height)
    offset: tuple[float, float] = (0.5, 0.5)
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0
    fixed_anchor_size: bool = True
    num_boxes: int | None = None

    @classmethod
    def from_contract(cls, anchors: Mapping[str, Any]) -> AnchorSpec:
        size = anchors["input_size"]
        return cls(
            num_layers=int(anchors["num_layers"]),
            strides=tuple(int(s) for s in anchors["strides"]),
            min_scale=float(anchors["min_scale"]),
            max_scale=float(anchors["max_scale"]),
            input_size=(int(size[0]), int(size[1])),
            offset=(float(anchors["offset"][0]), float(anchors["offset"][1])),
            aspect_ratios=tuple(float(a) for a in anchors["aspect_ratios"]),
            interpolated_scale_aspect_ratio=float(anchors["interpolated_scale_aspect_ratio"]),
            fixed_anchor_size=bool(anchors["fixed_anchor_size"]),
            num_boxes=int(anchors["num_boxes"]) if "num_boxes" in anchors else None,
        )


def _scale(min_scale: float, max_scale: float, index: int, count: int) -> float:
    if count == 1:
        return (min_scale + max_scale) * 0.5
    return min_scale + (max_scale - min_scale) * index / (count - 1.0)


def generate_anchors(spec: AnchorSpec) -> F32:
    """Anchors as an (N, 4) array of (x_center, y_center, width, height), in MediaPipe's order.

    Consecutive layers with the same stride share one feature map: their anchors are emitted together per
    cell (that is how 5 layers make 28x28x2 + 14x14x2 + 7x7x6 = 2254 anchors for pose_detection).
    """
    rows: list[tuple[float, float, float, float]] = []
    layer = 0
    width_in, height_in = spec.input_size
    while layer < spec.num_layers:
        heights: list[float] = []
        widths: list[float] = []
        last = layer
        while last < spec.num_layers and spec.strides[last] == spec.strides[layer]:
            scale = _scale(spec.min_scale, spec.max_scale, last, len(spec.strides))
            for ratio in spec.aspect_ratios:
                heights.append(scale / math.sqrt(ratio))
                widths.append(scale * math.sqrt(ratio))
            if spec.interpolated_scale_aspect_ratio > 0.0:
                nxt = (
                    1.0
                    if last == len(spec.strides) - 1
                    else _scale(spec.min_scale, spec.max_scale, last + 1, len(spec.strides))
                )
                interpolated = math.sqrt(scale * nxt)
                ratio = spec.interpolated_scale_aspect_ratio
                heights.append(interpolated / math.sqrt(ratio))
                widths.append(interpolated * math.sqrt(ratio))
            last += 1
        stride = spec.strides[layer]
        fm_h = math.ceil(height_in / stride)
        fm_w = math.ceil(width_in / stride)
        for y in range(fm_h):
            for x in range(fm_w):
                for h, w in zip(heights, widths, strict=True):
                    xc = (x + spec.offset[0]) / fm_w
                    yc = (y + spec.offset[1]) / fm_h
                    if spec.fixed_anchor_size:
                        rows.append((xc, yc, 1.0, 1.0))
                    else:
                        rows.append((xc, yc, w, h))
        layer = last
    anchors = np.asarray(rows, dtype=np.float32)
    if spec.num_boxes is not None and len(anchors) != spec.num_boxes:
        raise ValueError(f"anchor options give {len(anchors)} anchors, the model has {spec.num_boxes}")
    return anchors


@dataclasses.dataclass(frozen=True)
class Detections:
    """Decoded detections: `boxes` (N, 4) x_min, y_min, x_max, y_max; `keypoints` (N, K, 2); `scores` (N,)."""

    boxes: F32
    keypoints: F32
    scores: F32

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @staticmethod
    def empty(num_keypoints: int) -> Detections:
        return Detections(
            np.zeros((0, 4), np.float32), np.zeros((0, num_keypoints, 2), np.float32), np.zeros((0,), np.float32)
        )

    def take(self, index: npt.NDArray[np.intp] | Sequence[int]) -> Detections:
        idx = np.asarray(index, dtype=np.intp)
        return Detections(self.boxes[idx], self.keypoints[idx], self.scores[idx])

    @staticmethod
    def concat(parts: Sequence[Detections], num_keypoints: int) -> Detections:
        if not parts:
            return Detections.empty(num_keypoints)
        return Detections(
            np.concatenate([p.boxes for p in parts]).astype(np.float32),
            np.concatenate([p.keypoints for p in parts]).astype(np.float32),
            np.concatenate([p.scores for p in parts]).astype(np.float32),
        )


def decode(
    raw_boxes: npt.NDArray[np.floating[Any]],
    raw_scores: npt.NDArray[np.floating[Any]],
    anchors: F32,
    num_keypoints: int,
    input_size: tuple[int, int],
    min_score: float,
    score_clip: float = 100.0,
) -> Detections:
    """Decode raw regressors (N, 4 + 2K) and score logits (N, 1) against `anchors` (x, y, w, h order).

    Regressors are pixels of the model input relative to the anchor centre, scaled by the anchor size
    (`reverse_output_order`: x before y). Scores are sigmoid(clip(logit, -clip, clip)); keep >= `min_score`.
    """
    boxes = np.asarray(raw_boxes, dtype=np.float32).reshape(len(anchors), -1)
    logits = np.asarray(raw_scores, dtype=np.float32).reshape(len(anchors))
    clip = min(score_clip, 80.0)  # float32 exp overflows past ~88; sigmoid(80) is 1.0 already
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -clip, clip)))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return Detections.empty(num_keypoints)
    b = boxes[keep]
    a = anchors[keep]
    w_in, h_in = float(input_size[0]), float(input_size[1])
    xc = b[:, 0] / w_in * a[:, 2] + a[:, 0]
    yc = b[:, 1] / h_in * a[:, 3] + a[:, 1]
    w = b[:, 2] / w_in * a[:, 2]
    h = b[:, 3] / h_in * a[:, 3]
    out_boxes = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1)
    kp = b[:, 4 : 4 + 2 * num_keypoints].reshape(-1, num_keypoints, 2)
    kx = kp[:, :, 0] / w_in * a[:, None, 2] + a[:, None, 0]
    ky = kp[:, :, 1] / h_in * a[:, None, 3] + a[:, None, 1]
    keypoints = np.stack([kx, ky], axis=2)
    return Detections(out_boxes.astype(np.float32), keypoints.astype(np.float32), scores[keep].astype(np.float32))


def iou_matrix(a: npt.NDArray[np.floating[Any]], b: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """Intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    out: npt.NDArray[np.float64] = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def weighted_nms(dets: Detections, iou_threshold: float = 0.3, max_out: int | None = None) -> Detections:
    """MediaPipe's WEIGHTED non-max suppression: the best box and every box overlapping it by more than
    `iou_threshold` are replaced by their score-weighted average (boxes and keypoints); the score stays the best.
    """
    if len(dets) == 0:
        return dets
    order = np.argsort(-dets.scores, kind="stable")
    remaining = order
    boxes_out: list[F32] = []
    kps_out: list[F32] = []
    scores_out: list[float] = []
    ious = iou_matrix(dets.boxes, dets.boxes)
    while remaining.size:
        best = remaining[0]
        overlap = ious[best, remaining] > iou_threshold
        group = remaining[overlap]
        w = dets.scores[group].astype(np.float64)
        total = float(w.sum())
        boxes_out.append((dets.boxes[group] * w[:, None]).sum(axis=0) / total)
        kps_out.append((dets.keypoints[group] * w[:, None, None]).sum(axis=0) / total)
        scores_out.append(float(dets.scores[best]))
        remaining = remaining[~overlap]
        if max_out is not None and len(scores_out) >= max_out:
            break
    return Detections(
        np.asarray(boxes_out, np.float32), np.asarray(kps_out, np.float32), np.asarray(scores_out, np.float32)
    )

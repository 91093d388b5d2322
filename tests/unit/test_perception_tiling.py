"""Tiles sized from the resolution, their coverage, the detection schedule, and region geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.models import alignment_roi
from dual_teacher.perception.tiling import TileSchedule, TilingConfig, make_tiles, min_person_px


@pytest.mark.parametrize(
    ("width", "height", "cfg", "finest", "levels"),
    [
        (1920, 1080, TilingConfig(), 320.0, 4),  # 80 px people at 1080p -> 320 px tiles, then 640, 1280, full
        (1280, 720, TilingConfig(), 213.3, 4),  # same students at 720p are 53 px tall
        (3840, 2160, TilingConfig(), 640.0, 4),
        (1920, 1080, TilingConfig(min_person_px=120), 480.0, 3),  # override in frame pixels
        (1920, 1080, TilingConfig(tile_px=400), 400.0, 4),
        (480, 270, TilingConfig(), 160.0, 3),  # floor: never finer than min_tile_px
    ],
)
def test_tile_size_follows_the_resolution(
    width: int, height: int, cfg: TilingConfig, finest: float, levels: int
) -> None:
    tiles = make_tiles(width, height, cfg)
    assert tiles[0].roi.width == pytest.approx(finest, abs=0.1)
    assert len({t.level for t in tiles}) == levels
    full = tiles[-1].roi
    assert (full.cx, full.cy, full.width) == (width / 2, height / 2, max(width, height))


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720), (1000, 1000), (2560, 1440)])
def test_every_smallest_person_lies_inside_a_finest_tile(width: int, height: int) -> None:
    cfg = TilingConfig()
    person = min_person_px(width, height, cfg)
    finest = [t for t in make_tiles(width, height, cfg) if t.level == 0]
    rng = np.random.default_rng(0)
    for _ in range(2000):
        x0 = rng.uniform(0, width - person)
        y0 = rng.uniform(0, height - person)
        inside = [
            t
            for t in finest
            if t.roi.cx - t.roi.width / 2 <= x0
            and x0 + person <= t.roi.cx + t.roi.width / 2
            and t.roi.cy - t.roi.height / 2 <= y0
            and y0 + person <= t.roi.cy + t.roi.height / 2
        ]
        assert inside, (x0, y0)


def test_schedule_visits_every_tile_within_every_frames_with_bounded_work() -> None:
    tiles = make_tiles(1920, 1080)
    schedule = TileSchedule(tiles, every=8)
    seen: list[int] = []
    sizes = []
    for _ in range(8):
        batch = schedule.next()
        sizes.append(len(batch))
        seen += [tiles.index(t) for t in batch]
    assert set(seen) == set(range(len(tiles)))
    assert max(sizes) == min(sizes) == schedule.per_frame < len(tiles)
    # the whole frame (coarsest level) is looked at on every frame
    assert all(tiles[-1] in schedule.next() for _ in range(5))


def test_roi_maps_crop_points_back_to_the_frame() -> None:
    roi = Roi(100, 50, 40, 20, math.pi / 2)
    pts = roi.to_frame(np.array([[0.5, 0.5], [1.0, 0.5], [0.5, 1.0]]))
    assert pts == pytest.approx(np.array([[100, 50], [100, 70], [90, 50]]), abs=1e-4)


def test_crop_samples_the_region_and_pads_with_black() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[40:60, 90:110] = 255
    pyramid = FramePyramid(frame)
    assert pyramid.crop(Roi(100, 50, 20, 20), 20).min() == 255
    letterbox = pyramid.crop(Roi(100, 50, 200, 200), 50)  # square beyond the frame: black bands
    assert letterbox[:10].max() == 0 and letterbox[-10:].max() == 0
    white = np.argwhere(letterbox[:, :, 0] > 128)
    assert white.mean(axis=0) == pytest.approx((24.5, 24.5), abs=0.6)


@pytest.mark.parametrize(
    ("hip", "scale_point", "rotation_deg", "side"),
    [
        ((100, 200), (100, 100), 0.0, 250.0),  # upright person: no rotation; 2 x 100 x 1.25
        ((100, 200), (200, 200), 90.0, 250.0),  # body pointing right: rotate 90 deg
        ((100, 200), (100, 300), 180.0, 250.0),  # upside down
    ],
)
def test_person_region_from_keypoints(
    hip: tuple[float, float], scale_point: tuple[float, float], rotation_deg: float, side: float
) -> None:
    roi = alignment_roi(hip, scale_point)
    assert (roi.cx, roi.cy) == hip
    assert roi.width == roi.height == pytest.approx(side)
    assert abs(math.remainder(math.degrees(roi.rotation) - rotation_deg, 360)) < 1e-6

"""Overlapping detection regions sized from the frame resolution, and the schedule that visits them.

The BlazePose detector sees a 224x224 input and finds a person reliably when the person is at least ~20 % of
its input's side (measured on the real photos in ../shared/data: 9/9 hits at 20-50 %, 3-6/9 at 10-15 %). A
wide classroom frame shrunk to 224 makes students a few pixels tall, so the frame is also covered by square
tiles at several sizes ("levels"): the finest level's tile side is `min_person_px / person_fraction`
(80 px tall students at 1080p -> 320 px tiles with the default 0.25), then 2x, 4x, ... up to the whole frame
(letterboxed). Neighbouring tiles of a level overlap by at least `overlap` x one person height, so a person
of the smallest size lies wholly inside some tile. People larger than a tile are found by a coarser level.
"""

from __future__ import annotations

import dataclasses
import math

from dual_teacher.perception.geometry import Roi

REFERENCE_HEIGHT = 1080


@dataclasses.dataclass(frozen=True)
class TilingConfig:
    min_person_px_1080p: float = 80.0  # smallest student to find, in pixels of a 1080-line frame
    min_person_px: float | None = None  # override in pixels of the actual frame (beats the 1080p figure)
    person_fraction: float = 0.25  # smallest person / tile side the detector still finds reliably
    overlap: float = 1.2  # tiles overlap by this many smallest-person heights
    tile_px: float | None = None  # override the finest tile side (pixels)
    max_levels: int = 6
    min_tile_px: float = 160.0  # tiles finer than this upsample too much (x1.4 into 224) and invent faces


@dataclasses.dataclass(frozen=True)
class Tile:
    level: int
    roi: Roi  # square, unrotated; may reach past the frame edge (letterbox padding)


def min_person_px(width: int, height: int, cfg: TilingConfig) -> float:
    if cfg.min_person_px is not None:
        return float(cfg.min_person_px)
    return cfg.min_person_px_1080p * height / REFERENCE_HEIGHT


def face_tiling(
    width: int, height: int, cfg: TilingConfig, face_fraction: float = 0.22, face_input_fraction: float = 0.08
) -> TilingConfig:
    """Tiles for the face detector: the finest tile makes the smallest face (`face_fraction` x the smallest
    person) `face_input_fraction` of the detector's input (0.08 of 192 = 15 px, where the full-range model
    still finds faces). Small frames get tiles finer than the frame, upsampled (a 30 px person in a 640 px
    frame is looked for in 80 px tiles), down to 64 px."""
    face = face_fraction * min_person_px(width, height, cfg)
    side = max(64.0, face / face_input_fraction)
    return dataclasses.replace(cfg, tile_px=side, min_tile_px=64.0, person_fraction=face_fraction, overlap=1.0)


def _axis_starts(length: float, tile: float, step: float) -> list[float]:
    if length <= tile:
        return [(length - tile) / 2.0]
    n = math.ceil((length - tile) / step) + 1
    return [i * (length - tile) / (n - 1) for i in range(n)]


def make_tiles(width: int, height: int, cfg: TilingConfig | None = None) -> list[Tile]:
    """All detection regions for a frame, finest level first; the last level is the whole frame."""
    cfg = cfg or TilingConfig()
    person = min_person_px(width, height, cfg)
    side = cfg.tile_px if cfg.tile_px is not None else person / cfg.person_fraction
    side = max(side, cfg.min_tile_px)
    tiles: list[Tile] = []
    level = 0
    while side < max(width, height) and level < cfg.max_levels - 1:
        smallest = side * cfg.person_fraction
        step = max(side - cfg.overlap * smallest, side * 0.25)
        for y in _axis_starts(height, side, step):
            for x in _axis_starts(width, side, step):
                tiles.append(Tile(level, Roi(x + side / 2, y + side / 2, side, side)))
        level += 1
        side *= 2.0
    full = float(max(width, height))
    tiles.append(Tile(level, Roi(width / 2.0, height / 2.0, full, full)))
    return tiles


class TileSchedule:
    """Which regions to scan on each frame: every region once per `every` frames, spread over the frames.

    Each level contributes ceil(its tiles / `every`) regions per frame, so coarse levels (few regions, big
    people) come round on nearly every frame and the finest level once per `every` frames; the work per frame
    is bounded and the same on every frame (no spike every N frames).
    """

    def __init__(self, tiles: list[Tile], every: int) -> None:
        self.tiles = tiles
        self.every = max(1, every)
        self._levels: dict[int, list[Tile]] = {}
        for t in tiles:
            self._levels.setdefault(t.level, []).append(t)
        self._cursor = dict.fromkeys(self._levels, 0)

    @property
    def per_frame(self) -> int:
        return sum(math.ceil(len(ts) / self.every) for ts in self._levels.values())

    def next(self) -> list[Tile]:
        out: list[Tile] = []
        for level in sorted(self._levels, reverse=True):
            ts = self._levels[level]
            k = math.ceil(len(ts) / self.every)
            start = self._cursor[level]
            out.extend(ts[(start + i) % len(ts)] for i in range(k))
            self._cursor[level] = (start + k) % len(ts)
        return out

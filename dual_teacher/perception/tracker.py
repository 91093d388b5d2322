"""An anonymous IoU/centroid tracker: stable track ids across frames, no identity.

Boxes are matched greedily, best first: by IoU when it is at least `iou_min`, else by centre distance when the
centres are closer than `centre_max` x the box size (small, fast-moving boxes overlap little from one frame to
the next). Unmatched boxes start new tracks; a track not seen for `max_age_s` ends. Ids count up from 1 and
are never reused within a lesson; `reset()` (each lesson) starts again from 1. Pure logic: time is `now`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

Box = tuple[float, float, float, float]  # x_min, y_min, x_max, y_max


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def centre_distance(a: Box, b: Box) -> float:
    """Distance of the centres over the mean box side."""
    ca = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2)
    cb = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    size = ((a[2] - a[0]) + (a[3] - a[1]) + (b[2] - b[0]) + (b[3] - b[1])) / 4
    return math.dist(ca, cb) / max(size, 1e-9)


@dataclasses.dataclass
class TrackState:
    track_id: int
    box: Box
    first_seen: float
    last_seen: float
    hits: int = 1


class IouTracker:
    def __init__(
        self, iou_min: float = 0.2, centre_max: float = 0.7, max_age_s: float = 2.0, first_id: int = 1
    ) -> None:
        self.iou_min = iou_min
        self.centre_max = centre_max
        self.max_age_s = max_age_s
        self.tracks: dict[int, TrackState] = {}
        self.first_id = first_id
        self._next_id = first_id

    def reset(self) -> None:
        """Forget every track and start ids from the first again (a new lesson)."""
        self.tracks.clear()
        self._next_id = self.first_id

    def _score(self, track: Box, box: Box, centre_max: float | None = None) -> float:
        overlap = iou(track, box)
        if overlap >= self.iou_min:
            return 1.0 + overlap
        reach = self.centre_max if centre_max is None else centre_max
        d = centre_distance(track, box)
        return 1.0 - d / reach if d < reach else 0.0

    def match(
        self, boxes: Sequence[Box], candidates: Sequence[int] | None = None, centre_max: float | None = None
    ) -> list[int | None]:
        """The existing track each box continues (None: a new person), without changing any state.
        `centre_max`: a reach of its own for the centre distance (a wider one for tracks not seen for a while)."""
        ids = list(self.tracks) if candidates is None else [i for i in candidates if i in self.tracks]
        pairs = []
        for bi, box in enumerate(boxes):
            for tid in ids:
                s = self._score(self.tracks[tid].box, box, centre_max)
                if s > 0:
                    pairs.append((s, bi, tid))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        out: list[int | None] = [None] * len(boxes)
        used: set[int] = set()
        for _, bi, tid in pairs:
            if out[bi] is None and tid not in used:
                out[bi] = tid
                used.add(tid)
        return out

    def update(self, boxes: Sequence[Box], now: float) -> list[int]:
        """Assign a track id to each box (new tracks for new people), then end tracks older than max_age_s."""
        matched = self.match(boxes)
        ids: list[int] = []
        for box, tid in zip(boxes, matched, strict=True):
            if tid is None:
                tid = self.start(box, now)
            else:
                self.observe(tid, box, now)
            ids.append(tid)
        self.expire(now)
        return ids

    def start(self, box: Box, now: float) -> int:
        tid = self._next_id
        self._next_id += 1
        self.tracks[tid] = TrackState(tid, box, now, now)
        return tid

    def observe(self, track_id: int, box: Box, now: float) -> None:
        t = self.tracks[track_id]
        t.box = box
        t.last_seen = now
        t.hits += 1

    def expire(self, now: float) -> list[int]:
        gone = [tid for tid, t in self.tracks.items() if now - t.last_seen > self.max_age_s]
        for tid in gone:
            del self.tracks[tid]
        return gone

    def remove(self, track_id: int) -> None:
        self.tracks.pop(track_id, None)

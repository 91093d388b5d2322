"""People only the face detector found: faces no pose person explains, tracked in an id range of their own.

A face counts as a person on its own when it is sure (`min_score`), not too small for the room, and not
inside someone else's body (`fusion.plausible_lone_faces`). A face-only person the pose finds later is that
pose person from then on (its face-only track ends).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from dual_teacher.perception.fusion import FusionConfig, HeadCue, fuse, plausible_lone_faces
from dual_teacher.perception.people import face_cue
from dual_teacher.perception.ssd import Detections
from dual_teacher.perception.tracker import Box, IouTracker

FACE_ID_BASE = 100_000  # ids of people only the face detector found start here


@dataclasses.dataclass
class FaceTrack:
    """A face-only person: box in frame pixels, best score, last seen, palm verdict."""

    track_id: int
    box: Box
    score: float
    seen_at: float
    palm_up: bool = False
    palm_at: float = -math.inf

    @property
    def head(self) -> tuple[float, float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)


class FaceOnlyPeople:
    """The face-only people of one camera (see the module docstring). Not thread-safe."""

    def __init__(self, max_age_s: float, min_score: float, fusion: FusionConfig) -> None:
        self.min_score = min_score
        self.fusion = fusion
        self.tracker = IouTracker(max_age_s=max_age_s, first_id=FACE_ID_BASE)
        self.tracks: dict[int, FaceTrack] = {}

    def reset(self) -> None:
        self.tracker.reset()
        self.tracks.clear()

    def update(self, faces: Detections, pose: Sequence[HeadCue], now: float, min_face: float) -> list[int]:
        """Faces of this frame (frame pixels) against this frame's pose heads; returns the ids that ended
        (expired, or now found by the pose). `min_face`: the smallest face side (pixels) that counts."""
        strong = [
            face_cue(b, sc)
            for b, sc in zip(faces.boxes, faces.scores, strict=True)
            if sc >= self.min_score and max(b[2] - b[0], b[3] - b[1]) >= min_face
        ]
        groups = fuse(pose, strong, config=dataclasses.replace(self.fusion, use_palm=False))
        loose = plausible_lone_faces(groups.people)
        boxes: list[Box] = [(h.x - h.size / 2, h.y - h.size / 2, h.x + h.size / 2, h.y + h.size / 2) for h in loose]
        for box, tid, h in zip(boxes, self.tracker.match(boxes), loose, strict=True):
            if tid is None:
                tid = self.tracker.start(box, now)
                self.tracks[tid] = FaceTrack(tid, box, h.score, now)
            else:
                self.tracker.observe(tid, box, now)
                f = self.tracks[tid]
                f.box, f.score, f.seen_at = box, max(f.score, h.score), now
        ended = self.tracker.expire(now)
        for tid, f in list(self.tracks.items()):
            x, y, size = f.head
            if any(math.dist((x, y), (p.x, p.y)) < self.fusion.match_radius * max(size, p.size) for p in pose):
                self.tracker.remove(tid)
                ended.append(tid)
        for tid in ended:
            self.tracks.pop(tid, None)
        return ended

    def in_order(self) -> list[FaceTrack]:
        return sorted(self.tracks.values(), key=lambda f: f.track_id)

    def cue(self, f: FaceTrack) -> HeadCue:
        x, y, size = f.head
        return HeadCue(x, y, size, f.score, "face", f.track_id)

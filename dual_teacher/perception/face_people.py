"""People only one non-pose cue found: faces (or bodies, `body_cue.py`) no pose person explains, tracked in
an id range of their own per cue.

A face counts as a person on its own when it is sure (`min_score`), not too small for the room, and not
inside someone else's body (`fusion.plausible_lone`). A lone person the pose finds later is that pose person
from then on (its lone track ends). Body-only people (`LonePeople(source="body")`) are kept the same way
against the pose and face-only people.

Live, a lone track seen in one scan only is tentative: with `tentative_misses` it ends after that many scans in a
row miss it, instead of living `max_age_s`. A false face in one scan (a chair, a poster), or a real face found
again out of its old track's reach after the person moved, then stops counting within two scans rather than piling
up for seconds (measured: `benchmarks/eval_perception_video.py`). With `rematch_reach`, a face no track continues
is first tried against the tracks this scan missed with that wider centre reach (x the face's size): the same
person a few scans later, moved on, continues their track instead of starting a second.

A still is one scan, so it is not affected; the body cue scans a frame's tiles in turn over many frames, so its
tracks are not tentative.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence

from dual_teacher.perception.fusion import FusionConfig, HeadCue, fuse, plausible_lone
from dual_teacher.perception.people import face_cue
from dual_teacher.perception.ssd import Detections
from dual_teacher.perception.tracker import Box, IouTracker

FACE_ID_BASE = 100_000  # ids of people only the face detector found start here
BODY_ID_BASE = 200_000  # ids of people only MoveNet found start here


@dataclasses.dataclass
class LoneTrack:
    """A person one non-pose cue found: head box in frame pixels, best score, last seen, palm verdict, and
    the cue ("face" or "body")."""

    track_id: int
    box: Box
    score: float
    seen_at: float
    palm_up: bool = False
    palm_at: float = -math.inf
    source: str = "face"
    raised: bool = False  # the cue's own arm verdict at the last sighting (bodies: MoveNet's wrists)
    misses: int = 0  # scans in a row since it was last seen

    @property
    def head(self) -> tuple[float, float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)


FaceTrack = LoneTrack  # a face-only person's track (the palm cue checks these; body-only ones with palm_body_only)


class LonePeople:
    """The lone people of one cue and camera (see the module docstring). Not thread-safe."""

    def __init__(
        self,
        max_age_s: float,
        min_score: float,
        fusion: FusionConfig,
        source: str = "face",
        first_id: int = FACE_ID_BASE,
        tentative_misses: int | None = None,
        rematch_reach: float | None = None,
    ) -> None:
        self.min_score = min_score
        self.tentative_misses = tentative_misses
        self.rematch_reach = rematch_reach
        self.fusion = fusion
        self.source = source
        self.tracker = IouTracker(max_age_s=max_age_s, first_id=first_id)
        self.tracks: dict[int, LoneTrack] = {}

    def reset(self) -> None:
        self.tracker.reset()
        self.tracks.clear()

    def update_cues(
        self,
        heads: Sequence[HeadCue],
        explained: Sequence[HeadCue],
        now: float,
        min_size: float,
        whole: Collection[tuple[float, float]] = (),
    ) -> list[int]:
        """This frame's heads of this cue against the heads other cues explain (the pose people, and for
        bodies also the face-only people); returns the ids that ended (expired, or now explained).
        `min_size`: the smallest head side (pixels) that counts; `whole`: the head points of whole people (a
        person box of their own confirms them, see `fusion.plausible_lone`)."""
        strong = [h for h in heads if h.score >= self.min_score and h.size >= min_size]
        groups = fuse(explained, strong, config=dataclasses.replace(self.fusion, use_palm=False))
        loose = plausible_lone(groups.people, self.source, whole=whole)
        boxes: list[Box] = [(h.x - h.size / 2, h.y - h.size / 2, h.x + h.size / 2, h.y + h.size / 2) for h in loose]
        matched = self.tracker.match(boxes)
        if self.rematch_reach is not None and None in matched:
            unseen = [t for t in self.tracks if t not in matched]
            new = [i for i, tid in enumerate(matched) if tid is None]
            again = self.tracker.match([boxes[i] for i in new], unseen, self.rematch_reach)
            for i, tid in zip(new, again, strict=True):
                matched[i] = tid
        seen: set[int] = set()
        for box, tid, h in zip(boxes, matched, loose, strict=True):
            if tid is None:
                tid = self.tracker.start(box, now)
                self.tracks[tid] = LoneTrack(tid, box, h.score, now, source=self.source)
            else:
                self.tracker.observe(tid, box, now)
                f = self.tracks[tid]
                f.box, f.score, f.seen_at, f.misses = box, max(f.score, h.score), now, 0
            self.tracks[tid].raised = self.source in h.raised_by
            seen.add(tid)
        ended = self.tracker.expire(now)
        if self.tentative_misses is not None:
            for tid, f in self.tracks.items():
                if tid in seen or tid in ended:
                    continue
                f.misses += 1
                state = self.tracker.tracks.get(tid)
                if state is not None and state.hits < 2 and f.misses >= self.tentative_misses:
                    self.tracker.remove(tid)
                    ended.append(tid)
        for tid, f in list(self.tracks.items()):
            x, y, size = f.head
            if any(math.dist((x, y), (p.x, p.y)) < self.fusion.match_radius * max(size, p.size) for p in explained):
                self.tracker.remove(tid)
                ended.append(tid)
        for tid in ended:
            self.tracks.pop(tid, None)
        return ended

    def in_order(self) -> list[LoneTrack]:
        return sorted(self.tracks.values(), key=lambda f: f.track_id)

    def cue(self, f: LoneTrack) -> HeadCue:
        x, y, size = f.head
        return HeadCue(x, y, size, f.score, f.source, f.track_id)


class FaceOnlyPeople(LonePeople):
    """The face-only people of one camera: faces from the full-range detector (boxes in frame pixels)."""

    def __init__(
        self,
        max_age_s: float,
        min_score: float,
        fusion: FusionConfig,
        tentative_misses: int | None = None,
        rematch_reach: float | None = None,
    ) -> None:
        super().__init__(max_age_s, min_score, fusion, "face", FACE_ID_BASE, tentative_misses, rematch_reach)

    def update(
        self,
        faces: Detections,
        pose: Sequence[HeadCue],
        now: float,
        min_face: float,
        whole_score: float | None = None,
    ) -> list[int]:
        """Faces of this frame against this frame's pose heads (see `update_cues`). Faces scored `whole_score`
        or more are whole people (`fusion.plausible_lone`: never a hand in front of someone; None: none is)."""
        cues = [face_cue(b, sc) for b, sc in zip(faces.boxes, faces.scores, strict=True)]
        whole = [(c.x, c.y) for c in cues if whole_score is not None and c.score >= whole_score]
        return self.update_cues(cues, pose, now, min_face, whole)

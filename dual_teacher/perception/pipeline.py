"""The multi-person pipeline: a whole classroom frame in, tracked people with poses, raised hands and faces out.

Per frame (`RoomPerception.process`):
1. **Detect** on the regions the `TileSchedule` picks (coarse levels nearly every frame, each fine tile every
   `detect_every` frames), merge across regions with weighted NMS in frame pixels.
2. **Associate** detections with tracks (`IouTracker` on face-sized boxes); an unmatched detection starts a
   tentative track whose region comes from the detector's keypoints (MediaPipe's pose_detection_to_roi).
3. **Landmarks** for at most `landmarks_per_frame` tracks, new tracks first, then those whose hand was up
   at their last look, then the longest-waiting (round-robin when the room is full); a track's next region
   comes from its landmarks (MediaPipe's tracking), so a person keeps being followed between detections.
   Presence below `presence_min` is a miss; a tentative track that misses is dropped (not a person).
4. **De-duplicate** tracks whose landmarks describe the same person (one person found in two tiles, or by the
   face and again lower down; the older id stays, or among new tracks the better seen, `people.dedupe_loser`),
   drop pose "people" nested in another's body, and give one raised arm drawn onto two people to the nearer
   shoulder.
5. **Faces**: for `faces_per_frame` tracks (round-robin) the face detector runs on a square around the head
   landmarks and the yaw of the face found is recorded (attention).
6. **Face count** (`face_count.py`): CenterFace over the whole frame (or the full-range face detector over
   face-sized tiles); faces no pose person explains become face-only people (`face_people.py`).
7. **Bodies** (`body_cue`): MoveNet MultiPose on `bodies_per_frame` body tiles (round-robin); bodies no pose
   or face-only person explains become body-only people (`body_cue.py`): people seen without a face. With the
   box cue on, SSDLite person boxes on the same tiles add the weaker bodies they confirm and keep a boxed
   body from being taken for part of someone else (`person_boxes.py`).
   **Palms** (`palm_cue`): the palm detector above up to `palms_per_frame` heads (round-robin); an upright
   palm clear above a head raises its owner (`palm_cue.py`, `fusion.assign_palms`).
8. **Count**: people far smaller than the frame's typical head are dropped (`people.small_outliers`), the rest
   of every cue fused once more into the count and its uncertainty (`fusion.fuse`).
All models have batch 1, so a frame is a few dozen small model runs; the regions of one step are independent
and go through the `Fanout` the caller hands in (the runtime's worker pool, else one after another). Cost per
frame is bounded by the budgets whatever the number of people.

`analyse_still` runs the same steps on one image with every region and every person, and a second landmark
pass from the first pass's regions, keeping per person the pass that saw the upper body best
(`people.landmark_quality`; what the evaluation script uses).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from dual_teacher.core.fanout import SERIAL, Fanout
from dual_teacher.perception.body_cue import BodyPeople
from dual_teacher.perception.face_count import FaceCount
from dual_teacher.perception.face_people import FaceOnlyPeople, LoneTrack
from dual_teacher.perception.frame_people import frame_people
from dual_teacher.perception.fusion import HeadCue, count_band, nested_in
from dual_teacher.perception.geometry import FramePyramid
from dual_teacher.perception.handraise import RaiseRule, raised_hand
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.models import (
    PoseLandmarks,
    head_centre_size,
    head_roi,
    roi_from_detection,
    roi_from_landmarks,
)
from dual_teacher.perception.palm_cue import PalmRecord, check_palms
from dual_teacher.perception.people import (
    ArmClaim,
    PoseTrack,
    dedupe_loser,
    face_box_from_detection,
    face_box_from_landmarks,
    is_upright_person,
    landmark_quality,
    raised_arm_claims,
    rule_for,
    same_person,
    shared_arm_losers,
)
from dual_teacher.perception.person_boxes import BoxConfig
from dual_teacher.perception.results import FrameResult
from dual_teacher.perception.room_config import PerceptionConfig
from dual_teacher.perception.ssd import Detections, weighted_nms
from dual_teacher.perception.tiling import Tile, TileSchedule, face_tiling, make_tiles, min_person_px
from dual_teacher.perception.tracker import IouTracker


class RoomPerception:
    """Stateful per-camera pipeline (see the module docstring). Not thread-safe: one owner thread.
    `fanout` runs one step's independent regions (`core.fanout`); `timer` times the steps for the frame's
    `timings` (measurement only: no decision reads it)."""

    def __init__(
        self,
        models: PerceptionModels,
        config: PerceptionConfig | None = None,
        fanout: Fanout = SERIAL,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.models = models
        self.config = config or PerceptionConfig()
        self.fanout = fanout
        self._timer = timer
        self.tracker = IouTracker(max_age_s=self.config.max_track_age_s)
        c = self.config
        # face-only people get ids from a range of their own (anonymous like the pose ids)
        self.face_count = FaceCount(models, c, fanout)
        self.face_people = FaceOnlyPeople(
            c.face_track_age_s, self.face_count.only_score, c.fusion, c.face_tentative_misses, c.face_rematch_reach
        )
        movenet = models.bodies if c.body_cue else None
        self.body_people = BodyPeople(
            movenet,
            c.body_min_score,
            c.body_track_age_s,
            c.fusion,
            None,
            c.body_tile_fraction,
            c.body_raise,
            models.boxes if c.box_cue else None,
            BoxConfig(min_score=c.box_min_score),
        )
        self._people: dict[int, PoseTrack] = {}
        self._schedule: TileSchedule | None = None
        self._face_schedule: TileSchedule | None = None
        self._size: tuple[int, int] | None = None
        self._index = 0

    def reset(self) -> None:
        """A new lesson: forget every person; track ids start again from 1."""
        self.tracker.reset()
        self.face_people.reset()
        self.face_count.reset()
        self.body_people.reset()
        self._people.clear()
        self._index = 0

    def tiles_for(self, width: int, height: int) -> list[Tile]:
        return make_tiles(width, height, self.config.tiling)

    def face_tiles_for(self, width: int, height: int) -> list[Tile]:
        return make_tiles(width, height, face_tiling(width, height, self.config.tiling))

    def _ensure_schedule(self, width: int, height: int) -> tuple[TileSchedule, TileSchedule]:
        if self._schedule is None or self._face_schedule is None or self._size != (width, height):
            self._schedule = TileSchedule(self.tiles_for(width, height), self.config.detect_every)
            self._face_schedule = TileSchedule(self.face_tiles_for(width, height), self.config.detect_every)
            self._size = (width, height)
        return self._schedule, self._face_schedule

    # ---- steps ------------------------------------------------------------------------------------------
    def _detect(self, pyramid: FramePyramid, tiles: Sequence[Tile]) -> Detections:
        det = self.models.detector
        floor = self.config.detect_min_score
        parts = self.fanout.map(lambda t: det.detect(pyramid, t.roi, floor), tiles)
        return weighted_nms(Detections.concat(parts, det.info.num_keypoints), det.nms_iou)

    def _associate(self, dets: Detections, now: float) -> list[int]:
        """Match detections to tracks; new tentative tracks for the rest. Returns the new track ids."""
        boxes = [face_box_from_detection(b) for b in dets.boxes]
        matched = self.tracker.match(boxes)
        new: list[int] = []
        for i, tid in enumerate(matched):
            if tid is None:
                tid = self.tracker.start(boxes[i], now)
                self._people[tid] = PoseTrack(tid, roi_from_detection(dets.keypoints[i], self.config.roi_scale))
                new.append(tid)
            else:
                self.tracker.observe(tid, boxes[i], now)
                person = self._people.get(tid)
                if person is not None and (person.landmarks is None or self.config.roi_from_detections):
                    person.roi = roi_from_detection(dets.keypoints[i], self.config.roi_scale)
        return new

    def _landmarks(self, pyramid: FramePyramid, ids: Sequence[int], now: float) -> list[int]:
        people = [p for p in (self._people.get(t) for t in ids) if p is not None]
        found = self.fanout.map(lambda p: self.models.landmarker.landmarks(pyramid, p.roi), people)
        refreshed: list[int] = []
        for person, lm in zip(people, found, strict=True):
            tid = person.track_id
            if not self._is_person(lm, pyramid.width, pyramid.height):
                # a tentative track that is not a person; live (`pose_tentative`), also one that passed on one
                # earlier frame only: a chair or a screen taken for a person once stops counting at its next look
                once = self.config.pose_tentative and person.looks < 2 and person.landmarks_at < now
                if person.landmarks is None or once:
                    self._drop(tid)
                continue
            quality = landmark_quality(lm, self.config.quality_by_visibility)
            if self.config.keep_best_pass and person.landmarks_at == now and quality < person.quality:
                refreshed.append(tid)  # an earlier pass of this frame saw them better: its landmarks stay
                continue
            if person.landmarks_at < now:
                person.looks += 1
            person.landmarks, person.landmarks_at, person.quality = lm, now, quality
            person.best_quality = max(person.best_quality, quality)
            person.roi = roi_from_landmarks(lm, self.config.roi_scale)
            person.raised = raised_hand(lm, self._rule_for(lm))
            self.tracker.observe(tid, face_box_from_landmarks(lm), now)
            refreshed.append(tid)
        return refreshed

    def _is_person(self, lm: PoseLandmarks, width: int, height: int) -> bool:
        """`people.is_upright_person`, at least `min_scale_fraction` x the smallest person looked for."""
        c = self.config
        smallest = max(min_person_px(width, height, c.tiling), c.tiling.min_tile_px * c.tiling.person_fraction)
        return is_upright_person(lm, c.presence_min, c.upper_body_visibility, c.min_scale_fraction * smallest)

    def _dedupe(self, refreshed: Sequence[int]) -> list[int]:
        """Drop one of two tracks on the same person (`people.dedupe_loser`); returns the dropped ids."""
        dropped: list[int] = []
        for tid in sorted(refreshed, reverse=True):
            a = self._people.get(tid)
            if a is None or a.landmarks is None:
                continue
            for other in sorted(self._people):
                b = self._people.get(other)
                if other == tid or b is None or b.landmarks is None:
                    continue
                if same_person(a.landmarks, b.landmarks):
                    loser = dedupe_loser(a, b)
                    self._drop(loser)
                    dropped.append(loser)
                    if loser == tid:
                        break
        return dropped

    def _drop_nested(self, refreshed: Sequence[int]) -> list[int]:
        """Pose "people" whose head is nested in someone else's body (`fusion.nested_in`) are dropped."""
        heads = {t: head_centre_size(p.landmarks) for t, p in self._people.items() if p.landmarks is not None}
        out = []
        for tid in refreshed:
            if tid in heads and any(o != tid and nested_in(heads[tid], h) for o, h in heads.items()):
                self._drop(tid)
                out.append(tid)
        return out

    def _arms(self) -> list[ArmClaim]:
        """Every arm the pose rule calls raised (`people.raised_arm_claims`)."""
        return raised_arm_claims(self._people.values(), self._rule_for)

    def _veto_shared_arms(self, refreshed: Sequence[int]) -> None:
        """One raised arm drawn onto two people goes to the nearer shoulder (`people.shared_arm_losers`)."""
        fresh = set(refreshed)
        for tid in shared_arm_losers([a for a in self._arms() if a[0] in fresh], self.config.shared_arm_reach):
            self._people[tid].raised = False

    def _drop(self, tid: int) -> None:
        self._people.pop(tid, None)
        self.tracker.remove(tid)

    def _confirm(self, pyramid: FramePyramid, now: float) -> list[tuple[int, float | None]]:
        """Face check of new tracks: a face in the head region confirms a person (see PerceptionConfig)."""
        waiting = [p for p in self._people.values() if p.landmarks is not None and not p.confirmed]
        faces = self.models.faces
        if not self.config.require_face or faces is None:
            for p in waiting:
                p.confirmed = True
            return []
        checked = sorted(waiting, key=lambda p: p.track_id)[: self.config.confirm_per_frame]
        found = self.fanout.map(lambda p: faces.observe(pyramid, head_roi(self._lm(p))), checked)
        out: list[tuple[int, float | None]] = []
        for person, face in zip(checked, found, strict=True):
            person.face_tries += 1
            person.face_at = now
            if face is not None:
                person.confirmed = True
                out.append((person.track_id, face.yaw_deg))
            elif person.face_tries >= self.config.confirm_tries:
                self._drop(person.track_id)
        return out

    def _faces(self, pyramid: FramePyramid, now: float, skip: set[int]) -> list[tuple[int, float | None]]:
        faces = self.models.faces
        if faces is None or not self.config.attention or self.config.faces_per_frame <= 0:
            return []
        ready = [p for p in self._people.values() if p.confirmed and p.landmarks is not None and p.track_id not in skip]
        ready.sort(key=lambda p: (p.face_at, p.track_id))
        chosen = ready[: self.config.faces_per_frame]
        found = self.fanout.map(lambda p: faces.observe(pyramid, head_roi(self._lm(p))), chosen)
        for person in chosen:
            person.face_at = now
        return [(p.track_id, None if f is None else f.yaw_deg) for p, f in zip(chosen, found, strict=True)]

    @staticmethod
    def _lm(p: PoseTrack) -> PoseLandmarks:
        if p.landmarks is None:
            raise ValueError(f"track {p.track_id} has no landmarks yet")
        return p.landmarks

    def _rule_for(self, lm: PoseLandmarks) -> RaiseRule:
        width, height = self._size if self._size is not None else (1, 1)
        return rule_for(self.config.rule, self.config.teacher_zone, lm, width, height)

    def _pose_heads(self) -> list[tuple[PoseTrack, HeadCue]]:
        out = []
        for p in sorted(self._people.values(), key=lambda p: p.track_id):
            if p.landmarks is None or not p.confirmed:
                continue
            x, y, size = head_centre_size(p.landmarks)
            out.append((p, HeadCue(x, y, size, p.landmarks.score, "pose", p.track_id, p.raised)))
        return out

    def _palm_checks(
        self, pyramid: FramePyramid, now: float, budget: int, pose: Sequence[tuple[PoseTrack, HeadCue]]
    ) -> set[int]:
        """Palm regions of up to `budget` people (round-robin over pose people, face-only people with
        `palm_face_only` and body-only people with `palm_body_only`; `palm_cue`)."""
        c = self.config
        if not c.palm_cue or self.models.palms is None:
            return set()
        people: list[tuple[PalmRecord, tuple[float, float, float]]] = [(p, (h.x, h.y, h.size)) for p, h in pose]
        if c.palm_face_only:
            people += [(f, f.head) for f in self.face_people.in_order()]
        if c.palm_body_only:
            people += [(b, b.head) for b in self.body_people.in_order()]
        wrists = [(w, c.shared_arm_reach * scale) for _, w, _, scale in self._arms()]
        return check_palms(self.models.palms, self.models.hands, pyramid, now, budget, people, wrists, c, self.fanout)

    def _lone(self) -> list[LoneTrack]:
        """The people only a face or only a body was found for."""
        return self.face_people.in_order() + self.body_people.in_order()

    def _body_step(
        self, pyramid: FramePyramid, tiles: Sequence[Tile], pose: Sequence[HeadCue], now: float
    ) -> list[int]:
        """The body cue (step 7): body-only people updated against the pose and face-only people; returns
        the ids that ended."""
        if not tiles:
            return []
        heads = self.body_people.scan(pyramid, tiles, self.fanout)
        explained = [*pose, *(self.face_people.cue(f) for f in self.face_people.in_order())]
        width, height = self._size if self._size is not None else (0, 0)
        min_head = 0.5 * 0.22 * min_person_px(width, height, self.config.tiling)  # as the face step's
        return self.body_people.update(heads, explained, now, min_head)

    def _expire(self, now: float) -> list[int]:
        """Tracks the tracker lost, and people whose landmarks went stale (no presence for max age)."""
        ended = self.tracker.expire(now)
        for tid in ended:
            self._people.pop(tid, None)
        stale = [
            t
            for t, p in self._people.items()
            if p.landmarks is not None and now - p.landmarks_at > self.config.max_track_age_s
        ]
        for tid in stale:
            self._drop(tid)
        return [*ended, *stale]

    def _refresh(
        self, pyramid: FramePyramid, new: Sequence[int], budget: int, passes: int, now: float
    ) -> tuple[list[int], int]:
        """Landmarks for up to `budget` people (see the module docstring, step 3-4); returns the refreshed ids
        and the number of landmark runs."""
        # people whose hand was up at their last look come first (a raise is confirmed at the frame rate),
        # then the longest-waiting (round-robin)
        waiting = sorted(
            (p for p in self._people.values() if p.track_id not in new),
            key=lambda p: (not p.raised, p.landmarks_at, p.track_id),
        )
        chosen = (list(new) + [p.track_id for p in waiting])[: max(0, budget)]
        refreshed: list[int] = []
        runs = 0
        for _ in range(max(1, passes)):
            runs += len(chosen)
            # a person accepted on an earlier pass and rejected on a later one keeps the earlier landmarks
            # and is still de-duplicated and scored (it was counted, so it must be checked like the rest)
            refreshed += [t for t in self._landmarks(pyramid, chosen, now) if t not in refreshed]
            chosen = [t for t in chosen if t in self._people]
        refreshed = [t for t in refreshed if t in self._people]
        dropped = set(self._dedupe(refreshed))
        if self.config.drop_nested:
            dropped |= set(self._drop_nested(refreshed))
        refreshed = [t for t in refreshed if t not in dropped]
        self._veto_shared_arms(refreshed)
        return refreshed, runs

    def _face_step(
        self, pyramid: FramePyramid, regions: Sequence[Tile], pose: Sequence[HeadCue], now: float
    ) -> tuple[list[int], list[HeadCue]]:
        """The face count (step 6, `face_count.py`): face-only people updated; returns the ids that ended and the
        weak faces (below the model's `only_score`: they widen the count's uncertainty)."""
        found, weak = self.face_count.scan(pyramid, regions, self._index, self.config.centerface_side)
        if found is None:
            return [], weak
        width, height = self._size if self._size is not None else (0, 0)
        min_face = 0.5 * 0.22 * min_person_px(width, height, self.config.tiling)  # half the smallest face looked for
        return self.face_people.update(found, pose, now, min_face, self.face_count.whole_score), weak

    # ---- public -----------------------------------------------------------------------------------------
    def process(
        self,
        frame: npt.NDArray[np.uint8],
        now: float,
        tiles: Sequence[Tile] | None = None,
        landmark_budget: int | None = None,
        passes: int = 1,
        face_tiles: Sequence[Tile] | None = None,
        palm_budget: int | None = None,
        body_tiles: Sequence[Tile] | None = None,
    ) -> FrameResult:
        """Analyse one frame at time `now` (seconds); see the module docstring."""
        c = self.config
        t0 = self._timer()
        height, width = int(frame.shape[0]), int(frame.shape[1])
        pyramid = FramePyramid(frame)
        schedule, face_schedule = self._ensure_schedule(width, height)
        regions = list(tiles) if tiles is not None else schedule.next()
        t1 = self._timer()
        new = self._associate(self._detect(pyramid, regions), now)
        t2 = self._timer()
        budget = c.landmarks_per_frame if landmark_budget is None else landmark_budget
        refreshed, runs = self._refresh(pyramid, new, budget, passes, now)
        t3 = self._timer()
        faces = self._confirm(pyramid, now)
        faces += self._faces(pyramid, now, {t for t, _ in faces})
        t4 = self._timer()
        ended = self._expire(now)
        pose_heads = self._pose_heads()  # the pose people of this frame: the face step and palms do not change them
        face_regions: list[Tile] = []
        if c.face_count and self.face_count.available:
            face_regions = list(face_tiles) if face_tiles is not None else face_schedule.next()
        gone, weak = self._face_step(pyramid, face_regions, [h for _, h in pose_heads], now)
        ended += gone
        body_regions: list[Tile] = []
        if self.body_people.movenet is not None:
            body_regions = (
                list(body_tiles)
                if body_tiles is not None
                else self.body_people.next_tiles(width, height, c.bodies_per_frame)
            )
        ended += self._body_step(pyramid, body_regions, [h for _, h in pose_heads], now)
        t5 = self._timer()
        palm_checked = self._palm_checks(
            pyramid, now, c.palms_per_frame if palm_budget is None else palm_budget, pose_heads
        )
        t6 = self._timer()
        people, room = frame_people(
            pose_heads,
            self._lone(),
            weak,
            set(refreshed),
            palm_checked,
            self._lm,
            self.face_people.cue,
            (width, height),
            c,
        )
        self._index += 1
        estimate = len(people) + room.weak_share(c.count_weak_weight)
        bounds = (room.low, room.high) if c.count_band is None else count_band(estimate, c.count_band)
        timings = {
            "prepare": t1 - t0,
            "detect": t2 - t1,
            "landmarks": t3 - t2,
            "faces": t4 - t3,
            "face_scan": t5 - t4,  # and the body scan
            "palms": t6 - t5,
        }
        timings["total"] = self._timer() - t0
        return FrameResult(
            self._index - 1,
            now,
            width,
            height,
            tuple(people),
            tuple(faces),
            tuple(ended),
            len(regions) + self.face_count.scanned + len(body_regions),
            runs,
            timings,
            *bounds,
            estimate,
        )

    def analyse_still(self, frame: npt.NDArray[np.uint8]) -> FrameResult:
        """One image on its own: every region, every person, two landmark passes, every face tile and the
        palm region of every person. Resets the tracks."""
        self.reset()
        height, width = int(frame.shape[0]), int(frame.shape[1])
        confirm, side = self.config.confirm_per_frame, self.config.centerface_side
        self.config = dataclasses.replace(
            self.config, confirm_per_frame=10_000, centerface_side=self.config.centerface_still_side
        )
        try:
            result = self.process(
                frame,
                0.0,
                tiles=self.tiles_for(width, height),
                landmark_budget=10_000,
                passes=2,
                face_tiles=self.face_tiles_for(width, height),
                palm_budget=10_000,
                body_tiles=self.body_people.tiles_for(width, height),
            )
        finally:
            self.config = dataclasses.replace(self.config, confirm_per_frame=confirm, centerface_side=side)
        people = tuple(dataclasses.replace(p, raised=bool(p.raised)) for p in result.people)
        self.reset()
        return dataclasses.replace(result, people=people)

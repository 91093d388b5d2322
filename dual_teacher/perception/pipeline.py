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
   face and again lower down); the older id stays.
5. **Faces**: for `faces_per_frame` tracks (round-robin) the face detector runs on a square around the head
   landmarks and the yaw of the face found is recorded (attention).
All models have batch 1, so regions run one after another (see models.py). Cost per frame is bounded by
the three budgets whatever the number of people.

`analyse_still` runs the same steps on one image with every region and every person, and a second landmark
pass from the first pass's regions (what the evaluation script uses).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.inference.registry import ModelRegistry
from dual_teacher.inference.runner import OnnxRunner
from dual_teacher.perception.fusion import (
    FusionConfig,
    HeadCue,
    Palm,
    assign_palms,
    fuse,
    plausible_lone_faces,
)
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.handraise import RaiseRule, raised_arms, raised_hand, raised_hand_position
from dual_teacher.perception.models import (
    FACE_DETECTION,
    LEFT_SHOULDER,
    NOSE,
    PALM_DETECTION,
    POSE_DETECTION,
    POSE_LANDMARKS,
    RIGHT_SHOULDER,
    FaceOrientation,
    OnnxBlazePose,
    PoseLandmarks,
    SsdDetector,
    SsdModelInfo,
    head_centre_size,
    head_roi,
    load_contracts,
    palm_roi,
    pose_face_boxes,
    roi_from_detection,
    roi_from_landmarks,
)
from dual_teacher.perception.ssd import Detections, weighted_nms
from dual_teacher.perception.tiling import (
    Tile,
    TileSchedule,
    TilingConfig,
    face_tiling,
    make_tiles,
    min_person_px,
)
from dual_teacher.perception.tracker import Box, IouTracker


@dataclasses.dataclass(frozen=True)
class PerceptionConfig:
    tiling: TilingConfig = dataclasses.field(default_factory=TilingConfig)
    detect_every: int = 12  # each fine tile is scanned once per this many frames
    detect_min_score: float = 0.5
    landmarks_per_frame: int = 8  # people refreshed per frame (round-robin beyond that)
    faces_per_frame: int = 2
    presence_min: float = 0.7  # pose presence of the region (MediaPipe uses 0.5 for one person in view)
    upper_body_visibility: float = 0.5  # nose and both shoulders must be this visible to count a person
    min_scale_fraction: float = 0.15  # body scale (shoulders) at least this x the smallest person findable
    require_face: bool = False  # count a new track only once the face detector finds a face in its head region
    confirm_tries: int = 3  # face checks before an unconfirmed track is dropped
    confirm_per_frame: int = 4  # face checks of new tracks per frame (on top of faces_per_frame)
    max_track_age_s: float = 1.5
    rule: RaiseRule = dataclasses.field(default_factory=RaiseRule)
    attention: bool = True
    drop_nested: bool = True  # a pose "person" inside another person's body and smaller is a part of them
    roi_from_detections: bool = True  # a tracked person found by the detector again takes the detection's region
    roi_scale: float = 1.25  # landmark region around the body (MediaPipe's; 1.5 added false raises, see README)
    face_count: bool = True  # faces from the full-range detector over face-sized tiles count people too
    face_weak_score: float = 0.45  # unconfirmed faces between this and face_only_score widen the uncertainty
    face_track_age_s: float = 5.0  # a face-only person is kept this long without being seen again
    palm_cue: bool = True  # the palm detector above each head: raised hands the pose misses
    palm_min_score: float = 0.6
    shared_arm_reach: float = 1.0  # two raised wrists closer than this x the smaller body scale: one arm
    palm_upright: float = 1.0  # fingers point up: wrist-to-finger rise >= this x sideways offset (45 deg)
    face_only_score: float = 0.6  # a face no pose person confirms must be this sure to count on its own
    palms_per_frame: int = 6  # heads whose palm region is checked per frame (round-robin), live
    teacher_zone: tuple[float, float, float, float] | None = None  # normalised x0, y0, x1, y1: "facing" test there
    fusion: FusionConfig = dataclasses.field(default_factory=FusionConfig)


class PerceptionModels:
    """The three models, each with its own ONNX Runtime session (created by the inference layer)."""

    def __init__(
        self,
        detector: SsdDetector,
        landmarker: OnnxBlazePose,
        faces: FaceOrientation | None,
        runners: Sequence[OnnxRunner],
        palms: SsdDetector | None = None,
    ) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.faces = faces
        self.palms = palms
        self.runners = list(runners)

    @classmethod
    def load(
        cls,
        registry: ModelRegistry | None = None,
        threads: int = 2,
        providers: Sequence[str | tuple[str, dict[str, Any]]] = ("CPUExecutionProvider",),
        detect_min_score: float = 0.4,
        with_faces: bool = True,
        variant: str = "fp32",
        allow_spinning: bool = True,
        with_palms: bool = True,
    ) -> PerceptionModels:
        registry = registry or ModelRegistry()
        names = [POSE_DETECTION, POSE_LANDMARKS] + ([FACE_DETECTION] if with_faces else [])
        names += [PALM_DETECTION] if with_palms else []
        contracts = load_contracts(names)
        # allow_spinning=False: no spin-waiting between runs. Spinning is faster on idle cores (pose_detection
        # 13 vs 21 ms here) but much slower when other work (speech recognition) shares the 2 cores.
        config = {} if allow_spinning else {"session.intra_op.allow_spinning": "0"}
        runners = {
            n: OnnxRunner(
                registry.onnx_path(n, variant),
                providers=tuple(providers),
                threads=threads,
                name=n,
                session_config=config,
            )
            for n in names
        }
        for r in runners.values():
            r.warmup(2)
        detector = SsdDetector(
            runners[POSE_DETECTION],
            SsdModelInfo.from_contract(contracts[POSE_DETECTION]),
            min_score=detect_min_score,
            rebox=pose_face_boxes,
        )
        landmarker = OnnxBlazePose(runners[POSE_LANDMARKS], contracts[POSE_LANDMARKS])
        faces = None
        if with_faces:
            face_info = SsdModelInfo.from_contract(contracts[FACE_DETECTION])
            faces = FaceOrientation(SsdDetector(runners[FACE_DETECTION], face_info, min_score=0.45))
        palms = None
        if with_palms:
            palm_info = SsdModelInfo.from_contract(contracts[PALM_DETECTION])
            palms = SsdDetector(runners[PALM_DETECTION], palm_info, min_score=0.5)
        return cls(detector, landmarker, faces, list(runners.values()), palms)

    def providers_in_use(self) -> list[str]:
        used: list[str] = []
        for r in self.runners:
            for p in r.providers_in_use()[:1]:
                if p not in used:
                    used.append(p)
        return used

    def fell_back(self) -> bool:
        return any(r.fell_back for r in self.runners)


@dataclasses.dataclass(frozen=True)
class PersonResult:
    """One tracked person in one frame. `seat` is the mid-shoulder point (the head centre for a person only
    a face was found for) normalised to the frame (0..1); `raised` is None when neither the person's
    landmarks nor their palm region were looked at this frame (round-robin). `head` is the head centre and
    size in frame pixels; `sources` the cues that found the person ("pose", "face"); `raised_by` the cues
    that said the hand is up ("pose", "palm")."""

    track_id: int
    seat: tuple[float, float]
    raised: bool | None
    landmarks: PoseLandmarks | None
    fresh: bool
    head: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sources: tuple[str, ...] = ("pose",)
    raised_by: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class FrameResult:
    index: int
    now: float
    width: int
    height: int
    people: tuple[PersonResult, ...]
    faces: tuple[tuple[int, float | None], ...]  # (track id, yaw in degrees or None: no face found)
    ended: tuple[int, ...]  # tracks that ended this frame
    regions: int
    landmark_runs: int
    timings: dict[str, float]
    count_low: int | None = None  # the count's uncertainty (see perception.fusion); None: exact
    count_high: int | None = None

    @property
    def count(self) -> int:
        return len(self.people)

    @property
    def uncertain(self) -> bool:
        return self.count_low is not None and self.count_high is not None and self.count_low < self.count_high

    @property
    def raised_count(self) -> int:
        return sum(1 for p in self.people if p.raised)


@dataclasses.dataclass
class _Person:
    track_id: int
    roi: Roi
    landmarks: PoseLandmarks | None = None
    landmarks_at: float = -math.inf
    face_at: float = -math.inf
    raised: bool = False
    confirmed: bool = False
    face_tries: int = 0
    best_presence: float = 0.0
    palm_up: bool = False
    palm_at: float = -math.inf


@dataclasses.dataclass
class _FaceOnly:
    """A person only the face detector found (no pose): box in frame pixels, last seen, palm verdict."""

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


def face_box_from_detection(box: npt.NDArray[np.float32]) -> Box:
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def face_cue(box: npt.NDArray[np.float32], score: float) -> HeadCue:
    """A face detection (box in frame pixels) as a head cue: its centre and its longer side."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    return HeadCue((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0), float(score), "face")


def face_box_from_landmarks(lm: PoseLandmarks) -> Box:
    """A square on the nose, side 1.2 x nose-to-mid-shoulder: about the size `pose_face_boxes` gives."""
    nx, ny = lm.xy(NOSE)
    mx = (lm.xy(LEFT_SHOULDER)[0] + lm.xy(RIGHT_SHOULDER)[0]) / 2
    my = (lm.xy(LEFT_SHOULDER)[1] + lm.xy(RIGHT_SHOULDER)[1]) / 2
    half = max(0.6 * math.hypot(nx - mx, ny - my), 2.0)
    return nx - half, ny - half, nx + half, ny + half


def person_scale(lm: PoseLandmarks) -> float:
    shoulders = math.dist(lm.xy(LEFT_SHOULDER), lm.xy(RIGHT_SHOULDER))
    mx = (lm.xy(LEFT_SHOULDER)[0] + lm.xy(RIGHT_SHOULDER)[0]) / 2
    my = (lm.xy(LEFT_SHOULDER)[1] + lm.xy(RIGHT_SHOULDER)[1]) / 2
    return max(shoulders, 1.6 * math.dist(lm.xy(NOSE), (mx, my)), 1.0)


def same_person(a: PoseLandmarks, b: PoseLandmarks, tolerance: float = 0.35) -> bool:
    """Two landmark sets on one person: the noses are within `tolerance` x the larger body scale.

    Two people cannot share a nose position (neighbours sit about a shoulder width apart or more), while one
    person found twice (in two tiles, or once more at a wrong scale around the head) keeps the nose in place
    even when the rest of the second skeleton is off.
    """
    scale = max(person_scale(a), person_scale(b))
    return math.dist(a.xy(NOSE), b.xy(NOSE)) < tolerance * scale


FACE_ID_BASE = 100_000  # ids of people only the face detector found start here


class RoomPerception:
    """Stateful per-camera pipeline (see the module docstring). Not thread-safe: one owner thread."""

    def __init__(self, models: PerceptionModels, config: PerceptionConfig | None = None) -> None:
        self.models = models
        self.config = config or PerceptionConfig()
        self.tracker = IouTracker(max_age_s=self.config.max_track_age_s)
        # face-only people get ids from a range of their own (anonymous like the pose ids)
        self.face_tracker = IouTracker(max_age_s=self.config.face_track_age_s, first_id=FACE_ID_BASE)
        self._people: dict[int, _Person] = {}
        self._faces_only: dict[int, _FaceOnly] = {}
        self._schedule: TileSchedule | None = None
        self._face_schedule: TileSchedule | None = None
        self._size: tuple[int, int] | None = None
        self._index = 0
        self._palm_cursor = 0

    def reset(self) -> None:
        """A new lesson: forget every person; track ids start again from 1."""
        self.tracker.reset()
        self.face_tracker.reset()
        self._people.clear()
        self._faces_only.clear()
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
        parts = [self.models.detector.detect(pyramid, t.roi) for t in tiles]
        merged = Detections.concat(parts, self.models.detector.info.num_keypoints)
        return weighted_nms(merged, self.models.detector.nms_iou)

    def _associate(self, dets: Detections, now: float) -> list[int]:
        """Match detections to tracks; new tentative tracks for the rest. Returns the new track ids."""
        boxes = [face_box_from_detection(b) for b in dets.boxes]
        matched = self.tracker.match(boxes)
        new: list[int] = []
        for i, tid in enumerate(matched):
            if tid is None:
                tid = self.tracker.start(boxes[i], now)
                self._people[tid] = _Person(tid, roi_from_detection(dets.keypoints[i], self.config.roi_scale))
                new.append(tid)
            else:
                self.tracker.observe(tid, boxes[i], now)
                person = self._people.get(tid)
                if person is not None and (person.landmarks is None or self.config.roi_from_detections):
                    person.roi = roi_from_detection(dets.keypoints[i], self.config.roi_scale)
        return new

    def _landmarks(self, pyramid: FramePyramid, ids: Sequence[int], now: float) -> list[int]:
        refreshed: list[int] = []
        for tid in ids:
            person = self._people.get(tid)
            if person is None:
                continue
            lm = self.models.landmarker.landmarks(pyramid, person.roi)
            if not self._is_person(lm, pyramid.width, pyramid.height):
                if person.landmarks is None:  # a tentative track that is not a person
                    self._drop(tid)
                continue
            person.landmarks = lm
            person.landmarks_at = now
            person.best_presence = max(person.best_presence, lm.score)
            person.roi = roi_from_landmarks(lm, self.config.roi_scale)
            person.raised = raised_hand(lm, self._rule_for(lm, pyramid.width, pyramid.height))
            self.tracker.observe(tid, face_box_from_landmarks(lm), now)
            refreshed.append(tid)
        return refreshed

    def _is_person(self, lm: PoseLandmarks, width: int, height: int) -> bool:
        """Presence high enough, head and shoulders seen, head above the shoulders, and not smaller than a
        person we look for.

        The region-based landmark model says "someone is here" with high presence on textures and on the
        parts of a person (a hand, a back) too; requiring the nose and both shoulders to be visible, and a
        plausible size, keeps the head count to people.
        """
        c = self.config
        if lm.score < c.presence_min:
            return False
        if not all(lm.visible(i, c.upper_body_visibility) for i in (NOSE, LEFT_SHOULDER, RIGHT_SHOULDER)):
            return False
        shoulders_y = (lm.xy(LEFT_SHOULDER)[1] + lm.xy(RIGHT_SHOULDER)[1]) / 2
        if lm.xy(NOSE)[1] >= shoulders_y:  # head below the shoulders: not an upright (seated or standing) person
            return False
        smallest = max(min_person_px(width, height, c.tiling), c.tiling.min_tile_px * c.tiling.person_fraction)
        return person_scale(lm) >= c.min_scale_fraction * smallest

    def _dedupe(self, refreshed: Sequence[int]) -> list[int]:
        """Drop one of two tracks on the same person; returns the dropped ids.

        The one kept: a confirmed track over an unconfirmed one, then the older track (lower id) when both
        are confirmed (ids stay stable), else the higher presence (several candidates of one still image).
        """
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
                    if a.confirmed != b.confirmed:
                        loser = tid if b.confirmed else other
                    elif a.confirmed:
                        loser = max(tid, other)
                    else:
                        loser = tid if (a.best_presence, -tid) < (b.best_presence, -other) else other
                    self._drop(loser)
                    dropped.append(loser)
                    if loser == tid:
                        break
        return dropped

    def _drop_nested(self, refreshed: Sequence[int]) -> list[int]:
        """A "person" whose head lies inside someone else's body and is smaller than that person's head is a
        part of them (hands held together, a forearm): the same test the lone faces pass (fusion)."""
        heads = {t: head_centre_size(p.landmarks) for t, p in self._people.items() if p.landmarks is not None}
        out = []
        for tid in refreshed:
            if tid not in heads:
                continue
            x, y, size = heads[tid]
            for other, (ox, oy, osize) in heads.items():
                if other != tid and size < osize and 0.5 < (y - oy) / osize < 4.0 and abs(x - ox) < 1.2 * osize:
                    self._drop(tid)
                    out.append(tid)
                    break
        return out

    def _veto_shared_arms(self, refreshed: Sequence[int]) -> None:
        """One raised arm drawn onto two people (a neighbour's arm in front of or beside someone): the arm
        belongs to the person whose shoulder is nearest the raised wrist (in units of their own scale)."""
        claims: list[tuple[int, tuple[float, float], float, float]] = []
        for tid in refreshed:
            p = self._people.get(tid)
            if p is None or p.landmarks is None or not p.raised:
                continue
            scale = person_scale(p.landmarks)
            for (wx, wy), (sx, sy) in raised_arms(p.landmarks, self._rule_for(p.landmarks, *self._frame_size())):
                claims.append((tid, (wx, wy), math.dist((wx, wy), (sx, sy)) / scale, scale))
        losers: set[int] = set()
        for i, (ta, wa, da, sa) in enumerate(claims):
            for tb, wb, db, sb in claims[i + 1 :]:
                if ta != tb and math.dist(wa, wb) < self.config.shared_arm_reach * min(sa, sb):
                    losers.add(tb if db > da else ta)
        for tid in losers:
            self._people[tid].raised = False

    def _raised_wrists(self) -> list[tuple[tuple[float, float], float]]:
        """(wrist, reach) of every arm the pose rule calls raised (reach: the person's scale)."""
        out = []
        for p in self._people.values():
            if p.landmarks is None or not p.raised:
                continue
            rule = self._rule_for(p.landmarks, *self._frame_size())
            scale = person_scale(p.landmarks)
            out += [(w, self.config.shared_arm_reach * scale) for w, _ in raised_arms(p.landmarks, rule)]
        return out

    def _frame_size(self) -> tuple[int, int]:
        return self._size if self._size is not None else (1, 1)

    def _drop(self, tid: int) -> None:
        self._people.pop(tid, None)
        self.tracker.remove(tid)

    def _confirm(self, pyramid: FramePyramid, now: float) -> list[tuple[int, float | None]]:
        """Face check of new tracks: a face in the head region confirms a person (see PerceptionConfig)."""
        waiting = [p for p in self._people.values() if p.landmarks is not None and not p.confirmed]
        if not self.config.require_face or self.models.faces is None:
            for p in waiting:
                p.confirmed = True
            return []
        out: list[tuple[int, float | None]] = []
        for person in sorted(waiting, key=lambda p: p.track_id)[: self.config.confirm_per_frame]:
            assert person.landmarks is not None
            face = self.models.faces.observe(pyramid, head_roi(person.landmarks))
            person.face_tries += 1
            person.face_at = now
            if face is not None:
                person.confirmed = True
                out.append((person.track_id, face.yaw_deg))
            elif person.face_tries >= self.config.confirm_tries:
                self._drop(person.track_id)
        return out

    def _faces(self, pyramid: FramePyramid, now: float, skip: set[int]) -> list[tuple[int, float | None]]:
        if self.models.faces is None or not self.config.attention or self.config.faces_per_frame <= 0:
            return []
        ready = [p for p in self._people.values() if p.confirmed and p.landmarks is not None and p.track_id not in skip]
        ready.sort(key=lambda p: (p.face_at, p.track_id))
        out: list[tuple[int, float | None]] = []
        for person in ready[: self.config.faces_per_frame]:
            assert person.landmarks is not None
            face = self.models.faces.observe(pyramid, head_roi(person.landmarks))
            person.face_at = now
            out.append((person.track_id, None if face is None else face.yaw_deg))
        return out

    def _rule_for(self, lm: PoseLandmarks, width: int, height: int) -> RaiseRule:
        """The raise rule for one person: the "facing the camera" test only inside the teacher zone (someone
        writing on the board); students seen from the side or above still raise hands."""
        zone = self.config.teacher_zone
        rule = self.config.rule
        if zone is None:
            return dataclasses.replace(rule, require_facing=False)
        x, y = raised_hand_position(lm)
        inside = zone[0] <= x / width <= zone[2] and zone[1] <= y / height <= zone[3]
        return dataclasses.replace(rule, require_facing=inside)

    def _scan_faces(self, pyramid: FramePyramid, tiles: Sequence[Tile]) -> Detections:
        """Faces over face-sized tiles, merged across tiles (weighted NMS) in frame pixels."""
        faces = self.models.faces
        if faces is None or not tiles:
            return Detections.empty(6)
        det = faces.detector
        parts = [det.detect(pyramid, t.roi) for t in tiles]
        merged = Detections.concat(parts, det.info.num_keypoints)
        merged = weighted_nms(merged, det.nms_iou)
        keep = merged.scores >= self.config.face_weak_score
        return merged.take(np.flatnonzero(keep))

    def _pose_heads(self) -> list[tuple[_Person, HeadCue]]:
        out = []
        for p in sorted(self._people.values(), key=lambda p: p.track_id):
            if p.landmarks is None or not p.confirmed:
                continue
            x, y, size = head_centre_size(p.landmarks)
            out.append((p, HeadCue(x, y, size, p.landmarks.score, "pose", p.track_id, p.raised)))
        return out

    def _update_faces_only(self, faces: Detections, pose: Sequence[HeadCue], now: float) -> list[int]:
        """Faces not on a pose person become (or continue) face-only people; returns the ids that ended
        (expired, or now found by the pose)."""
        c = self.config
        width, height = self._size if self._size is not None else (0, 0)
        min_face = 0.5 * 0.22 * min_person_px(width, height, c.tiling)  # half the smallest face looked for
        strong = [
            face_cue(b, sc)
            for b, sc in zip(faces.boxes, faces.scores, strict=True)
            if sc >= c.face_only_score and max(b[2] - b[0], b[3] - b[1]) >= min_face
        ]
        groups = fuse(pose, strong, config=dataclasses.replace(c.fusion, use_palm=False))
        loose = plausible_lone_faces(groups.people)
        boxes: list[Box] = [(h.x - h.size / 2, h.y - h.size / 2, h.x + h.size / 2, h.y + h.size / 2) for h in loose]
        matched = self.face_tracker.match(boxes)
        for box, tid, h in zip(boxes, matched, loose, strict=True):
            score = max((f.score for f in strong if abs(f.x - h.x) < 1e-3 and abs(f.y - h.y) < 1e-3), default=0.0)
            if tid is None:
                tid = self.face_tracker.start(box, now)
                self._faces_only[tid] = _FaceOnly(tid, box, score, now)
            else:
                self.face_tracker.observe(tid, box, now)
                f = self._faces_only[tid]
                f.box, f.score, f.seen_at = box, max(f.score, score), now
        ended = self.face_tracker.expire(now)
        # a face-only person the pose now finds is that pose person from now on
        for tid, f in list(self._faces_only.items()):
            x, y, size = f.head
            if any(math.dist((x, y), (p.x, p.y)) < c.fusion.match_radius * max(size, p.size) for p in pose):
                self.face_tracker.remove(tid)
                ended.append(tid)
        for tid in ended:
            self._faces_only.pop(tid, None)
        return ended

    def _palms(self, pyramid: FramePyramid, heads: Sequence[tuple[float, float, float]]) -> list[Palm]:
        """Palms held up in the region above each of `heads` (x, y, size), in frame pixels, merged across
        overlapping regions.

        A palm counts only when its fingers point up: the palm detector's middle-finger base (keypoint 2)
        lies above its wrist (keypoint 0) by at least `palm_upright` x the sideways offset. A hand at the
        chin, on a phone or on the desk lies flat or points sideways or down."""
        det = self.models.palms
        if det is None or not heads:
            return []
        parts = [det.detect(pyramid, palm_roi(x, y, size)) for x, y, size in heads]
        merged = weighted_nms(Detections.concat(parts, det.info.num_keypoints), det.nms_iou)
        out: list[Palm] = []
        for b, kp, sc in zip(merged.boxes, merged.keypoints, merged.scores, strict=True):
            if sc < self.config.palm_min_score:
                continue
            (wx, wy), (mx, my) = kp[0], kp[2]
            if wy - my < self.config.palm_upright * abs(mx - wx):
                continue
            out.append(Palm(float((b[0] + b[2]) / 2), float((b[1] + b[3]) / 2), float(b[2] - b[0]), float(sc)))
        return out

    def _palm_checks(
        self, pyramid: FramePyramid, now: float, budget: int, pose: Sequence[tuple[_Person, HeadCue]]
    ) -> set[int]:
        """Palm regions of up to `budget` people (round-robin over pose and face-only people): sets their
        `palm_up`; returns the ids checked."""
        if not self.config.palm_cue or self.models.palms is None or budget <= 0:
            return set()
        everyone: list[tuple[int, tuple[float, float, float]]] = [(p.track_id, (h.x, h.y, h.size)) for p, h in pose]
        everyone += [(f.track_id, f.head) for f in self._faces_only.values()]
        if not everyone:
            return set()
        everyone.sort(key=lambda e: (self._palm_at(e[0]), e[0]))
        chosen = everyone[:budget]
        palms = self._palms(pyramid, [h for _, h in chosen])
        # a palm at the raised wrist of a pose person is that person's hand; the rest go to the nearest head
        # below them among everyone (a neighbour's hand is not mine)
        wrists = self._raised_wrists()
        own = [palm for palm in palms if not any(math.dist((palm.x, palm.y), w) < reach for w, reach in wrists)]
        counts = assign_palms([h for _, h in everyone], own, self.config.fusion)
        up = {tid for (tid, _), n in zip(everyone, counts, strict=True) if n > 0}
        checked = {tid for tid, _ in chosen}
        for tid in checked:
            if tid in self._people:
                self._people[tid].palm_up, self._people[tid].palm_at = tid in up, now
            elif tid in self._faces_only:
                self._faces_only[tid].palm_up, self._faces_only[tid].palm_at = tid in up, now
        return checked

    def _palm_at(self, tid: int) -> float:
        if tid in self._people:
            return self._people[tid].palm_at
        f = self._faces_only.get(tid)
        return f.palm_at if f is not None else -math.inf

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
    ) -> FrameResult:
        """Analyse one frame at time `now` (seconds); see the module docstring."""
        t0 = time.perf_counter()
        height, width = int(frame.shape[0]), int(frame.shape[1])
        pyramid = FramePyramid(frame)
        schedule, face_schedule = self._ensure_schedule(width, height)
        regions = list(tiles) if tiles is not None else schedule.next()
        t1 = time.perf_counter()
        dets = self._detect(pyramid, regions)
        new = self._associate(dets, now)
        t2 = time.perf_counter()
        budget = self.config.landmarks_per_frame if landmark_budget is None else landmark_budget
        # people whose hand was up at their last look come first (a raise is confirmed at the frame rate),
        # then the longest-waiting (round-robin)
        waiting = sorted(
            (p for p in self._people.values() if p.track_id not in new),
            key=lambda p: (not p.raised, p.landmarks_at, p.track_id),
        )
        chosen = (new + [p.track_id for p in waiting])[: max(0, budget)]
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
        t3 = time.perf_counter()
        faces = self._confirm(pyramid, now)
        faces += self._faces(pyramid, now, {t for t, _ in faces})
        t4 = time.perf_counter()
        ended = self.tracker.expire(now)
        for tid in ended:
            self._people.pop(tid, None)
        # people whose landmarks went stale (no presence for max age) end too
        stale = [
            t
            for t, p in self._people.items()
            if p.landmarks is not None and now - p.landmarks_at > self.config.max_track_age_s
        ]
        for tid in stale:
            self._drop(tid)
        ended = [*ended, *stale]
        face_regions: list[Tile] = []
        weak: list[HeadCue] = []
        pose_heads = self._pose_heads()  # the pose people of this frame: the face step and palms do not change them
        if self.config.face_count and self.models.faces is not None:
            face_regions = list(face_tiles) if face_tiles is not None else face_schedule.next()
            found = self._scan_faces(pyramid, face_regions)
            ended += self._update_faces_only(found, [h for _, h in pose_heads], now)
            for b, sc in zip(found.boxes, found.scores, strict=True):
                if sc < self.config.face_only_score:
                    weak.append(face_cue(b, sc))
        t5 = time.perf_counter()
        palm_checked = self._palm_checks(
            pyramid, now, self.config.palms_per_frame if palm_budget is None else palm_budget, pose_heads
        )
        t6 = time.perf_counter()
        people = []
        fresh = set(refreshed)
        cues: list[HeadCue] = []
        for p, head in pose_heads:
            assert p.landmarks is not None
            x, y = raised_hand_position(p.landmarks)
            seat = (min(1.0, max(0.0, x / width)), min(1.0, max(0.0, y / height)))
            is_fresh = p.track_id in fresh
            judged = is_fresh or p.track_id in palm_checked
            by = tuple(n for n, v in (("pose", p.raised), ("palm", p.palm_up)) if v)
            raised = bool(by) if judged else None
            people.append(
                PersonResult(
                    p.track_id, seat, raised, p.landmarks, is_fresh, (head.x, head.y, head.size), ("pose",), by
                )
            )
            cues.append(head)
        for f in sorted(self._faces_only.values(), key=lambda f: f.track_id):
            x, y, size = f.head
            seat = (min(1.0, max(0.0, x / width)), min(1.0, max(0.0, y / height)))
            judged = f.track_id in palm_checked
            raised = f.palm_up if judged else None
            people.append(
                PersonResult(
                    f.track_id, seat, raised, None, False, (x, y, size), ("face",), ("palm",) if f.palm_up else ()
                )
            )
            cues.append(HeadCue(x, y, size, f.score, "face", f.track_id))
        n_pose = len(cues) - len(self._faces_only)
        room = fuse(cues[:n_pose], cues[n_pose:], (), weak, self.config.fusion)
        self._index += 1
        timings = {
            "prepare": t1 - t0,
            "detect": t2 - t1,
            "landmarks": t3 - t2,
            "faces": t4 - t3,
            "face_scan": t5 - t4,
            "palms": t6 - t5,
        }
        timings["total"] = time.perf_counter() - t0
        return FrameResult(
            self._index - 1,
            now,
            width,
            height,
            tuple(people),
            tuple(faces),
            tuple(ended),
            len(regions) + len(face_regions),
            runs,
            timings,
            room.low,
            room.high,
        )

    def analyse_still(self, frame: npt.NDArray[np.uint8]) -> FrameResult:
        """One image on its own: every region, every person, two landmark passes, every face tile and the
        palm region of every person. Resets the tracks."""
        self.reset()
        height, width = int(frame.shape[0]), int(frame.shape[1])
        confirm = self.config.confirm_per_frame
        self.config = dataclasses.replace(self.config, confirm_per_frame=10_000)
        try:
            result = self.process(
                frame,
                0.0,
                tiles=self.tiles_for(width, height),
                landmark_budget=10_000,
                passes=2,
                face_tiles=self.face_tiles_for(width, height),
                palm_budget=10_000,
            )
        finally:
            self.config = dataclasses.replace(self.config, confirm_per_frame=confirm)
        people = tuple(dataclasses.replace(p, raised=bool(p.raised)) for p in result.people)
        self.reset()
        return dataclasses.replace(result, people=people)


def preview_poses(result: FrameResult) -> list[list[tuple[float, float, float]]]:
    """Poses normalised to the frame for the console's camera set-up overlay (33 body points)."""
    out = []
    for p in result.people:
        if p.landmarks is None:
            continue
        pts = p.landmarks.points[:33]
        vis = p.landmarks.visibility[:33]
        out.append(
            [
                (float(x) / result.width, float(y) / result.height, float(v))
                for (x, y, _), v in zip(pts, vis, strict=True)
            ]
        )
    return out

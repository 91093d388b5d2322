"""What `RoomPerception` looks for and how much work it does per frame (budgets, thresholds, which cues)."""

from __future__ import annotations

import dataclasses

from dual_teacher.perception.fusion import FusionConfig
from dual_teacher.perception.handraise import RaiseRule
from dual_teacher.perception.tiling import TilingConfig


@dataclasses.dataclass(frozen=True)
class PerceptionConfig:
    tiling: TilingConfig = dataclasses.field(default_factory=TilingConfig)
    detect_every: int = 12  # each fine tile is scanned once per this many frames
    detect_min_score: float = 0.4  # pose detector score a candidate person needs (landmarks then confirm it)
    landmarks_per_frame: int = 8  # people refreshed per frame (round-robin beyond that)
    faces_per_frame: int = 2
    presence_min: float = 0.7  # pose presence of the region (MediaPipe uses 0.5 for one person in view)
    upper_body_visibility: float = 0.5  # nose and both shoulders must be this visible to count a person
    min_scale_fraction: float = 0.15  # body scale (shoulders) at least this x the smallest person findable
    require_face: bool = False  # count a new track only once the face detector finds a face in its head region
    confirm_tries: int = 3  # face checks before an unconfirmed track is dropped
    confirm_per_frame: int = 4  # face checks of new tracks per frame (on top of faces_per_frame)
    max_track_age_s: float = 1.5
    # live: a pose person who passed the person test on one frame only is dropped at the first later look that
    # fails it (else kept max_track_age_s on their old landmarks); a still's passes are one frame
    pose_tentative: bool = True
    rule: RaiseRule = dataclasses.field(default_factory=RaiseRule)
    attention: bool = True
    drop_nested: bool = True  # a pose "person" inside another person's body and smaller is a part of them
    roi_from_detections: bool = True  # a tracked person found by the detector again takes the detection's region
    # landmark quality (`people.landmark_quality`): the presence, or times the upper body's visibility; it picks
    # which of two tracks on one person stays, and with `keep_best_pass` which pass of one frame (a still's two).
    # Both on: chosen by leave-one-source-out in all 16 folds (benchmarks/tune_perception.py --grid landmarks)
    quality_by_visibility: bool = True
    keep_best_pass: bool = True
    roi_scale: float = 1.25  # landmark region around the body (MediaPipe's; 1.5 added false raises, see README)
    face_count: bool = True  # faces from the full-range detector over face-sized tiles count people too
    face_weak_score: float = 0.45  # unconfirmed faces between this and face_only_score widen the uncertainty
    face_track_age_s: float = 5.0  # a face-only person is kept this long without being seen again
    # ... once seen in two face scans; seen in one, it ends when this many scans in a row miss it (None: it too
    # is kept face_track_age_s). Live only (a still is one scan); `face_people.py`
    face_tentative_misses: int | None = 2
    # a new face first continues a track the scan missed this near (x its size; None: only the tracker's 0.7).
    # face_tentative_misses, pose_tentative and this, each added in turn (benchmarks/eval_perception_video.py
    # --loso, 39 clips, 15 sources): the live count MAE 3.82 -> 3.67 -> 3.51 -> 3.15; all three chosen in all 15
    # folds, held out 3.15
    face_rematch_reach: float | None = 1.5
    # the face count's model (`face_count.py`): "centerface" (CenterFace over the whole frame, `centerface.py`) or
    # "blazeface" (the full-range detector over face tiles, with face_only_score and face_weak_score). CenterFace
    # at 0.25, its faces from 0.7 whole people: by leave-one-source-out (benchmarks/tune_perception.py --grid
    # centerface: CenterFace in all 16 folds of three runs; 0.25 in 12 of 16, then whole from 0.7 in 13 of 16, both
    # kept in 13 of 16 by the third run over the final grid)
    face_model: str = "centerface"
    centerface_score: float = 0.25  # a CenterFace face no pose person explains must be this sure to count alone
    centerface_whole_score: float | None = 0.7  # CenterFace faces this sure skip plausible_lone's body test
    centerface_weak_score: float = 0.15  # CenterFace faces between this and centerface_score widen the uncertainty
    centerface_side: int = 960  # live: CenterFace's longer input side (1080p -> 960 x 544, ~40 ms on 2 cores)
    centerface_still_side: int = 1920  # a still (`analyse_still`): its own size up to this longer side
    centerface_every: int = 2  # live: CenterFace runs on every this-many-th frame
    # the count reported: the people found + this x the weak faces no one explains (`fusion.FusedRoom.estimate`;
    # the share of them that are people). Leave-one-source-out over 0/0.25/0.5/0.75/1.0 (47 frames, 16 sources;
    # benchmarks/tune_perception.py --grid count) chose 1.0 in 13 folds, 0.75 in 3: held-out people MAE 2.34
    # against 2.68 with 0.0
    count_weak_weight: float = 1.0
    # the count's bounds: (lower, upper) relative errors, the true count taken to lie within reported x (1 + lower)
    # .. reported x (1 + upper) (`fusion.count_band`); None: the cues' own bounds (the sure people .. the people
    # and every weak face). Measured: the 10th and 90th percentiles of (TSV count - reported) / reported over 47
    # frames of 16 sources, each source weighted alike (benchmarks/calibrate_count.py); held out by source the
    # true count lies in the band in 0.91 of the frames (mean width 6.3), in the cues' bounds in 0.57 (7.1)
    count_band: tuple[float, float] | None = (-0.206, 0.375)
    palm_cue: bool = True  # the palm detector above each head: raised hands the pose misses
    palm_min_score: float = 0.6
    palm_face_only: bool = True  # face-only people (no arm seen) are checked for a palm too
    palm_body_only: bool = False  # body-only people too (their heads also compete for the palms found)
    shared_arm_reach: float = 1.0  # two raised wrists closer than this x the smaller body scale: one arm
    palm_upright: float = 1.0  # fingers point up: wrist-to-finger rise >= this x sideways offset (45 deg)
    palm_hand_presence: float | None = 0.5  # the hand landmark model must see a hand there (MediaPipe's 0.5)
    face_only_score: float = 0.6  # a face no pose person confirms must be this sure to count on its own
    palms_per_frame: int = 6  # heads whose palm region is checked per frame (round-robin), live
    # MoveNet MultiPose over body tiles: people without a face (from behind, heads down). On, score 0.1 and tiles
    # 0.35 chosen by leave-one-source-out (benchmarks/tune_perception.py --grid bodies: all 16 folds)
    body_cue: bool = True
    body_min_score: float = 0.1  # MoveNet person score a body-only person needs
    bodies_per_frame: int = 2  # body tiles scanned per frame, live (round-robin; a still scans them all)
    body_track_age_s: float = 8.0  # a body-only person is kept this long unseen (a 1080p tile round: 20 frames)
    body_tile_fraction: float = 0.35  # finest body tile: this x the frame's shorter side
    body_raise: bool = False  # a body-only person's wrist above their head raises their hand (LOSO: no gain)
    # SSDLite person boxes on the body tiles, each confirmed by a MoveNet body at any score (`person_boxes.py`):
    # people seen from behind or heads down that no other cue counts. On at 0.5 by leave-one-source-out
    # (benchmarks/tune_perception.py --grid boxes: on in all 16 folds, 0.5 in 14; objective 1.321 vs 1.309 off)
    box_cue: bool = True
    box_min_score: float = 0.5  # SSDLite score a box needs
    # people (of any cue) whose head is under this x the frame's median head are not counted
    # (`people.small_outliers`; None: all counted). 0.5 chosen by leave-one-source-out in all 16 folds
    # (benchmarks/tune_perception.py --grid sizes; a grid extended to 0.6 held out worse)
    min_head_fraction: float | None = 0.5
    # the median taken again over the kept heads, up to this many times (`small_outliers`): 1 (once) stays; the
    # same grid's "until stable" held out worse (1.303 against 1.309; chosen in 2 of 16 folds)
    min_head_rounds: int = 1
    teacher_zone: tuple[float, float, float, float] | None = None  # normalised x0, y0, x1, y1: "facing" test there
    fusion: FusionConfig = dataclasses.field(default_factory=FusionConfig)

"""One tracked pose person and the geometry that says whether landmarks are a person, and which one.

Pure helpers of `RoomPerception` (pipeline.py): no models, no state beyond the `PoseTrack` record.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from dual_teacher.perception.fusion import HeadCue
from dual_teacher.perception.geometry import Roi
from dual_teacher.perception.handraise import RaiseRule, raised_arms, raised_hand_position
from dual_teacher.perception.models import LEFT_SHOULDER, NOSE, RIGHT_SHOULDER, PoseLandmarks
from dual_teacher.perception.tracker import Box


@dataclasses.dataclass
class PoseTrack:
    """A person the pose models follow: the region for their next landmarks, their last landmarks and
    when, and the verdicts of the cues that look at them."""

    track_id: int
    roi: Roi
    landmarks: PoseLandmarks | None = None
    landmarks_at: float = -math.inf
    face_at: float = -math.inf
    raised: bool = False
    confirmed: bool = False
    face_tries: int = 0
    best_quality: float = 0.0  # the best landmark quality the track had (`landmark_quality`)
    quality: float = 0.0  # the quality of the current landmarks
    palm_up: bool = False
    palm_at: float = -math.inf
    looks: int = 0  # frames whose landmarks passed the person test (a still's passes count as one)


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


def landmark_quality(lm: PoseLandmarks, by_visibility: bool) -> float:
    """How well a landmark run saw its person: the presence score, times the mean visibility of the 17 upper
    body points (face, shoulders, arms, hips) with `by_visibility`. The presence saturates near 1 on most crops
    of a person, also on a crop rotated by a raised arm, where the skeleton collapses into the head; the
    visibility of the upper body tells those apart."""
    return lm.score * float(np.mean(lm.visibility[:17])) if by_visibility else lm.score


def dedupe_loser(a: PoseTrack, b: PoseTrack) -> int:
    """Of two tracks on one person, the one dropped: an unconfirmed track before a confirmed one, then the
    newer track when both are confirmed (ids stay stable), else the one with the lower best quality (several
    candidates of one still image)."""
    if a.confirmed != b.confirmed:
        return a.track_id if b.confirmed else b.track_id
    if a.confirmed:
        return max(a.track_id, b.track_id)
    return a.track_id if (a.best_quality, -a.track_id) < (b.best_quality, -b.track_id) else b.track_id


def same_person(a: PoseLandmarks, b: PoseLandmarks, tolerance: float = 0.35) -> bool:
    """Two landmark sets on one person: the noses are within `tolerance` x the larger body scale.

    Two people cannot share a nose position (neighbours sit about a shoulder width apart or more), while one
    person found twice (in two tiles, or once more at a wrong scale around the head) keeps the nose in place
    even when the rest of the second skeleton is off.
    """
    scale = max(person_scale(a), person_scale(b))
    return math.dist(a.xy(NOSE), b.xy(NOSE)) < tolerance * scale


def is_upright_person(lm: PoseLandmarks, presence_min: float, visibility: float, min_scale: float) -> bool:
    """Presence high enough, head and shoulders seen, head above the shoulders, and a body scale of at least
    `min_scale` pixels.

    The region-based landmark model says "someone is here" with high presence on textures and on the
    parts of a person (a hand, a back) too; requiring the nose and both shoulders to be visible, and a
    plausible size, keeps the head count to people.
    """
    if lm.score < presence_min:
        return False
    if not all(lm.visible(i, visibility) for i in (NOSE, LEFT_SHOULDER, RIGHT_SHOULDER)):
        return False
    shoulders_y = (lm.xy(LEFT_SHOULDER)[1] + lm.xy(RIGHT_SHOULDER)[1]) / 2
    if lm.xy(NOSE)[1] >= shoulders_y:  # head below the shoulders: not an upright (seated or standing) person
        return False
    return person_scale(lm) >= min_scale


def rule_for(
    rule: RaiseRule,
    teacher_zone: tuple[float, float, float, float] | None,
    lm: PoseLandmarks,
    width: int,
    height: int,
) -> RaiseRule:
    """The raise rule for one person: the "facing the camera" test only inside the teacher zone (someone
    writing on the board); students seen from the side or above still raise hands."""
    if teacher_zone is None:
        return dataclasses.replace(rule, require_facing=False)
    x, y = raised_hand_position(lm)
    inside = teacher_zone[0] <= x / width <= teacher_zone[2] and teacher_zone[1] <= y / height <= teacher_zone[3]
    return dataclasses.replace(rule, require_facing=inside)


def seat_of(x: float, y: float, width: int, height: int) -> tuple[float, float]:
    """A point in frame pixels as an anonymous seat position normalised to the frame (0..1)."""
    return min(1.0, max(0.0, x / width)), min(1.0, max(0.0, y / height))


ArmClaim = tuple[int, tuple[float, float], float, float]  # track id, wrist, wrist-to-shoulder / scale, scale


def raised_arm_claims(tracks: Iterable[PoseTrack], rule: Callable[[PoseLandmarks], RaiseRule]) -> list[ArmClaim]:
    """Every arm the pose rule calls raised, as (track id, wrist, wrist-to-shoulder / scale, scale)."""
    out = []
    for p in tracks:
        if p.landmarks is None or not p.raised:
            continue
        scale = person_scale(p.landmarks)
        for wrist, shoulder in raised_arms(p.landmarks, rule(p.landmarks)):
            out.append((p.track_id, wrist, math.dist(wrist, shoulder) / scale, scale))
    return out


def shared_arm_losers(claims: Sequence[ArmClaim], reach: float) -> set[int]:
    """One raised arm drawn onto two people (a neighbour's arm in front of or beside someone): two raised
    wrists closer than `reach` x the smaller scale are one arm, which belongs to the person whose shoulder is
    nearest the wrist (in units of their own scale); the other person's raise is vetoed."""
    losers: set[int] = set()
    for i, (ta, wa, da, sa) in enumerate(claims):
        for tb, wb, db, sb in claims[i + 1 :]:
            if ta != tb and math.dist(wa, wb) < reach * min(sa, sb):
                losers.add(tb if db > da else ta)
    return losers


def small_outliers(sizes: Sequence[float], fraction: float | None, min_people: int = 4, rounds: int = 1) -> set[int]:
    """Indices of the heads under `fraction` x the median head size of the frame's people, in a frame of at
    least `min_people` (None: none).

    People in one classroom camera's view differ in head size by perspective, but seldom by more than half:
    on the annotated data every cue's false people (a fold of a sleeve, a palm or a bottle taken for a face or
    a body, a skeleton collapsed into a few pixels) are mostly far smaller than the room's typical head, the
    people who are really there mostly not (`tune_perception.py --grid sizes` chose the fraction by
    leave-one-source-out). With `rounds` > 1 the median is taken again over the heads the round before kept
    (so that a few false tiny heads in a small room do not pull the typical size down), until nothing more
    is dropped, at most `rounds` times."""
    if fraction is None or len(sizes) < min_people:
        return set()
    small: set[int] = set()
    for _ in range(max(1, rounds)):
        kept = [size for i, size in enumerate(sizes) if i not in small]
        if not kept:  # a fraction over 1 can drop every head: no typical size is left to compare with
            break
        typical = statistics.median(kept)
        found = {i for i, size in enumerate(sizes) if size < fraction * typical}
        if found == small:
            break
        small = found
    return small

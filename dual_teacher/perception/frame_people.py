"""The people of one frame, from every cue: the count's last step (step 8 of `pipeline.RoomPerception.process`).

People of any cue far smaller than the frame's typical head are dropped (`people.small_outliers`); the pose
people keep their landmarks and raise verdicts, the face- and body-only people theirs; then every cue is fused
once more into the count and its uncertainty (`fusion.fuse`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from dual_teacher.perception.face_people import LoneTrack
from dual_teacher.perception.fusion import FusedRoom, HeadCue, fuse
from dual_teacher.perception.handraise import raised_hand_position
from dual_teacher.perception.models import PoseLandmarks
from dual_teacher.perception.people import PoseTrack, seat_of, small_outliers
from dual_teacher.perception.results import PersonResult
from dual_teacher.perception.room_config import PerceptionConfig


def frame_people(
    pose_heads: Sequence[tuple[PoseTrack, HeadCue]],
    lone: Sequence[LoneTrack],
    weak: Sequence[HeadCue],
    fresh: Collection[int],
    palm_checked: Collection[int],
    landmarks_of: Callable[[PoseTrack], PoseLandmarks],
    cue_of: Callable[[LoneTrack], HeadCue],
    size: tuple[int, int],
    config: PerceptionConfig,
) -> tuple[list[PersonResult], FusedRoom]:
    """The frame's people (pose people first, then face- and body-only ones) and the fused count; `fresh`: the
    pose tracks whose landmarks were refreshed this frame, `palm_checked`: the people whose palm region was
    checked, `weak`: the weak faces (the count's uncertainty); `size`: the frame's width and height."""
    width, height = size
    sizes = [h.size for _, h in pose_heads] + [f.head[2] for f in lone]
    small = small_outliers(sizes, config.min_head_fraction, rounds=config.min_head_rounds)
    lone = [f for i, f in enumerate(lone, len(pose_heads)) if i not in small]
    pose_heads = [ph for i, ph in enumerate(pose_heads) if i not in small]
    people = []
    for p, head in pose_heads:
        lm = landmarks_of(p)
        is_fresh = p.track_id in fresh
        by = tuple(n for n, v in (("pose", p.raised), ("palm", p.palm_up)) if v)
        raised = bool(by) if (is_fresh or p.track_id in palm_checked) else None
        seat = seat_of(*raised_hand_position(lm), width, height)
        people.append(PersonResult(p.track_id, seat, raised, lm, is_fresh, (head.x, head.y, head.size), ("pose",), by))
    for f in lone:
        x, y, _ = f.head
        raised = f.palm_up if f.track_id in palm_checked else None
        by = ("palm",) if f.palm_up else ()
        if f.source == "body":  # MoveNet's own wrists at its last scan, and a palm where it was checked
            by = tuple(n for n, v in (("body", f.raised), ("palm", f.palm_up)) if v)
            raised = bool(by)
        people.append(
            PersonResult(f.track_id, seat_of(x, y, width, height), raised, None, False, f.head, (f.source,), by)
        )
    # the count: pose heads and face- and body-only people (already apart) plus the weak faces (the uncertainty)
    room = fuse([h for _, h in pose_heads], [cue_of(f) for f in lone], (), weak, config.fusion)
    return people, room

"""The palm cue: palms held up in the region above and beside each head (the palm detector).

A palm counts only when its fingers point up: the palm detector's middle-finger base (keypoint 2) lies
above its wrist (keypoint 0) by at least `upright` x the sideways offset. A hand at the chin, on a phone
or on the desk lies flat or points sideways or down. With the hand landmark model given, a palm counts only
when that model, run on MediaPipe's hand region for the palm, also says a hand is there (presence >=
`hand_presence`, MediaPipe's own 0.5): the palm detector alone also fires on faces and textures (on the
annotated data every palm-only false raise had presence <= 0.1; palms at raised hands >= 0.9, except palms of
9-10 px at 0.36-0.62). Which head a palm belongs to is decided by `fusion.assign_palms`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Protocol

from dual_teacher.core.fanout import SERIAL, Fanout
from dual_teacher.perception.fusion import Palm, assign_palms
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.perception.models import OnnxHandPresence, SsdDetector, hand_roi, palm_roi
from dual_teacher.perception.room_config import PerceptionConfig
from dual_teacher.perception.ssd import Detections, weighted_nms


def _hand_presence(hands: OnnxHandPresence, pyramid: FramePyramid, roi: Roi, enough: float) -> float:
    """The hand model's presence in MediaPipe's rotated hand region, or in the same region held upright when
    the rotated one is under `enough` (the threshold it is judged by): a palm of 10-20 px gives a rotation that
    is mostly noise (measured: 0.4 rotated vs 0.6 upright for raised hands of 9 px; faces and textures stay
    under 0.1 either way)."""
    rotated = hands.presence(pyramid, roi)
    if rotated >= enough or abs(roi.rotation) < 1e-6:
        return rotated
    return max(rotated, hands.presence(pyramid, dataclasses.replace(roi, rotation=0.0)))


def upright_palms(
    detector: SsdDetector,
    pyramid: FramePyramid,
    heads: Sequence[tuple[float, float, float]],
    min_score: float,
    upright: float,
    fanout: Fanout = SERIAL,
    hands: OnnxHandPresence | None = None,
    hand_presence: float = 0.5,
) -> list[Palm]:
    """Upright palms in the regions above `heads` (x, y, size in frame pixels), merged across overlapping
    regions (weighted NMS), in frame pixels; with `hands`, only those the hand landmark model confirms."""
    if not heads:
        return []
    parts = fanout.map(lambda h: detector.detect(pyramid, palm_roi(*h)), heads)
    merged = weighted_nms(Detections.concat(parts, detector.info.num_keypoints), detector.nms_iou)
    out: list[Palm] = []
    for b, kp, sc in zip(merged.boxes, merged.keypoints, merged.scores, strict=True):
        if sc < min_score:
            continue
        (wx, wy), (mx, my) = kp[0], kp[2]
        if wy - my < upright * abs(mx - wx):
            continue
        if (
            hands is not None
            and _hand_presence(hands, pyramid, hand_roi(b, kp[0], kp[2]), hand_presence) < hand_presence
        ):
            continue
        out.append(Palm(float((b[0] + b[2]) / 2), float((b[1] + b[3]) / 2), float(b[2] - b[0]), float(sc)))
    return out


class PalmRecord(Protocol):
    """A tracked person the palm cue looks at (a pose track or a lone face/body track)."""

    track_id: int
    palm_up: bool
    palm_at: float


def check_palms(
    palms: SsdDetector,
    hands: OnnxHandPresence | None,
    pyramid: FramePyramid,
    now: float,
    budget: int,
    people: Sequence[tuple[PalmRecord, tuple[float, float, float]]],
    raised_wrists: Sequence[tuple[tuple[float, float], float]],
    config: PerceptionConfig,
    fanout: Fanout = SERIAL,
) -> set[int]:
    """The palm step for one frame: the palm regions of up to `budget` of `people` (record, head x, y, size),
    the longest-unchecked first; sets each checked record's `palm_up` and `palm_at`; returns the ids checked.

    A palm at a raised wrist of a pose person (`raised_wrists`: wrist, reach in pixels) is that person's hand;
    the rest go to the nearest head below them among everyone (`fusion.assign_palms`: a neighbour's hand is
    not mine)."""
    if budget <= 0 or not people:
        return set()
    order = sorted(people, key=lambda e: (e[0].palm_at, e[0].track_id))
    chosen = order[:budget]
    c = config
    verify = hands if c.palm_hand_presence is not None else None
    found = upright_palms(
        palms,
        pyramid,
        [h for _, h in chosen],
        c.palm_min_score,
        c.palm_upright,
        fanout,
        verify,
        c.palm_hand_presence or 0.0,
    )
    own = [palm for palm in found if not any(math.dist((palm.x, palm.y), w) < reach for w, reach in raised_wrists)]
    counts = assign_palms([h for _, h in order], own, c.fusion)
    up = {r.track_id for (r, _), n in zip(order, counts, strict=True) if n > 0}
    for record, _ in chosen:
        record.palm_up, record.palm_at = record.track_id in up, now
    return {r.track_id for r, _ in chosen}

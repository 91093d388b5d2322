"""The palm cue: palms held up in the region above and beside each head (the palm detector).

A palm counts only when its fingers point up: the palm detector's middle-finger base (keypoint 2) lies
above its wrist (keypoint 0) by at least `upright` x the sideways offset. A hand at the chin, on a phone
or on the desk lies flat or points sideways or down. Which head a palm belongs to is decided by
`fusion.assign_palms`.
"""

from __future__ import annotations

from collections.abc import Sequence

from dual_teacher.core.fanout import SERIAL, Fanout
from dual_teacher.perception.fusion import Palm
from dual_teacher.perception.geometry import FramePyramid
from dual_teacher.perception.models import SsdDetector, palm_roi
from dual_teacher.perception.ssd import Detections, weighted_nms


def upright_palms(
    detector: SsdDetector,
    pyramid: FramePyramid,
    heads: Sequence[tuple[float, float, float]],
    min_score: float,
    upright: float,
    fanout: Fanout = SERIAL,
) -> list[Palm]:
    """Upright palms in the regions above `heads` (x, y, size in frame pixels), merged across overlapping
    regions (weighted NMS), in frame pixels."""
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
        out.append(Palm(float((b[0] + b[2]) / 2), float((b[1] + b[3]) / 2), float(b[2] - b[0]), float(sc)))
    return out

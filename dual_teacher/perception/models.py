"""Adapters around the ONNX models: the pose detector, the pose landmark model, the face detector and the hand
landmark model's presence score.

Each adapter takes a `ModelRunner` (sessions are created only in `dual_teacher.inference`) and the model's
contract from models/manifest.toml. All three MediaPipe models have a fixed batch of 1 (input shape
[1, H, W, 3]), so regions are run one after another: there is nothing to batch on the CPU provider, and the
per-call overhead on CPU is small next to the model (measured in benchmarks/bench_perception.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.inference.runner import ModelRunner
from dual_teacher.perception.geometry import F32, FramePyramid, Roi
from dual_teacher.perception.ssd import AnchorSpec, Detections, decode, generate_anchors, weighted_nms

POSE_DETECTION = "pose_detection"
POSE_LANDMARKS = "pose_landmark_full"
FACE_DETECTION = "face_detection_full_range_sparse"
PALM_DETECTION = "palm_detection_full"
HAND_LANDMARKS = "hand_landmark_full"

# BlazePose landmark indices (33 body points; 33..38 are auxiliary points for the next frame's region)
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR = 0, 2, 5, 7, 8
MOUTH_LEFT, MOUTH_RIGHT = 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST = 11, 12, 13, 14, 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_INDEX, RIGHT_INDEX = 19, 20
AUX_HIP_CENTRE, AUX_BODY_SCALE = 33, 34
HEAD_POINTS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


def contract_input_name(contract: Mapping[str, Any], fallback: str = "input_1") -> str:
    """The model's (first) input name from its manifest contract, else `fallback`."""
    inputs = contract.get("inputs") or []
    return str(inputs[0]["name"]) if inputs else fallback


def output_names(runner: ModelRunner, contract: Mapping[str, Any]) -> list[str]:
    """The output names in the order `runner.run` returns them: the session's own (an OnnxRunner lists its
    outputs), else the contract's."""
    session_outputs = getattr(runner, "outputs", None)
    if session_outputs:
        return [str(o.name) for o in session_outputs]
    return [str(o["name"]) for o in contract.get("outputs") or []]


def _input_range(contract: Mapping[str, Any]) -> tuple[float, float]:
    inputs = contract.get("inputs") or []
    lo, hi = (inputs[0].get("range") if inputs else None) or (0.0, 1.0)
    return float(lo), float(hi)


def to_tensor(rgb: npt.NDArray[np.uint8], value_range: tuple[float, float]) -> F32:
    """(S, S, 3) uint8 -> (1, S, S, 3) float32 in `value_range`."""
    lo, hi = value_range
    t = rgb.astype(np.float32) * np.float32((hi - lo) / 255.0) + np.float32(lo)
    return t[None]


@dataclasses.dataclass(frozen=True)
class SsdModelInfo:
    """What an SSD detector needs from its manifest entry."""

    input_name: str
    input_size: int
    value_range: tuple[float, float]
    num_keypoints: int
    anchors: AnchorSpec

    @staticmethod
    def from_contract(contract: Mapping[str, Any]) -> SsdModelInfo:
        anchors = AnchorSpec.from_contract(contract["anchors"])
        outputs = contract.get("outputs") or []
        coords = int(outputs[0]["shape"][-1]) if outputs else 12
        return SsdModelInfo(
            input_name=contract_input_name(contract),
            input_size=anchors.input_size[0],
            value_range=_input_range(contract),
            num_keypoints=(coords - 4) // 2,
            anchors=anchors,
        )


class SsdDetector:
    """A MediaPipe single-shot detector run on one square region of a frame at a time.

    `detect(pyramid, roi)` samples the region into the model input (a square region bigger than the image is
    a letterbox), decodes, applies weighted NMS, and returns boxes and keypoints in frame pixels.
    """

    def __init__(
        self,
        runner: ModelRunner,
        info: SsdModelInfo,
        min_score: float = 0.5,
        nms_iou: float = 0.3,
        rebox: Callable[[Detections], Detections] | None = None,
    ) -> None:
        self.runner = runner
        self.info = info
        self.min_score = min_score
        self.nms_iou = nms_iou
        self.rebox = rebox
        self.anchors = generate_anchors(info.anchors)

    def detect_tensor(self, rgb: npt.NDArray[np.uint8], min_score: float | None = None) -> Detections:
        """Detections in the model input's normalised coordinates (before NMS across regions), scoring at
        least `min_score` (default: the detector's own)."""
        out = self.runner.run({self.info.input_name: to_tensor(rgb, self.info.value_range)})
        raw_boxes, raw_scores = (out[0], out[1]) if out[0].shape[-1] > 1 else (out[1], out[0])
        size = (self.info.input_size, self.info.input_size)
        floor = self.min_score if min_score is None else min_score
        dets = decode(raw_boxes, raw_scores, self.anchors, self.info.num_keypoints, size, floor)
        if self.rebox is not None:
            dets = self.rebox(dets)
        return weighted_nms(dets, self.nms_iou)

    def detect(self, pyramid: FramePyramid, roi: Roi, min_score: float | None = None) -> Detections:
        """Detections in frame pixels for one (square, unrotated) region."""
        dets = self.detect_tensor(pyramid.crop(roi, self.info.input_size), min_score)
        if len(dets) == 0:
            return dets
        return Detections(roi.boxes_to_frame(dets.boxes), roi.to_frame(dets.keypoints), dets.scores)


def pose_face_boxes(dets: Detections, size: float = 0.3) -> Detections:
    """Give pose detections a box that scales with the person.

    The BlazePose detector regresses a box of constant size (0.2 of its input) centred on the face; only its
    centre and the keypoints carry information. With several small people in one input those constant boxes
    overlap and NMS would merge neighbours, so the box becomes a square on the face centre whose side is
    `size` x the distance from the mid-shoulder keypoint (2) to the upper-body scale point (3), about 1.5 face
    heights. NMS then merges duplicates of one person and keeps neighbours apart, at any scale.
    """
    if len(dets) == 0:
        return dets
    centre = (dets.boxes[:, :2] + dets.boxes[:, 2:]) / 2
    half = size * np.hypot(*(dets.keypoints[:, 3] - dets.keypoints[:, 2]).T)[:, None] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
    return Detections(boxes, dets.keypoints, dets.scores)


@dataclasses.dataclass(frozen=True)
class PoseLandmarks:
    """39 landmarks of one person in frame pixels: `points` (39, 3) x, y, z; `visibility` and `presence`
    per landmark (probabilities); `score` the pose presence score of the region."""

    points: F32
    visibility: F32
    presence: F32
    score: float
    roi: Roi

    def visible(self, index: int, threshold: float = 0.5) -> bool:
        return bool(self.visibility[index] >= threshold and self.presence[index] >= threshold)

    def xy(self, index: int) -> tuple[float, float]:
        return float(self.points[index, 0]), float(self.points[index, 1])

    def head_box(self) -> tuple[float, float, float, float]:
        pts = self.points[list(HEAD_POINTS), :2]
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def _sigmoid(x: npt.NDArray[np.float32]) -> F32:
    out: F32 = (1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))).astype(np.float32)
    return out


class OnnxBlazePose:
    """BlazePose full landmarks for one region (256x256, values 0..1), mapped back to frame pixels."""

    def __init__(self, runner: ModelRunner, contract: Mapping[str, Any]) -> None:
        self.runner = runner
        self.input_name = contract_input_name(contract)
        inputs = contract.get("inputs") or [{"shape": [1, 256, 256, 3]}]
        self.input_size = int(inputs[0]["shape"][1])
        self.value_range = _input_range(contract)

    def landmarks(self, pyramid: FramePyramid, roi: Roi) -> PoseLandmarks:
        crop = pyramid.crop(roi, self.input_size)
        out = self.runner.run({self.input_name: to_tensor(crop, self.value_range)})
        raw = next(o for o in out if o.size == 195).reshape(39, 5)
        presence_score = float(next(o for o in out if o.size == 1).reshape(-1)[0])
        norm = raw[:, :2] / float(self.input_size)
        xy = roi.to_frame(norm)
        z = raw[:, 2:3] / float(self.input_size) * roi.width
        points = np.concatenate([xy, z.astype(np.float32)], axis=1)
        return PoseLandmarks(points, _sigmoid(raw[:, 3]), _sigmoid(raw[:, 4]), presence_score, roi)


class OnnxHandPresence:
    """The hand landmark model (224x224, values 0..1) asked one thing: is there a hand in this region
    (its presence score, 0..1; MediaPipe drops a hand under 0.5)."""

    def __init__(self, runner: ModelRunner, contract: Mapping[str, Any]) -> None:
        self.runner = runner
        self.input_name = contract_input_name(contract)
        inputs = contract.get("inputs") or [{"shape": [1, 224, 224, 3]}]
        self.input_size = int(inputs[0]["shape"][1])
        self.value_range = _input_range(contract)
        outputs = [str(o.get("name", "")) for o in contract.get("outputs", [])]
        self._presence_at = outputs.index("Identity_1") if "Identity_1" in outputs else 1

    def presence(self, pyramid: FramePyramid, roi: Roi) -> float:
        crop = pyramid.crop(roi, self.input_size)
        out = self.runner.run({self.input_name: to_tensor(crop, self.value_range)})
        return float(np.asarray(out[self._presence_at]).reshape(-1)[0])


def hand_roi(box: Sequence[float], wrist: Sequence[float], finger: Sequence[float]) -> Roi:
    """MediaPipe's palm-detection-to-hand region (hand_landmark_tracking: rotation from the wrist to the
    middle finger's base, target 90 deg; shifted half a box towards the fingers; a square 2.6 x the box)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = x1 - x0, y1 - y0
    vx, vy = float(finger[0]) - float(wrist[0]), float(finger[1]) - float(wrist[1])
    rotation = _normalize_radians(math.atan2(vx, -vy))  # the region's "up" along wrist -> finger
    side = 2.6 * max(w, h)
    cx = (x0 + x1) / 2 + 0.5 * h * math.sin(rotation)
    cy = (y0 + y1) / 2 - 0.5 * h * math.cos(rotation)
    return Roi(cx, cy, side, side, rotation)


# ---- regions of interest from a detection or from the previous landmarks ----------------------------------
def _normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def alignment_roi(
    centre: tuple[float, float], scale_point: tuple[float, float], scale: float = 1.25, target_deg: float = 90.0
) -> Roi:
    """MediaPipe's pose_detection_to_roi / pose_landmarks_to_roi logic (AlignmentPointsRectsCalculator +
    RectTransformationCalculator), in pixels.

    The region is centred on the hip centre; its size is twice the distance from the hip centre to the
    full-body scale point (so it holds the whole body), squared on the long side and enlarged by `scale`
    (1.25). Its rotation turns the hip->scale-point vector upright: rotation = 90 deg - atan2(-(dy), dx).
    """
    x0, y0 = centre
    x1, y1 = scale_point
    size = 2.0 * math.hypot(x1 - x0, y1 - y0)
    rotation = _normalize_radians(math.radians(target_deg) - math.atan2(-(y1 - y0), x1 - x0))
    side = size * scale
    return Roi(x0, y0, side, side, rotation)


def roi_from_detection(keypoints: npt.NDArray[np.floating[Any]], scale: float = 1.25) -> Roi:
    """Person region from pose-detector keypoints (frame pixels): 0 = hip centre, 1 = full-body scale point."""
    return alignment_roi(
        (float(keypoints[0, 0]), float(keypoints[0, 1])), (float(keypoints[1, 0]), float(keypoints[1, 1])), scale
    )


def roi_from_landmarks(lm: PoseLandmarks, scale: float = 1.25) -> Roi:
    """Next frame's region from the auxiliary landmarks 33 (hip centre) and 34 (full-body scale point).

    `scale` enlarges the region around the body (MediaPipe: 1.25). A wider region keeps hands held far above
    the head in view but also takes in more of the neighbours' arms: on the annotated data 1.5 found fewer
    raised hands right than 1.25 (benchmarks/eval_perception.py), so the pipeline keeps 1.25."""
    return alignment_roi(lm.xy(AUX_HIP_CENTRE), lm.xy(AUX_BODY_SCALE), scale)


def head_centre_size(lm: PoseLandmarks) -> tuple[float, float, float]:
    """Centre of the head landmarks and a head size (the head box side, at least 0.6 x the shoulder width)."""
    x0, y0, x1, y1 = lm.head_box()
    shoulder = math.dist(lm.xy(LEFT_SHOULDER), lm.xy(RIGHT_SHOULDER))
    return (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0, 0.6 * shoulder, 2.0)


def palm_roi(x: float, y: float, head: float, width: float = 5.0) -> Roi:
    """The square above and beside a head (centre x, y, size `head`) where its own raised hand would be:
    `width` head sizes wide, its lower edge at the chin."""
    side = width * head
    return Roi(x, y + 0.6 * head - side / 2, side, side)


def head_roi(lm: PoseLandmarks, enlarge: float = 3.0) -> Roi:
    """A square around the head landmarks, for the face detector (faces fill ~1/3 of it, like its training)."""
    x0, y0, x1, y1 = lm.head_box()
    shoulder = math.dist(lm.xy(LEFT_SHOULDER), lm.xy(RIGHT_SHOULDER))
    side = max(x1 - x0, y1 - y0, 0.5 * shoulder) * enlarge
    return Roi((x0 + x1) / 2, (y0 + y1) / 2, side, side)


@dataclasses.dataclass(frozen=True)
class FaceObservation:
    """A face found in a head region: its box (frame px), yaw estimate in degrees (+ = turned to the image's
    right), and detector score."""

    box: tuple[float, float, float, float]
    yaw_deg: float
    score: float


def face_yaw_deg(keypoints: npt.NDArray[np.floating[Any]]) -> float:
    """Yaw from the face detector's 6 keypoints (right eye, left eye, nose tip, mouth, right ear, left ear).

    Head as a sphere: the nose tip lies ~one head radius in front of the ear-to-ear axis, so its offset from
    the ears' midpoint, over half the ear-to-ear distance, is about sin(yaw). When the ears collapse together
    (strong profile) the eyes' midpoint is used instead. Approximate (+-15 deg); enough to tell "toward the
    display" from "turned away".
    """
    k = np.asarray(keypoints, dtype=np.float64)
    nose_x = k[2, 0]
    ear_mid = (k[4, 0] + k[5, 0]) / 2
    half_ears = abs(k[4, 0] - k[5, 0]) / 2
    eye_dist = abs(k[0, 0] - k[1, 0])
    if half_ears > 0.6 * eye_dist and half_ears > 1e-6:
        s = (nose_x - ear_mid) / half_ears
    else:
        s = (nose_x - (k[0, 0] + k[1, 0]) / 2) / max(eye_dist, 1e-6)
    return math.degrees(math.asin(max(-1.0, min(1.0, float(s)))))


class FaceOrientation:
    """Runs the face detector on a head region and estimates where the face is turned."""

    def __init__(self, detector: SsdDetector, min_score: float = 0.6) -> None:
        self.detector = detector
        self.min_score = min_score

    def observe(self, pyramid: FramePyramid, roi: Roi) -> FaceObservation | None:
        dets = self.detector.detect(pyramid, roi)
        if len(dets):
            dets = dets.take(np.flatnonzero(dets.scores >= self.min_score))
        if len(dets) == 0:
            return None
        # the face nearest the region's centre: the head we asked about, not a neighbour's
        centres = (dets.boxes[:, :2] + dets.boxes[:, 2:]) / 2
        i = int(np.argmin(np.hypot(centres[:, 0] - roi.cx, centres[:, 1] - roi.cy)))
        box = dets.boxes[i]
        return FaceObservation(
            (float(box[0]), float(box[1]), float(box[2]), float(box[3])),
            face_yaw_deg(dets.keypoints[i]),
            float(dets.scores[i]),
        )


def load_contracts(names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The manifest contracts of `names` (no model file needed)."""
    from dual_teacher.inference.registry import load_manifest

    specs = {m.name: m for m in load_manifest().models}
    return {n: dict(specs[n].contract) for n in names}

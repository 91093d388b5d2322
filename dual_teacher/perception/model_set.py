"""The perception models of one camera, each with its own ONNX Runtime session (made by the inference layer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dual_teacher.inference.registry import ModelRegistry
from dual_teacher.inference.runner import OnnxRunner
from dual_teacher.perception.body_cue import MOVENET, OnnxMoveNet
from dual_teacher.perception.centerface import CENTERFACE, OnnxCenterFace
from dual_teacher.perception.models import (
    FACE_DETECTION,
    HAND_LANDMARKS,
    PALM_DETECTION,
    POSE_DETECTION,
    POSE_LANDMARKS,
    FaceOrientation,
    OnnxBlazePose,
    OnnxHandPresence,
    SsdDetector,
    SsdModelInfo,
    load_contracts,
    pose_face_boxes,
)
from dual_teacher.perception.person_boxes import SSDLITE, OnnxPersonBoxes


class PerceptionModels:
    """The perception models (pose detector and landmarks; faces, palms, MoveNet bodies, SSDLite person boxes and
    CenterFace optional), each with its own ONNX Runtime session (created by the inference layer)."""

    def __init__(
        self,
        detector: SsdDetector,
        landmarker: OnnxBlazePose,
        faces: FaceOrientation | None,
        runners: Sequence[OnnxRunner],
        palms: SsdDetector | None = None,
        hands: OnnxHandPresence | None = None,
        bodies: OnnxMoveNet | None = None,
        boxes: OnnxPersonBoxes | None = None,
        centerface: OnnxCenterFace | None = None,
    ) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.faces = faces
        self.palms = palms
        self.hands = hands  # confirms the palm detector's palms (hand landmark model's presence)
        self.bodies = bodies
        self.boxes = boxes  # SSDLite person boxes (the box cue, `person_boxes.py`)
        self.centerface = centerface  # the face count's faces (`centerface.py`)
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
        with_bodies: bool = True,
        with_boxes: bool = True,
        with_centerface: bool = True,
        frame_threads: int | None = None,
    ) -> PerceptionModels:
        """`threads`: ONNX Runtime threads per session; `frame_threads`: for CenterFace, which takes the whole
        frame alone in its step (a region pool gives every other session one thread; None: `threads`)."""
        registry = registry or ModelRegistry()
        names = [POSE_DETECTION, POSE_LANDMARKS] + ([FACE_DETECTION] if with_faces else [])
        names += [PALM_DETECTION, HAND_LANDMARKS] if with_palms else []
        names += [MOVENET] if with_bodies else []
        names += [SSDLITE] if with_boxes else []
        names += [CENTERFACE] if with_centerface else []
        contracts = load_contracts(names)
        # allow_spinning=False: no spin-waiting between runs. Spinning is faster on idle cores (pose_detection
        # 13 vs 21 ms here) but much slower when other work (speech recognition) shares the 2 cores.
        config = {} if allow_spinning else {"session.intra_op.allow_spinning": "0"}
        # MoveNet has only its fp32 build: a profile asking for another variant gets fp32 for it
        chosen = {n: variant if variant in ("fp32", *registry.spec(n).variants) else "fp32" for n in names}
        runners = {
            n: OnnxRunner(
                registry.onnx_path(n, chosen[n]),
                providers=tuple(providers),
                threads=frame_threads if n == CENTERFACE and frame_threads else threads,
                name=n,
                session_config=config,
            )
            for n in names
        }
        bodies = OnnxMoveNet(runners[MOVENET], contracts[MOVENET]) if with_bodies else None
        for n, r in runners.items():
            # random inputs of the (dynamic) minimal shape would not warm the real size: these warm themselves
            if n not in (MOVENET, SSDLITE, CENTERFACE):
                r.warmup(2)
        boxes = OnnxPersonBoxes(runners[SSDLITE], contracts[SSDLITE]) if with_boxes else None
        centerface = OnnxCenterFace(runners[CENTERFACE], contracts[CENTERFACE]) if with_centerface else None
        for m in (bodies, boxes, centerface):
            if m is not None:
                m.warmup(2)
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
        hands = None
        if with_palms:
            palm_info = SsdModelInfo.from_contract(contracts[PALM_DETECTION])
            palms = SsdDetector(runners[PALM_DETECTION], palm_info, min_score=0.5)
            hands = OnnxHandPresence(runners[HAND_LANDMARKS], contracts[HAND_LANDMARKS])
        return cls(detector, landmarker, faces, list(runners.values()), palms, hands, bodies, boxes, centerface)

    def providers_in_use(self) -> list[str]:
        used: list[str] = []
        for r in self.runners:
            for p in r.providers_in_use()[:1]:
                if p not in used:
                    used.append(p)
        return used

    def fell_back(self) -> bool:
        return any(r.fell_back for r in self.runners)

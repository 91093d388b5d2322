"""The console's camera set-up view (opt-in): a live preview to help aim the camera at the class.

The preview comes from, in order: a `FrameSource` handed in by the runtime (the perception stage's camera,
with its poses drawn on top: that is the hook for the pose overlay), or else the first camera Qt Multimedia
finds, opened only while the view is open. With neither, the view says plainly that no camera was found.
Nothing here is ever shown on the classroom display, and no frame is stored.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtMultimedia import QCamera, QMediaCaptureSession, QMediaDevices, QVideoSink

from dual_teacher.qt.frames import FrameProvider, FrameSource
from dual_teacher.qt.viewmodel import ViewModel, prop

log = logging.getLogger(__name__)


class CameraSetupModel(ViewModel):
    viewChanged = Signal()

    open = prop(bool, "open", viewChanged)
    state = prop(str, "state", viewChanged)  # "closed", "no_camera", "preview", "failed"
    cameraName = prop(str, "cameraName", viewChanged)
    provider = prop(QObject, "provider", viewChanged)
    sink = prop(QObject, "sink", viewChanged)

    def __init__(self, source: FrameSource | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._provider = FrameProvider(source, self) if source is not None else None
        self._camera: QCamera | None = None
        self._session: QMediaCaptureSession | None = None
        self._sink: QVideoSink | None = None
        self._set("view", open=False, state="closed", cameraName="", provider=None, sink=None)

    @Slot()
    def show(self) -> None:
        if self._v["open"]:
            return
        if self._provider is not None:
            self._set("view", open=True, state="preview", cameraName="classroom camera", provider=self._provider)
        else:
            self._open_qt_camera()
        self.flush()

    @Slot()
    def hide(self) -> None:
        self._close_qt_camera()
        self._set("view", open=False, state="closed", provider=None, sink=None)
        self.flush()

    @Slot()
    def toggle(self) -> None:
        self.hide() if self._v["open"] else self.show()

    def _open_qt_camera(self) -> None:
        devices = QMediaDevices.videoInputs()
        if not devices:
            self._set("view", open=True, state="no_camera", cameraName="")
            return
        device = devices[0]
        try:
            self._camera = QCamera(device, self)
            self._session = QMediaCaptureSession(self)
            self._sink = QVideoSink(self)
            self._session.setCamera(self._camera)
            self._session.setVideoSink(self._sink)
            self._camera.errorOccurred.connect(self._on_error)
            self._camera.start()
        except RuntimeError as exc:
            log.warning("camera %s could not start: %s", device.description(), exc)
            self._close_qt_camera()
            self._set("view", open=True, state="failed", cameraName=device.description())
            return
        self._set("view", open=True, state="preview", cameraName=device.description(), sink=self._sink)

    def _on_error(self, error: QCamera.Error, message: str) -> None:
        log.warning("camera error %s: %s", error, message)
        self._close_qt_camera()
        self._set("view", state="failed", sink=None)
        self.flush()

    def _close_qt_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._camera.deleteLater()
        for obj in (self._session, self._sink):
            if obj is not None:
                obj.deleteLater()
        self._camera, self._session, self._sink = None, None, None

"""Qt facts for `dual-teacher doctor`: PySide6 version, multimedia backend, screens."""

from __future__ import annotations

import os

from dual_teacher.runtime.launch import display_name


def qt_facts() -> dict[str, str]:
    """What Qt can show and play here. Uses the offscreen platform when there is no display."""
    import PySide6
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtMultimedia import QMediaDevices, QMediaFormat

    facts = {"pyside6": PySide6.__version__, "multimedia_backend": os.environ.get("QT_MEDIA_BACKEND", "ffmpeg")}
    has_display = display_name() is not None
    if not has_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication([])
    screens = [f"{s.name()} {s.size().width()}x{s.size().height()}" for s in QGuiApplication.screens()]
    facts["platform"] = QGuiApplication.platformName()
    facts["screens"] = "; ".join(screens) if has_display else "none (offscreen)"
    decoders = QMediaFormat().supportedVideoCodecs(QMediaFormat.ConversionMode.Decode)
    facts["video_decoders"] = ", ".join(c.name for c in decoders[:8]) or "none"
    facts["audio_outputs"] = str(len(QMediaDevices.audioOutputs()))
    del app
    return facts

"""The Qt application of a class: made once, prepared once (fonts, QML types, translations), and the display's
frame clock."""

from __future__ import annotations

import collections
import os
import sys
import time

from PySide6.QtCore import QObject, QTranslator, Slot
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from dual_teacher.qt.frames import register_qml_types
from dual_teacher.qt.i18n import install_translators

FONT_FAMILIES = ("Liberation Sans", "DejaVu Sans", "WenQuanYi Micro Hei")
_registered = False


def ensure_app() -> QGuiApplication:
    existing = QGuiApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    app = QApplication([])
    app.setApplicationName("dual-teacher")
    return app


class FrameClock(QObject):
    """Intervals between the frames a window shows, as the GUI thread learns of them. `frameSwapped` comes from
    the render thread and is queued here: a Python slot run on the render thread could deadlock on the GIL
    while the GUI thread waits for that thread (grabbing or closing a window)."""

    def __init__(self, keep: int = 4000) -> None:
        super().__init__()
        self.intervals_ms: collections.deque[float] = collections.deque(maxlen=keep)
        self.swaps: collections.deque[float] = collections.deque(maxlen=keep)
        self._last: float | None = None

    @Slot()
    def swapped(self) -> None:
        t = time.perf_counter()
        if self._last is not None:
            self.intervals_ms.append((t - self._last) * 1000)
        self._last = t
        self.swaps.append(t)

    def fps(self, window_s: float = 2.0) -> float:
        now = time.perf_counter()
        return sum(1 for t in self.swaps if now - t <= window_s) / window_s

    def reset(self) -> None:
        self.intervals_ms.clear()
        self._last = None


def prepare_app(app: QGuiApplication, lang: str) -> list[QTranslator]:
    """Fonts, the QML types (once per process) and the translators of `lang`; returns the translators (keep
    them alive as long as the windows)."""
    global _registered
    # Every QML binding that reads a view-model calls into Python and needs the GIL; with busy Python threads
    # (pre/post-processing of perception and speech) the default 5 ms switch interval makes the GUI thread
    # queue behind them. 1 ms keeps the UI responsive (measured with benchmarks/bench_ui.py).
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
    if not _registered:
        register_qml_types()
        _registered = True
    font = QFont()
    font.setFamilies(list(FONT_FAMILIES))  # Latin with a real bold, then Chinese
    app.setFont(font)
    return install_translators(app, lang)


def software_rendering() -> bool:
    """No GPU scene graph (offscreen, minimal or the software backend): video frames are painted by Python."""
    return QGuiApplication.platformName() in ("offscreen", "minimal") or (
        os.environ.get("QT_QUICK_BACKEND") == "software"
    )

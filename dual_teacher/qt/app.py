"""A minimal classroom window: plays the lesson's segments and shows question, poll, timer and summary cards.

The session ticks on the GUI thread from a QTimer; the media player reports the end of a segment as
`MediaEnded`. Keys (also a presenter clicker's): Space/B pause-resume, PgDn/Right next, PgUp/Left back,
R replay, S skip question, E extend timer by 15 s, F11 full screen, Ctrl+Q end the class.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QFont, QKeyEvent, QPixmap
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.runtime.session import ClassSession, InputStage

log = logging.getLogger(__name__)

_STYLE = """
QWidget#classroom { background: #10233a; }
QLabel { color: #ffffff; }
QLabel#prompt { font-size: 54px; font-weight: 600; }
QLabel#choices { font-size: 44px; }
QLabel#countdown { font-size: 64px; color: #ffd166; font-weight: 700; }
QLabel#status { font-size: 34px; color: #a8dadc; }
QLabel#indicator { font-size: 18px; color: #ffffff; background: #c0392b; border-radius: 10px; padding: 4px 10px; }
QLabel#title { font-size: 22px; color: #cfd8e3; }
"""


def _label(name: str, text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setObjectName(name)
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setWordWrap(True)
    return lab


class ClassroomWindow(QWidget):
    """Implements the session's `Display`: one page for video, one for cards."""

    def __init__(
        self,
        pack: LoadedPack,
        clock: Clock,
        submit: Callable[[ev.Event], None],
        analytics_label: str | None = None,
        lang: str = "en",
    ) -> None:
        super().__init__()
        self.setObjectName("classroom")
        self.setWindowTitle("dual-teacher: classroom")
        self.setStyleSheet(_STYLE)
        self.resize(1280, 720)
        self._pack = pack
        self._lang = lang
        self._clock = clock
        self._submit = submit
        self._deadline: float | None = None
        self._video_node: str | None = None
        self._video_end_ms: int | None = None
        self.last_command: cmd.Command | None = None

        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget()
        self.player.setVideoOutput(self.video)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.positionChanged.connect(self._on_position)
        self.player.errorOccurred.connect(self._on_media_error)

        self.title = _label("title")
        self.prompt = _label("prompt")
        self.choices = _label("choices")
        self.countdown = _label("countdown")
        self.status = _label("status")
        self.image = _label("image")
        card = QWidget()
        lay = QVBoxLayout(card)
        for w in (self.title, self.image, self.prompt, self.choices, self.countdown, self.status):
            lay.addWidget(w)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.video)
        self.pages.addWidget(card)
        # The video surface is native and would cover floating overlays, so the analytics indicator lives in
        # a strip of its own that is always visible.
        self.indicator = _label("indicator", analytics_label or "")
        self.indicator.setVisible(bool(analytics_label))
        self.segment = _label("title")
        strip = QHBoxLayout()
        strip.setContentsMargins(16, 6, 16, 6)
        strip.addWidget(self.segment, 1, Qt.AlignmentFlag.AlignLeft)
        strip.addWidget(self.indicator, 0, Qt.AlignmentFlag.AlignRight)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.pages, 1)
        outer.addLayout(strip)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.timeout.connect(self._update_countdown)
        self._countdown_timer.start(200)

    # ---- Display protocol ----------------------------------------------------------------------------
    def present(self, command: cmd.Command, now: float) -> None:
        self.last_command = command
        handler = getattr(self, f"_show_{type(command).__name__}", None)
        if handler is not None:
            handler(command)

    def _card(
        self, title: str = "", prompt: str = "", choices: str = "", status: str = "", deadline: float | None = None
    ) -> None:
        self.player.pause()
        self._video_node = None
        self.segment.setText("")
        self.title.setText(title)
        self.prompt.setText(prompt)
        self.choices.setText(choices)
        self.status.setText(status)
        self.image.clear()
        self.image.setVisible(False)
        self._deadline = deadline
        self._update_countdown()
        self.pages.setCurrentIndex(1)

    def _show_PlayVideo(self, c: cmd.PlayVideo) -> None:
        self._deadline = None
        self._video_node = c.node_id
        self._video_end_ms = None if c.end_s is None else int(c.end_s * 1000)
        self.segment.setText(c.title)
        self.pages.setCurrentIndex(0)
        self.player.setSource(QUrl.fromLocalFile(str(self._pack.media_path(c.file))))
        if c.start_s > 0:
            self.player.setPosition(int(c.start_s * 1000))
        self.player.play()

    def _show_ShowSlide(self, c: cmd.ShowSlide) -> None:
        self._card(prompt=c.text)
        if c.image:
            pix = QPixmap(str(self._pack.media_path(c.image)))
            self.image.setPixmap(
                pix.scaled(960, 480, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            )
            self.image.setVisible(True)

    def _show_ShowQuestion(self, c: cmd.ShowQuestion) -> None:
        choices = "     ".join(f"{k}. {t}" for k, t in c.choices) if c.qtype != "true_false" else "✓  /  ✗"
        self._card("", c.prompt, choices, "", c.deadline)

    def _show_RevealAnswer(self, c: cmd.RevealAnswer) -> None:
        self.status.setText(f"✔ {', '.join(c.correct)}   ({c.correct_count} / {c.responses})")
        self._deadline = None
        self.countdown.setText("")

    def _show_ShowHandPoll(self, c: cmd.ShowHandPoll) -> None:
        self._card("✋", c.prompt, "", "", c.deadline)

    def _show_UpdateCount(self, c: cmd.UpdateCount) -> None:
        if not c.tally:
            self.status.setText(f"✋ {c.responses}")
        else:
            self.status.setText(f"{c.responses} 个回答" if self._lang.startswith("zh") else f"{c.responses} answers")

    def _show_ShowTimer(self, c: cmd.ShowTimer) -> None:
        self._card("⏱", c.label, "", "", c.deadline)

    def _show_ExtendDeadline(self, c: cmd.ExtendDeadline) -> None:
        self._deadline = c.deadline

    def _show_PauseMedia(self, c: cmd.PauseMedia) -> None:
        self.player.pause()
        self.status.setText("⏸")

    def _show_ResumeMedia(self, c: cmd.ResumeMedia) -> None:
        if self._video_node is not None:
            self.player.play()
        self.status.setText("")

    def _show_ShowSummary(self, c: cmd.ShowSummary) -> None:
        lines = [f"{q.title}: {q.correct_count} / {q.responses}" for q in c.questions]
        self._card("", c.text or "👏", "\n".join(lines), "")

    # ---- media and time ----------------------------------------------------------------------------------
    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self._video_node is not None:
            node, self._video_node = self._video_node, None
            self._submit(ev.MediaEnded(node))

    def _on_position(self, position_ms: int) -> None:
        if self._video_node is not None and self._video_end_ms is not None and position_ms >= self._video_end_ms:
            node, self._video_node = self._video_node, None
            self.player.pause()
            self._submit(ev.MediaEnded(node))

    def _on_media_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if self._video_node is not None:
            node, self._video_node = self._video_node, None
            self._submit(ev.MediaFailed(node, message or str(error)))

    def _update_countdown(self) -> None:
        if self._deadline is None:
            self.countdown.setText("")
            return
        left = max(0, int(self._deadline - self._clock.monotonic() + 0.999))
        self.countdown.setText(f"{left // 60}:{left % 60:02d}")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mapping: dict[int, ev.Event] = {
            Qt.Key.Key_PageDown: ev.TeacherWentNext(),
            Qt.Key.Key_Right: ev.TeacherWentNext(),
            Qt.Key.Key_PageUp: ev.TeacherWentBack(),
            Qt.Key.Key_Left: ev.TeacherWentBack(),
            Qt.Key.Key_R: ev.TeacherReplayed(),
            Qt.Key.Key_S: ev.TeacherSkippedQuestion(),
            Qt.Key.Key_E: ev.TeacherExtendedTimer(15.0),
        }
        if key in (Qt.Key.Key_Space, Qt.Key.Key_B):
            self._toggle_pause()
        elif key == Qt.Key.Key_F11:
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif key == Qt.Key.Key_Q and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._submit(ev.TeacherEndedClass())
        elif key in mapping:
            self._submit(mapping[key])
        else:
            super().keyPressEvent(event)

    paused = False

    def _toggle_pause(self) -> None:
        self._submit(ev.TeacherResumed() if self.paused else ev.TeacherPaused())
        self.paused = not self.paused


def run_classroom_window(
    pack: LoadedPack,
    store: EventStore,
    inputs: Sequence[InputStage],
    lang: str,
    speed: float = 1.0,
    auto_close_s: float | None = 8.0,
    max_lesson_s: float | None = None,
) -> str:
    """Open the classroom window, run the class in real time, return the session id."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setFont(QFont("WenQuanYi Micro Hei"))
    clock = RealClock()
    holder: list[ClassSession] = []
    label = "● analytics: simulated class" if inputs else None
    window = ClassroomWindow(pack, clock, lambda e: holder[0].submit(e), analytics_label=label, lang=lang)
    session = ClassSession(
        pack,
        store,
        clock,
        display=window,
        inputs=inputs,
        lang=lang,
        mode="window",
        video_end="media_event",
        meta={"simulated_class": bool(inputs)},
    )
    holder.append(session)
    started = clock.monotonic()
    ticker = QTimer()

    def tick() -> None:
        session.tick()
        over = max_lesson_s is not None and clock.monotonic() - started > max_lesson_s
        if over and not session.ended:
            session.submit(ev.TeacherEndedClass())
            session.tick()
        if session.ended:
            ticker.stop()
            QTimer.singleShot(int((auto_close_s or 0) * 1000), app.quit)

    ticker.timeout.connect(tick)
    window.show()
    window.destroyed.connect(app.quit)
    session.start()
    ticker.start(50)
    app.exec()
    if not session.ended:
        session.submit(ev.TeacherEndedClass())
        session.tick()
    window.player.stop()
    session.close()
    return session.session_id

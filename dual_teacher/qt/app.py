"""Run a class with the classroom display and the teacher console (QML, ui/), in real time.

`run_classroom_window` is what `dual-teacher demo` and `dual-teacher run` call when a display exists.
Keys (also a presenter clicker's, in either window): PgDn/Right next (starts the class before it began),
PgUp/Left back, B/Space pause or resume, R replay, S skip question, E +15 s, H call on the first hand,
L live stream or AI lesson, C captions, F11 full screen, Ctrl+Q end the class.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer

from dual_teacher.core import events as ev
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.qt.classroom import Classroom
from dual_teacher.runtime.session import InputStage, unsaved_note

log = logging.getLogger(__name__)


@dataclasses.dataclass
class WindowedClass:
    """How a windowed class went: its session, whether the teacher asked for the next lesson, and the report
    (whatever `report` returned at the end of the class, None if it wrote none)."""

    session_id: str
    next_lesson: bool
    report: object | None


def run_classroom_window(
    pack: LoadedPack,
    store: EventStore,
    inputs: Sequence[InputStage],
    lang: str,
    speed: float = 1.0,
    auto_close_s: float | None = None,
    max_lesson_s: float | None = None,
    live_url: str | None = None,
    display_screen: int | None = None,
    report: Callable[[str], tuple[str, str, object] | None] | None = None,
    meta: dict[str, object] | None = None,
    heartbeat_fd: int | None = None,
    resume: str | None = None,
) -> WindowedClass:
    """Open both windows, run the class in real time. At the end of the class the report is written
    (`report(session_id)` -> (path, note, anything), shown on the console with "Open the report" and "Start
    the next lesson"); the windows stay open until the teacher closes them (or `auto_close_s` after the end,
    for scripted runs). `speed` is kept for callers: video plays in real time, so a windowed class always
    runs at speed 1."""
    room = Classroom(
        pack, store, inputs, lang=lang, live_url=live_url, meta=meta, heartbeat_fd=heartbeat_fd, resume=resume
    )
    app = room.app
    started = room.clock.monotonic()
    guard = QTimer()
    written: list[object] = []

    def check_time() -> None:
        if max_lesson_s is not None and room.clock.monotonic() - started > max_lesson_s and not room.session.ended:
            room.session.submit(ev.TeacherEndedClass())

    def ended() -> None:
        guard.stop()
        if report is not None:
            room.session.flush()
            got = report(room.session.session_id)
            if got is not None:
                path, note, extra = got
                written.append(extra)
                room.console.set_report(path, note)
        if auto_close_s is not None:
            QTimer.singleShot(int(auto_close_s * 1000), app.quit)

    room.on_ended = ended
    # Quitting is the console's decision (it asks while a class is on), never a side effect of closing a window.
    app.setQuitOnLastWindowClosed(False)
    room.on_quit = app.quit  # the console's close handler (ui/Console.qml) asks first while the class is on
    guard.timeout.connect(check_time)
    guard.start(200)
    freeze_at = os.environ.get("DUAL_TEACHER_FAULT_FREEZE_AT")  # a drill: the GUI thread blocks once, for good
    if freeze_at and resume is None:
        QTimer.singleShot(int(float(freeze_at) * 1000), lambda: time.sleep(3600))
    room.show(display_screen)
    room.run(auto_start=True)
    app.exec()
    if not room.close():
        log.error("%s", unsaved_note(room.session))
    return WindowedClass(room.session.session_id, room.next_requested, written[0] if written else None)

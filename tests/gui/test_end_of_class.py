"""The end of a class: the console shows the report and "Start the next lesson", the display keeps the class
summary, and the windows stay open until the teacher closes them."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickItem, QQuickWindow

from dual_teacher.engagement.report import write_report
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack
from dual_teacher.qt.app import run_classroom_window
from tests.gui.conftest import kinds

pytestmark = pytest.mark.gui


def _find(root: QQuickItem, name: str) -> QQuickItem | None:
    for child in root.childItems():
        if child.objectName() == name:
            return child
        found = _find(child, name)
        if found is not None:
            return found
    return None


def test_the_windows_stay_open_with_the_report_and_the_next_lesson(qtbot, demo_pack_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pack = load_pack(demo_pack_dir)
    store = EventStore(tmp_path / "events.sqlite")
    seen: dict[str, object] = {}

    def windows() -> dict[str, QQuickWindow]:
        found = {w.objectName(): w for w in QGuiApplication.topLevelWindows() if isinstance(w, QQuickWindow)}
        return {k: v for k, v in found.items() if k in ("classroomDisplay", "teacherConsole")}

    def report(session_id: str) -> tuple[str, str, object]:
        path, rep = write_report(store, session_id, tmp_path / "reports" / session_id)
        return str(path), "", (path, rep)

    def end_it() -> None:
        _console_model(windows()["teacherConsole"]).endClass()  # as with Ctrl+Q

    def look() -> None:
        w = windows()
        seen["open"] = {name: win.isVisible() for name, win in w.items()}
        engine_console = _console_model(w["teacherConsole"])
        seen["status"] = engine_console.status
        seen["report"] = engine_console.reportPath
        panel = _find(w["teacherConsole"].contentItem(), "endPanel")
        seen["panel"] = panel is not None and panel.isVisible()
        seen["display"] = _display_model(w["classroomDisplay"]).mode
        engine_console.nextLesson()  # "Start the next lesson": these windows close, the caller opens a new class

    QTimer.singleShot(1500, end_it)
    QTimer.singleShot(5000, look)
    run = run_classroom_window(pack, store, [], "en", report=report)
    assert seen["open"] == {"classroomDisplay": True, "teacherConsole": True}  # 3.5 s after the end: still open
    assert seen["status"] == "ended" and seen["panel"] is True
    assert str(seen["report"]).endswith("report.html") and Path(str(seen["report"])).is_file()
    assert seen["display"] == "summary"  # the display keeps the class summary
    assert run.next_lesson and run.report is not None
    row = store.session(run.session_id)
    assert row is not None and row.end_reason == "teacher"  # ended from the console (Ctrl+Q)
    pack.close()
    store.close()


def _console_model(window: QQuickWindow):  # type: ignore[no-untyped-def]
    from PySide6.QtQml import QQmlEngine

    return QQmlEngine.contextForObject(window).engine().rootContext().contextProperty("console")


def _display_model(window: QQuickWindow):  # type: ignore[no-untyped-def]
    from PySide6.QtQml import QQmlEngine

    return QQmlEngine.contextForObject(window).engine().rootContext().contextProperty("display")


def test_next_lesson_only_after_the_end(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    quits: list[bool] = []
    room.on_quit = lambda: quits.append(True)
    room.show()
    room.run()
    qtbot.waitUntil(lambda: "ClassStarted" in kinds(room), timeout=5000)
    room.console.nextLesson()
    assert quits == [] and not room.next_requested  # not during a class
    room.end_class()
    qtbot.waitUntil(lambda: room.session.ended, timeout=3000)
    room.console.set_report("/tmp/x/report.html")
    assert room.console.reportPath == "/tmp/x/report.html"
    room.console.nextLesson()
    assert quits == [True] and room.next_requested

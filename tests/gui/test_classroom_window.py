"""The classroom display (QML + DisplayModel): offscreen with pytest-qt, and a real window under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QObject, Qt
from PySide6.QtQuick import QQuickItem

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.qt.frames import LatestFrame
from dual_teacher.runtime.simulated import SimulatedClass
from tests.conftest import REPO
from tests.gui.conftest import events_of, kinds

pytestmark = pytest.mark.gui


def _item(window: QObject, name: str) -> QQuickItem:
    item = window.findChild(QQuickItem, name)
    assert item is not None, name
    return item


def test_question_card_shows_prompt_choices_countdown_and_answers(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    room = make_room(clock=clock)
    room.show()
    d = room.display
    d.present(cmd.ShowQuestion("q1", "single_choice", "What is 5 + 3?", (("A", "7"), ("B", "8")), 20.0, ()), 0.0)
    assert d.mode == "question" and d.prompt == "What is 5 + 3?"
    assert [c["text"] for c in d.choices] == ["7", "8"]
    assert _item(room.display_window, "questionPrompt").property("text") == "What is 5 + 3?"
    qtbot.waitUntil(lambda: d.secondsLeft == 20, timeout=2000)
    clock.advance(12.5)
    qtbot.waitUntil(lambda: d.secondsLeft == 8, timeout=2000)
    d.present(cmd.UpdateCount("q1", 5, {"B": 5}), 1.0)
    assert d.responses == 5
    d.present(cmd.RevealAnswer("q1", ("B",), 5, 4, {"B": 4, "A": 1}, 25.0), 21.0)
    assert d.revealed and d.correctKeys == ["B"] and d.correctCount == 4 and d.secondsLeft == -1


def test_hand_poll_counts_with_english_plurals(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room(clock=FakeClock())
    room.show()
    room.display.present(cmd.ShowHandPoll("p", "Raise your hand!", 10.0), 0.0)
    count = _item(room.display_window, "pollCount")
    room.display.present(cmd.UpdateCount("p", 1, {}), 1.0)
    qtbot.waitUntil(lambda: count.property("text") == "1 hand up", timeout=2000)
    room.display.present(cmd.UpdateCount("p", 3, {}), 2.0)
    qtbot.waitUntil(lambda: count.property("text") == "3 hands up", timeout=2000)


def test_indicator_is_visible_while_analytics_run_and_gone_when_paused(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room(inputs=[SimulatedClass()])
    room.show()
    room.run()
    indicator = _item(room.display_window, "analyticsIndicator")
    assert room.display.indicator == "simulated" and indicator.isVisible()
    room.set_analytics(False)
    assert room.display.indicator == "" and not indicator.isVisible()
    qtbot.waitUntil(lambda: "TeacherPausedAnalytics" in kinds(room), timeout=2000)
    room.set_analytics(True)
    assert indicator.isVisible()


def test_video_end_and_presenter_keys_reach_the_session(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    qtbot.waitUntil(lambda: room.session.state.node_id == "intro", timeout=5000)
    room.display.present(cmd.PlayVideo("intro", "media/intro.mp4", 0.0, 1.0, "Welcome"), 0.0)
    qtbot.waitUntil(lambda: bool(events_of(room, ev.MediaEnded)), timeout=15000)
    room.display_window.requestActivate()
    for key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp, Qt.Key.Key_B, Qt.Key.Key_B):
        qtbot.keyClick(room.display_window, key)
        qtbot.wait(120)
    teacher = [k for k in kinds(room) if k.startswith("Teacher") and k != "TeacherStarted"]
    assert teacher[-4:] == ["TeacherWentNext", "TeacherWentBack", "TeacherPaused", "TeacherResumed"]


def test_broken_media_is_reported_to_the_console_not_the_students(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    qtbot.waitUntil(lambda: room.session.state.node_id == "intro", timeout=5000)
    room.display.present(cmd.PlayVideo("intro", "media/does-not-exist.mp4", 0.0, None, ""), 0.0)
    qtbot.waitUntil(lambda: bool(events_of(room, ev.MediaFailed)), timeout=10000)
    qtbot.waitUntil(lambda: any(a["kind"] == "stage" for a in room.console.alerts), timeout=3000)
    assert room.session.state.node_id != "intro"  # the lesson moved on
    assert room.qml_warnings == []


def test_the_camera_is_never_on_the_classroom_display(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.camera.show()
    qtbot.waitUntil(lambda: room.camera.open, timeout=2000)
    assert room.display_window.findChild(QObject, "cameraSetup") is None
    assert room.display_window.findChild(QObject, "cameraPreview") is None
    shown = [f.property("sink") for f in room.display_window.findChildren(LatestFrame)]
    assert room.camera.sink is None or room.camera.sink not in shown
    assert _item(room.console_window, "cameraSetup").isVisible()


def test_display_grab_shows_the_lesson_video_not_black(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room(frame_painter=True)
    room.show()
    room.run()
    frame = room.display_window.findChild(LatestFrame, "lessonFrame")
    assert frame is not None
    qtbot.waitUntil(lambda: frame.property("frameCount") > 3, timeout=10000)
    image = room.grab(room.display_window)
    w, h = image.width(), image.height()
    samples = [image.pixelColor(int(w * x / 8), int(h * y / 8)) for x in range(1, 8) for y in range(1, 8)]
    light = sum(1 for c in samples if min(c.red(), c.green(), c.blue()) > 180)
    assert light > len(samples) // 2  # the demo video's light slide, not black and not the dark stage behind it


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (the test command runs under Xvfb)")
def test_real_window_runs_the_demo_under_x(demo_pack_dir: Path, tmp_path: Path) -> None:
    exe = shutil.which("dual-teacher") or str(Path(sys.executable).parent / "dual-teacher")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DUAL_TEACHER_HOME": str(tmp_path)}
    done = subprocess.run(
        [exe, "demo", "--stop-after", "6"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "session id:" in done.stdout
    assert "QML" not in done.stderr, done.stderr[-2000:]
    store = EventStore(tmp_path / "events.sqlite")
    row = store.session("latest")
    assert row is not None and row.mode == "window" and row.end_reason == "teacher"
    types = [e.type for e in store.events(row.id)]
    assert types[:3] == ["TeacherStarted", "ClassStarted", "NodeEntered"]
    store.close()

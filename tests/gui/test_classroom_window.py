"""The minimal classroom window: offscreen with pytest-qt, and a real window under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.loader import load_pack
from dual_teacher.qt.app import ClassroomWindow
from tests.conftest import REPO


@pytest.fixture
def window(qtbot, demo_pack_dir: Path):  # type: ignore[no-untyped-def]
    pack = load_pack(demo_pack_dir)
    submitted: list[ev.Event] = []
    clock = FakeClock()
    win = ClassroomWindow(pack, clock, submitted.append, analytics_label="● analytics", lang="en")
    qtbot.addWidget(win)
    win.show()
    win.submitted = submitted  # type: ignore[attr-defined]
    win.fake_clock = clock  # type: ignore[attr-defined]
    yield win
    win.player.stop()
    pack.close()


def test_question_card_shows_prompt_choices_and_countdown(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.present(
        cmd.ShowQuestion("q1", "single_choice", "What is 5 + 3?", (("A", "7"), ("B", "8")), 20.0, ("spoken",)), 0.0
    )
    assert window.pages.currentIndex() == 1
    assert window.prompt.text() == "What is 5 + 3?"
    assert "B. 8" in window.choices.text()
    qtbot.waitUntil(lambda: window.countdown.text() == "0:20", timeout=2000)
    window.fake_clock.advance(12.5)
    qtbot.waitUntil(lambda: window.countdown.text() == "0:08", timeout=2000)
    window.present(cmd.UpdateCount("q1", 5, {"B": 5}), 1.0)
    assert window.status.text() == "5 answers"
    window.present(cmd.RevealAnswer("q1", ("B",), 5, 4, {"B": 4, "A": 1}, 25.0), 21.0)
    assert "4 / 5" in window.status.text()


def test_indicator_is_visible_while_analytics_run(window) -> None:  # type: ignore[no-untyped-def]
    assert window.indicator.isVisible()
    window.present(cmd.PlayVideo("intro", "media/intro.mp4", 0.0, None, "Welcome"), 0.0)
    assert window.pages.currentIndex() == 0 and window.indicator.isVisible()
    assert window.segment.text() == "Welcome"


def test_video_end_and_presenter_keys_reach_the_session(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    window.present(cmd.PlayVideo("intro", "media/intro.mp4", 0.0, 1.0, "Welcome"), 0.0)
    qtbot.waitUntil(lambda: any(isinstance(e, ev.MediaEnded) for e in window.submitted), timeout=15000)
    for key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp, Qt.Key.Key_B, Qt.Key.Key_B):
        qtbot.keyClick(window, key)
    kinds = [type(e).__name__ for e in window.submitted]
    assert kinds[-4:] == ["TeacherWentNext", "TeacherWentBack", "TeacherPaused", "TeacherResumed"]


def test_broken_media_is_reported_not_fatal(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.present(cmd.PlayVideo("intro", "media/does-not-exist.mp4", 0.0, None, ""), 0.0)
    qtbot.waitUntil(lambda: any(isinstance(e, ev.MediaFailed) for e in window.submitted), timeout=10000)


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (the test command runs under Xvfb)")
def test_real_window_runs_the_demo_under_x(demo_pack_dir: Path, tmp_path: Path) -> None:
    exe = shutil.which("dual-teacher") or str(Path(sys.executable).parent / "dual-teacher")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DUAL_TEACHER_HOME": str(tmp_path)}
    done = subprocess.run(
        [exe, "demo", "--stop-after", "6"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "session id:" in done.stdout
    store = EventStore(tmp_path / "events.sqlite")
    row = store.session("latest")
    assert row is not None and row.mode == "window" and row.end_reason == "teacher"
    types = [e.type for e in store.events(row.id)]
    assert types[:3] == ["TeacherStarted", "ClassStarted", "NodeEntered"]
    store.close()

"""A blocked GUI thread during a class: caught from outside it, its stacks written to the freeze log, and the
console told once it runs again."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QTimer

from dual_teacher.core import events as ev
from tests.gui.conftest import events_of

pytestmark = pytest.mark.gui


def test_a_blocked_gui_thread_is_dumped_and_reported(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    qtbot.waitUntil(lambda: room.display.mode == "video", timeout=5000)
    QTimer.singleShot(100, lambda: time.sleep(3.6))  # the GUI thread stuck, as in the PySide6/FFmpeg deadlock
    qtbot.waitUntil(
        lambda: any(isinstance(e, ev.StageAlert) and e.stage == "display" for e in events_of(room, ev.StageAlert)),
        timeout=10_000,
    )
    alert = next(e for e in events_of(room, ev.StageAlert) if isinstance(e, ev.StageAlert) and e.stage == "display")
    assert "blocked for" in alert.message
    log = room.heartbeat.log_path.read_text(encoding="utf-8")
    assert "most recent call first" in log and "test_a_blocked_gui_thread_is_dumped_and_reported" in log
    assert not room.session.ended  # the class went on

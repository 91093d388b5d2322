"""Status that tells the truth: one hand count on both windows, the head count as an estimate, the camera
set-up view showing the camera that analytics run on, and an indicator that names exactly what runs."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtQuick import QQuickItem

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd

pytestmark = pytest.mark.gui


class _Perception:
    """Stands in for the perception stage: a camera's frames (latest_preview) and what the test queues."""

    name = "perception"

    def __init__(self) -> None:
        self.queue: list[ev.Event] = []

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        pass

    def poll(self, now: float) -> list[ev.Event]:
        out, self.queue = self.queue, []
        return out

    def latest_preview(self):  # type: ignore[no-untyped-def]
        return np.full((90, 160, 3), 120, np.uint8), []


def _find(root: QQuickItem, name: str) -> QQuickItem | None:
    for child in root.childItems():
        if child.objectName() == name:
            return child
        found = _find(child, name)
        if found is not None:
            return found
    return None


def test_the_display_and_the_console_show_the_same_hand_count_in_a_poll(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    cam = _Perception()
    room = make_room(inputs=[cam])
    room.show()
    room.run()
    qtbot.waitUntil(lambda: room.session.state.status == "running", timeout=5000)
    room.session.submit(ev.TeacherJumped("poll-ten"))
    qtbot.waitUntil(lambda: room.display.mode == "poll", timeout=5000)
    # 17 raised-hand tracks were seen over time, 4 hands are counted for the poll right now
    cam.queue += [ev.HandRaised(i, 0.05 * i, 0.5, "perception") for i in range(17)]
    cam.queue.append(ev.HandCountReported(4, None, "perception"))
    qtbot.waitUntil(lambda: room.display.handCount == 4 and room.console.handsUp == 4, timeout=3000)
    display_text = room.display_window.findChild(QQuickItem, "pollCount").property("text")
    console_item = _find(room.console_window.contentItem(), "handsUpText")
    assert console_item is not None
    qtbot.waitUntil(lambda: console_item.property("text") == display_text == "4 hands up", timeout=3000)
    assert len(room.console.hands) == 17  # the queue still lists every hand to call on


def test_a_camera_count_is_about_n_and_the_setup_view_shows_the_analysed_camera(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    cam = _Perception()
    room = make_room(inputs=[cam])
    room.show()
    room.run()
    assert room.display.indicator == "camera"  # not "camera and microphone": there is no microphone
    indicator = room.display_window.findChild(QQuickItem, "analyticsIndicator")
    assert indicator is not None and indicator.property("text") == "Camera on"
    pill = _find(room.console_window.contentItem(), "analyticsPill")
    assert pill is not None and pill.property("text") == "Camera on"  # the console says the same
    cam.queue.append(ev.HeadCountReported(17, "perception"))
    qtbot.waitUntil(lambda: room.console.headCount == 17 and room.console.headCountApprox, timeout=3000)
    cam.queue.append(ev.HeadCountReported(18, "perception", 18, 18))  # every cue agreed: an exact count
    qtbot.waitUntil(lambda: room.console.headCount == 18 and not room.console.headCountApprox, timeout=3000)
    cam.queue.append(ev.HeadCountReported(27, "perception", 24, 30))  # the cues disagree: "about 27"
    qtbot.waitUntil(lambda: room.console.headCount == 27 and room.console.headCountApprox, timeout=3000)
    room.camera.show()
    assert room.camera.state == "preview"  # never "No camera found" while analytics run on a camera
    room.camera.hide()


def test_with_nothing_running_neither_window_claims_analytics(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    pill = _find(room.console_window.contentItem(), "analyticsPill")
    indicator = room.display_window.findChild(QQuickItem, "analyticsIndicator")
    assert pill is not None and indicator is not None
    assert not pill.isVisible() and not indicator.isVisible()

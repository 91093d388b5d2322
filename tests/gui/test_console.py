"""The teacher console (QML + ConsoleModel) and the camera set-up view, offscreen with pytest-qt."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QCoreApplication
from PySide6.QtQuick import QQuickItem

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.qt.frames import LatestFrame
from tests.gui.conftest import events_of, kinds

pytestmark = pytest.mark.gui


class _Room:
    """An input stage standing in for perception: emits what the test queues."""

    name = "perception-fake"

    def __init__(self) -> None:
        self.queue: list[ev.Event] = []
        self.enabled: bool | None = None

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        pass

    def poll(self, now: float) -> list[ev.Event]:
        out, self.queue = self.queue, []
        return out

    def set_analytics_enabled(self, enabled: bool) -> None:
        self.enabled = enabled


def test_hand_queue_in_order_and_calling_the_first_hand_cues_the_display(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    fake = _Room()
    room = make_room(inputs=[fake])
    room.show()
    room.run()
    fake.queue += [
        ev.HeadCountReported(27, "perception"),
        ev.HandRaised(7, 0.2, 0.3, "perception"),
        ev.HandRaised(3, 0.8, 0.9, "perception"),
        ev.HandRaised(9, 0.5, 0.5, "perception"),
        ev.HandLowered(3, "perception"),
        ev.AttentionMeasured(0.72, 20, "perception"),
        ev.CaptionUpdated("Look at the number line", True, "en"),
        ev.SpeechActivity("room", 4.5),
    ]
    c = room.console
    qtbot.waitUntil(lambda: [h["trackId"] for h in c.hands] == [7, 9], timeout=3000)
    assert [h["order"] for h in c.hands] == [1, 2]
    qtbot.waitUntil(lambda: c.headCount == 27 and c.attention == pytest.approx(0.72), timeout=3000)
    assert c.transcript == ["Look at the number line"]
    qtbot.waitUntil(lambda: c.talk.get("room") == 4.5, timeout=3000)
    c.callFirstHand()
    qtbot.waitUntil(lambda: room.display.cueVisible, timeout=3000)
    assert [e.track_id for e in events_of(room, ev.TeacherCalledOnHand)] == [7]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: c.hands[0]["called"], timeout=3000)
    c.callFirstHand()  # the next one not yet called
    qtbot.waitUntil(lambda: len(events_of(room, ev.TeacherCalledOnHand)) == 2, timeout=3000)
    assert events_of(room, ev.TeacherCalledOnHand)[-1].track_id == 9  # type: ignore[attr-defined]


def test_teacher_enters_and_corrects_answers(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    room.session.submit(ev.TeacherJumped("q1"))
    c = room.console
    qtbot.waitUntil(lambda: c.question.get("id") == "q1" and c.question.get("open"), timeout=3000)
    for _ in range(3):
        c.addAnswer("B")
    c.addAnswer("A")
    qtbot.waitUntil(lambda: c.question["responses"] == 4, timeout=3000)
    c.removeAnswer("B")
    qtbot.waitUntil(lambda: c.question["responses"] == 3 and c.question["correctCount"] == 2, timeout=3000)
    rows = {r["key"]: r for r in c.question["rows"]}
    assert rows["B"]["correct"] and rows["B"]["count"] == 2 and rows["A"]["count"] == 1
    c.skipQuestion()
    qtbot.waitUntil(lambda: any(r["id"] == "q1" for r in c.results), timeout=3000)


def test_pausing_analytics_withholds_room_events_and_tells_the_stage(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    fake = _Room()
    room = make_room(inputs=[fake])
    room.show()
    room.run()
    room.console.toggleAnalytics()
    assert fake.enabled is False and room.display.indicator == ""
    fake.queue.append(ev.HandRaised(1, 0.5, 0.5, "perception"))
    qtbot.wait(300)
    assert not events_of(room, ev.HandRaised) and room.gated[0].withheld == 1
    qtbot.waitUntil(lambda: any(a["kind"] == "analytics_paused" for a in room.console.alerts), timeout=3000)
    room.console.toggleAnalytics()
    assert fake.enabled is True and room.display.indicator == "analytics"


def test_timeline_marks_where_the_class_is_and_the_detours(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run()
    c = room.console
    qtbot.waitUntil(lambda: any(r["state"] == "current" for r in c.timeline), timeout=3000)
    rows = {r["id"]: r for r in c.timeline}
    assert rows["intro"]["state"] == "current" and rows["intro"]["start"] == "0:00"
    assert rows["number-line"]["detour"] and rows["number-line"]["start"] == ""
    assert "check-q1" not in rows  # branches are not steps the teacher sees
    room.console.next()
    qtbot.waitUntil(lambda: {r["id"]: r for r in c.timeline}["intro"]["state"] == "done", timeout=3000)


def test_alerts_and_stage_health(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    fake = _Room()
    room = make_room(inputs=[fake])
    room.show()
    room.run()
    room.session.record(ev.StageAlert("camera", "no frames for 5 s", "warning"))
    c = room.console
    qtbot.waitUntil(lambda: [a["kind"] for a in c.alerts] == ["camera_lost"], timeout=3000)
    qtbot.waitUntil(lambda: len(c.health) >= 4, timeout=3000)
    stages = [h["stage"] for h in c.health]
    assert stages[:3] == ["display", "lesson", "event store"] and "perception-fake" in stages
    alerts = room.console_window.findChild(QQuickItem, "alerts")
    assert alerts is not None
    c.dismissAlert(c.alerts[0]["id"])
    assert c.alerts == []


def test_start_button_before_the_class_and_a_clicker_starts_it(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.run(auto_start=False)
    start = room.console_window.findChild(QQuickItem, "startButton")
    assert start is not None
    qtbot.waitUntil(lambda: start.isVisible(), timeout=2000)
    room.console.next()  # PgDn on a presenter clicker
    qtbot.waitUntil(lambda: "ClassStarted" in kinds(room), timeout=3000)
    qtbot.waitUntil(lambda: not start.isVisible(), timeout=3000)


class _FakeCamera:
    def __init__(self) -> None:
        self.calls = 0

    def latest_preview(self):  # type: ignore[no-untyped-def]
        self.calls += 1
        frame = np.zeros((120, 160, 3), np.uint8)
        frame[:, :80] = (200, 180, 40)
        pose = [(0.5, 0.2, 1.0)] * 33
        return frame, [pose]


def test_camera_setup_shows_a_preview_from_a_frame_source(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    cam = _FakeCamera()
    room = make_room(camera_source=cam)
    room.show()
    room.camera.show()
    assert room.camera.state == "preview"
    preview = room.console_window.findChild(LatestFrame, "cameraPreview")
    assert preview is not None
    qtbot.waitUntil(lambda: preview.property("frameCount") >= 2, timeout=3000)
    room.camera.hide()
    assert not room.camera.open


def test_camera_setup_without_a_camera_says_so(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    room.show()
    room.camera.show()
    if room.camera.state == "preview":
        pytest.skip("this machine has a camera")
    assert room.camera.state == "no_camera"
    message = room.console_window.findChild(QQuickItem, "cameraMessage")
    assert message is not None and "No camera found" in message.property("text")


def test_chinese_console_through_qt_translations(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room(lang="zh-Hans")
    room.show()
    assert QCoreApplication.translate("Console", "Back to live") == "回到直播"
    assert QCoreApplication.translate("Classroom", "I see your hand!") == "我看到你举手了！"
    assert room.display.lessonTitle == "小数加法"

"""The lead teacher's commands on the teacher console: shown as they come, acted on only while remote control is on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtQuick import QQuickItem

from dual_teacher.core import events as ev
from dual_teacher.runtime.lead_link import LeadLink
from tests.gui.conftest import events_of

pytestmark = pytest.mark.gui
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "lead-dashboard"


def _frame(**command: object) -> str:
    return json.dumps({"type": "command", **command})


def _lead_alerts(console, command: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [a for a in console.alerts if a["kind"] == "lead" and a["command"] == command]


def test_lead_commands_reach_the_console_and_remote_control_turns_off(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    link = LeadLink("http://127.0.0.1:9", "room.secret")  # never started: frames are handed in as if received
    room = make_room(inputs=[link])
    room.show()
    room.run()
    c = room.console
    qtbot.waitUntil(lambda: c.leadLinked and c.remoteControl, timeout=3000)
    button = room.console_window.findChild(QQuickItem, "remoteControlButton")
    assert button is not None
    qtbot.waitUntil(button.isVisible, timeout=3000)

    # The lead teacher's ad-hoc question card goes on the classroom display over the lesson, for its time.
    link._on_frame(_frame(kind="question", prompt="Which is more: 7 or 9?", choices=["7", "9"], duration_s=20))
    qtbot.waitUntil(lambda: room.display.leadCardVisible, timeout=3000)
    assert room.display.leadCardChoices == ["7", "9"]
    card = room.display_window.findChild(QQuickItem, "leadCard")
    assert card is not None
    qtbot.waitUntil(card.isVisible, timeout=3000)
    qtbot.wait(400)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    room.grab(room.display_window).save(str(ARTIFACTS / "display-lead-question.png"))

    link._on_frame(_frame(kind="call_on_seat", x=0.5, y=0.4))
    qtbot.waitUntil(lambda: room.display.cueVisible, timeout=3000)  # the display shows "I see your hand"
    qtbot.waitUntil(lambda: bool(_lead_alerts(c, "call_on_seat")), timeout=3000)
    link._on_frame(_frame(kind="note", text="Please check the back row"))
    link._on_frame(_frame(kind="hand_poll", prompt="Who has finished?"))
    qtbot.waitUntil(lambda: bool(_lead_alerts(c, "note")) and bool(_lead_alerts(c, "hand_poll")), timeout=3000)
    assert _lead_alerts(c, "note")[0]["detail"] == "Please check the back row"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    qtbot.wait(500)  # the console's view refreshes every 200 ms
    room.grab(room.console_window).save(str(ARTIFACTS / "console-lead-commands.png"))

    c.toggleRemoteControl()
    qtbot.waitUntil(lambda: not c.remoteControl, timeout=3000)
    link._on_frame(_frame(kind="pause"))
    qtbot.waitUntil(lambda: bool(_lead_alerts(c, "pause")), timeout=3000)
    assert _lead_alerts(c, "pause")[0]["accepted"] is False
    assert not events_of(room, ev.LessonPaused)
    c.toggleRemoteControl()
    qtbot.waitUntil(lambda: c.remoteControl, timeout=3000)
    link._on_frame(_frame(kind="pause"))
    qtbot.waitUntil(lambda: bool(events_of(room, ev.LessonPaused)), timeout=3000)

"""Closing the windows: the QML close handlers run (no "Cannot call meta function" TypeError), closing the
classroom display keeps the class on and the console offers to show it again, closing the console asks
before ending the class."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QObject
from PySide6.QtQuick import QQuickItem

from tests.gui.conftest import events_of, kinds

pytestmark = pytest.mark.gui


def _find_item(root: QQuickItem, name: str) -> QQuickItem | None:
    """A QML item by objectName through the visual tree (Repeater delegates are not QObject children)."""
    for child in root.childItems():
        if child.objectName() == name:
            return child
        found = _find_item(child, name)
        if found is not None:
            return found
    return None


def _no_close_handler_errors(room) -> None:  # type: ignore[no-untyped-def]
    bad = [w for w in room.qml_warnings if "meta function" in w or "TypeError" in w or "ReferenceError" in w]
    assert bad == []


def test_closing_the_display_keeps_the_class_on_and_the_console_shows_it_again(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    from dual_teacher.core import events as ev

    room = make_room()
    room.show()
    room.run()
    qtbot.waitUntil(lambda: room.display.mode == "video", timeout=5000)
    room.display_window.close()  # what the window manager's close button does
    qtbot.waitUntil(lambda: [a["kind"] for a in room.console.alerts] == ["display_closed"], timeout=3000)
    assert room.display_hidden and not room.display_window.isVisible()
    assert not room.session.ended and room.session.state.status == "running"
    qtbot.waitUntil(lambda: bool(room.console.health) and room.console.health[0]["state"] == "failed", timeout=3000)
    button = _find_item(room.console_window.contentItem(), "showDisplayButton")
    assert button is not None and button.isVisible()
    button.clicked.emit()
    qtbot.waitUntil(lambda: room.display_window.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: room.console.alerts == [], timeout=3000)
    assert not room.display_hidden
    alerts = [e for e in events_of(room, ev.StageAlert) if isinstance(e, ev.StageAlert) and e.stage == "display window"]
    assert [a.severity for a in alerts] == ["warning", "info"]  # stored with the class
    _no_close_handler_errors(room)


def test_closing_the_console_asks_before_ending_the_class(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    quits: list[bool] = []
    room.on_quit = lambda: quits.append(True)
    room.show()
    room.run()
    qtbot.waitUntil(lambda: "ClassStarted" in kinds(room), timeout=5000)
    room.console_window.close()
    dialog = room.console_window.findChild(QObject, "closeDialog")
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.property("visible")), timeout=3000)
    assert room.console_window.isVisible() and not room.session.ended and quits == []
    dialog.close()  # "Keep teaching"
    room.console.endClassAndClose()  # "End class and close"
    qtbot.waitUntil(lambda: room.session.ended, timeout=3000)
    assert quits == [True] and "TeacherEndedClass" in kinds(room)
    _no_close_handler_errors(room)


def test_after_the_class_closing_the_console_just_closes(make_room, qtbot) -> None:  # type: ignore[no-untyped-def]
    room = make_room()
    quits: list[bool] = []
    room.on_quit = lambda: quits.append(True)
    room.show()
    room.run()
    qtbot.waitUntil(lambda: "ClassStarted" in kinds(room), timeout=5000)
    room.end_class()
    qtbot.waitUntil(lambda: room.session.ended, timeout=3000)
    room.console_window.close()
    assert quits == [True] and not room.console_window.isVisible()
    _no_close_handler_errors(room)

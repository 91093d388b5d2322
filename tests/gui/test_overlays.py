"""Overlays never cover content: every node kind rendered with every overlay (the "I see your hand" cue,
captions, the paused pill, the segment title, the analytics indicator); no overlay may overlap the content.
Screenshots go to artifacts/overlays/ (looked at when changing ui/Classroom.qml)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtCore import QObject, QRectF
from PySide6.QtQuick import QQuickItem

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.lesson import commands as cmd
from tests.conftest import REPO

pytestmark = pytest.mark.gui

LONG = "Count on from the bigger number: what is 5 + 3, and how do you know it is right?"
NODES: dict[str, tuple[cmd.Command, list[str]]] = {
    "video": (
        cmd.PlayVideo("intro", "media/intro.mp4", 0.0, None, "Counting on, a long segment title here"),
        ["lessonVideo"],
    ),
    "slide": (cmd.ShowSlide("s", None, LONG, None, 30.0), ["slideCard"]),
    "question": (
        cmd.ShowQuestion("q1", "single_choice", LONG, (("A", "7"), ("B", "8"), ("C", "9"), ("D", "10")), 30.0, ()),
        ["questionPrompt", "choiceRow", "questionFooter"],
    ),
    "true_false": (
        cmd.ShowQuestion("q3", "true_false", "Is 7 + 6 = 13?", (("true", "True"), ("false", "False")), 30.0, ()),
        ["questionPrompt", "choiceRow", "questionFooter"],
    ),
    "poll": (cmd.ShowHandPoll("p", LONG, 30.0), ["pollHand", "pollPrompt", "pollFooter"]),
    "timer": (
        cmd.ShowTimer("t", "Practice: make ten with your counters, then check with a partner", 90.0),
        ["timerCard"],
    ),
    "summary": (
        cmd.ShowSummary("Well done, everyone! You counted on and made ten.", (), 0),
        ["summaryCard"],
    ),
}
OVERLAYS = ["captionBox", "handCue", "analyticsIndicator", "pausedPill", "segmentPill"]


def _scene_rect(item: QQuickItem) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


def _item(root: QObject, name: str) -> QQuickItem:
    found = root.findChild(QQuickItem, name)
    assert found is not None, name
    return found


@pytest.mark.parametrize("with_cue", [False, True])
@pytest.mark.parametrize("kind", list(NODES))
def test_no_overlay_covers_the_content(make_room, qtbot, kind: str, with_cue: bool) -> None:  # type: ignore[no-untyped-def]
    room = make_room(clock=FakeClock())
    room.display_window.resize(1280, 720)
    room.show()
    d = room.display
    d.set_indicator("camera_microphone")
    command, content = NODES[kind]
    d.present(command, 0.0)
    d.present(cmd.PauseMedia(), 1.0)
    d.on_event(ev.CaptionUpdated("and then we count on: six, seven, eight, that makes eight in all", True, "en"))
    if with_cue:
        d.on_event(ev.TeacherCalledOnHand(3))
    d.flush()
    root = room.display_window
    qtbot.wait(450)  # the cue's pop-in animation
    shown = [n for n in OVERLAYS if _item(root, n).isVisible() and _item(root, n).opacity() > 0]
    assert "analyticsIndicator" in shown and ("pausedPill" in shown) == (kind != "summary")
    assert ("handCue" in shown) == (with_cue and kind != "summary")
    if kind == "video" and not with_cue:
        assert "captionBox" in shown and "segmentPill" in shown
    overlaps = []
    for name in content:
        item = _item(root, name)
        assert item.isVisible(), name
        box = _scene_rect(item)
        for over in shown:
            if box.intersects(_scene_rect(_item(root, over))):
                overlaps.append((name, over))
        for over in shown:  # overlays stay inside the window
            assert room.display_window.contentItem().boundingRect().contains(_scene_rect(_item(root, over))), over
    boxes = [(name, _scene_rect(_item(root, name))) for name in content]
    for i, (a, ra) in enumerate(boxes):  # nor does one part of a card cover another (a long prompt shrinks)
        overlaps += [(a, b) for b, rb in boxes[i + 1 :] if ra.intersects(rb)]
    out = REPO / "artifacts" / "overlays"
    out.mkdir(parents=True, exist_ok=True)
    room.grab(room.display_window).save(str(out / f"{kind}{'-cue' if with_cue else ''}.png"))
    assert overlaps == []

"""The classroom display handles every command of the lesson engine: each command class has a handler or is
named as one for the input stages; a command without either is an error, never silently dropped."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from dual_teacher.core.clock import FakeClock
from dual_teacher.lesson import commands as cmd
from dual_teacher.qt import display

pytestmark = pytest.mark.gui


def _command_classes() -> set[type[cmd.Command]]:
    """Every command class of the package: those of `lesson.commands`, and any subclass defined elsewhere."""
    found = {v for v in vars(cmd).values() if isinstance(v, type) and issubclass(v, cmd.Command)}
    todo = [cmd.Command]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("dual_teacher."):
                found.add(sub)
            todo.append(sub)
    return found - {cmd.Command}


def test_every_command_has_a_display_handler_or_is_for_the_input_stages() -> None:
    commands = _command_classes()
    assert len(commands) >= 15
    assert not set(display.SHOWS) & display.FOR_THE_INPUTS
    missing = commands - set(display.SHOWS) - display.FOR_THE_INPUTS
    assert not missing, f"the display has no handler for {', '.join(sorted(c.__name__ for c in missing))}"
    assert set(display.SHOWS) | display.FOR_THE_INPUTS == commands  # nothing stale either


def test_a_command_without_a_handler_is_an_error_and_input_commands_show_nothing(make_room) -> None:  # type: ignore[no-untyped-def]
    class Stray(cmd.Command):
        pass

    room = make_room(clock=FakeClock())
    d = room.display
    d.present(cmd.ShowHandPoll("p", "Hands up, please", 10.0), 0.0)
    d.present(cmd.OpenPoll("p", ()), 0.5)
    d.present(cmd.ListenForAnswer("p", "numeric", ()), 0.5)
    assert d.mode == "poll" and d.prompt == "Hands up, please"
    with pytest.raises(TypeError, match="no handler for Stray"):
        d.present(Stray(), 1.0)
    assert d.mode == "poll"

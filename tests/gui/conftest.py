"""A classroom (session, display, console) for GUI tests, offscreen, torn down in the right order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack
from dual_teacher.qt.classroom import Classroom
from dual_teacher.runtime.session import InputStage


@pytest.fixture
def make_room(qtbot, demo_pack_dir: Path, tmp_path: Path) -> Iterator[Callable[..., Classroom]]:  # type: ignore[no-untyped-def]
    made: list[tuple[Classroom, EventStore]] = []

    def make(
        inputs: Sequence[InputStage] = (), lang: str = "en", clock: Clock | None = None, **kw: object
    ) -> Classroom:
        pack = load_pack(demo_pack_dir)
        store = EventStore(tmp_path / f"events-{len(made)}.sqlite")
        room = Classroom(pack, store, inputs, lang=lang, clock=clock, **kw)  # type: ignore[arg-type]
        room.seen = []  # type: ignore[attr-defined]
        room.session.bus.subscribe(room.seen.append)  # type: ignore[attr-defined]
        made.append((room, store))
        return room

    yield make
    for room, store in made:
        room.close()
        room.pack.close()
        store.close()


def kinds(room: Classroom) -> list[str]:
    return [e.kind for e in room.seen]  # type: ignore[attr-defined]


def events_of(room: Classroom, kind: type[ev.Event]) -> list[ev.Event]:
    return [e for e in room.seen if isinstance(e, kind)]  # type: ignore[attr-defined]

"""Stored events decoded once into the typed events of `core.events`, for the readers of a stored session (the
report, the metrics, xAPI): they `match` on the event classes and read typed fields, never type-name strings
or raw payloads, so a renamed field or event fails mypy and the tests instead of a report going quietly wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from dual_teacher.core.events import Event, UnknownEvent
from dual_teacher.engagement.store import StoredEvent


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One stored event, decoded: its place in the session (`seq`, the monotonic `mono` and the `wall` clock of
    the moment it was stored) and the event itself."""

    seq: int
    mono: float
    wall: float
    event: Event


def decode(stored: StoredEvent) -> Recorded:
    """A stored event as a typed one. A type name no event class has any more, or a payload that lacks a field
    its class needs (a store from another version), comes back as `UnknownEvent`, which no reader matches."""
    try:
        event = stored.event()
    except TypeError:
        event = UnknownEvent(name=stored.type, data=dict(stored.payload))
    return Recorded(stored.seq, stored.mono, stored.wall, event)


def decode_all(stored: Iterable[StoredEvent]) -> tuple[Recorded, ...]:
    return tuple(decode(e) for e in stored)

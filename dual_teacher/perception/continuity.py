"""One id per seat across the pipeline's id switches (pure logic; time is `now`).

The pipeline's track ids change under a person who stays put: a face-only person becomes a pose person when
their landmarks are found, a pose track that missed a look is dropped and the detector starts a new one on the
same head, a body-only person is confirmed by a face. Reported as they are, each switch lowers the hand of the
old id and, after the hysteresis, raises it again under the new one: the console queues the same child twice
and the lowered/raised pair moves them to the back of the queue.

`SeatContinuity` gives the events a *public* id instead: a new track whose head is within `reach` x the
larger head size of where a public id was last seen, and appears at most `grace_s` after that id's track
left, takes that public id (nearest first). A public id whose track left is held for `grace_s` before it is
reported gone, so a successor found on a later frame still continues it. With `reach` None every track is its
own public id and a track that leaves is gone at once (the behaviour before). Ids stay anonymous: a public id
is the first track id of its seat. `RoomSignals` carries only a hand that is up over to the successor; a seat
whose hand was down starts its hysteresis afresh with the new track (two tracks' stray looks do not add up).

Two tracks may also overlap on one person: a pose track starts on a child a face-only track still holds, and the
face-only track ends a frame or two later. The second track got a seat of its own; so that the child is not
queued twice, a *young* seat (first seen at most `grace_s` ago) whose hand is not up (`keep` names the seats
that must stay) is merged into the seat that left beside it, by the same reach and grace: its track takes the
older public id and the young id is dropped without an event (`merged` lists them).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence

from dual_teacher.perception.results import PersonResult

FRESH_ID_BASE = 1_000_000  # public ids of seats whose first track's id is taken (above every cue's id range)


@dataclasses.dataclass
class _Seat:
    track_id: int  # the track holding this public id now
    head: tuple[float, float, float]  # where it was last seen (x, y, size in frame pixels)
    since: float  # when the seat was first seen
    left_at: float | None = None  # when its track was last missing from the frame's people (None: present)


class SeatContinuity:
    def __init__(self, reach: float | None = 1.0, grace_s: float = 1.0, merge: bool = True) -> None:
        self.reach = reach
        self.merge = merge  # False: a young seat is never merged (the behaviour before)
        self.grace_s = grace_s if reach is not None else 0.0
        self._seats: dict[int, _Seat] = {}  # public id -> seat
        self._public: dict[int, int] = {}  # track id -> public id
        self._fresh = FRESH_ID_BASE
        self.continued: list[int] = []  # the public ids a new track took over in the last `assign`
        self.merged: list[int] = []  # the young public ids merged into an older seat in the last `assign`

    def reset(self) -> None:
        self._seats.clear()
        self._public.clear()
        self._fresh = FRESH_ID_BASE
        self.continued = []
        self.merged = []

    def assign(self, people: Sequence[PersonResult], now: float, keep: Collection[int] = ()) -> list[int]:
        """The public id of each of this frame's people, in order; a public id whose track is not among them
        starts its grace. `keep`: public ids never merged into another seat (the seats whose hand is up)."""
        present = {p.track_id for p in people}
        waiting = {pid: s for pid, s in self._seats.items() if s.track_id not in present}
        new = [p for p in people if p.track_id not in self._public]
        if waiting and self.merge:  # young seats (hand not up) may be merged into one that is waiting
            new += [
                p
                for p in people
                if (pid := self._public.get(p.track_id)) is not None
                and pid not in keep
                and now - self._seats[pid].since <= self.grace_s
            ]
        pairs = sorted(
            (math.dist(p.head[:2], s.head[:2]), i, pid)
            for i, p in enumerate(new)
            for pid, s in waiting.items()
            if self.reach is not None and self._near(p, s, now)
        )
        taken: dict[int, int] = {}
        for _, i, pid in pairs:
            if i not in taken and pid not in taken.values():
                taken[i] = pid
        self.continued = sorted(taken.values())
        self.merged = []
        for i, p in enumerate(new):
            if p.track_id in self._public:  # a young seat's track
                if i not in taken:
                    continue
                self.merged.append(self._public[p.track_id])
                del self._seats[self._public.pop(p.track_id)]
            pid = taken.get(i, p.track_id)
            if i not in taken and pid in self._seats:  # an old holder back while its successor holds its id
                pid = self._fresh = self._fresh + 1
            self._public[p.track_id] = pid
            seat = self._seats.get(pid)
            if seat is not None:
                self._public.pop(seat.track_id, None)
            self._seats[pid] = _Seat(p.track_id, p.head, now if seat is None else seat.since)
        out = []
        for p in people:
            pid = self._public[p.track_id]
            seat = self._seats[pid]
            seat.head, seat.left_at = p.head, None
            out.append(pid)
        for seat in self._seats.values():
            if seat.track_id not in present and seat.left_at is None:
                seat.left_at = now
        return out

    def gone(self, now: float) -> list[int]:
        """Public ids whose track left more than `grace_s` ago, no successor found (forgotten here)."""
        out = [pid for pid, s in self._seats.items() if s.left_at is not None and now - s.left_at >= self.grace_s]
        for pid in out:
            self._public.pop(self._seats.pop(pid).track_id, None)
        return out

    def public_of(self, track_id: int) -> int | None:
        return self._public.get(track_id)

    def track_of(self, public_id: int) -> int | None:
        """The track holding `public_id` now (None: it is gone)."""
        seat = self._seats.get(public_id)
        return None if seat is None else seat.track_id

    def _near(self, person: PersonResult, seat: _Seat, now: float) -> bool:
        reach = self.reach or 0.0
        x, y, size = person.head
        sx, sy, ssize = seat.head
        recent = seat.left_at is None or now - seat.left_at <= self.grace_s
        return recent and size > 0 and math.dist((x, y), (sx, sy)) <= reach * max(size, ssize)

"""From per-frame perception results to the events on the bus (pure logic; time is `now`).

- `HandRaised(track_id, x, y)` / `HandLowered(track_id)`: per track, through `RaiseHysteresis` (N of M
  frames and a minimum duration), with the seat position (mid-shoulder, normalised to the frame). The id is
  the seat's (`continuity.SeatContinuity`): a new track where one just left continues its id and hand (a young
  seat whose hand is not up is merged into the seat that left beside it: two tracks on one child). A seat
  whose track ended, or is no longer among the frame's people, and was not continued, is reported lowered. The
  `RaiseQueue` keeps the order hands went up (first come first served, one entry per track) for the console.
- `HeadCountReported(count)`: the median of recent counts (`HeadCountSmoother`), every 2 s or on a change.
- `AttentionMeasured(share, faces)`: once a second, the share of recently seen faces turned toward the
  display (`AttentionAggregate`).
- `HandCountReported(count)`: while the lesson engine has a poll open (`OpenPoll` .. `ClosePoll`), the number
  of hands up, when the poll opens and whenever it changes.
No identity and no image goes into any event: track ids are anonymous and reset with `reset()` each lesson.
"""

from __future__ import annotations

import dataclasses

from dual_teacher.core import events as ev
from dual_teacher.perception.aggregates import AttentionAggregate, HeadCountSmoother, RaiseQueue
from dual_teacher.perception.continuity import SeatContinuity
from dual_teacher.perception.handraise import HysteresisConfig, RaiseHysteresis
from dual_teacher.perception.results import FrameResult


@dataclasses.dataclass(frozen=True)
class SignalsConfig:
    hysteresis: HysteresisConfig = dataclasses.field(default_factory=HysteresisConfig)
    head_window_s: float = 3.0
    head_every_s: float = 2.0
    attention_every_s: float = 1.0
    attention_window_s: float = 3.0
    attention_max_yaw_deg: float = 30.0
    display_yaw_deg: float = 0.0  # where the display is, seen from the class, relative to the camera
    # a new track within this x the head size of where a track left, at most seat_grace_s after, continues its
    # id, and its hand if up (`continuity.SeatContinuity`; None: every track id is reported as it is)
    seat_reach: float | None = 1.0
    seat_grace_s: float = 1.0
    seat_merge: bool = True  # a young seat beside one that just left is merged into it (two tracks, one child)
    source: str = "perception"


@dataclasses.dataclass
class _Poll:
    node_id: str
    choices: tuple[str, ...]
    last_count: int | None = None


class RoomSignals:
    def __init__(self, config: SignalsConfig | None = None) -> None:
        self.config = config or SignalsConfig()
        c = self.config
        self.hysteresis = RaiseHysteresis(c.hysteresis)
        self.queue = RaiseQueue()
        self.heads = HeadCountSmoother(c.head_window_s, c.head_every_s)
        self.attention = AttentionAggregate(
            c.attention_window_s, c.attention_every_s, c.attention_max_yaw_deg, c.display_yaw_deg
        )
        self.continuity = SeatContinuity(c.seat_reach, c.seat_grace_s, c.seat_merge)
        self._poll: _Poll | None = None

    def reset(self) -> None:
        """A new lesson: no hands, no tracks, no poll."""
        self.hysteresis.reset()
        self.queue.clear()
        self.heads.reset()
        self.attention.reset()
        self.continuity.reset()
        self._poll = None

    @property
    def hands_up(self) -> int:
        return len(self.queue)

    def on_frame(self, result: FrameResult, now: float) -> list[ev.Event]:
        src = self.config.source
        out: list[ev.Event] = []
        up = set(self.hysteresis.up_tracks())
        seats = self.continuity.assign(result.people, now, keep=up)
        for pid in self.continuity.merged:  # a second track's young seat, merged into the seat beside it
            self.hysteresis.forget(pid)
            self.attention.forget(pid)
        for pid in self.continuity.continued:
            if pid not in up:  # only a hand up carries over: a new track's own looks decide a new raise
                self.hysteresis.forget(pid)
        for person, pid in zip(result.people, seats, strict=True):
            if person.raised is None:
                continue
            flip = self.hysteresis.observe(pid, person.raised, now)
            if flip == "raised" and self.queue.raised(pid, now):
                x, y = person.seat
                out.append(ev.HandRaised(pid, round(x, 3), round(y, 3), src))
            elif flip == "lowered" and self.queue.lowered(pid):
                out.append(ev.HandLowered(pid, src))
        # every tracked person is in each frame's people (raised None when not looked at): a seat whose track
        # ended or is no longer counted (far smaller than the room's typical head), and no new track continued
        # within the grace, is gone; its hand, if queued, is lowered
        for pid in self.continuity.gone(now):
            self.attention.forget(pid)
            self.hysteresis.forget(pid)
            if self.queue.lowered(pid):
                out.append(ev.HandLowered(pid, src))
        for tid, yaw in result.faces:
            seat = self.continuity.public_of(tid)
            if seat is not None:
                self.attention.observe(seat, yaw, now)
        self.heads.add(result.head_count, now, result.count_low, result.count_high)
        heads = self.heads.report(now)
        if heads is not None:
            low, high = self.heads.bounds() or (heads, heads)
            low, high = min(low, heads), max(high, heads)
            out.append(ev.HeadCountReported(heads, src, low, high))
        reading = self.attention.report(now)
        if reading is not None:
            out.append(ev.AttentionMeasured(reading.share, reading.faces, src))
        out.extend(self._poll_count())
        return out

    def open_poll(self, node_id: str, choices: tuple[str, ...]) -> list[ev.Event]:
        """The engine opened a hand poll: report the hands up now, then on every change."""
        self._poll = _Poll(node_id, choices)
        return self._poll_count()

    def close_poll(self, node_id: str) -> None:
        if self._poll is not None and self._poll.node_id == node_id:
            self._poll = None

    @property
    def poll_open(self) -> str | None:
        return None if self._poll is None else self._poll.node_id

    def _poll_count(self) -> list[ev.Event]:
        poll = self._poll
        if poll is None or poll.last_count == self.hands_up:
            return []
        poll.last_count = self.hands_up
        # One count for the poll; a question polled per choice needs the display to say which choice is being
        # polled (not available yet), so per-choice counts are not attributed here.
        return [ev.HandCountReported(self.hands_up, None, self.config.source)]

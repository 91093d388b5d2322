"""Class-level aggregates from per-frame results: the raise-hand queue, a smoothed head count, attention.

Pure logic with `now` passed in; nothing here knows about threads, models or images.
"""

from __future__ import annotations

import collections
import dataclasses
import statistics


class RaiseQueue:
    """Raised hands in the order they went up: first come first served, one entry per track."""

    def __init__(self) -> None:
        self._order: collections.OrderedDict[int, float] = collections.OrderedDict()

    def raised(self, track_id: int, now: float) -> bool:
        """Queue a hand; False if the track is already queued (its place is kept)."""
        if track_id in self._order:
            return False
        self._order[track_id] = now
        return True

    def lowered(self, track_id: int) -> bool:
        return self._order.pop(track_id, None) is not None

    def order(self) -> list[int]:
        return list(self._order)

    def since(self, track_id: int) -> float | None:
        return self._order.get(track_id)

    def clear(self) -> None:
        self._order.clear()

    def __len__(self) -> int:
        return len(self._order)


class HeadCountSmoother:
    """The median of the counts seen in the last `window_s`, reported every `every_s` and when it changes.

    A student hidden for a frame or two (a neighbour leans over) does not move the median; a change must hold
    for about half the window before it shows. `report(now)` returns the count to report, or None.
    """

    def __init__(self, window_s: float = 3.0, every_s: float = 2.0, min_gap_s: float = 0.5) -> None:
        self.window_s = window_s
        self.every_s = every_s
        self.min_gap_s = min_gap_s
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._bounds: collections.deque[tuple[int, int]] = collections.deque()
        self._last: tuple[float, int] | None = None

    def add(self, count: int, now: float, low: int | None = None, high: int | None = None) -> None:
        """One frame's count, with its uncertainty (`low` .. `high`, both default to `count`)."""
        self._samples.append((now, count))
        self._bounds.append((count if low is None else min(low, count), count if high is None else max(high, count)))
        while self._samples and now - self._samples[0][0] > self.window_s:
            self._samples.popleft()
            self._bounds.popleft()

    def bounds(self) -> tuple[int, int] | None:
        """The medians of the recent lower and upper bounds (None before any count)."""
        if not self._bounds:
            return None
        return statistics.median_low(b[0] for b in self._bounds), statistics.median_low(b[1] for b in self._bounds)

    def value(self) -> int | None:
        if not self._samples:
            return None
        return statistics.median_low(c for _, c in self._samples)

    def report(self, now: float) -> int | None:
        value = self.value()
        if value is None:
            return None
        if self._last is not None:
            since = now - self._last[0]
            changed = value != self._last[1]
            if since < self.min_gap_s or (not changed and since < self.every_s):
                return None
        self._last = (now, value)
        return value

    def reset(self) -> None:
        self._samples.clear()
        self._bounds.clear()
        self._last = None


@dataclasses.dataclass(frozen=True)
class AttentionReading:
    share: float
    faces: int


class AttentionAggregate:
    """Share of the faces seen recently that are turned toward the display (class level only).

    Each tracked head contributes its latest face observation if it is newer than `window_s`: a face counts
    as toward the display when |yaw - display_yaw_deg| <= `max_yaw_deg`. Heads whose face the detector did
    not find in that window (turned away, bowed) are not faces and are not counted, as the issue defines
    it ("the share of detected faces turned toward the display"); the head count says how many were there.
    """

    def __init__(
        self, window_s: float = 3.0, every_s: float = 1.0, max_yaw_deg: float = 30.0, display_yaw_deg: float = 0.0
    ) -> None:
        self.window_s = window_s
        self.every_s = every_s
        self.max_yaw_deg = max_yaw_deg
        self.display_yaw_deg = display_yaw_deg
        self._latest: dict[int, tuple[float, bool]] = {}
        self._next = 0.0

    def observe(self, track_id: int, yaw_deg: float | None, now: float) -> None:
        """`yaw_deg` None: the head was examined and no face was found (drops its earlier face)."""
        if yaw_deg is None:
            self._latest.pop(track_id, None)
            return
        self._latest[track_id] = (now, abs(yaw_deg - self.display_yaw_deg) <= self.max_yaw_deg)

    def forget(self, track_id: int) -> None:
        self._latest.pop(track_id, None)

    def reading(self, now: float) -> AttentionReading | None:
        fresh = [toward for at, toward in self._latest.values() if now - at <= self.window_s]
        if not fresh:
            return None
        return AttentionReading(round(sum(fresh) / len(fresh), 3), len(fresh))

    def report(self, now: float) -> AttentionReading | None:
        if now < self._next:
            return None
        reading = self.reading(now)
        if reading is not None:
            self._next = now + self.every_s
        return reading

    def reset(self) -> None:
        self._latest.clear()
        self._next = 0.0

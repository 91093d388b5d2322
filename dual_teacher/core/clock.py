"""Clocks. Pure logic takes `now` as an argument; only the runtime asks a clock."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch (for humans and reports only)."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` for `event` (a stop request); True when it is set."""
        ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds))


class FakeClock:
    """A simulated clock: `sleep` and `advance` move time forward instantly."""

    def __init__(self, start_monotonic: float = 0.0, start_wall: float = 1_800_000_000.0) -> None:
        self._mono = start_monotonic
        self._wall_offset = start_wall - start_monotonic
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def wall(self) -> float:
        with self._lock:
            return self._mono + self._wall_offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._mono += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Instant: the whole wait passes unless `event` is set already."""
        if event.is_set():
            return True
        self.advance(max(0.0, seconds))
        return event.is_set()


class ScaledClock:
    """Real time sped up by `speed` (speed 10 = ten simulated seconds per real second)."""

    def __init__(self, speed: float, base: Clock | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._speed = speed
        self._base = base or RealClock()
        self._mono0 = self._base.monotonic()
        self._wall0 = self._base.wall()

    def monotonic(self) -> float:
        return self._mono0 + (self._base.monotonic() - self._mono0) * self._speed

    def wall(self) -> float:
        return self._wall0 + (self._base.monotonic() - self._mono0) * self._speed

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds / self._speed)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return self._base.wait(event, seconds / self._speed)

"""How long to wait before trying again: one pure backoff policy for every retry loop in the app.

`Backoff.delay(attempt)` is the wait before retry number `attempt` (1 = after the first failure):
`initial_s * factor ** (attempt - 1)`, at most `cap_s`; or, for a policy given as a table of `steps`, the
attempt-th step (the last one repeated). With `jitter` j the delay is multiplied by a factor drawn uniformly
from [1 - j, 1 + j] by the caller's random generator (`rng`), so tests can fix it. Nothing here sleeps or
reads a clock: the caller waits (on its clock) and counts attempts.
"""

from __future__ import annotations

import dataclasses
import random


@dataclasses.dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    cap_s: float = 60.0
    factor: float = 2.0
    jitter: float = 0.0  # +- this fraction of the delay, drawn from the caller's `rng`
    steps: tuple[float, ...] = ()  # a table instead of the exponential: step n for attempt n, the last repeated

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.cap_s < 0 or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError(f"invalid backoff {self}")
        if any(s < 0 for s in self.steps):
            raise ValueError(f"negative backoff step in {self.steps}")

    @classmethod
    def stepped(cls, steps: tuple[float, ...], default: float = 1.0) -> Backoff:
        """A policy from a table of waits (an empty table: `default` every time)."""
        table = steps or (default,)
        return cls(initial_s=table[0], cap_s=max(table), steps=table)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry `attempt` (1-based; 0 or less counts as 1)."""
        n = max(1, attempt)
        if self.steps:
            base = self.steps[min(n, len(self.steps)) - 1]
        else:
            try:
                base = min(self.cap_s, self.initial_s * self.factor ** (n - 1))
            except OverflowError:
                base = self.cap_s
        if self.jitter and base:
            base *= (rng or random).uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return float(base)

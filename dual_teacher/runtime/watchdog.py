"""The per-stage watchdog: a failure budget that is a pure function of time (in the spirit of Frigate's
`is_restarting_too_fast(now)`), restarts with backoff, then `StageFailed`.

A stage that fails (its `poll` or `handle` raised) is retried after a backoff (0.5, 1, 2, 5, 10 s); a
stage that has run `healthy_after_s` without failing starts its backoff again. More than `max_failures`
failures within `window_s` and the stage is given up: `failed()` raises `StageFailed`, the session
stores one alert and the console shows the stage as failed; the lesson goes on without it. Alerts are
raised only when something changes (the first failure of a streak, giving up), never per failure, so a
stage that fails every tick cannot flood the store or the console.

No clock is read here: every method takes `now`, so tables of (time, event) test it exactly.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Literal

from dual_teacher.core.backoff import Backoff
from dual_teacher.core.errors import StageFailed

WatchState = Literal["ok", "restarting", "failed"]


@dataclasses.dataclass(frozen=True)
class RestartPolicy:
    max_failures: int = 5
    window_s: float = 60.0
    backoff_s: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
    healthy_after_s: float = 30.0


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What to do after a failure: retry at `retry_at`; `alert` when this failure starts a new streak."""

    retry_at: float
    failures: int  # failures within the window, this one included
    alert: bool


class FailureBudget:
    def __init__(self, stage: str, policy: RestartPolicy | None = None) -> None:
        self.stage = stage
        self.policy = policy or RestartPolicy()
        self._backoff = Backoff.stepped(self.policy.backoff_s)
        self.state: WatchState = "ok"
        self.retry_at: float | None = None
        self.total = 0
        self._times: deque[float] = deque(maxlen=max(1, self.policy.max_failures))
        self._streak = 0
        self._last: float | None = None

    def recent(self, now: float) -> int:
        """Failures within the window ending at `now`."""
        return sum(1 for t in self._times if now - t < self.policy.window_s)

    def is_restarting_too_fast(self, now: float) -> bool:
        return self.recent(now) >= self.policy.max_failures

    def may_run(self, now: float) -> bool:
        """False while the stage waits out its backoff, and for good once it was given up."""
        if self.state == "failed":
            return False
        return self.retry_at is None or now >= self.retry_at

    def succeeded(self, now: float) -> None:
        """The stage ran once without failing."""
        if self.state == "restarting" and self.retry_at is not None and now >= self.retry_at:
            self.state, self.retry_at = "ok", None

    def failed(self, now: float, reason: str = "") -> Verdict:
        """Count a failure. Raises `StageFailed` when the budget is spent (once; later calls too, cheaply)."""
        if self.state == "failed":
            raise StageFailed(self._gave_up_text(reason), hint="restart the class to try this stage again")
        if self._last is not None and now - self._last >= self.policy.healthy_after_s:
            self._streak = 0
        self._last = now
        self._times.append(now)
        self.total += 1
        first = self._streak == 0
        if self.is_restarting_too_fast(now):
            self.state, self.retry_at = "failed", None
            raise StageFailed(self._gave_up_text(reason), hint="restart the class to try this stage again")
        self._streak += 1
        self.retry_at = now + self._backoff.delay(self._streak)
        self.state = "restarting"
        return Verdict(self.retry_at, self.recent(now), first)

    def _gave_up_text(self, reason: str) -> str:
        why = f" (last: {reason})" if reason else ""
        return (
            f"{self.stage} stopped after {self.policy.max_failures} failures within "
            f"{self.policy.window_s:g} s{why}; the lesson goes on without it"
        )

    def detail(self, now: float) -> str:
        """For the console's stage health."""
        if self.state == "failed":
            return f"stopped after {self.total} failures"
        if self.state == "restarting" and self.retry_at is not None:
            wait = max(0.0, self.retry_at - now)
            return f"restarting in {wait:.0f} s ({self.recent(now)} failures)" if wait >= 0.5 else "restarting"
        return ""

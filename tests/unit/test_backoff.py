"""The one backoff policy: exponential with a cap, a table of steps, jitter from an injected generator."""

from __future__ import annotations

import random

import pytest

from dual_teacher.core.backoff import Backoff

CAMERA = Backoff(0.5, 10.0)
OUTBOX = Backoff(2.0, 300.0)
STORE = Backoff(0.2, 5.0)
WATCHDOG = Backoff.stepped((0.5, 1.0, 2.0, 5.0, 10.0))


@pytest.mark.parametrize(
    ("policy", "attempt", "wait"),
    [
        (CAMERA, 1, 0.5),
        (CAMERA, 2, 1.0),
        (CAMERA, 3, 2.0),
        (CAMERA, 5, 8.0),
        (CAMERA, 6, 10.0),  # 16 capped
        (CAMERA, 0, 0.5),  # no failure yet counts as the first
        (CAMERA, -3, 0.5),
        (OUTBOX, 1, 2.0),
        (OUTBOX, 2, 4.0),
        (OUTBOX, 5, 32.0),
        (OUTBOX, 9, 300.0),
        (OUTBOX, 50, 300.0),
        (OUTBOX, 10**6, 300.0),  # far past the cap: no overflow
        (STORE, 1, 0.2),
        (STORE, 2, 0.4),
        (STORE, 6, 5.0),
        (Backoff(1.0, 15.0), 5, 15.0),  # the live stream's 1, 2, 4, 8, 15
        (Backoff(3.0, 100.0, factor=1.0), 7, 3.0),  # a constant wait
        (WATCHDOG, 1, 0.5),
        (WATCHDOG, 4, 5.0),
        (WATCHDOG, 5, 10.0),
        (WATCHDOG, 99, 10.0),  # the last step repeats
        (Backoff.stepped(()), 3, 1.0),  # an empty table: the default
        (Backoff.stepped((), default=4.0), 1, 4.0),
        (Backoff.stepped((120.0,)), 7, 120.0),
    ],
)
def test_delay_for_attempt(policy: Backoff, attempt: int, wait: float) -> None:
    assert policy.delay(attempt) == pytest.approx(wait)


@pytest.mark.parametrize(("attempt", "base"), [(1, 0.5), (2, 1.0), (7, 30.0), (40, 30.0)])
def test_jitter_stays_within_its_band_and_follows_the_injected_generator(attempt: int, base: float) -> None:
    policy = Backoff(0.5, 30.0, jitter=0.2)
    waits = [policy.delay(attempt, random.Random(seed)) for seed in range(200)]
    assert all(0.8 * base <= w <= 1.2 * base for w in waits)
    assert max(waits) - min(waits) > 0.2 * base  # it does vary
    assert policy.delay(attempt, random.Random(7)) == policy.delay(attempt, random.Random(7))


def test_no_jitter_ignores_the_generator() -> None:
    class Boom(random.Random):
        def uniform(self, a: float, b: float) -> float:
            raise AssertionError("drawn without jitter")

    assert CAMERA.delay(3, Boom()) == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_s": -1.0},
        {"cap_s": -0.5},
        {"factor": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"steps": (1.0, -2.0)},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, float | tuple[float, ...]]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(**kwargs)  # type: ignore[arg-type]

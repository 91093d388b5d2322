"""Camera retry on a fake clock: the waits between tries follow the backoff exactly, and restart after a success."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from dual_teacher.core.clock import FakeClock, RealClock, ScaledClock
from dual_teacher.media.camera import CaptureConfig, CaptureThread


def test_waits_between_tries_double_and_start_again_after_frames_flowed() -> None:
    clock = FakeClock()
    tries: list[float] = []

    def flaky() -> Iterator[np.ndarray]:
        tries.append(clock.monotonic())
        if len(tries) != 4:  # only the fourth try delivers
            raise OSError("device disconnected")
        yield from (np.zeros((4, 4, 3), np.uint8) for _ in range(5))

    config = CaptureConfig(retry_initial_s=0.05, retry_max_s=0.15, max_retries=3, live=True)
    cam = CaptureThread("flaky", flaky, config, clock)
    cam.start()
    assert cam.join(10)
    gaps = np.round(np.diff(tries), 6).tolist()
    assert gaps == [0.05, 0.1, 0.15, 0.05, 0.1, 0.15]  # capped at retry_max_s; reset by the frames of try 4
    status = cam.status()
    assert (status.state, status.frames, status.attempts) == ("ended", 5, 7)
    assert status.last_error == "OSError: device disconnected"


def test_a_stop_request_ends_the_wait() -> None:
    def broken() -> Iterator[np.ndarray]:
        raise OSError("no signal")
        yield np.zeros((1, 1, 3), np.uint8)

    cam = CaptureThread("broken", broken, CaptureConfig(retry_initial_s=3600.0, retry_max_s=3600.0), RealClock())
    cam.start()
    for _ in range(2000):
        if cam.status().state == "retrying":
            break
        time.sleep(0.005)
    assert cam.status().state == "retrying"
    cam.stop()
    assert cam.join(10)  # an hour's backoff, interrupted
    assert cam.status().state == "stopped"


@pytest.mark.parametrize("make", [RealClock, FakeClock, lambda: ScaledClock(1000.0)])
def test_every_clock_waits_interruptibly(make: object) -> None:
    clock = make()  # type: ignore[operator]
    stop = threading.Event()
    stop.set()
    assert clock.wait(stop, 3600.0) is True
    assert clock.wait(threading.Event(), 0.0) is False


def test_the_fake_clock_passes_the_whole_wait_at_once() -> None:
    clock = FakeClock(start_monotonic=10.0)
    assert clock.wait(threading.Event(), 2.5) is False
    assert clock.monotonic() == 12.5

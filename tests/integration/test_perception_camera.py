"""Camera sources: real media into the latest-frame slot, drops counted, loss retried with backoff."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dual_teacher.core.clock import FakeClock
from dual_teacher.core.errors import DeviceUnavailable
from dual_teacher.media.camera import CaptureConfig, CaptureThread, open_camera
from tests.conftest import SHARED_DATA
from tests.conftest import needs_data as _needs_data

GIF = SHARED_DATA / "video" / "classroom_omz_smart_classroom_demo.gif"
needs_data = _needs_data(GIF)


def _wait(cond: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


@needs_data
def test_gif_frames_reach_the_slot_and_unread_ones_are_counted_as_dropped() -> None:
    cam = open_camera(str(GIF), fps=200.0)
    cam.start()
    assert _wait(lambda: cam.finished)
    assert cam.join(5)
    status = cam.status()
    assert status.frames == 23 and status.state == "ended"
    assert status.dropped == 22  # nobody read: every frame but the last was overwritten
    frame = cam.slot.take(timeout=0)
    assert frame is not None and frame.image.shape == (438, 800, 3) and frame.index == 22


def test_a_folder_of_images_is_a_source(tmp_path: Path) -> None:
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.full((20, 30, 3), i * 40, np.uint8)).save(tmp_path / f"f{i}.png")
    cam = open_camera(str(tmp_path), fps=100.0)
    seen = []
    cam.start()
    while len(seen) < 3:
        frame = cam.slot.take(timeout=5)
        assert frame is not None
        seen.append(int(frame.image[0, 0, 0]))
    cam.stop()
    assert cam.join(5)
    assert seen == [0, 40, 80]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/dev/video97", "camera /dev/video97 not found"),
        ("v4l2:97", "not found"),
        ("/no/such/file.mp4", "does not exist"),
    ],
)
def test_missing_devices_fail_fast_with_advice(spec: str, message: str) -> None:
    with pytest.raises(DeviceUnavailable, match=message) as err:
        open_camera(spec)
    assert err.value.hint


def test_a_lost_camera_is_retried_with_backoff_and_comes_back() -> None:
    """On a simulated clock the retry delays are exact: 0.5 s, doubled, capped at 1.5 s; once the camera has
    delivered frames, the next loss starts the backoff again at 0.5 s."""
    clock = FakeClock(start_monotonic=100.0)
    calls: list[float] = []

    def flaky() -> Iterator[np.ndarray]:
        calls.append(clock.monotonic())
        if len(calls) <= 4:
            raise OSError("device disconnected")
        yield from (np.zeros((4, 4, 3), np.uint8) for _ in range(5))

    options = CaptureConfig(retry_initial_s=0.5, retry_max_s=1.5, live=True)
    cam = CaptureThread("flaky", flaky, options, clock)
    cam.start()
    assert _wait(lambda: cam.status().frames >= 5 and len(calls) >= 6)
    cam.stop()
    assert cam.join(5)
    assert np.diff(calls[:6]).tolist() == pytest.approx([0.5, 1.0, 1.5, 1.5, 0.5], abs=1e-9)
    assert cam.status().attempts >= 6


def test_a_camera_that_never_works_gives_up_after_max_retries() -> None:
    def broken() -> Iterator[np.ndarray]:
        raise OSError("no signal")
        yield np.zeros((1, 1, 3), np.uint8)

    cam = CaptureThread("broken", broken, CaptureConfig(retry_initial_s=0.01, max_retries=2))
    cam.start()
    assert cam.join(5)
    status = cam.status()
    assert status.state == "ended" and "no signal" in status.last_error and status.attempts == 3

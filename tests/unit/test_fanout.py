"""core.fanout and the runtime's worker pool: order kept, errors raised, one item on the caller's thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dual_teacher.core.fanout import SERIAL, run_jobs
from dual_teacher.perception.geometry import FramePyramid, Roi
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads


def test_serial_keeps_order() -> None:
    assert SERIAL.map(lambda x: x * 2, [3, 1, 2]) == [6, 2, 4]


def test_thread_fanout_keeps_order_and_uses_workers() -> None:
    names: set[str] = set()
    gate = threading.Barrier(2, timeout=10)

    def work(x: int) -> int:
        names.add(threading.current_thread().name)
        if x < 2:
            gate.wait()  # the first two items must run at the same time, on two workers
        return x * x

    with ThreadFanout(2, name="t") as fan:
        assert fan.map(work, list(range(6))) == [0, 1, 4, 9, 16, 25]
    assert len(names) == 2 and all(n.startswith("t") for n in names)


def test_jobs_of_different_kinds_share_one_dispatch() -> None:
    gate = threading.Barrier(2, timeout=10)

    def slow(x: int) -> int:
        gate.wait()  # the two kinds must run at the same time: one dispatch, not a map per kind
        return x

    def fast(s: str) -> str:
        gate.wait()
        return s.upper()

    with ThreadFanout(2) as fan:
        assert run_jobs(fan, [lambda: slow(7), lambda: fast("a")]) == [7, "A"]
    assert run_jobs(SERIAL, [lambda: 1, lambda: "b"]) == [1, "b"]


def test_one_item_or_one_worker_runs_on_the_caller() -> None:
    me = threading.current_thread().name
    with ThreadFanout(2) as fan:
        assert fan.map(lambda _: threading.current_thread().name, [0]) == [me]
    with ThreadFanout(1) as fan:
        assert fan.map(lambda _: threading.current_thread().name, [0, 1, 2]) == [me, me, me]


def test_an_error_in_one_item_reaches_the_caller() -> None:
    def work(x: int) -> int:
        if x == 3:
            raise ValueError("item 3")
        return x

    with ThreadFanout(2) as fan, pytest.raises(ValueError, match="item 3"):
        fan.map(work, list(range(5)))


def test_close_twice_and_map_after_close_runs_serially() -> None:
    fan = ThreadFanout(2)
    fan.close()
    fan.close()
    assert fan.map(lambda x: x + 1, [1, 2]) == [2, 3]


@pytest.mark.parametrize(
    ("threads", "providers", "expected"),
    [
        (2, ["CPUExecutionProvider"], (1, 2)),
        (4, ["CPUExecutionProvider"], (1, 4)),
        (1, ["CPUExecutionProvider"], (1, 1)),
        (0, [], (1, 1)),
        (2, ["CUDAExecutionProvider", "CPUExecutionProvider"], (2, 2)),
        (8, ["OpenVINOExecutionProvider"], (8, 2)),
    ],
)
def test_region_threads(threads: int, providers: list[str], expected: tuple[int, int]) -> None:
    assert region_threads(threads, providers) == expected


def test_pyramid_levels_are_built_once_when_crops_run_concurrently() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    serial = FramePyramid(frame)
    want = serial.crop(Roi(960, 540, 1800, 1000), 128)
    for _ in range(5):
        shared = FramePyramid(frame)
        with ThreadPoolExecutor(4) as pool:
            crops = list(pool.map(lambda _, p=shared: p.crop(Roi(960, 540, 1800, 1000), 128), range(8)))
        sizes = [shared.level(k).size for k in range(4)]
        assert sizes == [(1920, 1080), (960, 540), (480, 270), (240, 135)]
        for c in crops:
            np.testing.assert_array_equal(c, want)

"""MultiStream (MLPerf): N simulated cameras, one frame each per step on N threads (as N perception stages
would run); the latency of a step is that of its last frame: p99 of the step."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor, wait

from dual_teacher.bench.budget import done
from dual_teacher.bench.figures import rate
from dual_teacher.bench.monitor import UsageWindow
from dual_teacher.bench.results import FLAT, OPTIONAL, Latency, Usage, ms
from dual_teacher.bench.setup import Rig
from dual_teacher.perception.pipeline import RoomPerception


@dataclasses.dataclass(frozen=True)
class MultiStreamPerception:
    cameras: int
    camera_streams: tuple[str, ...]
    step_latency: Latency
    frame_latency: Latency
    frames_per_s: float | None
    samples_ms: tuple[float, ...]
    how: str
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


class PerceptionMultiStream:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.n = rig.cameras
        self.rooms = [RoomPerception(rig.models) for _ in range(self.n)]
        self.cams = [rig.streams[i % len(rig.streams)] for i in range(self.n)]
        self.steps: list[float] = []
        self.frames: list[float] = []
        self.wall = (time.perf_counter(), time.perf_counter())

    def _one(self, k: int, index: int) -> float:
        stream = self.cams[k]
        t0 = time.perf_counter()
        self.rooms[k].process(stream.frames[index % len(stream.frames)], index / self.rig.fps)
        return time.perf_counter() - t0

    def run(self) -> None:
        b, start = self.rig.budget, self.wall[0]
        with ThreadPoolExecutor(max_workers=self.n, thread_name_prefix="bench-camera") as pool:
            i = 0
            while not done(time.perf_counter() - start, i, b.multi_stream_s, b.min_multi_stream):
                t0 = time.perf_counter()
                futures = [pool.submit(self._one, k, i) for k in range(self.n)]
                wait(futures)
                self.steps.append(time.perf_counter() - t0)
                self.frames.extend(f.result() for f in futures)
                self.wall = (start, time.perf_counter())
                i += 1
                self.rig.progress.update((self.wall[1] - start) / b.multi_stream_s, f"{i} steps")

    def summary(self, interrupted: bool) -> MultiStreamPerception:
        n = self.n
        return MultiStreamPerception(
            cameras=n,
            camera_streams=tuple(c.name for c in self.cams),
            step_latency=Latency.of(self.steps),
            frame_latency=Latency.of(self.frames),
            frames_per_s=rate(n * len(self.steps), self.wall[1] - self.wall[0]),
            samples_ms=ms(self.steps),
            how=f"{n} cameras, one frame each per step on {n} threads; latency of the step = its last frame",
            usage=self.window.usage(),
            interrupted=interrupted,
        )

"""Offline (MLPerf): throughput. N perception workers on their own streams as fast as they go (frames/s), and
utterances back to back on one transcriber (audio seconds per wall second)."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from dual_teacher.bench.budget import done
from dual_teacher.bench.figures import rate
from dual_teacher.bench.monitor import UsageWindow
from dual_teacher.bench.results import FLAT, OPTIONAL, Latency, Usage
from dual_teacher.bench.setup import Rig
from dual_teacher.perception.pipeline import RoomPerception


@dataclasses.dataclass(frozen=True)
class OfflinePerception:
    workers: int
    frames: int
    frames_per_s: float | None
    latency: Latency
    how: str
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


@dataclasses.dataclass(frozen=True)
class OfflineAsr:
    utterances: int
    audio_s: float
    audio_s_per_s: float | None
    latency: Latency
    how: str
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


class PerceptionOffline:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.n = rig.cameras
        self.stop = threading.Event()
        self.latencies: list[list[float]] = [[] for _ in range(self.n)]
        self.start = time.perf_counter()
        self.last = [self.start] * self.n  # when each worker's latest frame ended

    def _worker(self, k: int) -> None:
        rig = self.rig
        stream = rig.streams[k % len(rig.streams)]
        room = RoomPerception(rig.models, fanout=rig.fanout)
        i = 0
        while not self.stop.is_set():
            t0 = time.perf_counter()
            room.process(stream.frames[i % len(stream.frames)], i / rig.fps)
            self.last[k] = time.perf_counter()
            self.latencies[k].append(self.last[k] - t0)
            i += 1

    def run(self) -> None:
        b = self.rig.budget
        pool = ThreadPoolExecutor(max_workers=self.n, thread_name_prefix="bench-offline")
        try:
            futures = [pool.submit(self._worker, k) for k in range(self.n)]
            while True:
                elapsed = time.perf_counter() - self.start
                count = sum(len(lat) for lat in self.latencies)
                if done(elapsed, count, b.offline_s, b.min_offline) or all(f.done() for f in futures):
                    break
                self.rig.progress.update(elapsed / b.offline_s, f"{count} frames")
                time.sleep(0.1)
        finally:
            self.stop.set()
            pool.shutdown(wait=True)
        for f in futures:
            f.result()  # a worker's error surfaces here

    def summary(self, interrupted: bool) -> OfflinePerception:
        every = [x for lat in self.latencies for x in lat]
        return OfflinePerception(
            workers=self.n,
            frames=len(every),
            frames_per_s=rate(len(every), max(self.last) - self.start),
            latency=Latency.of(every),
            how=f"{self.n} workers on their own streams as fast as they go; frames/s = frames / wall time",
            usage=self.window.usage(),
            interrupted=interrupted,
        )


class AsrOffline:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.took: list[float] = []
        self.audio: list[float] = []
        self.start = time.perf_counter()
        self.end = self.start

    def run(self) -> None:
        rig, b = self.rig, self.rig.budget
        i = 0
        while not done(time.perf_counter() - self.start, i, b.offline_s, b.min_offline):
            clip = rig.clips[i % len(rig.clips)]
            t0 = time.perf_counter()
            rig.transcriber.transcribe(clip.audio)
            self.took.append(time.perf_counter() - t0)
            self.audio.append(clip.seconds)
            self.end = time.perf_counter()
            i += 1
            rig.progress.update((self.end - self.start) / b.offline_s, f"{i} utterances")

    def summary(self, interrupted: bool) -> OfflineAsr:
        return OfflineAsr(
            utterances=len(self.took),
            audio_s=round(sum(self.audio), 2),
            audio_s_per_s=rate(sum(self.audio), self.end - self.start),
            latency=Latency.of(self.took),
            how="utterances back to back on one transcriber; audio seconds per wall second",
            usage=self.window.usage(),
            interrupted=interrupted,
        )

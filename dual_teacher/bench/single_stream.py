"""SingleStream (MLPerf): one query at a time. One frame through `RoomPerception.process` (each camera stream
in turn, its own tracks), one utterance through the ASR (final settings): p50/p90/p99 of the latency."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from dual_teacher.bench.budget import done, split_budget
from dual_teacher.bench.figures import rate
from dual_teacher.bench.monitor import UsageWindow
from dual_teacher.bench.results import FLAT, OPTIONAL, Latency, Usage, ms
from dual_teacher.bench.setup import Rig
from dual_teacher.core.stats import median
from dual_teacher.perception.pipeline import RoomPerception


@dataclasses.dataclass(frozen=True)
class SceneFigures:
    n: int
    p50_ms: float | None
    people: int


@dataclasses.dataclass(frozen=True)
class SingleStreamPerception:
    latency: Latency
    frames_per_s: float | None
    per_stream: Mapping[str, SceneFigures]
    threads: int
    samples_ms: tuple[float, ...]
    how: str
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


@dataclasses.dataclass(frozen=True)
class UtteranceSeconds:
    n: int
    mean: float | None


@dataclasses.dataclass(frozen=True)
class SingleStreamAsr:
    latency: Latency
    audio_s_per_s: float | None
    real_time_factor: float | None
    utterance_s: UtteranceSeconds
    samples_ms: tuple[float, ...]
    how: str
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


class PerceptionSingleStream:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.samples: list[float] = []
        self.per_stream: dict[str, tuple[list[float], list[int]]] = {}

    def run(self) -> None:
        rig, b = self.rig, self.rig.budget
        share_s, share_n = split_budget(b.single_stream_s, b.min_single_stream, len(rig.streams))
        for k, stream in enumerate(rig.streams):
            room = RoomPerception(rig.models, fanout=rig.fanout)
            latency, people = self.per_stream.setdefault(stream.name, ([], []))
            start, i = time.perf_counter(), 0
            while not done(time.perf_counter() - start, i, share_s, share_n):
                frame = stream.frames[i % len(stream.frames)]
                t0 = time.perf_counter()
                result = room.process(frame, i / rig.fps)
                dt = time.perf_counter() - t0
                self.samples.append(dt)
                latency.append(dt)
                people.append(result.head_count)
                i += 1
                elapsed = min(1.0, (time.perf_counter() - start) / share_s)
                rig.progress.update((k + elapsed) / len(rig.streams), f"{len(self.samples)} frames, {stream.name}")

    def summary(self, interrupted: bool) -> SingleStreamPerception:
        scenes = {
            name: SceneFigures(len(latency), Latency.of(latency).p50_ms, int(median(people) or 0))
            for name, (latency, people) in self.per_stream.items()
        }
        return SingleStreamPerception(
            latency=Latency.of(self.samples),
            frames_per_s=rate(len(self.samples), sum(self.samples)),
            per_stream=scenes,
            threads=self.rig.profile.threads,
            samples_ms=ms(self.samples),
            how="each camera stream in turn, its own tracks, one frame at a time; p50/p90/p99 of all frames",
            usage=self.window.usage(),
            interrupted=interrupted,
        )


class AsrSingleStream:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.samples: list[float] = []
        self.audio: list[float] = []

    def run(self) -> None:
        rig, b = self.rig, self.rig.budget
        start, i = time.perf_counter(), 0
        while not done(time.perf_counter() - start, i, b.single_stream_s, b.min_single_stream):
            clip = rig.clips[i % len(rig.clips)]
            t0 = time.perf_counter()
            rig.transcriber.transcribe(clip.audio)
            self.samples.append(time.perf_counter() - t0)
            self.audio.append(clip.seconds)
            i += 1
            rig.progress.update((time.perf_counter() - start) / b.single_stream_s, f"{i} utterances")

    def summary(self, interrupted: bool) -> SingleStreamAsr:
        audio, samples = self.audio, self.samples
        return SingleStreamAsr(
            latency=Latency.of(samples),
            audio_s_per_s=rate(sum(audio), sum(samples)),
            real_time_factor=None if not audio else round(sum(samples) / sum(audio), 4),
            utterance_s=UtteranceSeconds(len(audio), round(sum(audio) / len(audio), 2) if audio else None),
            samples_ms=ms(samples),
            how="one utterance at a time, final settings (beam 5); latency = transcription time",
            usage=self.window.usage(),
            interrupted=interrupted,
        )

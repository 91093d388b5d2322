"""Classroom: a recorded class replayed in real time with every stage on.

The display (a demo lesson video decoded at its frame rate and pulled by a display thread: the stand-in for Qt
playback in a headless benchmark), perception (a `PerceptionStage` on a classroom video at the profile's camera
fps through the latest-frame slot, drops counted) and speech (a `SpeechStage` on the lead teacher's channel,
real recordings in real time, captions and finals): sustained frames/s, event latency (frame captured ->
result; end of utterance -> final text), drops, CPU %, peak RSS, GPU memory where nvidia-smi exists.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from dual_teacher.bench.data import classroom_audio, display_video
from dual_teacher.bench.figures import rate, rate_over_time
from dual_teacher.bench.monitor import UsageWindow
from dual_teacher.bench.results import FLAT, OPTIONAL, Latency, Skipped, Usage, ms
from dual_teacher.bench.setup import Rig
from dual_teacher.media.audio import ArraySource
from dual_teacher.media.camera import CaptureConfig, CaptureThread, frames_reader, open_camera, video_fps
from dual_teacher.perception.pipeline import RoomPerception
from dual_teacher.runtime.perception_stage import PerceptionStage
from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage
from dual_teacher.speech.vad import SileroVad


@dataclasses.dataclass(frozen=True)
class ClassroomPerception:
    camera_stream: str
    camera_fps: float
    frames_captured: int
    frames_analysed: int
    dropped: int
    dropped_fraction: float | None
    frames_per_s: float | None
    event_latency: Latency
    samples_ms: tuple[float, ...]
    fps_over_time: list[list[float]]
    errors: int
    how: str


@dataclasses.dataclass(frozen=True)
class ClassroomAsr:
    utterances: int
    heard: int
    missed: int
    final_latency: Latency
    partial_latency: Latency
    samples_ms: tuple[float, ...]
    audio_dropped: int
    partials_superseded: int
    transcriptions: int
    errors: int
    how: str


@dataclasses.dataclass(frozen=True)
class ClassroomDisplay:
    video: str
    target_fps: float
    frames_decoded: int
    frames_shown: int
    dropped: int
    frames_per_s: float | None
    late_frames: int
    frame_interval: Latency
    fps_over_time: list[list[float]]
    how: str


@dataclasses.dataclass(frozen=True)
class Classroom:
    duration_s: float
    events: Mapping[str, int]
    perception: ClassroomPerception
    asr: ClassroomAsr
    display: ClassroomDisplay | Skipped
    usage: Usage = dataclasses.field(metadata=FLAT)
    interrupted: bool = dataclasses.field(default=False, metadata=OPTIONAL)


class _Display:
    """The classroom window's video: decoded at its frame rate, the newest frame pulled by a display thread."""

    def __init__(self, video: Path) -> None:
        self.video = video
        self.source: CaptureThread = open_camera(str(video), loop=True)
        self.shown: list[float] = []
        self.stop_event = threading.Event()
        self.viewer = threading.Thread(target=self._show, name="bench-display", daemon=True)

    def _show(self) -> None:
        while not self.stop_event.is_set():
            if self.source.slot.take(timeout=0.2) is not None:
                self.shown.append(time.monotonic())

    def start(self) -> None:
        self.source.start()
        self.viewer.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.source.stop()
        self.source.join(5)
        if self.viewer.is_alive():
            self.viewer.join(5)

    def figures(self, elapsed: float, t_start: float, t_end: float) -> ClassroomDisplay:
        status = self.source.status()
        shown = list(self.shown)
        gaps = [b - a for a, b in itertools.pairwise(shown)]
        target = video_fps(self.video)
        return ClassroomDisplay(
            video=self.video.name,
            target_fps=round(target, 2),
            frames_decoded=status.frames,
            frames_shown=len(shown),
            dropped=status.dropped,
            frames_per_s=rate(len(shown), elapsed),
            late_frames=sum(1 for g in gaps if g > 2.0 / max(target, 1e-9)),
            frame_interval=Latency.of(gaps),
            fps_over_time=rate_over_time(shown, t_start, t_end),
            how="stand-in: PyAV decode at the video's frame rate, pulled by a display thread",
        )


class ClassroomRun:
    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.window = UsageWindow(rig.monitor)
        self.duration = rig.budget.classroom_s
        self.stream = next((s for s in rig.streams if s.kind == "video"), rig.streams[0])
        self.camera = CaptureThread(
            "classroom", frames_reader(list(self.stream.frames)), CaptureConfig(fps=rig.fps, loop=True, live=False)
        )
        self.perception = PerceptionStage(
            self.camera, RoomPerception(rig.models, fanout=rig.fanout), keep_records=1_000_000
        )
        signal, self.spans = classroom_audio(list(rig.clips), self.duration)
        self.teacher = ArraySource(signal, name="teacher", pace="realtime")
        vad = rig.vad
        self.speech = SpeechStage(
            teacher=self.teacher,
            config=SpeechConfig(cpu_threads=rig.transcriber.options.cpu_threads),
            transcribers={"en": rig.transcriber},
            vad_factory=lambda: SileroVad(vad),
            keep_records=1_000_000,
            warm_up=False,
        )
        video = display_video()
        self.display = _Display(video) if video is not None else None
        self.clock = (time.monotonic(), time.monotonic())
        self.events: dict[str, int] = {}

    def run(self) -> None:
        perception, speech = self.perception, self.speech
        try:
            if self.display is not None:
                self.display.start()
            perception.start()
            speech.start()
            start = time.monotonic()
            self.clock = (start, start)
            while time.monotonic() - start < self.duration:
                time.sleep(0.2)
                self.clock = (start, time.monotonic())
                for e in perception.poll(0.0) + speech.poll(0.0):
                    self.events[type(e).__name__] = self.events.get(type(e).__name__, 0) + 1
                self.rig.progress.update(
                    (self.clock[1] - start) / self.duration,
                    f"{perception.frames} frames, {speech.transcriptions} transcripts",
                )
            self.clock = (start, time.monotonic())
        finally:
            if self.clock[1] <= self.clock[0]:
                self.clock = (self.clock[0], time.monotonic())
            speech.stop()
            perception.stop()
            if self.display is not None:
                self.display.stop()

    def summary(self, interrupted: bool) -> Classroom:
        t_start, t_end = self.clock
        elapsed = max(1e-9, t_end - t_start)
        display: ClassroomDisplay | Skipped = Skipped("no demo lesson video (render the demo media)")
        if self.display is not None:
            display = self.display.figures(elapsed, t_start, t_end)
        return Classroom(
            duration_s=round(elapsed, 2),
            events=dict(self.events),
            perception=self._perception(elapsed, t_start, t_end),
            asr=self._asr(t_start, t_end),
            display=display,
            usage=self.window.usage(),
            interrupted=interrupted,
        )

    def _perception(self, elapsed: float, t_start: float, t_end: float) -> ClassroomPerception:
        records = list(self.perception.records)
        status = self.camera.status()
        lat = [r.done - r.captured for r in records]
        return ClassroomPerception(
            camera_stream=self.stream.name,
            camera_fps=self.rig.fps,
            frames_captured=status.frames,
            frames_analysed=len(records),
            dropped=status.dropped,
            dropped_fraction=round(status.dropped / status.frames, 4) if status.frames else None,
            frames_per_s=rate(len(records), elapsed),
            event_latency=Latency.of(lat),
            samples_ms=ms(lat),
            fps_over_time=rate_over_time([r.done for r in records], t_start, t_end),
            errors=self.perception.errors,
            how="PerceptionStage on the video at the camera fps through the latest-frame slot; "
            "latency = result ready - frame captured; dropped = frames overwritten in the slot",
        )

    def _asr(self, t_start: float, t_end: float) -> ClassroomAsr:
        speech = self.speech
        finals = [r for r in speech.records if r.final]
        t0 = self.teacher.started_at if self.teacher.started_at is not None else t_start
        latencies, missed = final_latencies(
            [(s, e) for s, e, _ in self.spans],
            [(r.speech_end - r.audio_s, r.speech_end, r.done) for r in finals],
            t0,
            t_end - t0,
        )
        partials = [r.done - (t0 + r.audio_end) for r in speech.records if not r.final]
        health = speech.speech_health()
        return ClassroomAsr(
            utterances=len(latencies) + missed,
            heard=len(latencies),
            missed=missed,
            final_latency=Latency.of(latencies),
            partial_latency=Latency.of(partials),
            samples_ms=ms(latencies),
            audio_dropped=sum(health.audio_dropped.values()),
            partials_superseded=health.partials_superseded,
            transcriptions=health.transcriptions,
            errors=health.errors,
            how="SpeechStage, lead teacher channel (captions + finals), real recordings in real time; "
            "latency = final transcript ready - end of the utterance's speech",
        )


def final_latencies(
    spans: Sequence[tuple[float, float]],
    finals: Sequence[tuple[float, float, float]],
    stream_t0: float,
    played_s: float,
    slack_s: float = 0.5,
) -> tuple[list[float], int]:
    """Per spoken utterance (start, end in stream seconds) that had finished playing by `played_s`: the moment
    its last final transcript was ready minus the moment its speech ended (`stream_t0` + end).

    `finals` are (audio start, audio end, ready time) of the final transcriptions (stream seconds, stream
    seconds, the clock of `stream_t0`). An utterance counts as heard when a final overlapping it reaches to
    within `slack_s` of its end (the VAD ends speech a little early or late); otherwise it is missed.
    Returns (latencies in seconds, utterances missed)."""
    latencies: list[float] = []
    missed = 0
    for start, end in spans:
        if end > played_s:
            continue
        overlapping = [f for f in finals if f[0] < end and f[1] > start]
        if not overlapping or max(f[1] for f in overlapping) < end - slack_s:
            missed += 1
            continue
        latencies.append(max(f[2] for f in overlapping) - (stream_t0 + end))
    return latencies, missed

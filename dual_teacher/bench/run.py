"""`dual-teacher bench`: the vendor benchmark, modelled on MLPerf Inference, with an accuracy gate and peers.

    dual-teacher bench [--profile P] [--quick | --full] [--budget-s S] [--cameras N] --out FILE.json
    dual-teacher bench compare A.json B.json

One run, in this order (each part on the real inputs of bench_data.py):
1. set-up: every hardware profile's providers are proven with a tiny model (hardware.probe) and the profile is
   chosen as the runtime chooses it at start-up (`--profile` forces one; if it does not work here the run goes
   on with the best one that does and records both: requested vs used profile and providers, per model);
2. accuracy gate (bench_gate.py): the profile's raw model outputs, its perception results and its transcripts
   against a CPU fp32 reference on the same inputs; the run is `"valid": false` with the reasons otherwise;
3. SingleStream: one frame through `RoomPerception.process` at a time (each camera stream in turn, its own
   tracks), one utterance through the ASR at a time (final settings): p50/p90/p99;
4. MultiStream: N simulated cameras, one frame each per step on N threads (as N perception stages would run):
   p99 of the step;
5. Offline: throughput, N perception workers on their own streams (frames/s), and utterances back to back
   (audio seconds per second);
6. Classroom: a recorded class replayed in real time with every stage on: the display (a demo lesson video
   decoded at its frame rate and pulled by a display thread: the stand-in for Qt playback in a headless
   benchmark), perception (a `PerceptionStage` on a classroom video at the profile's camera fps through the
   latest-frame slot, drops counted) and speech (a `SpeechStage` on the lead teacher's channel, real
   recordings in real time, captions and finals): sustained frames/s, event latency (frame captured ->
   result; end of utterance -> final text), drops, CPU %, peak RSS, GPU memory where nvidia-smi exists;
7. peers: MediaPipe's own pose pipelines on the same frames (bench_peers.py) and faster-whisper's plain
   `transcribe` on the same utterances, as ratios.
Ctrl-C stops the part running, keeps what it measured, and writes the results marked `"partial": true`.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from dual_teacher.core.errors import ConfigError, DualTeacherError, ModelLoadError
from dual_teacher.hardware.fingerprint import fingerprint
from dual_teacher.hardware.probe import installed_ort_distributions, prove_all
from dual_teacher.hardware.profiles import HardwareProfile, choose_profile, load_profiles
from dual_teacher.inference.registry import ModelRegistry
from dual_teacher.inference.runner import OnnxRunner, available_providers
from dual_teacher.inference.silero import load_silero_vad
from dual_teacher.media.audio import ArraySource
from dual_teacher.media.camera import CaptureOptions, CaptureThread, frames_reader, open_camera, video_fps
from dual_teacher.perception.models import FACE_DETECTION, POSE_DETECTION, POSE_LANDMARKS
from dual_teacher.perception.pipeline import FrameResult, PerceptionModels, RoomPerception, person_scale
from dual_teacher.runtime import bench_gate as gate
from dual_teacher.runtime.bench_data import Clip, Stream, camera_streams, classroom_audio, display_video, speech_clips
from dual_teacher.runtime.bench_html import SUMMARY_COLUMNS, render, summary_rows
from dual_teacher.runtime.bench_monitor import Progress, ResourceMonitor, peak_rss_mb, process_cpu_s, rss_mb
from dual_teacher.runtime.bench_peers import peer_python, run_mediapipe
from dual_teacher.runtime.bench_stats import (
    Mode,
    budget_for,
    cpu_percent,
    done,
    final_latencies,
    latency_summary,
    median_of,
    perception_peer_rows,
    rate,
    rate_over_time,
    split_budget,
    window,
    word_error_counts,
)
from dual_teacher.runtime.perception_stage import PerceptionStage
from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage
from dual_teacher.speech.asr import AsrOptions, FasterWhisperTranscriber
from dual_teacher.speech.plain_whisper import PlainWhisper, cuda_devices
from dual_teacher.speech.text import keys, tokenize
from dual_teacher.speech.vad import SileroVad

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PERCEPTION_MODELS = (POSE_DETECTION, POSE_LANDMARKS, FACE_DETECTION)
DISPLAY_NOTE = (
    "display playback: a stand-in. The demo lesson video is decoded with PyAV at its own frame rate by a capture "
    "thread and pulled by a display thread, as the classroom window's video would be; a headless benchmark "
    "cannot measure Qt's rendering (benchmarks/bench_ui.py measures the UI frame time)."
)


@dataclasses.dataclass(frozen=True)
class BenchOptions:
    out: Path
    mode: Mode = "default"
    profile: str | None = None
    budget_s: float | None = None
    cameras: int = 2
    peers: bool = True
    data: Path | None = None


def _ms(seconds: Sequence[float]) -> list[float]:
    return [round(s * 1000.0, 2) for s in seconds]


def _words(text: str) -> list[str]:
    return keys(tokenize(text))


class _Window:
    """CPU and memory over one part of the run."""

    def __init__(self, monitor: ResourceMonitor) -> None:
        self.monitor = monitor
        self.cpu0 = process_cpu_s()
        self.t0 = time.monotonic()
        self.m0 = monitor.now()

    def stats(self) -> dict[str, Any]:
        wall = time.monotonic() - self.t0
        out = {"wall_s": round(wall, 2), "cpu_percent": cpu_percent(process_cpu_s() - self.cpu0, wall)}
        out.update(window(self.monitor.snapshot(), self.m0, self.monitor.now()))
        if out["peak_rss_mb"] is None:
            out["peak_rss_mb"] = rss_mb()
        return out


class BenchRun:
    """One benchmark run. `run()` returns the result dict (complete, or partial after Ctrl-C)."""

    def __init__(self, options: BenchOptions, progress: Progress | None = None) -> None:
        self.o = options
        self.budget = budget_for(options.mode, options.budget_s)
        self.progress = progress or Progress(enabled=False)
        self.monitor = ResourceMonitor()
        self.notes: list[str] = [DISPLAY_NOTE]
        self.phases: list[list[Any]] = []
        self._flush: Callable[[bool], None] | None = None
        self.result: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "kind": "dual-teacher-bench",
            "mode": options.mode,
            "partial": False,
            "interrupted_in": None,
            "valid": False,
            "invalid_reasons": [],
            "budget": self.budget.as_dict(),
            "scenarios": {},
            "peers": {},
        }
        # set by _setup
        self.registry: ModelRegistry | None = None
        self.profile: HardwareProfile | None = None
        self.variant = "fp32"
        self.models: PerceptionModels | None = None
        self.transcriber: FasterWhisperTranscriber | None = None
        self.vad: OnnxRunner | None = None
        self.streams: list[Stream] = []
        self.clips: list[Clip] = []

    # ---- driver --------------------------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("set-up", self._setup),
            ("accuracy gate", self._gate),
            ("SingleStream perception", self._single_stream_perception),
            ("SingleStream ASR", self._single_stream_asr),
            ("MultiStream perception", self._multi_stream),
            ("Offline perception", self._offline_perception),
            ("Offline ASR", self._offline_asr),
            ("Classroom", self._classroom),
            ("peers", self._peers),
        ]

    def run(self) -> dict[str, Any]:
        t0 = time.monotonic()
        self.result["machine"] = fingerprint()
        self.monitor.start()
        steps = self.steps()
        current = None
        try:
            for i, (name, step) in enumerate(steps, 1):
                current = name
                self.progress.phase(name, i, len(steps))
                start = self.monitor.now()
                try:
                    step()
                finally:
                    self.phases.append([name, round(start, 2), round(self.monitor.now(), 2)])
            current = None
        except KeyboardInterrupt:
            self.result["partial"] = True
            self.result["interrupted_in"] = current
            if self._flush is not None:
                self._flush(True)
            self.progress.note(f"interrupted in {current}: writing partial results")
        except Exception as exc:
            self.result["partial"] = True
            self.result["interrupted_in"] = current
            self.result["error"] = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self._flush = None
            self.monitor.stop()
            self._finish(t0)
        return self.result

    def _finish(self, t0: float) -> None:
        r = self.result
        r["wall_s"] = round(time.monotonic() - t0, 1)
        r["resources"] = {
            "samples": self.monitor.snapshot(),
            "sample_columns": ["t_s", "cpu_percent", "rss_mb", "gpu_mem_mb"],
            "phases": self.phases,
            "peak_rss_mb": peak_rss_mb(),
            "gpu_memory": "nvidia-smi per process" if self.monitor.gpu_available else None,
        }
        r["notes"] = self.notes
        accuracy = r.get("accuracy")
        if not isinstance(accuracy, dict):
            r["valid"] = False
            r["invalid_reasons"] = ["the accuracy gate did not run (interrupted before it)"]
        else:
            r["valid"] = bool(accuracy.get("valid"))
            r["invalid_reasons"] = list(accuracy.get("failed") or [])

    def _scenario(self, group: str, name: str | None, summarise: Callable[[bool], dict[str, Any]]) -> None:
        """Register how to summarise what a scenario has measured so far (used at its end and on Ctrl-C)."""

        def flush(interrupted: bool) -> None:
            part = summarise(interrupted)
            if interrupted:
                part["interrupted"] = True
            if name is None:
                self.result["scenarios"][group] = part
            else:
                self.result["scenarios"].setdefault(group, {})[name] = part

        self._flush = flush

    def _end_scenario(self) -> None:
        if self._flush is not None:
            flush, self._flush = self._flush, None
            flush(False)

    # ---- set-up --------------------------------------------------------------------------------------------------
    def _setup(self) -> None:
        w = _Window(self.monitor)
        profiles = load_profiles()
        specs = [(p.name, dict(p.options), p.key) for prof in profiles.values() for p in prof.providers]
        probes = prove_all(specs)
        choice = choose_profile(
            profiles, {k: r.ok for k, r in probes.items()}, installed_ort_distributions(), wanted=self.o.profile
        )
        # a provider this onnxruntime build does not have is "not installed", not a failure (macOS's CoreML on Linux)
        passed_over = []
        for name, why in choice.passed_over:
            probe = probes.get(profiles[name].providers[0].key)
            if probe is not None and probe.error == "not in this onnxruntime build":
                why = f"needs an onnxruntime build with {probe.requested} (not in this one)"
            passed_over.append((name, why))
        profile = self.profile = choice.profile
        requested = profiles[self.o.profile] if self.o.profile else profile
        registry = self.registry = ModelRegistry()
        variant, why = self._variant(registry, profile)
        self.variant = variant
        self.progress.update(0.2, "loading perception models")
        providers = profile.ort_providers()
        # PerceptionModels.load hands its providers to OnnxRunner unchanged; OnnxRunner takes (name, options)
        models = self.models = PerceptionModels.load(
            registry, threads=profile.threads, providers=providers, variant=variant
        )
        used = {r.name: r.providers_in_use() for r in models.runners}
        record = gate.provider_record(
            self.o.profile,
            profile.name,
            passed_over,
            [p.key for p in requested.providers],
            [name for name, _ in providers],
            used,
        )
        record["probes"] = {k: dataclasses.asdict(v) for k, v in probes.items()}
        record["available"] = available_providers()
        self.result["providers"] = record
        self.result["profile"] = {
            "requested": self.o.profile or "auto",
            "used": profile.name,
            "settings": profile.model_dump(),
            "requested_settings": requested.model_dump() if requested is not profile else None,
            "variant_used": variant,
            "variant_note": why,
        }
        if record["fell_back"]:
            self.progress.note("fallback: " + "; ".join(record["fallback_reasons"]))
        self.progress.update(0.5, "loading Whisper")
        self.transcriber = self._asr(profile, requested)
        self.vad = load_silero_vad()
        self.progress.update(0.7, "loading frames and audio")
        size = (profile.camera.width, profile.camera.height)
        self.streams, notes = camera_streams(size, self.o.data)
        self.notes += notes
        self.clips, notes = speech_clips(self.o.data)
        self.notes += notes
        if not self.streams or not self.clips:
            raise DualTeacherError("no frames or no speech to benchmark with", hint="render the demo lesson media")
        held = sum(f.nbytes for s in self.streams for f in s.frames) / 2**20
        self.result["inputs"] = {
            "camera_resolution": f"{size[0]}x{size[1]}",
            "camera_fps": profile.camera.fps,
            "streams": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "frames": len(s.frames),
                    "source": s.source,
                    "people_true": s.people_true,
                }
                for s in self.streams
            ],
            "frames_in_memory_mb": round(held, 1),
            "utterances": [{"name": c.name, "seconds": round(c.seconds, 2)} for c in self.clips],
        }
        self.result["setup"] = w.stats()

    def _variant(self, registry: ModelRegistry, profile: HardwareProfile) -> tuple[str, str]:
        wanted = profile.model_variant
        if wanted == "fp32":
            return "fp32", ""
        bad = []
        for name in PERCEPTION_MODELS:
            state = next((v.state for v in registry.variants(name, check_hashes=False) if v.variant == wanted), "n/a")
            if state != "ok":
                bad.append(f"{name} ({state})")
        if bad:
            why = f"variant {wanted} not available for {', '.join(bad)}: fp32 used"
            self.notes.append(why)
            return "fp32", why
        return wanted, ""

    def _asr(self, profile: HardwareProfile, requested: HardwareProfile) -> FasterWhisperTranscriber:
        """Whisper on the chosen profile's ASR settings; recorded against the requested profile's."""
        want = requested.asr
        asked = {"device": want.device, "compute_type": want.compute_type, "threads": want.threads}
        reasons: list[str] = []
        if requested is not profile and requested.asr != profile.asr:
            reasons.append(f"profile {requested.name} did not run: ASR on {profile.name}'s settings")
        device, compute = profile.asr.device, profile.asr.compute_type
        if device in ("cuda", "auto"):
            if cuda_devices() > 0:
                device = "cuda"
            else:
                if device == "cuda":
                    reasons.append("no CUDA device for CTranslate2: ASR on the CPU (int8)")
                device, compute = "cpu", "int8"
        options = AsrOptions.for_language("en", cpu_threads=profile.asr.threads, compute_type=compute, device=device)
        transcriber = FasterWhisperTranscriber(options)
        try:
            transcriber.load()
        except ModelLoadError as exc:
            if device == "cpu":
                raise
            reasons.append(f"Whisper did not load on {device}: {exc.message}; ASR on the CPU (int8)")
            options = dataclasses.replace(options, device="cpu", compute_type="int8")
            transcriber = FasterWhisperTranscriber(options)
            transcriber.load()
        transcriber.warmup()
        backend = transcriber.backend()
        if backend["device"] != asked["device"] and not reasons and asked["device"] != "auto":
            reasons.append(f"ASR asked for {asked['device']}, runs on {backend['device']}")
        if not backend["compute_type"].startswith(options.compute_type):
            reasons.append(f"CTranslate2 runs {backend['compute_type']} instead of {options.compute_type}")
        self.result["asr"] = {
            "model": options.model,
            "requested": asked,
            "used": {**backend, "threads": options.cpu_threads, "beam_size": options.beam_size},
            "fell_back": bool(reasons),
            "fallback_reasons": reasons,
        }
        return transcriber

    # ---- accuracy gate -------------------------------------------------------------------------------------------
    def _gate(self) -> None:
        assert self.registry is not None and self.models is not None and self.profile is not None
        assert self.transcriber is not None
        w = _Window(self.monitor)
        checks: list[gate.GateCheck] = []
        self.progress.update(0.05, "loading the CPU fp32 reference")
        reference = PerceptionModels.load(
            self.registry, threads=self.profile.threads, providers=("CPUExecutionProvider",), variant="fp32"
        )
        refs = {r.name: r for r in reference.runners}
        for runner in self.models.runners:
            checks += self._raw_checks(runner, refs[runner.name])
        self.progress.update(0.3, "perception vs reference")
        video = next((s for s in self.streams if s.kind == "video"), self.streams[0])
        frames = [video.frames[i % len(video.frames)] for i in range(self.budget.gate_frames)]
        ours, theirs = RoomPerception(self.models), RoomPerception(reference)
        got_counts, ref_counts, errors = [], [], []
        fps = float(self.profile.camera.fps)
        for i, frame in enumerate(frames):
            a, b = ours.process(frame, i / fps), theirs.process(frame, i / fps)
            got_counts.append(a.count)
            ref_counts.append(b.count)
            errors += gate.match_poses(_poses(b), _poses(a))
            self.progress.update(0.3 + 0.4 * (i + 1) / len(frames), f"frame {i + 1}/{len(frames)}")
        checks.append(gate.count_check(ref_counts, got_counts))
        checks.append(gate.landmark_check(errors, sum(ref_counts)))
        del reference, refs, theirs
        self.progress.update(0.7, "ASR vs reference")
        checks.append(self._asr_check())
        valid, failed = gate.decide(checks)
        self.result["accuracy"] = {
            "valid": valid,
            "failed": failed,
            "rule": (gate.__doc__ or "").split("\n\n")[1].replace("\n", " ").strip(),
            "reference": {"providers": ["CPUExecutionProvider"], "variant": "fp32", "asr_compute_type": "float32"},
            "frames": f"{len(frames)} frames of {video.name}",
            "checks": [c.as_dict() for c in checks],
            **w.stats(),
        }
        if not valid:
            self.progress.note("accuracy gate FAILED: " + "; ".join(failed))

    def _raw_checks(self, runner: OnnxRunner, reference: OnnxRunner) -> list[gate.GateCheck]:
        assert self.registry is not None
        npz = self.registry.cache / f"{runner.name}.parity.npz"
        feeds: list[dict[str, np.ndarray]] = []
        if npz.is_file():
            with np.load(npz) as data:
                arrays = {k[len("input:") :]: data[k] for k in data.files if k.startswith("input:")}
            n = min(self.budget.gate_inputs, min(a.shape[0] for a in arrays.values()))
            feeds = [{k: a[i : i + 1] for k, a in arrays.items()} for i in range(n)]
        if not feeds:
            self.notes.append(f"{runner.name}: no stored real inputs; the raw gate used random inputs")
            feeds = [reference.example_inputs(seed=i) for i in range(max(1, self.budget.gate_inputs))]
        names = [o.name for o in reference.outputs]
        diff = dict.fromkeys(names, 0.0)
        scale = dict.fromkeys(names, 0.0)
        in_types = {i.name: i.dtype for i in runner.inputs}
        for feed in feeds:
            cast_feed = {
                k: (v.astype(np.float16) if in_types.get(k) == "tensor(float16)" else v) for k, v in feed.items()
            }
            got = runner.run(cast_feed)
            want = reference.run(feed)
            for name, g, r in zip(names, got, want, strict=True):
                d = np.abs(g.astype(np.float64) - r.astype(np.float64))
                diff[name] = max(diff[name], float(np.max(d)) if d.size else 0.0)
                scale[name] = max(scale[name], float(np.max(np.abs(r))) if r.size else 0.0)
        return [gate.raw_output_check(runner.name, n, diff[n], scale[n], self.variant, len(feeds)) for n in names]

    def _asr_check(self) -> gate.GateCheck:
        assert self.transcriber is not None
        clips = self.clips[: max(1, self.budget.gate_clips)]
        options = dataclasses.replace(self.transcriber.options, device="cpu", compute_type="float32")
        reference = FasterWhisperTranscriber(options, model_dir=self.transcriber.model_dir)
        words = ref_errors = got_errors = 0
        with_truth = all(c.truth for c in clips)
        for clip in clips:
            got = _words(self.transcriber.transcribe(clip.audio).text)
            want = _words(reference.transcribe(clip.audio).text)
            if with_truth:
                truth = _words(clip.truth or "")
                words += len(truth)
                ref_errors += word_error_counts(truth, want)
                got_errors += word_error_counts(truth, got)
            else:
                words += len(want)
                got_errors += word_error_counts(want, got)
        against = "ground truth" if with_truth else "the reference's transcripts"
        return gate.asr_check(words, ref_errors, got_errors, against, len(clips))

    # ---- SingleStream --------------------------------------------------------------------------------------------
    def _single_stream_perception(self) -> None:
        assert self.models is not None and self.profile is not None
        w = _Window(self.monitor)
        share_s, share_n = split_budget(self.budget.single_stream_s, self.budget.min_single_stream, len(self.streams))
        samples: list[float] = []
        per_stream: dict[str, dict[str, list[float]]] = {}
        fps = float(self.profile.camera.fps)

        def summarise(interrupted: bool) -> dict[str, Any]:
            scenes = {
                name: {
                    "n": len(v["latency"]),
                    "p50_ms": latency_summary(v["latency"])["p50_ms"],
                    "people": int(np.median(v["people"])) if v["people"] else 0,
                }
                for name, v in per_stream.items()
            }
            return {
                "latency": latency_summary(samples),
                "frames_per_s": rate(len(samples), sum(samples)),
                "per_stream": scenes,
                "threads": self.profile.threads if self.profile else None,
                "samples_ms": _ms(samples),
                "how": "each camera stream in turn, its own tracks, one frame at a time; p50/p90/p99 of all frames",
                **w.stats(),
            }

        self._scenario("single_stream", "perception", summarise)
        for k, stream in enumerate(self.streams):
            room = RoomPerception(self.models)
            v = per_stream.setdefault(stream.name, {"latency": [], "people": []})
            start, i = time.perf_counter(), 0
            while not done(time.perf_counter() - start, i, share_s, share_n):
                frame = stream.frames[i % len(stream.frames)]
                t0 = time.perf_counter()
                result = room.process(frame, i / fps)
                dt = time.perf_counter() - t0
                samples.append(dt)
                v["latency"].append(dt)
                v["people"].append(result.count)
                i += 1
                elapsed = min(1.0, (time.perf_counter() - start) / share_s)
                self.progress.update((k + elapsed) / len(self.streams), f"{len(samples)} frames, {stream.name}")
        self._end_scenario()

    def _single_stream_asr(self) -> None:
        assert self.transcriber is not None
        w = _Window(self.monitor)
        samples: list[float] = []
        audio: list[float] = []

        def summarise(interrupted: bool) -> dict[str, Any]:
            return {
                "latency": latency_summary(samples),
                "audio_s_per_s": rate(sum(audio), sum(samples)),
                "real_time_factor": None if not audio else round(sum(samples) / sum(audio), 4),
                "utterance_s": {"n": len(audio), "mean": round(float(np.mean(audio)), 2) if audio else None},
                "samples_ms": _ms(samples),
                "how": "one utterance at a time, final settings (beam 5); latency = transcription time",
                **w.stats(),
            }

        self._scenario("single_stream", "asr", summarise)
        start, i = time.perf_counter(), 0
        b = self.budget
        while not done(time.perf_counter() - start, i, b.single_stream_s, b.min_single_stream):
            clip = self.clips[i % len(self.clips)]
            t0 = time.perf_counter()
            self.transcriber.transcribe(clip.audio)
            samples.append(time.perf_counter() - t0)
            audio.append(clip.seconds)
            i += 1
            self.progress.update((time.perf_counter() - start) / b.single_stream_s, f"{i} utterances")
        self._end_scenario()

    # ---- MultiStream ---------------------------------------------------------------------------------------------
    def _multi_stream(self) -> None:
        assert self.models is not None and self.profile is not None
        w = _Window(self.monitor)
        n = max(1, self.o.cameras)
        rooms = [RoomPerception(self.models) for _ in range(n)]
        cams = [self.streams[i % len(self.streams)] for i in range(n)]
        steps: list[float] = []
        frames: list[float] = []
        fps = float(self.profile.camera.fps)
        wall = [time.perf_counter(), time.perf_counter()]

        def summarise(interrupted: bool) -> dict[str, Any]:
            return {
                "cameras": n,
                "camera_streams": [c.name for c in cams],
                "step_latency": latency_summary(steps),
                "frame_latency": latency_summary(frames),
                "frames_per_s": rate(n * len(steps), wall[1] - wall[0]),
                "samples_ms": _ms(steps),
                "how": f"{n} cameras, one frame each per step on {n} threads; latency of the step = its last frame",
                **w.stats(),
            }

        def one(k: int, index: int) -> float:
            stream = cams[k]
            t0 = time.perf_counter()
            rooms[k].process(stream.frames[index % len(stream.frames)], index / fps)
            return time.perf_counter() - t0

        self._scenario("multi_stream", "perception", summarise)
        b = self.budget
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="bench-camera") as pool:
            i = 0
            while not done(time.perf_counter() - wall[0], i, b.multi_stream_s, b.min_multi_stream):
                t0 = time.perf_counter()
                futures = [pool.submit(one, k, i) for k in range(n)]
                wait(futures)
                steps.append(time.perf_counter() - t0)
                frames.extend(f.result() for f in futures)
                wall[1] = time.perf_counter()
                i += 1
                self.progress.update((wall[1] - wall[0]) / b.multi_stream_s, f"{i} steps")
        self._end_scenario()

    # ---- Offline -------------------------------------------------------------------------------------------------
    def _offline_perception(self) -> None:
        assert self.models is not None and self.profile is not None
        w = _Window(self.monitor)
        n = max(1, self.o.cameras)
        stop = threading.Event()
        latencies: list[list[float]] = [[] for _ in range(n)]
        wall = [time.perf_counter(), time.perf_counter()]
        fps = float(self.profile.camera.fps)
        models = self.models

        def worker(k: int) -> None:
            stream = self.streams[k % len(self.streams)]
            room = RoomPerception(models)
            i = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                room.process(stream.frames[i % len(stream.frames)], i / fps)
                latencies[k].append(time.perf_counter() - t0)
                wall[1] = max(wall[1], time.perf_counter())
                i += 1

        def summarise(interrupted: bool) -> dict[str, Any]:
            every = [x for lat in latencies for x in lat]
            return {
                "workers": n,
                "frames": len(every),
                "frames_per_s": rate(len(every), wall[1] - wall[0]),
                "latency": latency_summary(every),
                "how": f"{n} workers on their own streams as fast as they go; frames/s = frames / wall time",
                **w.stats(),
            }

        self._scenario("offline", "perception", summarise)
        b = self.budget
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="bench-offline")
        try:
            futures = [pool.submit(worker, k) for k in range(n)]
            while True:
                elapsed = time.perf_counter() - wall[0]
                count = sum(len(lat) for lat in latencies)
                if done(elapsed, count, b.offline_s, b.min_offline) or all(f.done() for f in futures):
                    break
                self.progress.update(elapsed / b.offline_s, f"{count} frames")
                time.sleep(0.1)
        finally:
            stop.set()
            pool.shutdown(wait=True)
        for f in futures:
            f.result()  # a worker's error surfaces here
        self._end_scenario()

    def _offline_asr(self) -> None:
        assert self.transcriber is not None
        w = _Window(self.monitor)
        took: list[float] = []
        audio: list[float] = []
        start = time.perf_counter()
        wall = [start]

        def summarise(interrupted: bool) -> dict[str, Any]:
            return {
                "utterances": len(took),
                "audio_s": round(sum(audio), 2),
                "audio_s_per_s": rate(sum(audio), wall[0] - start),
                "latency": latency_summary(took),
                "how": "utterances back to back on one transcriber; audio seconds per wall second",
                **w.stats(),
            }

        self._scenario("offline", "asr", summarise)
        b = self.budget
        i = 0
        while not done(time.perf_counter() - start, i, b.offline_s, b.min_offline):
            clip = self.clips[i % len(self.clips)]
            t0 = time.perf_counter()
            self.transcriber.transcribe(clip.audio)
            took.append(time.perf_counter() - t0)
            audio.append(clip.seconds)
            wall[0] = time.perf_counter()
            i += 1
            self.progress.update((wall[0] - start) / b.offline_s, f"{i} utterances")
        self._end_scenario()

    # ---- Classroom -----------------------------------------------------------------------------------------------
    def _classroom(self) -> None:
        assert self.models is not None and self.profile is not None
        assert self.transcriber is not None and self.vad is not None
        w = _Window(self.monitor)
        duration = self.budget.classroom_s
        fps = float(self.profile.camera.fps)
        stream = next((s for s in self.streams if s.kind == "video"), self.streams[0])
        camera = CaptureThread(
            "classroom", frames_reader(list(stream.frames)), CaptureOptions(fps=fps, loop=True, live=False)
        )
        perception = PerceptionStage(camera, RoomPerception(self.models), keep_records=1_000_000)
        signal_, spans = classroom_audio(self.clips, duration)
        teacher = ArraySource(signal_, name="teacher", pace="realtime")
        vad = self.vad
        speech = SpeechStage(
            teacher=teacher,
            config=SpeechConfig(cpu_threads=self.transcriber.options.cpu_threads),
            transcribers={"en": self.transcriber},
            vad_factory=lambda: SileroVad(vad),
            keep_records=1_000_000,
            warm_up=False,
        )
        video = display_video()
        display = open_camera(str(video), loop=True) if video is not None else None
        shown: list[float] = []
        stop = threading.Event()

        def show() -> None:  # the classroom window pulls the newest decoded frame
            assert display is not None
            while not stop.is_set():
                if display.slot.take(timeout=0.2) is not None:
                    shown.append(time.monotonic())

        viewer = threading.Thread(target=show, name="bench-display", daemon=True)
        clock = [time.monotonic(), time.monotonic()]
        events: dict[str, int] = {}

        def summarise(interrupted: bool) -> dict[str, Any]:
            t_start, t_end = clock
            elapsed = max(1e-9, t_end - t_start)
            records = list(perception.records)
            status = camera.status()
            lat = [r.done - r.captured for r in records]
            out: dict[str, Any] = {"duration_s": round(elapsed, 2), "events": events}
            out["perception"] = {
                "camera_stream": stream.name,
                "camera_fps": fps,
                "frames_captured": status.frames,
                "frames_analysed": len(records),
                "dropped": status.dropped,
                "dropped_fraction": round(status.dropped / status.frames, 4) if status.frames else None,
                "frames_per_s": rate(len(records), elapsed),
                "event_latency": latency_summary(lat),
                "samples_ms": _ms(lat),
                "fps_over_time": rate_over_time([r.done for r in records], t_start, t_end),
                "errors": perception.errors,
                "how": "PerceptionStage on the video at the camera fps through the latest-frame slot; "
                "latency = result ready - frame captured; dropped = frames overwritten in the slot",
            }
            finals = [r for r in speech.records if r.final]
            t0 = teacher.started_at if teacher.started_at is not None else t_start
            latencies, missed = final_latencies(
                [(s, e) for s, e, _ in spans],
                [(r.speech_end - r.audio_s, r.speech_end, r.done) for r in finals],
                t0,
                t_end - t0,
            )
            partials = [r.done - (t0 + r.audio_end) for r in speech.records if not r.final]
            health = speech.speech_health()
            out["asr"] = {
                "utterances": len(latencies) + missed,
                "heard": len(latencies),
                "missed": missed,
                "final_latency": latency_summary(latencies),
                "partial_latency": latency_summary(partials),
                "samples_ms": _ms(latencies),
                "audio_dropped": sum(health.audio_dropped.values()),
                "partials_superseded": health.partials_superseded,
                "transcriptions": health.transcriptions,
                "errors": health.errors,
                "how": "SpeechStage, lead teacher channel (captions + finals), real recordings in real time; "
                "latency = final transcript ready - end of the utterance's speech",
            }
            if display is not None and video is not None:
                dstatus = display.status()
                gaps = [b - a for a, b in itertools.pairwise(shown)]
                target = video_fps(video)
                out["display"] = {
                    "video": video.name,
                    "target_fps": round(target, 2),
                    "frames_decoded": dstatus.frames,
                    "frames_shown": len(shown),
                    "dropped": dstatus.dropped,
                    "frames_per_s": rate(len(shown), elapsed),
                    "late_frames": sum(1 for g in gaps if g > 2.0 / max(target, 1e-9)),
                    "frame_interval": latency_summary(gaps),
                    "fps_over_time": rate_over_time(shown, t_start, t_end),
                    "how": "stand-in: PyAV decode at the video's frame rate, pulled by a display thread",
                }
            else:
                out["display"] = {"skipped": "no demo lesson video (render the demo media)"}
            return {**out, **w.stats()}

        self._scenario("classroom", None, summarise)
        try:
            if display is not None:
                display.start()
                viewer.start()
            perception.start()
            speech.start()
            clock[0] = time.monotonic()
            while time.monotonic() - clock[0] < duration:
                time.sleep(0.2)
                clock[1] = time.monotonic()
                for e in perception.poll(0.0) + speech.poll(0.0):
                    events[type(e).__name__] = events.get(type(e).__name__, 0) + 1
                self.progress.update(
                    (clock[1] - clock[0]) / duration, f"{perception.frames} frames, {speech.transcriptions} transcripts"
                )
            clock[1] = time.monotonic()
        finally:
            clock[1] = time.monotonic() if clock[1] <= clock[0] else clock[1]
            speech.stop()
            perception.stop()
            stop.set()
            if display is not None:
                display.stop()
                display.join(5)
                if viewer.is_alive():
                    viewer.join(5)
        self._end_scenario()

    # ---- peers ---------------------------------------------------------------------------------------------------
    def _peers(self) -> None:
        peers = self.result["peers"]
        if not self.o.peers:
            peers["mediapipe"] = {"skipped": "--peers skip"}
            peers["faster_whisper"] = {"skipped": "--peers skip"}
            return
        self.progress.update(0.05, "MediaPipe")
        peers["mediapipe"] = self._mediapipe_peer()
        self.progress.update(0.6, "faster-whisper")
        peers["faster_whisper"] = self._whisper_peer()

    def _mediapipe_peer(self) -> dict[str, Any]:
        assert self.profile is not None
        python, why = peer_python()
        if python is None:
            return {"skipped": why}
        single = self.result["scenarios"].get("single_stream", {}).get("perception", {})
        ours = single.get("per_stream") or {}
        if not ours:
            return {"skipped": "no SingleStream perception figures to compare with"}
        frames = {s.name: s.frames[0] for s in self.streams if s.name in ours}
        peer = run_mediapipe(python, frames, self.budget.peer_s, self.profile.threads)
        if "skipped" in peer:
            return peer
        rows = perception_peer_rows(ours, peer)
        out: dict[str, Any] = {
            "version": peer.get("mediapipe"),
            "cpus": peer.get("cpus"),
            "num_poses": peer.get("tasks_num_poses"),
            "rows": rows,
            "note": "same frames at the camera resolution; MediaPipe loops each stream's first frame (its runner "
            "takes one frame per scene) in tracking/VIDEO mode, pinned to the profile's thread count of CPUs; "
            "ours: the SingleStream figures of the same streams (a video stream's frames in order), measured "
            "earlier in the run (on a busy machine the load may differ between the two)",
        }
        for kind in ("legacy_pose", "tasks_pose_landmarker"):
            if isinstance(peer.get(kind), dict) and "skipped" in peer[kind]:
                out[f"{kind}_skipped"] = peer[kind]["skipped"]
            out[f"median_speedup_vs_{kind}"] = median_of(rows, f"speedup_vs_{kind}")
            out[f"median_per_person_speedup_vs_{kind}"] = median_of(rows, f"per_person_speedup_vs_{kind}")
        return out

    def _whisper_peer(self) -> dict[str, Any]:
        assert self.transcriber is not None
        backend = self.transcriber.backend()
        opts = self.transcriber.options
        plain = PlainWhisper(self.transcriber.model_dir, backend["device"], opts.compute_type, opts.cpu_threads)
        try:
            plain.load()
        except ModelLoadError as exc:
            return {"skipped": exc.message}
        clips = self.clips[: max(1, self.budget.peer_clips)]
        ours_s, peer_s = [], []
        words = ours_err = peer_err = 0
        for k, clip in enumerate(clips):
            text, took = plain.transcribe(clip.audio, opts.language)
            t0 = time.perf_counter()
            mine = self.transcriber.transcribe(clip.audio).text
            ours_s.append(time.perf_counter() - t0)
            peer_s.append(took)
            if clip.truth:
                truth = _words(clip.truth)
                words += len(truth)
                ours_err += word_error_counts(truth, _words(mine))
                peer_err += word_error_counts(truth, _words(text))
            self.progress.update(0.6 + 0.4 * (k + 1) / len(clips), f"{k + 1}/{len(clips)} utterances")
        ours_p50 = latency_summary(ours_s)["p50_ms"]
        peer_p50 = latency_summary(peer_s)["p50_ms"]
        return {
            "utterances": len(clips),
            "ours_p50_ms": ours_p50,
            "peer_p50_ms": peer_p50,
            "speedup": round(peer_p50 / ours_p50, 3) if ours_p50 and peer_p50 else None,
            "ours_wer": round(ours_err / words, 4) if words else None,
            "peer_wer": round(peer_err / words, 4) if words else None,
            "words": words,
            "note": "peer: WhisperModel.transcribe with faster-whisper's defaults (beam 5, 30 s window, "
            "conditioning on previous text, no VAD); ours: FasterWhisperTranscriber (beam 5, 15 s encoder window, "
            "hallucination filters); same model, device, compute type and threads, same utterances",
        }


def _poses(result: FrameResult) -> list[gate.Pose]:
    out = []
    for p in result.people:
        lm = p.landmarks
        if lm is None:  # a person only the face detector found: no pose to compare
            continue
        visible = (lm.visibility[:33] >= 0.5) & (lm.presence[:33] >= 0.5)
        out.append(gate.Pose(lm.points[:33, :2].astype(np.float32), visible, person_scale(lm)))
    return out


# ---- files and console -------------------------------------------------------------------------------------------
def write_result(result: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """The JSON at `out` and the HTML report next to it (same name, .html)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str, allow_nan=False) + "\n", "utf-8")
    html_path = out.with_suffix(".html")
    html_path.write_text(render(result), encoding="utf-8")
    return out, html_path


def _clean(value: Any) -> Any:
    """NaN/inf become None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def table_text(result: dict[str, Any]) -> str:
    """The console table of a result (the same rows as the report's summary)."""
    rows = summary_rows(result)
    cells = [[_cell(r.get(c)) for c in SUMMARY_COLUMNS] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(SUMMARY_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(SUMMARY_COLUMNS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def run_bench(options: BenchOptions, progress: Progress | None = None) -> tuple[dict[str, Any], Path, Path]:
    """Run, then write the JSON and the HTML whatever happened (Ctrl-C included)."""
    if options.profile is not None and options.profile not in (profiles := load_profiles()):
        raise ConfigError(f"unknown hardware profile {options.profile!r}", hint=f"choose one of {', '.join(profiles)}")
    run = BenchRun(options, progress)
    try:
        result = run.run()
    finally:
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not lose the file
        try:
            paths = write_result(_clean(run.result), options.out)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    return result, *paths

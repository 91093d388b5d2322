"""Set-up of a `dual-teacher bench` run: the profile as the runtime chooses it, the models, the real inputs.

Every hardware profile's providers are proven with a tiny model (`hardware.probe.probe_profiles`) and the
profile is chosen as the runtime chooses it at start-up (`--profile` forces one; if it does not work here the
run goes on with the best one that does and records both: requested vs used profile and providers, per
model). The result is a `Rig` (what every scenario runs on, complete by construction) and the `SetupRecord`
(what the JSON says about it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dual_teacher.bench.budget import Budget, Mode
from dual_teacher.bench.data import Clip, Stream, camera_streams, speech_clips
from dual_teacher.bench.gate import ProviderRecord, provider_record
from dual_teacher.bench.monitor import Progress, ResourceMonitor, UsageWindow
from dual_teacher.bench.results import Usage
from dual_teacher.core.errors import DualTeacherError, ModelLoadError
from dual_teacher.hardware.probe import probe_profiles
from dual_teacher.hardware.profiles import HardwareProfile, load_profiles
from dual_teacher.inference.registry import ModelRegistry
from dual_teacher.inference.runner import OnnxRunner, available_providers
from dual_teacher.inference.silero import load_silero_vad
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.models import FACE_DETECTION, POSE_DETECTION, POSE_LANDMARKS
from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber
from dual_teacher.speech.plain_whisper import cuda_devices

PERCEPTION_MODELS = (POSE_DETECTION, POSE_LANDMARKS, FACE_DETECTION)


@dataclasses.dataclass(frozen=True)
class BenchOptions:
    out: Path
    mode: Mode = "default"
    profile: str | None = None
    budget_s: float | None = None
    cameras: int = 2
    peers: bool = True
    data: Path | None = None


@dataclasses.dataclass(frozen=True)
class Rig:
    """What the scenarios run on: the chosen profile's models, the transcriber and the real inputs."""

    registry: ModelRegistry
    profile: HardwareProfile
    variant: str
    models: PerceptionModels
    fanout: ThreadFanout  # perception's regions, as a class runs them (runtime.fanout_pool); closed by the run
    transcriber: FasterWhisperTranscriber
    vad: OnnxRunner
    streams: tuple[Stream, ...]
    clips: tuple[Clip, ...]
    budget: Budget
    cameras: int
    monitor: ResourceMonitor
    progress: Progress
    notes: list[str]  # the run's notes: what stood in for what (appended to while it runs)

    @property
    def fps(self) -> float:
        return float(self.profile.camera.fps)


@dataclasses.dataclass(frozen=True)
class ProfileRecord:
    requested: str
    used: str
    settings: Mapping[str, Any]
    requested_settings: Mapping[str, Any] | None
    variant_used: str
    variant_note: str


@dataclasses.dataclass(frozen=True)
class AsrRecord:
    model: str
    requested: Mapping[str, Any]
    used: Mapping[str, Any]
    fell_back: bool
    fallback_reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class StreamInfo:
    name: str
    kind: str
    frames: int
    source: str
    people_true: int | None


@dataclasses.dataclass(frozen=True)
class UtteranceInfo:
    name: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class Inputs:
    camera_resolution: str
    camera_fps: int
    streams: tuple[StreamInfo, ...]
    frames_in_memory_mb: float
    utterances: tuple[UtteranceInfo, ...]


@dataclasses.dataclass(frozen=True)
class SetupRecord:
    """The set-up's part of the result (top-level keys of the JSON)."""

    providers: ProviderRecord
    profile: ProfileRecord
    asr: AsrRecord
    inputs: Inputs
    setup: Usage


def set_up(
    options: BenchOptions, budget: Budget, monitor: ResourceMonitor, progress: Progress, notes: list[str]
) -> tuple[Rig, SetupRecord]:
    """Choose the profile, load the models and the inputs; `notes` is the run's list of notes (appended to)."""
    w = UsageWindow(monitor)
    profiles = load_profiles()
    choice, probes = probe_profiles(profiles, wanted=options.profile)
    # a provider this onnxruntime build does not have is "not installed", not a failure (macOS's CoreML on Linux)
    passed_over = []
    for name, why in choice.passed_over:
        probe = probes.get(profiles[name].providers[0].key)
        if probe is not None and probe.error == "not in this onnxruntime build":
            why = f"needs an onnxruntime build with {probe.requested} (not in this one)"
        passed_over.append((name, why))
    profile = choice.profile
    requested = profiles[options.profile] if options.profile else profile
    registry = ModelRegistry()
    variant, why = _variant(registry, profile)
    if why:
        notes.append(why)
    progress.update(0.2, "loading perception models")
    providers = profile.ort_providers()
    # PerceptionModels.load hands its providers to OnnxRunner unchanged; OnnxRunner takes (name, options)
    threads, workers = region_threads(profile.threads, [name for name, _ in providers])
    models = PerceptionModels.load(
        registry, threads=threads, providers=providers, variant=variant, frame_threads=profile.threads
    )
    fanout = ThreadFanout(workers, name="bench-regions")  # as devices.open_device_stages does for a class
    used = {r.name: r.providers_in_use() for r in models.runners}
    record = provider_record(
        options.profile,
        profile.name,
        passed_over,
        [p.key for p in requested.providers],
        [name for name, _ in providers],
        used,
    )
    record = dataclasses.replace(record, probes=dict(probes), available=tuple(available_providers()))
    profile_record = ProfileRecord(
        requested=options.profile or "auto",
        used=profile.name,
        settings=profile.model_dump(),
        requested_settings=requested.model_dump() if requested is not profile else None,
        variant_used=variant,
        variant_note=why,
    )
    if record.fell_back:
        progress.note("fallback: " + "; ".join(record.fallback_reasons))
    progress.update(0.5, "loading Whisper")
    transcriber, asr = _asr(profile, requested)
    vad = load_silero_vad()
    progress.update(0.7, "loading frames and audio")
    size = (profile.camera.width, profile.camera.height)
    streams, more = camera_streams(size, options.data)
    notes += more
    clips, more = speech_clips(options.data)
    notes += more
    if not streams or not clips:
        raise DualTeacherError("no frames or no speech to benchmark with", hint="render the demo lesson media")
    held = sum(f.nbytes for s in streams for f in s.frames) / 2**20
    inputs = Inputs(
        camera_resolution=f"{size[0]}x{size[1]}",
        camera_fps=profile.camera.fps,
        streams=tuple(StreamInfo(s.name, s.kind, len(s.frames), s.source, s.people_true) for s in streams),
        frames_in_memory_mb=round(held, 1),
        utterances=tuple(UtteranceInfo(c.name, round(c.seconds, 2)) for c in clips),
    )
    rig = Rig(
        registry=registry,
        profile=profile,
        variant=variant,
        models=models,
        fanout=fanout,
        transcriber=transcriber,
        vad=vad,
        streams=tuple(streams),
        clips=tuple(clips),
        budget=budget,
        cameras=max(1, options.cameras),
        monitor=monitor,
        progress=progress,
        notes=notes,
    )
    return rig, SetupRecord(record, profile_record, asr, inputs, w.usage())


def _variant(registry: ModelRegistry, profile: HardwareProfile) -> tuple[str, str]:
    """The profile's model variant if every perception model has it, else fp32 and why."""
    wanted = profile.model_variant
    if wanted == "fp32":
        return "fp32", ""
    bad = []
    for name in PERCEPTION_MODELS:
        state = next((v.state for v in registry.variants(name, check_hashes=False) if v.variant == wanted), "n/a")
        if state != "ok":
            bad.append(f"{name} ({state})")
    if bad:
        return "fp32", f"variant {wanted} not available for {', '.join(bad)}: fp32 used"
    return wanted, ""


def _asr(profile: HardwareProfile, requested: HardwareProfile) -> tuple[FasterWhisperTranscriber, AsrRecord]:
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
    options = AsrConfig.for_language("en", cpu_threads=profile.asr.threads, compute_type=compute, device=device)
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
    record = AsrRecord(
        model=options.model,
        requested=asked,
        used={**backend, "threads": options.cpu_threads, "beam_size": options.beam_size},
        fell_back=bool(reasons),
        fallback_reasons=tuple(reasons),
    )
    return transcriber, record

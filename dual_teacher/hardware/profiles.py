"""Hardware profiles (`hardware/*.toml`) and the choice of the best one that really works.

A profile names the onnxruntime distribution that provides its execution providers, the providers in
priority order with their options, threads, the model variant to load, and camera / microphone / ASR
defaults. `choose_profile` is a pure function of the profiles and what the probe proved: the runtime
takes the highest-priority profile whose first provider was proven to run a model; every profile passed
over is reported, so the console can say "fell back from nvidia-cuda to cpu-generic: CUDA provider failed".
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dual_teacher.core.errors import ConfigError
from dual_teacher.resources import resource_dir


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderSpec(_Strict):
    name: str = Field(description="ONNX Runtime execution provider, e.g. CUDAExecutionProvider")
    options: dict[str, Any] = Field(default_factory=dict, description="Provider options passed to ONNX Runtime")

    @property
    def key(self) -> str:
        """Provider plus its device option, e.g. 'OpenVINOExecutionProvider:NPU'."""
        device = self.options.get("device_type")
        return f"{self.name}:{device}" if device else self.name


class CameraDefaults(_Strict):
    width: int = Field(1920, ge=160)
    height: int = Field(1080, ge=120)
    fps: int = Field(15, ge=1, le=120)


class MicrophoneDefaults(_Strict):
    sample_rate: int = Field(16000, ge=8000)
    channels: int = Field(1, ge=1, le=8)


class AsrDefaults(_Strict):
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "int8"
    threads: int = Field(2, ge=1, le=64)


class HardwareProfile(_Strict):
    schema_version: Literal[1]
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str
    package: str = Field(description="The onnxruntime distribution that provides these providers")
    extra: str = Field(description="The dual-teacher install extra that installs `package`")
    priority: int = Field(description="Higher wins when several profiles work")
    providers: list[ProviderSpec] = Field(min_length=1)
    threads: int = Field(2, ge=1, le=256)
    model_variant: Literal["fp32", "prelu", "fp16", "int8"] = "fp32"
    camera: CameraDefaults = CameraDefaults()
    microphone: MicrophoneDefaults = MicrophoneDefaults()
    asr: AsrDefaults = AsrDefaults()

    def ort_providers(self) -> list[tuple[str, dict[str, Any]]]:
        return [(p.name, dict(p.options)) for p in self.providers]


def profiles_dir() -> Path:
    return resource_dir("hardware")


def load_profiles(folder: Path | None = None) -> dict[str, HardwareProfile]:
    folder = folder or profiles_dir()
    out: dict[str, HardwareProfile] = {}
    problems = []
    for path in sorted(folder.glob("*.toml")):
        try:
            profile = HardwareProfile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if profile.name != path.stem:
            problems.append(f"{path}: name {profile.name!r} differs from the file name")
            continue
        out[profile.name] = profile
    if problems:
        raise ConfigError("broken hardware profile(s):\n" + "\n".join(problems), hint="fix or remove these files")
    if "cpu-generic" not in out:
        raise ConfigError(f"{folder} has no cpu-generic profile", hint="reinstall dual-teacher")
    return out


@dataclasses.dataclass(frozen=True)
class Choice:
    profile: HardwareProfile
    passed_over: tuple[tuple[str, str], ...]  # (profile name, why)

    @property
    def fell_back(self) -> bool:
        return any(not why.startswith("needs") for _, why in self.passed_over)


def choose_profile(
    profiles: Mapping[str, HardwareProfile],
    proven: Mapping[str, bool],
    installed_packages: Iterable[str],
    wanted: str | None = None,
) -> Choice:
    """Best working profile. `proven`: provider key -> ran a model and really used that provider.

    With `wanted`, that profile is used if it works, else the best working one (and the reason is reported).
    """
    installed = set(installed_packages)
    passed: list[tuple[str, str]] = []
    ranked = sorted(profiles.values(), key=lambda p: (-p.priority, p.name))
    if wanted is not None:
        if wanted not in profiles:
            raise ConfigError(f"unknown hardware profile {wanted!r}", hint=f"choose one of {', '.join(profiles)}")
        ranked = [profiles[wanted], *[p for p in ranked if p.name != wanted]]
    for profile in ranked:
        if profile.package not in installed:
            passed.append((profile.name, f"needs {profile.package} (pip install 'dual-teacher[{profile.extra}]')"))
            continue
        first = profile.providers[0]
        if proven.get(first.key):
            return Choice(profile, tuple(passed))
        passed.append((profile.name, f"{first.key} did not run a model here"))
    raise ConfigError("no hardware profile works, not even cpu-generic", hint="reinstall onnxruntime")

"""The model registry: every part of the runtime asks here for a model.

It reads `models/manifest.toml` (what the models are and where their weights come from) and the build
report that `dual-teacher models build` writes into the model cache (what was built, with which hashes
and measured parity). States: "ok", "missing" (not built), "stale" (built from another manifest entry or
converter), "corrupt" (file hash differs from the build report).
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dual_teacher.config import models_cache_dir
from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.whisper_models import WhisperSource, sha256_file, whisper_model_dir
from dual_teacher.resources import resource_dir

VARIANTS = ("fp32", "prelu", "fp16", "int8")
State = Literal["ok", "missing", "stale", "corrupt", "n/a"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    package: str
    version: str
    path: str
    member: str | None = Field(None, description="the model file inside the archive at `path`, if it is one")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class OnnxModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    task: str
    kind: Literal["onnx-from-tflite", "onnx-from-tf-graph", "onnx-from-onnx"]
    license: str
    sparse: bool = False
    tolerance: float = Field(1e-3, gt=0, description="Max abs difference to the TFLite original (fp32, prelu)")
    variants: list[str] = Field(default_factory=list)
    variant_tolerance: dict[str, float] = Field(default_factory=dict)
    runtime_outputs: list[str] = Field(
        default_factory=list, description="the outputs the built graph keeps (empty: all); the rest are pruned"
    )
    source: Source
    contract: dict[str, Any] = Field(default_factory=dict, description="Inputs/outputs: names, shapes, ranges")


class WhisperSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    language: str
    license: str
    packages: list[str]
    modules: list[str]
    model_bin_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def source(self) -> WhisperSource:
        return WhisperSource(
            self.name, self.language, tuple(self.packages), tuple(self.modules), self.model_bin_sha256, self.license
        )


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1]
    models: list[OnnxModelSpec]
    whisper: list[WhisperSpec] = Field(default_factory=list)


def manifest_path() -> Path:
    return resource_dir("models") / "manifest.toml"


def load_manifest(path: Path | None = None) -> Manifest:
    path = path or manifest_path()
    try:
        return Manifest.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise ModelLoadError(f"cannot read the model manifest {path}: {exc}", hint="reinstall dual-teacher") from exc


@dataclasses.dataclass(frozen=True)
class VariantState:
    model: str
    variant: str
    path: Path
    state: State
    size_bytes: int | None
    max_abs_diff: float | None
    over_tolerance: bool
    detail: str = ""
    parity_ratio: float | None = None  # worst output's max|diff| / its allowed diff (<= 1 passes)


class ModelRegistry:
    def __init__(self, cache: Path | None = None, manifest: Manifest | None = None) -> None:
        self.cache = cache or models_cache_dir()
        self.manifest = manifest or load_manifest()
        self._specs = {m.name: m for m in self.manifest.models}
        self._whisper = {w.name: w for w in self.manifest.whisper}

    @property
    def report_path(self) -> Path:
        return self.cache / "build_report.json"

    def report(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data

    def spec(self, name: str) -> OnnxModelSpec:
        if name not in self._specs:
            raise ModelLoadError(f"unknown model {name!r}", hint=f"known models: {', '.join(self._specs)}")
        return self._specs[name]

    def variants(self, name: str, check_hashes: bool = True) -> list[VariantState]:
        spec = self.spec(name)
        entry = self.report().get("models", {}).get(name, {})
        built_from = entry.get("source", {}).get("sha256")
        out = []
        for variant in ("fp32", *spec.variants):
            info = entry.get("variants", {}).get(variant, {})
            path = self.cache / (f"{name}.onnx" if variant == "fp32" else f"{name}.{variant}.onnx")
            diff = _max_diff(info.get("max_abs_diff"))
            over = bool(info.get("over_tolerance", False))
            size = path.stat().st_size if path.is_file() else None
            ratio = _parity_ratio(info)
            not_applicable = entry.get(variant)
            if not info and isinstance(not_applicable, str) and not_applicable.startswith("not applicable"):
                state: State = "n/a"
                detail = not_applicable
            elif not info and variant != "fp32" and not path.exists():
                state = "missing"
                detail = "not built (the model has no such variant or the build skipped it)"
            elif not path.is_file() or not info:
                state, detail = "missing", "not built"
            elif built_from != spec.source.sha256:
                state, detail = "stale", "built from another source file than the manifest names"
            elif check_hashes and sha256_file(path) != info.get("sha256"):
                state, detail = "corrupt", "file differs from the one the build verified"
            else:
                state, detail = "ok", ""
            out.append(VariantState(name, variant, path, state, size, diff, over, detail, ratio))
        return out

    def onnx_path(self, name: str, variant: str = "fp32", check_hash: bool = False) -> Path:
        """Path of a built, verified model file; raises ModelLoadError with the fix when it is not usable."""
        for v in self.variants(name, check_hashes=check_hash):
            if v.variant == variant:
                if v.state != "ok":
                    raise ModelLoadError(
                        f"model {name} ({variant}) is {v.state}: {v.detail}", hint="run `dual-teacher models build`"
                    )
                return v.path
        raise ModelLoadError(
            f"model {name} has no variant {variant!r}", hint=f"variants: fp32, {', '.join(self.spec(name).variants)}"
        )

    def whisper_names(self) -> list[str]:
        return list(self._whisper)

    def whisper_dir(self, name: str, user_dir: Path | None = None, verify: bool = False, assemble: bool = True) -> Path:
        """A CTranslate2 folder for faster-whisper: the user's folder if configured, else the packaged model."""
        if user_dir is not None:
            from dual_teacher.inference.whisper_models import check_ct2_folder

            check_ct2_folder(user_dir)
            return user_dir
        if name not in self._whisper:
            raise ModelLoadError(f"unknown Whisper model {name!r}", hint=f"choose one of {sorted(self._whisper)}")
        return whisper_model_dir(self._whisper[name].source(), self.cache, verify=verify, assemble=assemble)


def _parity_ratio(info: dict[str, Any]) -> float | None:
    diffs, allowed = info.get("max_abs_diff"), info.get("allowed_abs_diff")
    if not isinstance(diffs, dict) or not isinstance(allowed, dict):
        return None
    ratios = [float(d) / float(allowed[k]) for k, d in diffs.items() if k in allowed and float(allowed[k]) > 0]
    return max(ratios) if ratios else None


def _max_diff(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        nums = [float(v) for v in value.values() if isinstance(v, int | float)]
        return max(nums) if nums else None
    return None

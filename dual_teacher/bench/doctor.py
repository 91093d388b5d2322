"""`dual-teacher doctor`: what this machine has, what really works, and what to do about the rest.

Every accelerator is proven by running a tiny model (`hardware.probe.probe_profiles`, the same probe the
benchmark's set-up and a class's start-up use), not just listed; the chosen hardware profile is the one the
runtime would use at start-up. It lives beside the benchmark: both are run by whoever sets up a classroom PC,
never during a class (the Qt facts come from `qt/doctor.py`, joined by the CLI).
"""

from __future__ import annotations

import dataclasses
import platform
from pathlib import Path
from typing import Any, Literal

from dual_teacher.config import AppConfig
from dual_teacher.core.errors import DualTeacherError
from dual_teacher.hardware.fingerprint import fingerprint
from dual_teacher.hardware.probe import installed_ort_distributions, probe_profiles
from dual_teacher.runtime.launch import display_name
from dual_teacher.speech.routing import plan_channels

Status = Literal["ok", "warn", "missing", "fail"]
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile", "neon", "asimd", "sve")


@dataclasses.dataclass(frozen=True)
class Check:
    section: str
    item: str
    status: Status
    value: str
    advice: str = ""


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    try:
        text = cpuinfo.read_text(encoding="utf-8")
    except OSError:
        return []
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.split(":", 1)[1].split())
    return [f for f in ISA_FLAGS if f in flags]


def _npus() -> list[str]:
    found = [str(p) for p in sorted(Path("/dev/accel").glob("accel*"))] if Path("/dev/accel").is_dir() else []
    found += [str(p) for p in (Path("/dev/dri/renderD128"),) if p.exists()]
    return found


def run_checks(config: AppConfig | None = None) -> tuple[list[Check], dict[str, Any]]:
    checks: list[Check] = []
    fp = fingerprint()
    flags = cpu_flags()
    checks.append(Check("cpu", "model", "ok", f"{fp['cpu']} ({fp['cpu_count']} logical cores)"))
    cores = int(fp["cpu_count"] or 1)
    checks.append(
        Check(
            "cpu",
            "cores",
            "ok" if cores >= 2 else "warn",
            str(cores),
            "" if cores >= 2 else "one core cannot run perception and speech together: lower the camera fps",
        )
    )
    checks.append(
        Check(
            "cpu",
            "ISA",
            "ok" if ("avx2" in flags or "neon" in flags or "asimd" in flags) else "warn",
            " ".join(flags) or "unknown",
            "" if flags else "no AVX2/NEON: models will run slowly",
        )
    )
    mem = fp.get("memory_bytes") or 0
    checks.append(
        Check(
            "memory",
            "RAM",
            "ok" if mem >= 4e9 else "warn",
            f"{mem / 2**30:.1f} GiB",
            "" if mem >= 4e9 else "4 GiB or more is recommended",
        )
    )
    gpus = fp.get("gpus") or []
    checks.append(
        Check(
            "accelerators",
            "NVIDIA GPU",
            "ok" if gpus else "missing",
            "; ".join(gpus) or "none found",
            "" if gpus else "none needed: the CPU profile works",
        )
    )
    npus = _npus()
    checks.append(
        Check("accelerators", "NPU / render nodes", "ok" if npus else "missing", ", ".join(npus) or "none found")
    )
    dists = installed_ort_distributions()
    if len(dists) > 1:
        checks.append(
            Check(
                "onnxruntime",
                "packages",
                "fail",
                ", ".join(f"{k}=={v}" for k, v in dists.items()),
                "two onnxruntime flavours overwrite each other: pip uninstall all but one, then "
                "reinstall the one your profile needs",
            )
        )
    elif dists:
        checks.append(Check("onnxruntime", "package", "ok", ", ".join(f"{k}=={v}" for k, v in dists.items())))
    else:
        checks.append(Check("onnxruntime", "package", "fail", "not installed", "pip install 'dual-teacher[cpu]'"))
    extra: dict[str, Any] = {"fingerprint": fp}
    if dists:
        try:
            choice, results = probe_profiles()
        except DualTeacherError as exc:
            checks.append(Check("onnxruntime", "profiles", "fail", str(exc)))
        else:
            for key, r in results.items():
                if r.ok:
                    checks.append(
                        Check(
                            "providers",
                            key,
                            "ok",
                            f"asked {r.requested}, ran on {r.used}, {r.latency_ms:.2f} ms, error {r.max_abs_error:.1e}",
                        )
                    )
                elif r.error == "not in this onnxruntime build":
                    checks.append(Check("providers", key, "missing", r.error))
                else:
                    checks.append(
                        Check(
                            "providers",
                            key,
                            "fail",
                            f"asked {r.requested}: {r.error}",
                            "check the driver and the onnxruntime flavour for this accelerator",
                        )
                    )
            chosen = choice.profile
            checks.append(Check("profile", "chosen", "ok", f"{chosen.name}: {chosen.description}"))
            for name, why in choice.passed_over:
                checks.append(Check("profile", name, "missing" if why.startswith("needs") else "warn", why))
            extra["profile"] = chosen.name
            extra["providers"] = {k: dataclasses.asdict(r) for k, r in results.items()}
    checks += _device_checks()
    checks += _model_checks()
    speech, plans = _speech_checks(config or AppConfig())
    checks += speech
    extra["speech_channels"] = plans
    return checks, extra


def _speech_checks(config: AppConfig) -> tuple[list[Check], dict[str, dict[str, str]]]:
    """Which Whisper model serves which speech channel, for an English and a Mandarin lesson pack."""
    out: list[Check] = []
    plans: dict[str, dict[str, str]] = {}
    display = config.language if "language" in config.model_fields_set else None
    sp = config.speech
    for pack_language in ("en", "zh-Hans"):
        try:
            plan = plan_channels(
                pack_language, display, sp.room_language, sp.teacher_language, sp.room_model, sp.teacher_model
            )
        except DualTeacherError as exc:
            out.append(Check("speech", f"{pack_language} lesson", "fail", exc.message, exc.hint))
            continue
        plans[pack_language] = {c: f"{p.model}/{p.language}" for c, p in plan.items()}
        for channel in ("room", "teacher"):
            out.append(Check("speech", f"{pack_language} lesson, {channel}", "ok", plan[channel].describe()))
    return out, plans


def _device_checks() -> list[Check]:
    from dual_teacher.media.devices import list_cameras, list_microphones

    out = []
    cams = list_cameras()
    out.append(
        Check(
            "devices",
            "cameras",
            "ok" if cams else "missing",
            "; ".join(f"{c.id} {c.name}" for c in cams) or "none found",
            "" if cams else "plug in a USB camera at the front of the room, or use an RTSP camera URL",
        )
    )
    try:
        mics = list_microphones()
        out.append(Check("devices", "microphones", "ok", "; ".join(f"{m.id}: {m.name}" for m in mics[:4])))
    except DualTeacherError as exc:
        out.append(Check("devices", "microphones", "missing", exc.message, exc.hint))
    display = display_name()
    if platform.system() == "Linux":
        out.append(
            Check(
                "devices",
                "display",
                "ok" if display else "missing",
                display or "no DISPLAY/WAYLAND_DISPLAY",
                "" if display else "without a display the class runs headless (no classroom window)",
            )
        )
    return out


def _model_checks() -> list[Check]:
    from dual_teacher.inference.registry import ModelRegistry

    out = []
    try:
        registry = ModelRegistry()
    except DualTeacherError as exc:
        return [Check("models", "manifest", "fail", str(exc))]
    for spec in registry.manifest.models:
        fp32 = registry.variants(spec.name, check_hashes=False)[0]
        out.append(
            Check(
                "models",
                spec.name,
                "ok" if fp32.state == "ok" else "fail",
                fp32.state,
                "" if fp32.state == "ok" else "run `dual-teacher models build`",
            )
        )
    for name in registry.whisper_names():
        try:
            registry.whisper_dir(name, assemble=False)
            out.append(Check("models", f"whisper {name}", "ok", "installed"))
        except DualTeacherError as exc:
            out.append(Check("models", f"whisper {name}", "missing", exc.message, exc.hint))
    return out

"""A machine fingerprint for benchmark results: what ran, where, with which software."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

PACKAGES = (
    "dual-teacher",
    "numpy",
    "onnxruntime",
    "onnxruntime-gpu",
    "onnxruntime-openvino",
    "onnxruntime-directml",
    "faster-whisper",
    "ctranslate2",
    "PySide6-Essentials",
    "av",
    "ai-edge-litert",
)


def _cpuinfo(key: str) -> str | None:
    """The value of the first `key` line of /proc/cpuinfo (Linux), or None."""
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith(key)), None)
    except OSError:
        return None


def _cpu_model() -> str:
    return _cpuinfo("model name") or platform.processor() or platform.machine()


# the vector instruction sets that set a CPU's speed for these models most, widest last: two cores of different
# hosts ran the same build up to 3x apart (bench_perception's bare pose detector: 15.3, 8.0 and 5.0 ms, three
# sessions' hosts, the last with AVX-512), so a figure says which it was measured with
SIMD_LEVELS = ("sse4_2", "avx", "avx2", "avx512f", "avx512_vnni", "amx_tile")


def cpu_simd(flags: str | None = None) -> list[str]:
    """Which of `SIMD_LEVELS` the CPU has (Linux: /proc/cpuinfo's flags; `flags`: that line, for tests)."""
    have = set(((_cpuinfo("flags") or "") if flags is None else flags).split())
    return [level for level in SIMD_LEVELS if level in have]


def _gpus() -> list[str]:
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def fingerprint() -> dict[str, Any]:
    """Where a figure was measured: CPU, memory, GPUs, load at the time, Python, package versions, commit."""
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        mem = None
    return {
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_simd": cpu_simd(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": mem,
        "gpus": _gpus(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "packages": versions(),
        "git_commit": _git_commit(),
    }

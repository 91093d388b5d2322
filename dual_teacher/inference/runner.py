"""ModelRunner: the one place that creates ONNX Runtime sessions.

A runner is created for a model file and a list of execution providers in priority order. It warms up at
load (so the first real frame is not slow) and reports the providers ONNX Runtime really uses: ORT falls
back to the CPU silently, so `fell_back` compares what was asked with what runs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dual_teacher.core.errors import DeviceUnavailable, ModelLoadError

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RunnerUsage:
    """What a session has done since its counters were last reset: runs and seconds inside them (summed over
    the threads that called it, so two workers running one model at once count twice)."""

    runs: int = 0
    seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int | str | None, ...]
    dtype: str


class ModelRunner(Protocol):
    name: str

    def run(self, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]: ...

    def warmup(self, runs: int = 2) -> float: ...

    def providers_in_use(self) -> list[str]: ...


# Providers that do not run the model on this machine (Azure forwards requests to a cloud endpoint).
NOT_LOCAL = frozenset({"AzureExecutionProvider"})


def available_providers() -> list[str]:
    """Execution providers this onnxruntime build can use locally, in its priority order."""
    import onnxruntime as ort

    return [p for p in ort.get_available_providers() if p not in NOT_LOCAL]


_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


class OnnxRunner:
    """ONNX Runtime session with warm-up and an honest account of the providers used."""

    def __init__(
        self,
        path: Path,
        providers: Sequence[str | tuple[str, dict[str, Any]]] = ("CPUExecutionProvider",),
        threads: int | None = None,
        name: str | None = None,
        session_config: Mapping[str, str] | None = None,
    ) -> None:
        import onnxruntime as ort

        self.name = name or path.stem
        self.path = path
        if not path.is_file():
            raise ModelLoadError(f"model file {path} is missing", hint="run `dual-teacher models build`")
        wanted = [p if isinstance(p, str) else p[0] for p in providers]
        present = set(ort.get_available_providers())
        usable = [p for p in providers if (p if isinstance(p, str) else p[0]) in present]
        if not usable:
            raise DeviceUnavailable(
                f"none of the execution providers {wanted} is available (this onnxruntime has {sorted(present)})",
                hint="install the matching onnxruntime flavour extra, or use the cpu-generic profile",
            )
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        for key, value in (session_config or {}).items():  # e.g. {"session.intra_op.allow_spinning": "0"}
            opts.add_session_config_entry(key, value)
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=list(usable))
        except Exception as exc:  # ORT raises its own untyped errors for corrupt files
            log.exception("cannot load %s", path)
            raise ModelLoadError(f"cannot load {path.name}: {exc}", hint="run `dual-teacher models verify`") from exc
        self.requested = wanted
        self.inputs = [TensorSpec(i.name, tuple(i.shape), i.type) for i in self._session.get_inputs()]
        self.outputs = [TensorSpec(o.name, tuple(o.shape), o.type) for o in self._session.get_outputs()]
        self._usage_lock = threading.Lock()
        self._usage = RunnerUsage()

    def providers_in_use(self) -> list[str]:
        return list(self._session.get_providers())

    @property
    def fell_back(self) -> bool:
        """True when the first provider asked for is not the one running the model."""
        used = self.providers_in_use()
        return bool(self.requested) and (not used or used[0] != self.requested[0])

    def run(self, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        t0 = time.perf_counter()
        out = self._session.run(None, dict(inputs))
        took = time.perf_counter() - t0
        with self._usage_lock:
            self._usage = RunnerUsage(self._usage.runs + 1, self._usage.seconds + took)
        return [np.asarray(o) for o in out]

    def usage(self, reset: bool = False) -> RunnerUsage:
        """Runs and seconds in them since the last reset (`reset`: start counting again from now)."""
        with self._usage_lock:
            got = self._usage
            if reset:
                self._usage = RunnerUsage()
        return got

    def example_inputs(self, batch: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        feeds = {}
        for spec in self.inputs:
            shape = [
                batch if (i == 0 and not isinstance(d, int)) else (d if isinstance(d, int) else 1)
                for i, d in enumerate(spec.shape)
            ]
            dtype = _DTYPES.get(spec.dtype, np.float32)
            feeds[spec.name] = rng.random(shape, dtype=np.float32).astype(dtype)
        return feeds

    def warmup(self, runs: int = 2) -> float:
        """Run a few times on random inputs; returns the last run's seconds."""
        feeds = self.example_inputs()
        took = 0.0
        for _ in range(max(1, runs)):
            t0 = time.perf_counter()
            self.run(feeds)
            took = time.perf_counter() - t0
        log.info("%s warmed up on %s (asked %s)", self.name, self.providers_in_use(), self.requested)
        return took

    def batch_dim_is_dynamic(self) -> bool:
        return all(spec.shape and not isinstance(spec.shape[0], int) for spec in self.inputs)

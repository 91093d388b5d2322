"""One `dual-teacher bench` run: the parts in order, the result, the files (the package docstring says what each
part measures).

Ctrl-C stops the part running, keeps what it measured (its `summary(interrupted=True)`), and the files are
written with `"partial": true`; a second Ctrl-C while they are written is ignored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dual_teacher.bench.accuracy import Accuracy, run_gate
from dual_teacher.bench.budget import Budget, Mode, budget_for
from dual_teacher.bench.classroom import Classroom, ClassroomRun
from dual_teacher.bench.monitor import Progress, ResourceMonitor, peak_rss_mb
from dual_teacher.bench.multi_stream import MultiStreamPerception, PerceptionMultiStream
from dual_teacher.bench.offline import AsrOffline, OfflineAsr, OfflinePerception, PerceptionOffline
from dual_teacher.bench.peer_scenario import Peers, mediapipe_peer, whisper_peer
from dual_teacher.bench.report import render
from dual_teacher.bench.results import FLAT, OPTIONAL, Scenario, Skipped, to_json
from dual_teacher.bench.setup import BenchOptions, Rig, SetupRecord, set_up
from dual_teacher.bench.single_stream import (
    AsrSingleStream,
    PerceptionSingleStream,
    SingleStreamAsr,
    SingleStreamPerception,
)
from dual_teacher.core.errors import ConfigError, DualTeacherError
from dual_teacher.hardware.fingerprint import fingerprint
from dual_teacher.hardware.profiles import load_profiles

__all__ = ["BenchOptions", "BenchResult", "run_bench", "write_result"]

SCHEMA_VERSION = 1
DISPLAY_NOTE = (
    "display playback: a stand-in. The demo lesson video is decoded with PyAV at its own frame rate by a capture "
    "thread and pulled by a display thread, as the classroom window's video would be; a headless benchmark "
    "cannot measure Qt's rendering (benchmarks/bench_ui.py measures the UI frame time)."
)
SAMPLE_COLUMNS = ("t_s", "cpu_percent", "rss_mb", "gpu_mem_mb")


@dataclasses.dataclass(frozen=True)
class Scenarios:
    """What each scenario measured (None: it did not run); nested by scenario and modality in the JSON."""

    single_stream_perception: SingleStreamPerception | None = None
    single_stream_asr: SingleStreamAsr | None = None
    multi_stream_perception: MultiStreamPerception | None = None
    offline_perception: OfflinePerception | None = None
    offline_asr: OfflineAsr | None = None
    classroom: Classroom | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "classroom":
                out["classroom"] = to_json(value)
            else:
                group, modality = f.name.rsplit("_", 1)
                out.setdefault(group, {})[modality] = to_json(value)
        return out


@dataclasses.dataclass(frozen=True)
class Resources:
    samples: tuple[tuple[float | None, ...], ...]
    sample_columns: tuple[str, ...]
    phases: tuple[tuple[str, float, float], ...]
    peak_rss_mb: float
    gpu_memory: str | None


@dataclasses.dataclass(frozen=True)
class BenchResult:
    """A whole run (complete, or partial after Ctrl-C or an error); `to_json` gives the JSON's dict."""

    schema_version: int
    kind: str
    mode: Mode
    partial: bool
    interrupted_in: str | None
    valid: bool
    invalid_reasons: tuple[str, ...]
    budget: Budget
    scenarios: Scenarios
    peers: Peers
    machine: Mapping[str, Any]
    setup_record: SetupRecord | None = dataclasses.field(
        default=None, metadata=FLAT
    )  # providers, profile, asr, inputs, setup
    accuracy: Accuracy | None = dataclasses.field(default=None, metadata=OPTIONAL)
    wall_s: float = 0.0
    resources: Resources | None = None
    notes: tuple[str, ...] = ()
    error: str | None = dataclasses.field(default=None, metadata=OPTIONAL)


def _verdict(accuracy: Accuracy | None) -> tuple[bool, tuple[str, ...]]:
    if accuracy is None:
        return False, ("the accuracy gate did not run (interrupted before it)",)
    return accuracy.valid, accuracy.failed


class BenchRun:
    """One benchmark run. `run()` returns the result (complete, or partial after Ctrl-C)."""

    def __init__(self, options: BenchOptions, progress: Progress | None = None) -> None:
        self.o = options
        self.budget = budget_for(options.mode, options.budget_s)
        self.progress = progress or Progress(enabled=False)
        self.monitor = ResourceMonitor()
        self.notes: list[str] = [DISPLAY_NOTE]
        self.phases: list[tuple[str, float, float]] = []
        self.machine: Mapping[str, Any] = {}
        self.rig: Rig | None = None
        self.setup_record: SetupRecord | None = None
        self.accuracy: Accuracy | None = None
        self.scenarios = Scenarios()
        self.peers = Peers()
        self.current: Scenario | None = None  # the scenario running: summarised on Ctrl-C
        self.current_field = ""
        self.t0 = time.monotonic()
        self.last = self.result(partial=True, interrupted_in="set-up", error=None)  # until `run()` ends

    # ---- the parts, in order -------------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("set-up", self._setup),
            ("accuracy gate", self._gate),
            ("SingleStream perception", lambda: self._measure("single_stream_perception", PerceptionSingleStream)),
            ("SingleStream ASR", lambda: self._measure("single_stream_asr", AsrSingleStream)),
            ("MultiStream perception", lambda: self._measure("multi_stream_perception", PerceptionMultiStream)),
            ("Offline perception", lambda: self._measure("offline_perception", PerceptionOffline)),
            ("Offline ASR", lambda: self._measure("offline_asr", AsrOffline)),
            ("Classroom", lambda: self._measure("classroom", ClassroomRun)),
            ("peers", self._peers),
        ]

    def _ready(self) -> Rig:
        if self.rig is None:
            raise DualTeacherError("the benchmark's set-up did not finish", hint="see the error above")
        return self.rig

    def _setup(self) -> None:
        self.rig, self.setup_record = set_up(self.o, self.budget, self.monitor, self.progress, self.notes)

    def _gate(self) -> None:
        self.accuracy = run_gate(self._ready())

    def _measure(self, field: str, scenario: Callable[[Rig], Scenario]) -> None:
        self.current, self.current_field = scenario(self._ready()), field
        self.current.run()
        self._keep(interrupted=False)

    def _keep(self, interrupted: bool) -> None:
        if self.current is not None:
            summary = self.current.summary(interrupted)
            self.scenarios = dataclasses.replace(self.scenarios, **{self.current_field: summary})
        self.current = None

    def _peers(self) -> None:
        if not self.o.peers:
            self.peers = Peers(Skipped("--peers skip"), Skipped("--peers skip"))
            return
        rig = self._ready()
        self.progress.update(0.05, "MediaPipe")
        self.peers = Peers(mediapipe=mediapipe_peer(rig, self.scenarios.single_stream_perception))
        self.progress.update(0.6, "faster-whisper")
        self.peers = dataclasses.replace(self.peers, faster_whisper=whisper_peer(rig))

    # ---- driver --------------------------------------------------------------------------------------------------
    def run(self) -> BenchResult:
        self.t0 = time.monotonic()
        steps = self.steps()
        current: str | None = None
        partial, error = False, None
        try:
            self.machine = fingerprint()
            self.monitor.start()
            for i, (name, step) in enumerate(steps, 1):
                current = name
                self.progress.phase(name, i, len(steps))
                start = self.monitor.now()
                try:
                    step()
                finally:
                    self.phases.append((name, round(start, 2), round(self.monitor.now(), 2)))
            current = None
        except KeyboardInterrupt:
            partial = True
            self._keep(interrupted=True)
            self.progress.note(f"interrupted in {current}: writing partial results")
        except Exception as exc:
            partial, error = True, f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.current = None
            self.monitor.stop()
            if self.rig is not None:
                self.rig.fanout.close()
            self.last = self.result(partial, current, error)
        return self.last

    def result(self, partial: bool, interrupted_in: str | None, error: str | None) -> BenchResult:
        """The result as it stands (what has run so far)."""
        valid, reasons = _verdict(self.accuracy)
        return BenchResult(
            schema_version=SCHEMA_VERSION,
            kind="dual-teacher-bench",
            mode=self.o.mode,
            partial=partial,
            interrupted_in=interrupted_in if partial else None,
            valid=valid,
            invalid_reasons=reasons,
            budget=self.budget,
            scenarios=self.scenarios,
            peers=self.peers,
            machine=self.machine,
            setup_record=self.setup_record,
            accuracy=self.accuracy,
            wall_s=round(time.monotonic() - self.t0, 1),
            resources=Resources(
                samples=tuple(tuple(s) for s in self.monitor.snapshot()),
                sample_columns=SAMPLE_COLUMNS,
                phases=tuple(self.phases),
                peak_rss_mb=peak_rss_mb(),
                gpu_memory="nvidia-smi per process" if self.monitor.gpu_available else None,
            ),
            notes=tuple(self.notes),
            error=error,
        )


# ---- files -------------------------------------------------------------------------------------------------------
def _clean(value: Any) -> Any:
    """NaN/inf become None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_result(result: BenchResult, out: Path) -> tuple[Path, Path]:
    """The JSON at `out` and the HTML report next to it (same name, .html): the one place the result becomes
    a dict."""
    data = _clean(to_json(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str, allow_nan=False) + "\n", "utf-8")
    html_path = out.with_suffix(".html")
    html_path.write_text(render(data), encoding="utf-8")
    return out, html_path


def run_bench(options: BenchOptions, progress: Progress | None = None) -> tuple[BenchResult, Path, Path]:
    """Run, then write the JSON and the HTML whatever happened (Ctrl-C and errors included)."""
    if options.profile is not None and options.profile not in (profiles := load_profiles()):
        raise ConfigError(f"unknown hardware profile {options.profile!r}", hint=f"choose one of {', '.join(profiles)}")
    run = BenchRun(options, progress)
    try:
        run.run()
    finally:
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not lose the file
        try:
            paths = write_result(run.last, options.out)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    return run.last, *paths

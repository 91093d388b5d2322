"""`dual-teacher bench compare A.json B.json`: every headline metric of two results, B/A and which is better.

Works on the JSON as written (dicts: a result from another version or machine), so it reads by dotted path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from dual_teacher.core.table import cell, table_text

Direction = Literal["lower", "higher"]


@dataclasses.dataclass(frozen=True)
class Metric:
    path: str  # dotted path into the result JSON
    label: str
    better: Direction


METRICS: tuple[Metric, ...] = (
    Metric("scenarios.single_stream.perception.latency.p50_ms", "SingleStream perception p50 ms", "lower"),
    Metric("scenarios.single_stream.perception.latency.p90_ms", "SingleStream perception p90 ms", "lower"),
    Metric("scenarios.single_stream.perception.latency.p99_ms", "SingleStream perception p99 ms", "lower"),
    Metric("scenarios.single_stream.asr.latency.p50_ms", "SingleStream ASR p50 ms", "lower"),
    Metric("scenarios.single_stream.asr.latency.p90_ms", "SingleStream ASR p90 ms", "lower"),
    Metric("scenarios.single_stream.asr.latency.p99_ms", "SingleStream ASR p99 ms", "lower"),
    Metric("scenarios.single_stream.asr.real_time_factor", "SingleStream ASR real-time factor", "lower"),
    Metric("scenarios.multi_stream.perception.step_latency.p99_ms", "MultiStream step p99 ms", "lower"),
    Metric("scenarios.multi_stream.perception.frames_per_s", "MultiStream frames/s", "higher"),
    Metric("scenarios.offline.perception.frames_per_s", "Offline perception frames/s", "higher"),
    Metric("scenarios.offline.asr.audio_s_per_s", "Offline ASR audio s/s", "higher"),
    Metric("scenarios.classroom.perception.frames_per_s", "Classroom perception frames/s", "higher"),
    Metric("scenarios.classroom.perception.event_latency.p50_ms", "Classroom frame->result p50 ms", "lower"),
    Metric("scenarios.classroom.perception.event_latency.p90_ms", "Classroom frame->result p90 ms", "lower"),
    Metric("scenarios.classroom.perception.dropped_fraction", "Classroom camera frames dropped", "lower"),
    Metric("scenarios.classroom.asr.final_latency.p50_ms", "Classroom utterance end->final p50 ms", "lower"),
    Metric("scenarios.classroom.asr.final_latency.p90_ms", "Classroom utterance end->final p90 ms", "lower"),
    Metric("scenarios.classroom.display.frames_per_s", "Classroom display frames/s", "higher"),
    Metric("scenarios.classroom.cpu_percent", "Classroom CPU % (of one core)", "lower"),
    Metric("scenarios.classroom.peak_rss_mb", "Classroom peak RSS MB", "lower"),
    Metric("scenarios.classroom.peak_gpu_mem_mb", "Classroom peak GPU memory MB", "lower"),
    Metric("peers.mediapipe.median_speedup_vs_tasks_pose_landmarker", "vs MediaPipe Tasks (x faster)", "higher"),
    Metric("peers.mediapipe.median_per_person_speedup_vs_tasks_pose_landmarker", "  per person", "higher"),
    Metric("peers.faster_whisper.speedup", "vs faster-whisper transcribe (x faster)", "higher"),
    Metric("resources.peak_rss_mb", "whole run peak RSS MB", "lower"),
)


def get_path(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@dataclasses.dataclass(frozen=True)
class CompareRow:
    label: str
    a: float | None
    b: float | None
    ratio: float | None  # b / a
    verdict: str  # "B better", "B worse", "same", "-"


def compare(a: Mapping[str, Any], b: Mapping[str, Any], same_within: float = 0.02) -> list[CompareRow]:
    """Every metric of METRICS found in either result: values, B/A and which is better (within 2 %: same)."""
    rows = []
    for m in METRICS:
        va, vb = get_path(a, m.path), get_path(b, m.path)
        fa = float(va) if isinstance(va, int | float) and not isinstance(va, bool) else None
        fb = float(vb) if isinstance(vb, int | float) and not isinstance(vb, bool) else None
        if fa is None and fb is None:
            continue
        ratio = fb / fa if fa not in (None, 0.0) and fb is not None else None
        if ratio is None:
            verdict = "-"
        elif abs(ratio - 1.0) <= same_within:
            verdict = "same"
        elif (ratio < 1.0) == (m.better == "lower"):
            verdict = "B better"
        else:
            verdict = "B worse"
        rows.append(CompareRow(m.label, fa, fb, ratio, verdict))
    return rows


def describe(result: Mapping[str, Any]) -> str:
    prof = result.get("profile") or {}
    machine = result.get("machine") or {}
    flags = []
    if result.get("partial"):
        flags.append("PARTIAL")
    if result.get("valid") is False:
        flags.append("INVALID")
    if get_path(result, "providers.fell_back") or get_path(result, "asr.fell_back"):
        flags.append(f"FALLBACK from {get_path(result, 'providers.profile_requested') or '?'}")
    used = ",".join(get_path(result, "providers.used_first") or []) or "?"
    return (
        f"{prof.get('used', '?')} ({result.get('mode', '?')}) on {machine.get('cpu', '?')}, "
        f"{machine.get('cpu_count', '?')} cores; providers {used}" + (f" [{' '.join(flags)}]" if flags else "")
    )


def format_compare(a: Mapping[str, Any], b: Mapping[str, Any], a_name: str, b_name: str) -> str:
    rows = compare(a, b)
    lines = [f"A: {a_name}: {describe(a)}", f"B: {b_name}: {describe(b)}"]
    for which, res in (("A", a), ("B", b)):
        if res.get("valid") is False:
            lines.append(f"warning: {which} is marked invalid: {'; '.join(res.get('invalid_reasons') or [])}")
        if res.get("partial"):
            lines.append(f"warning: {which} is partial (interrupted in {res.get('interrupted_in')})")
    if a.get("mode") != b.get("mode"):
        lines.append(f"note: different modes ({a.get('mode')} vs {b.get('mode')}): budgets differ")
    table = [
        {
            "metric": r.label,
            "A": cell(r.a),
            "B": cell(r.b),
            "B/A": "-" if r.ratio is None else f"{r.ratio:.3f}",
            "verdict": r.verdict,
        }
        for r in rows
    ]
    text = "\n".join(lines) + "\n" + table_text(table, ("metric", "A", "B", "B/A", "verdict"), right=("A", "B", "B/A"))
    if not rows:
        text += "(no metric in common: are these dual-teacher bench results?)\n"
    return text

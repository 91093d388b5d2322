"""Pure parts of `dual-teacher bench`: budgets, latency statistics, rates over time, peer ratios, `bench compare`.

No clock, no threads, no models: everything here takes numbers and returns numbers, so it is unit-tested.

Budgets follow MLPerf Inference's run rules where they can: a scenario runs until BOTH its minimum duration
and its minimum query count are reached. `--full` uses MLPerf's 600 s minimum for every scenario with its
minimum query counts for SingleStream (1024) and MultiStream (662); Offline uses the 600 s minimum only
(MLPerf sizes its single Offline query to fill that time).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

Mode = Literal["quick", "default", "full"]
Direction = Literal["lower", "higher"]


# ---- budgets -----------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Budget:
    """How long and how much each part of a run does (seconds; query counts)."""

    mode: Mode
    single_stream_s: float  # per modality (perception, ASR)
    multi_stream_s: float
    offline_s: float  # per modality
    classroom_s: float
    min_single_stream: int
    min_multi_stream: int
    min_offline: int
    peer_s: float  # MediaPipe peer: seconds per scene and pipeline
    peer_clips: int  # faster-whisper peer: utterances
    gate_frames: int  # accuracy gate: frames of a real video through the profile and the CPU reference
    gate_inputs: int  # accuracy gate: stored real inputs per model for the raw output comparison
    gate_clips: int  # accuracy gate: utterances through the profile's and the reference transcriber

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_BUDGETS: dict[Mode, Budget] = {
    # about a minute on a 2-core CPU (the figures are per scenario; set-up and peers come on top)
    "quick": Budget("quick", 5.0, 5.0, 3.0, 12.0, 5, 3, 3, 0.5, 3, 2, 6, 2),
    # about three minutes
    "default": Budget("default", 15.0, 15.0, 10.0, 45.0, 20, 10, 10, 1.5, 6, 6, 24, 5),
    # MLPerf-like minimums
    "full": Budget("full", 600.0, 600.0, 600.0, 600.0, 1024, 662, 1, 10.0, 32, 60, 24, 32),
}


def budget_for(mode: Mode, budget_s: float | None = None) -> Budget:
    """The budget of a mode; `budget_s` (smoke tests, quick looks) sets every scenario to that many seconds,
    the classroom to 3x, and the minimum query counts to a handful."""
    base = _BUDGETS[mode]
    if budget_s is None:
        return base
    if budget_s <= 0:
        raise ValueError("budget_s must be positive")
    return dataclasses.replace(
        base,
        single_stream_s=budget_s,
        multi_stream_s=budget_s,
        offline_s=budget_s,
        classroom_s=3 * budget_s,
        min_single_stream=min(base.min_single_stream, 3),
        min_multi_stream=min(base.min_multi_stream, 2),
        min_offline=1,
        peer_s=min(base.peer_s, max(0.2, budget_s / 4)),
        peer_clips=min(base.peer_clips, 2),
        gate_frames=min(base.gate_frames, 2),
        gate_inputs=min(base.gate_inputs, 4),
        gate_clips=min(base.gate_clips, 2),
    )


def done(elapsed_s: float, count: int, duration_s: float, min_count: int) -> bool:
    """MLPerf's stopping rule: both the minimum duration and the minimum query count are reached."""
    return elapsed_s >= duration_s and count >= min_count


def split_budget(total_s: float, min_count: int, parts: int) -> tuple[float, int]:
    """Seconds and minimum queries of each of `parts` equal shares (each share at least one query)."""
    parts = max(1, parts)
    return total_s / parts, max(1, math.ceil(min_count / parts))


# ---- statistics --------------------------------------------------------------------------------------------------
def _num(x: float) -> float:
    return round(float(x), 3)


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """n, mean, p50, p90, p99 and max in milliseconds (None when there is no sample)."""
    if not len(seconds):
        return {"n": 0, "mean_ms": None, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    a = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "n": len(a),
        "mean_ms": _num(a.mean()),
        "p50_ms": _num(np.percentile(a, 50)),
        "p90_ms": _num(np.percentile(a, 90)),
        "p99_ms": _num(np.percentile(a, 99)),
        "max_ms": _num(a.max()),
    }


def rate(count: float, seconds: float) -> float | None:
    return None if seconds <= 0 else _num(count / seconds)


def rate_over_time(times: Sequence[float], start: float, end: float, bin_s: float = 1.0) -> list[list[float]]:
    """[[bin start relative to `start`, events per second in the bin], ...] over [start, end); a last partial
    bin shorter than half a bin is left out (its rate would be noise)."""
    if end <= start or bin_s <= 0:
        return []
    n = int((end - start) / bin_s)
    if (end - start) - n * bin_s >= bin_s / 2:
        n += 1
    counts = [0] * n
    for t in times:
        i = int((t - start) / bin_s)
        if 0 <= i < n and t >= start:
            counts[i] += 1
    out = []
    for i, c in enumerate(counts):
        width = min(bin_s, end - (start + i * bin_s))
        out.append([_num(i * bin_s), _num(c / width)])
    return out


def cpu_percent(cpu_s: float, wall_s: float) -> float | None:
    """Process CPU time over wall time, in percent of one core (200 = two cores busy)."""
    return None if wall_s <= 0 else round(100.0 * cpu_s / wall_s, 1)


def window(samples: Sequence[Sequence[float | None]], t0: float, t1: float) -> dict[str, Any]:
    """Peak RSS and GPU memory of resource samples [t, cpu %, rss MB, gpu MB or None] inside [t0, t1]."""
    inside = [s for s in samples if t0 <= float(s[0] or 0.0) <= t1]
    rss = [float(s[2]) for s in inside if s[2] is not None]
    gpu = [float(s[3]) for s in inside if len(s) > 3 and s[3] is not None]
    return {"peak_rss_mb": max(rss) if rss else None, "peak_gpu_mem_mb": max(gpu) if gpu else None}


def word_error_counts(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two token lists (substitutions + deletions + insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


# ---- peers -------------------------------------------------------------------------------------------------------
PEER_PIPELINES = ("legacy_pose", "tasks_pose_landmarker")


def perception_peer_rows(ours: Mapping[str, Mapping[str, Any]], peer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per scene: our p50 and people found beside each MediaPipe pipeline's, with ratios.

    `speedup` = peer p50 / our p50 (above 1: we are faster); `per_person_speedup` divides each p50 by the
    people that pipeline found first (the legacy pose finds one person at most)."""
    rows = []
    for scene, mine in ours.items():
        row: dict[str, Any] = {"scene": scene, "ours_p50_ms": mine.get("p50_ms"), "ours_people": mine.get("people")}
        for kind in PEER_PIPELINES:
            results = peer.get(kind)
            theirs = results.get(scene) if isinstance(results, Mapping) else None
            if not isinstance(theirs, Mapping) or not theirs.get("p50_ms"):
                continue
            row[f"{kind}_p50_ms"] = _num(theirs["p50_ms"])
            row[f"{kind}_people"] = theirs.get("people_found")
            our_p50 = mine.get("p50_ms")
            if our_p50:
                row[f"speedup_vs_{kind}"] = _num(theirs["p50_ms"] / our_p50)
                mine_pp = our_p50 / max(int(mine.get("people") or 0), 1)
                theirs_pp = theirs["p50_ms"] / max(int(theirs.get("people_found") or 0), 1)
                row[f"per_person_speedup_vs_{kind}"] = _num(theirs_pp / mine_pp)
        rows.append(row)
    return rows


def median_of(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
    vals = [float(r[key]) for r in rows if isinstance(r.get(key), int | float)]
    return _num(float(np.median(vals))) if vals else None


# ---- bench compare -----------------------------------------------------------------------------------------------
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


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


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
    width = max([len(r.label) for r in rows] + [6])
    lines.append(f"{'metric':<{width}}  {'A':>9}  {'B':>9}  {'B/A':>7}  verdict")
    lines.append("-" * (width + 40))
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.3f}"
        lines.append(f"{r.label:<{width}}  {_fmt(r.a):>9}  {_fmt(r.b):>9}  {ratio:>7}  {r.verdict}")
    if not rows:
        lines.append("(no metric in common: are these dual-teacher bench results?)")
    return "\n".join(lines) + "\n"


# ---- classroom speech: end of utterance -> final text ------------------------------------------------------------
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

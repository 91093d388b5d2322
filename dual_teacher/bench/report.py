"""The HTML report of a `dual-teacher bench` result: one self-contained file, plots as inline SVG, no script.

Pure: `render(result)` takes the result dict (as written to the JSON) and returns the page.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dual_teacher.bench.compare import get_path
from dual_teacher.core import svg
from dual_teacher.core.stats import percentile

W, H = 560, 220
PAD_L, PAD_R, PAD_T, PAD_B = 56, 14, 26, 34
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
Scale = Callable[[float], float]


def _e(x: Any) -> str:
    return html.escape(str(x))


def _fmt(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return "-" if x is None else str(x)
    if isinstance(x, float):
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    return _e(x)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About `n` round tick values covering [lo, hi]."""
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    ticks = [round(math.floor(lo / step) * step, 10)]
    while ticks[-1] < hi and len(ticks) < 50:  # the last tick is at or above `hi`
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _frame(title: str, x_ticks: list[float], y_ticks: list[float], sx: Scale, sy: Scale, x_label: str) -> list[str]:
    out = [
        svg.title(title),
        svg.text(PAD_L, 16, title, font_size=13, font_weight="bold"),
        svg.rect(PAD_L, PAD_T, W - PAD_L - PAD_R, H - PAD_T - PAD_B, fill="none", stroke="#999"),
    ]
    for t in y_ticks:
        y = sy(t)
        out.append(svg.line(PAD_L, y, W - PAD_R, y, stroke="#eee"))
        out.append(svg.text(PAD_L - 4, y + 4, f"{t:g}", font_size=10, text_anchor="end"))
    for t in x_ticks:
        out.append(svg.text(sx(t), H - PAD_B + 14, f"{t:g}", font_size=10, text_anchor="middle"))
    out.append(svg.text((W + PAD_L) / 2, H - 4, x_label, font_size=11, text_anchor="middle"))
    return out


def _canvas(parts: list[str]) -> str:
    return svg.canvas(parts, xmlns="http://www.w3.org/2000/svg", width=W, height=H, viewBox=f"0 0 {W} {H}", role="img")


def histogram_svg(values: Sequence[float], title: str, unit: str = "ms", bins: int = 30) -> str:
    """Bars of counts per value range, with p50 and p99 marked."""
    vals = sorted(float(v) for v in values if isinstance(v, int | float) and math.isfinite(v))
    if not vals:
        return f"<p><em>{_e(title)}: no samples</em></p>"
    lo, hi = vals[0], vals[-1]
    pad = max((hi - lo) * 0.05, 0.5)
    lo, hi = max(0.0, lo - pad), hi + pad
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    top = max(counts)
    x_ticks = [t for t in nice_ticks(lo, hi) if lo <= t <= hi]
    y_ticks = nice_ticks(0, top, 4)
    sx = svg.linear(lo, hi, PAD_L, W - PAD_R)
    sy = svg.linear(0, max(y_ticks[-1], top), H - PAD_B, PAD_T)
    out = _frame(f"{title} (n={len(vals)})", x_ticks, y_ticks, sx, sy, unit)
    for i, c in enumerate(counts):
        if c:
            x0, x1 = sx(lo + i * width), sx(lo + (i + 1) * width)
            out.append(svg.rect(x0, sy(c), max(1.0, x1 - x0 - 1), sy(0) - sy(c), fill=COLOURS[0]))
    for q, colour in ((50, COLOURS[2]), (99, COLOURS[1])):
        v = percentile(vals, q) or 0.0  # the same figure as the tables' p50/p99
        x = sx(v)
        out.append(svg.line(x, PAD_T, x, H - PAD_B, stroke=colour))
        anchor, dx = ("end", -3) if x > W - PAD_R - 70 else ("start", 3)
        label = f"p{q} {_fmt(v)}"
        out.append(
            svg.text(x + dx, PAD_T + (11 if q == 50 else 23), label, font_size=10, fill=colour, text_anchor=anchor)
        )
    return _canvas(out)


def lines_svg(
    series: Sequence[tuple[str, Sequence[Sequence[float | None]]]],
    title: str,
    x_label: str = "s",
    bands: Sequence[tuple[str, float, float]] = (),
) -> str:
    """Line chart of [(label, [[x, y], ...]), ...]; `bands` shade named x ranges (the run's phases)."""
    pts = [(float(p[0]), float(p[1])) for _, s in series for p in s if p[0] is not None and p[1] is not None]
    if not pts:
        return f"<p><em>{_e(title)}: no samples</em></p>"
    x_lo = min([x for x, _ in pts] + [b[1] for b in bands])
    x_hi = max([x for x, _ in pts] + [b[2] for b in bands])
    if x_hi - x_lo < 1e-9:
        x_hi = x_lo + 1
    y_hi = max(y for _, y in pts)
    y_ticks = nice_ticks(0, y_hi if y_hi > 0 else 1, 4)
    sx = svg.linear(x_lo, x_hi, PAD_L, W - PAD_R)
    sy = svg.linear(0, max(y_ticks[-1], y_hi, 1e-9), H - PAD_B, PAD_T)
    x_ticks = [t for t in nice_ticks(x_lo, x_hi) if x_lo <= t <= x_hi]
    out = _frame(title, x_ticks, y_ticks, sx, sy, x_label)
    for i, (name, t0, t1) in enumerate(bands):
        shade = "#f4f4f4" if i % 2 == 0 else "#e8eef6"
        out.append(svg.rect(sx(t0), PAD_T, max(0.5, sx(t1) - sx(t0)), H - PAD_T - PAD_B, tip=name, fill=shade))
        if sx(t1) - sx(t0) > 40:
            out.append(svg.text(sx(t0) + 2, H - PAD_B - 3, name, font_size=8, fill="#777"))
    for k, (label, s) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        coords = [(sx(float(p[0])), sy(float(p[1]))) for p in s if p[0] is not None and p[1] is not None]
        out.append(svg.polyline(coords, fill="none", stroke=colour, stroke_width=1.5))
        out.append(svg.text(W - PAD_R - 4, PAD_T + 12 + 12 * k, label, font_size=10, text_anchor="end", fill=colour))
    return _canvas(out)


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario and modality: the figures the console table and the report show."""
    sc = result.get("scenarios") or {}
    rows: list[dict[str, Any]] = []

    def add(name: str, part: Any, lat_key: str, throughput_key: str, unit: str, cpu_from: Any = None) -> None:
        if not isinstance(part, Mapping):
            return
        lat = part.get(lat_key) or {}
        res = cpu_from if isinstance(cpu_from, Mapping) else part
        rows.append(
            {
                "scenario": name + (" (interrupted)" if res.get("interrupted") else ""),
                "n": lat.get("n"),
                "p50_ms": lat.get("p50_ms"),
                "p90_ms": lat.get("p90_ms"),
                "p99_ms": lat.get("p99_ms"),
                "throughput": part.get(throughput_key),
                "unit": unit,
                "cpu_%": res.get("cpu_percent"),
                "peak_rss_mb": res.get("peak_rss_mb"),
            }
        )

    ss = sc.get("single_stream") or {}
    add("SingleStream perception", ss.get("perception"), "latency", "frames_per_s", "frames/s")
    add("SingleStream ASR", ss.get("asr"), "latency", "audio_s_per_s", "audio s/s")
    ms = sc.get("multi_stream") or {}
    add("MultiStream perception (step)", ms.get("perception"), "step_latency", "frames_per_s", "frames/s")
    off = sc.get("offline") or {}
    add("Offline perception", off.get("perception"), "latency", "frames_per_s", "frames/s")
    add("Offline ASR", off.get("asr"), "latency", "audio_s_per_s", "audio s/s")
    cl = sc.get("classroom") or {}
    add("Classroom perception (capture->result)", cl.get("perception"), "event_latency", "frames_per_s", "frames/s", cl)
    add("Classroom ASR (speech end->final)", cl.get("asr"), "final_latency", "heard", "utterances", cl)
    add("Classroom display (frame interval)", cl.get("display"), "frame_interval", "frames_per_s", "frames/s", cl)
    return rows


SUMMARY_COLUMNS = ("scenario", "n", "p50_ms", "p90_ms", "p99_ms", "throughput", "unit", "cpu_%", "peak_rss_mb")

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px}
th{background:#f0f0f0}.bad{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}
.plots{display:flex;flex-wrap:wrap;gap:12px}code{background:#f4f4f4;padding:0 3px}
"""


def render(result: Mapping[str, Any]) -> str:
    sc = result.get("scenarios") or {}
    prov = result.get("providers") or {}
    machine = result.get("machine") or {}
    valid = result.get("valid")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>dual-teacher bench: {_e(get_path(result, 'profile.used'))}</title><style>{CSS}</style></head><body>",
        f"<h1>dual-teacher bench: {_e(get_path(result, 'profile.used'))} ({_e(result.get('mode'))})</h1>",
    ]
    status = "<span class='ok'>VALID</span>" if valid else "<span class='bad'>INVALID</span>"
    if result.get("partial"):
        status += f" <span class='bad'>PARTIAL (interrupted in {_e(result.get('interrupted_in'))})</span>"
    parts.append(
        f"<p>{status} &middot; {_e(machine.get('time_utc'))} &middot; {_e(machine.get('cpu'))}, "
        f"{_e(machine.get('cpu_count'))} cores ({_e(' '.join(machine.get('cpu_simd') or []) or 'SIMD unknown')})"
        f" &middot; GPUs: {_e(', '.join(machine.get('gpus') or []) or 'none')}"
        f" &middot; commit {_e(machine.get('git_commit'))} &middot; wall {_fmt(result.get('wall_s'))} s</p>"
    )
    for reason in result.get("invalid_reasons") or []:
        parts.append(f"<p class='bad'>invalid: {_e(reason)}</p>")
    parts.append("<h2>What ran</h2>")
    parts.append(
        _table(
            [
                {"": "profile", "requested": prov.get("profile_requested"), "used": prov.get("profile_used")},
                {
                    "": "execution providers",
                    "requested": ", ".join(prov.get("requested") or []),
                    "used": ", ".join(prov.get("used_first") or []),
                },
                {
                    "": "ASR",
                    "requested": json.dumps(get_path(result, "asr.requested")),
                    "used": json.dumps(get_path(result, "asr.used")),
                },
                {
                    "": "model variant",
                    "requested": get_path(result, "profile.requested_settings.model_variant")
                    or get_path(result, "profile.settings.model_variant"),
                    "used": get_path(result, "profile.variant_used"),
                },
            ],
            ("", "requested", "used"),
        )
    )
    for reason in (prov.get("fallback_reasons") or []) + (get_path(result, "asr.fallback_reasons") or []):
        parts.append(f"<p class='bad'>fallback: {_e(reason)}</p>")
    parts.append("<h2>Summary</h2>")
    parts.append(_table(summary_rows(result), SUMMARY_COLUMNS))

    plots: list[str] = []
    for path, title in (
        ("single_stream.perception.samples_ms", "SingleStream perception latency"),
        ("single_stream.asr.samples_ms", "SingleStream ASR latency"),
        ("multi_stream.perception.samples_ms", "MultiStream step latency"),
        ("classroom.perception.samples_ms", "Classroom frame capture -> result"),
        ("classroom.asr.samples_ms", "Classroom end of utterance -> final text"),
    ):
        values = get_path(sc, path)
        if isinstance(values, list):
            plots.append(histogram_svg(values, title))
    parts.append("<h2>Latency histograms</h2><div class='plots'>" + "".join(plots) + "</div>")

    series = []
    for label, path in (
        ("perception", "classroom.perception.fps_over_time"),
        ("display", "classroom.display.fps_over_time"),
    ):
        values = get_path(sc, path)
        if isinstance(values, list):
            series.append((f"{label} frames/s", values))
    samples = get_path(result, "resources.samples") or []
    bands = [(str(p[0]), float(p[1]), float(p[2])) for p in (get_path(result, "resources.phases") or [])]
    over_time = [
        lines_svg(series, "Classroom: frames/s over time", "s since the scenario started"),
        lines_svg([("CPU % (of one core)", [[s[0], s[1]] for s in samples])], "CPU over the run", "s", bands),
        lines_svg([("RSS MB", [[s[0], s[2]] for s in samples])], "Resident memory over the run", "s", bands),
    ]
    if any(len(s) > 3 and s[3] is not None for s in samples):
        over_time.append(lines_svg([("GPU MB", [[s[0], s[3]] for s in samples])], "GPU memory", "s", bands))
    parts.append("<h2>Over time</h2><div class='plots'>" + "".join(over_time) + "</div>")

    peers = result.get("peers") or {}
    parts.append("<h2>Peers (same frames, same audio, same run)</h2>")
    mp = peers.get("mediapipe") or {}
    if mp.get("skipped"):
        parts.append(f"<p>MediaPipe: skipped: {_e(mp['skipped'])}</p>")
    elif mp.get("rows"):
        cols = (
            "scene",
            "ours_p50_ms",
            "ours_people",
            "legacy_pose_p50_ms",
            "legacy_pose_people",
            "tasks_pose_landmarker_p50_ms",
            "tasks_pose_landmarker_people",
            "speedup_vs_tasks_pose_landmarker",
            "per_person_speedup_vs_tasks_pose_landmarker",
        )
        parts.append(f"<p>MediaPipe {_e(mp.get('version'))}: {_e(mp.get('note'))}</p>" + _table(mp["rows"], cols))
    fw = peers.get("faster_whisper") or {}
    if fw.get("skipped"):
        parts.append(f"<p>faster-whisper: skipped: {_e(fw['skipped'])}</p>")
    elif fw:
        parts.append(_table([fw], ("utterances", "ours_p50_ms", "peer_p50_ms", "speedup", "ours_wer", "peer_wer")))

    gate = result.get("accuracy") or {}
    parts.append("<h2>Accuracy gate (profile vs CPU fp32 reference)</h2>")
    parts.append(f"<p>{_e(gate.get('rule'))}</p>")
    parts.append(_table(gate.get("checks") or [], ("name", "passed", "gated", "value", "limit", "detail")))
    parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.get("notes") or []) + "</ul>")
    parts.append(f"<h2>Budget</h2><pre>{_e(json.dumps(result.get('budget'), indent=1))}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)

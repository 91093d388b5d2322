"""The report's exports (JSON, CSV, the console summary) and `write_report`, the edge that reads a stored
session and writes the files; the time zone of the page is resolved there, once."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dual_teacher.engagement import metrics as m
from dual_teacher.engagement.report.model import SessionReport, build_report
from dual_teacher.engagement.report.page import render_html
from dual_teacher.engagement.report.words import clock, pct
from dual_teacher.engagement.store import EventStore

EXPORT_FORMATS = ("html", "json", "csv")
_LOCALTIME = Path("/etc/localtime")


def local_timezone() -> dt.tzinfo:
    """The machine's time zone with its daylight-saving rules: the zone `TZ` names, else /etc/localtime; where
    neither gives one (a POSIX rule in `TZ`, a system without the zone files), the offset in force now."""
    name = os.environ.get("TZ")
    if name == "":
        return dt.UTC  # the C library's reading of an empty TZ
    try:
        if name:
            name = name.lstrip(":")
            return zoneinfo.ZoneInfo(name)
        with _LOCALTIME.open("rb") as f:
            return zoneinfo.ZoneInfo.from_file(f, key="localtime")
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return dt.datetime.now().astimezone().tzinfo or dt.UTC


def summary_text(r: SessionReport) -> str:
    lines = [
        f"Session {r.session.id}: {r.session.pack_title} ({r.session.pack_id})",
        f"  ran {clock(r.duration_s)} (lesson time), ended: {r.end_reason}, {r.event_count} events stored",
    ]
    for q in r.questions:
        lines.append(
            f"  {q.node_id}: {q.responses} responses, {q.correct_count} correct ({pct(q.correct_rate)}),"
            f" closed: {q.reason}"
        )
    for poll in r.polls:
        lines.append(f"  {poll.node_id}: {poll.count} hands (peak {poll.peak})")
    for _, node, rule, target in r.branches:
        lines.append(f"  branch {node}: {rule} -> {target}")
    if r.simulated_inputs:
        lines.append("  note: answers and hands came from the simulated class (no camera or microphone)")
    if r.alerts:
        lines.append(f"  {len(r.alerts)} alert(s); see the report")
    return "\n".join(lines)


def _metrics_json(w: m.WindowMetrics) -> dict[str, Any]:
    d = dataclasses.asdict(w)
    d["engagement"] = {
        "score": w.engagement.score,
        "max_score": w.engagement.max_score,
        "components": [{**dataclasses.asdict(c), "points": c.points} for c in w.engagement.components],
    }
    return d


def report_json(r: SessionReport) -> dict[str, Any]:
    d = dataclasses.asdict(r)
    d["overall_correct_rate"] = r.overall_correct_rate
    d["metrics"] = None if r.metrics is None else _metrics_json(r.metrics)
    d["segment_metrics"] = [_metrics_json(w) for w in r.segment_metrics]
    d["formulas"] = {c.name: c.formula for c in r.metrics.engagement.components} if r.metrics else {}
    clean: dict[str, Any] = _finite(d)
    return clean


def _finite(value: Any) -> Any:
    """JSON has no infinity or NaN: such numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else (round(v, 4) if isinstance(v, float) else v) for v in row])
    return buf.getvalue()


def report_csv(r: SessionReport) -> dict[str, str]:
    """CSV exports: the lesson timeline (one row per step), the questions, the segments with their metrics."""
    timeline: list[Sequence[Any]] = [
        ("start_s", "end_s", "head_count", "hands_up", "attention_share", "room_speech_s", "teacher_speech_s")
    ]
    timeline += [
        (b.start, b.end, b.head_count, b.hands_up, b.attention, b.room_speech_s, b.teacher_speech_s) for b in r.timeline
    ]
    questions: list[Sequence[Any]] = [
        ("node_id", "qtype", "prompt", "asked_at_s", "closed", "responses", "correct_count", "correct_rate", "tally")
    ]
    questions += [
        (
            q.node_id,
            q.qtype,
            q.prompt,
            q.asked_at_s,
            q.reason,
            q.responses,
            q.correct_count,
            q.correct_rate,
            json.dumps(q.tally, ensure_ascii=False, sort_keys=True),
        )
        for q in r.questions
    ]
    names = [c.name for c in r.metrics.engagement.components] if r.metrics else []
    segments: list[Sequence[Any]] = [("node_id", "start_s", "end_s", *names, "score", "max_score")]
    for w in (*r.segment_metrics, *((r.metrics,) if r.metrics else ())):
        e = w.engagement
        segments.append((w.label, w.start, w.end, *(c.value for c in e.components), e.score, e.max_score))
    return {"timeline.csv": _csv(timeline), "questions.csv": _csv(questions), "segments.csv": _csv(segments)}


def write_report(
    store: EventStore,
    session_id: str,
    out_dir: Path,
    formats: Sequence[str] = EXPORT_FORMATS,
    roster_size: int | None = None,
    private_data: bool = False,
    tz: dt.tzinfo | None = None,
) -> tuple[Path, SessionReport]:
    """Write report.html, report.json and the CSV files (as `formats` asks) for a stored session into `out_dir`;
    returns the main file written (the HTML when asked for) and the report. The page's times are in `tz`
    (default: this machine's zone, `local_timezone()`)."""
    unknown = set(formats) - set(EXPORT_FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(sorted(unknown))}")
    row = store.session(session_id)
    if row is None:
        raise KeyError(session_id)
    report = build_report(row, store.events(row.id), roster_size=roster_size, private_data=private_data)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "html" in formats:
        written.append(out_dir / "report.html")
        written[-1].write_text(render_html(report, tz=tz or local_timezone()), encoding="utf-8")
    if "json" in formats:
        written.append(out_dir / "report.json")
        written[-1].write_text(
            json.dumps(report_json(report), indent=2, ensure_ascii=False, allow_nan=False), encoding="utf-8"
        )
    if "csv" in formats:
        for name, text in report_csv(report).items():
            written.append(out_dir / name)
            written[-1].write_text(text, encoding="utf-8")
    return (written[0] if written else out_dir), report

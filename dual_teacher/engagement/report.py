"""The post-class report: a pure summary of a stored session, rendered as printable HTML (inline SVG plots,
no script) plus JSON and CSV exports.

Only class-level facts: which nodes ran when, per-question tallies and correct rates, hand-poll
counts, branches taken, teacher actions and alerts, and the engagement metrics of `metrics.py` (head count,
hands and attention over the lesson, engagement per segment). No identities, no per-child data. Free-text
answers (short-answer tallies) are folded into "other" unless the operator allows private data in exports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dual_teacher.engagement import metrics as m
from dual_teacher.engagement.store import EventStore, SessionRow, StoredEvent

EXPORT_FORMATS = ("html", "json", "csv")
OTHER_ANSWERS = "(other answers)"

TEACHER_ACTIONS = {
    "TeacherPaused": "pause",
    "TeacherResumed": "resume",
    "TeacherWentNext": "next",
    "TeacherWentBack": "back",
    "TeacherReplayed": "replay",
    "TeacherSkippedQuestion": "skip question",
    "TeacherExtendedTimer": "extend timer",
    "TeacherEnteredAnswer": "answer entered",
    "TeacherEndedClass": "end class",
}


@dataclasses.dataclass(frozen=True)
class Segment:
    node_id: str
    kind: str
    title: str
    start_s: float
    end_s: float


@dataclasses.dataclass(frozen=True)
class QuestionResult:
    node_id: str
    prompt: str
    qtype: str
    choices: tuple[str, ...]
    correct: tuple[str, ...]
    asked_at_s: float
    reason: str
    responses: int
    correct_count: int
    correct_rate: float | None
    tally: dict[str, int]


@dataclasses.dataclass(frozen=True)
class PollResult:
    node_id: str
    prompt: str
    at_s: float
    count: int
    peak: int


@dataclasses.dataclass(frozen=True)
class SessionReport:
    session: SessionRow
    duration_s: float
    end_reason: str
    segments: tuple[Segment, ...]
    questions: tuple[QuestionResult, ...]
    polls: tuple[PollResult, ...]
    branches: tuple[tuple[float, str, str, str], ...]  # (t, branch node, rule, target)
    teacher_actions: dict[str, int]
    alerts: tuple[tuple[float, str, str, str], ...]  # (t, stage, severity, message)
    simulated_inputs: bool
    event_count: int
    roster_size: int | None = None
    metrics: m.WindowMetrics | None = None
    segment_metrics: tuple[m.WindowMetrics, ...] = ()
    timeline: tuple[m.TimelineBin, ...] = ()
    private_data: bool = False

    @property
    def overall_correct_rate(self) -> float | None:
        responses = sum(q.responses for q in self.questions)
        return sum(q.correct_count for q in self.questions) / responses if responses else None


def roster_of(session: SessionRow) -> int | None:
    """The roster size the teacher entered (session meta `roster_size`, else `class_size`), if any."""
    for key in ("roster_size", "class_size"):
        value = session.meta.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _redact_tally(qtype: str, tally: dict[str, int], correct: Sequence[str]) -> dict[str, int]:
    """Short answers are what children said: keep the key's count, fold the rest into one 'other' count."""
    if qtype != "short_answer":
        return tally
    kept = {k: v for k, v in tally.items() if k in correct}
    other = sum(v for k, v in tally.items() if k not in correct)
    return {**kept, OTHER_ANSWERS: other} if other else kept


def build_report(
    session: SessionRow,
    events: Sequence[StoredEvent],
    roster_size: int | None = None,
    private_data: bool = False,
) -> SessionReport:
    """`roster_size` overrides the one stored with the session; `private_data` keeps free-text answers."""
    t0 = events[0].mono if events else 0.0
    t_end = events[-1].mono if events else 0.0
    segments: list[Segment] = []
    open_node: tuple[str, str, str, float] | None = None
    asked: dict[str, tuple[StoredEvent, float]] = {}
    polls_open: dict[str, tuple[str, float]] = {}
    questions: list[QuestionResult] = []
    polls: list[PollResult] = []
    branches: list[tuple[float, str, str, str]] = []
    actions: Counter[str] = Counter()
    alerts: list[tuple[float, str, str, str]] = []
    simulated = False
    end_reason = session.end_reason or "interrupted"
    for e in events:
        t = e.mono - t0
        p = e.payload
        if p.get("source") == "simulated":
            simulated = True
        if e.type == "NodeEntered":
            if open_node is not None:
                segments.append(Segment(open_node[0], open_node[1], open_node[2], open_node[3], t))
            open_node = (p["node_id"], p["node_kind"], p.get("title", ""), t)
        elif e.type == "QuestionAsked":
            asked[p["node_id"]] = (e, t)
        elif e.type == "QuestionClosed" and p["node_id"] in asked:
            a, at = asked[p["node_id"]]
            tally = dict(p.get("tally", {}))
            if not private_data:
                tally = _redact_tally(a.payload.get("qtype", ""), tally, tuple(a.payload.get("correct", ())))
            questions.append(
                QuestionResult(
                    p["node_id"],
                    a.payload.get("prompt", ""),
                    a.payload.get("qtype", ""),
                    tuple(a.payload.get("choices", ())),
                    tuple(a.payload.get("correct", ())),
                    at,
                    p["reason"],
                    int(p["responses"]),
                    int(p["correct_count"]),
                    p.get("correct_rate"),
                    tally,
                )
            )
        elif e.type == "HandPollOpened":
            polls_open[p["node_id"]] = (p.get("prompt", ""), t)
        elif e.type == "HandPollClosed":
            prompt, at = polls_open.get(p["node_id"], ("", t))
            polls.append(PollResult(p["node_id"], prompt, at, int(p["count"]), int(p["peak"])))
        elif e.type == "BranchTaken":
            branches.append((t, p["node_id"], p["rule"], p["target"]))
        elif e.type in TEACHER_ACTIONS:
            actions[TEACHER_ACTIONS[e.type]] += 1
        elif e.type == "StageAlert":
            alerts.append((t, p.get("stage", ""), p.get("severity", ""), p.get("message", "")))
        elif e.type == "ClassEnded":
            end_reason = p.get("reason", end_reason)
    if open_node is not None:
        segments.append(Segment(open_node[0], open_node[1], open_node[2], open_node[3], t_end - t0))
    roster = roster_size or roster_of(session)
    sig = m.extract_signals(events)
    whole = m.class_metrics(sig, roster)
    per_segment = tuple(
        m.window_metrics(sig, roster, seg.start_s, seg.end_s, seg.node_id)
        for seg in segments
        if seg.end_s > seg.start_s and seg.kind != "branch"
    )
    return SessionReport(
        session,
        t_end - t0,
        end_reason,
        tuple(segments),
        tuple(questions),
        tuple(polls),
        tuple(branches),
        dict(actions),
        tuple(alerts),
        simulated,
        len(events),
        roster,
        whole,
        per_segment,
        m.timeline(sig),
        private_data,
    )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{round(100 * x)} %"


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


def summary_text(r: SessionReport) -> str:
    lines = [
        f"Session {r.session.id}: {r.session.pack_title} ({r.session.pack_id})",
        f"  ran {_clock(r.duration_s)} (lesson time), ended: {r.end_reason}, {r.event_count} events stored",
    ]
    for q in r.questions:
        lines.append(
            f"  {q.node_id}: {q.responses} responses, {q.correct_count} correct ({_pct(q.correct_rate)}),"
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


_KIND_COLOURS = {
    "video": "#4e79a7",
    "slide": "#76b7b2",
    "question": "#f28e2b",
    "hand_poll": "#e15759",
    "timer": "#59a14f",
    "end": "#9c755f",
    "branch": "#bab0ac",
}


def _timeline_svg(r: SessionReport, width: int = 900) -> str:
    total = max(r.duration_s, 1.0)
    left, lane_h = 10, 34
    parts = [f'<svg class="timeline" viewBox="0 0 {width + 20} {lane_h + 70}" role="img" aria-label="Lesson timeline">']
    scale = width / total
    for seg in r.segments:
        x = left + seg.start_s * scale
        w = max(1.5, (seg.end_s - seg.start_s) * scale)
        colour = _KIND_COLOURS.get(seg.kind, "#999")
        label = html.escape(f"{seg.title or seg.node_id} ({seg.kind}) {_clock(seg.start_s)}–{_clock(seg.end_s)}")
        parts.append(
            f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="{lane_h}" fill="{colour}"><title>{label}</title></rect>'
        )
        if w > 40:
            parts.append(
                f'<text x="{x + 3:.1f}" y="{10 + lane_h / 2 + 4:.1f}" class="seg">{html.escape(seg.node_id)}</text>'
            )
    for t, node, _rule, target in r.branches:
        x = left + t * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{lane_h + 14}" stroke="#222" stroke-dasharray="3,2">'
            f"<title>{html.escape(f'branch {node} -> {target}')}</title></line>"
        )
    step = 60 if total > 240 else 30
    for tick in range(0, int(total) + 1, step):
        x = left + tick * scale
        parts.append(f'<text x="{x:.1f}" y="{lane_h + 32}" class="tick">{_clock(tick)}</text>')
    legend_x = left
    for kind, colour in _KIND_COLOURS.items():
        parts.append(
            f'<rect x="{legend_x}" y="{lane_h + 44}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="{lane_h + 54}" class="tick">{kind}</text>'
        )
        legend_x += 95
    parts.append("</svg>")
    return "".join(parts)


def _bars(q: QuestionResult) -> str:
    keys = list(q.choices) or sorted(q.tally)
    total = max(q.responses, 1)
    rows = []
    for key in keys:
        n = q.tally.get(key, 0)
        ok = "correct" if key in q.correct else ""
        rows.append(
            f'<div class="bar {ok}"><span class="k">{html.escape(key)}</span>'
            f'<span class="fill" style="width:{100 * n / total:.0f}%"></span><span class="n">{n}</span></div>'
        )
    others = {k: v for k, v in q.tally.items() if k not in keys}
    for key, n in sorted(others.items()):
        ok = "correct" if key in q.correct else ""
        rows.append(
            f'<div class="bar {ok}"><span class="k">{html.escape(key)}</span>'
            f'<span class="fill" style="width:{100 * n / total:.0f}%"></span><span class="n">{n}</span></div>'
        )
    return "".join(rows)


CSS = """
body{font-family:"Noto Sans","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:980px}
h1{font-size:1.6em;margin-bottom:.2em} .meta{color:#555} table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top} th{background:#f4f4f4}
.timeline{width:100%;height:auto} .seg{font-size:11px;fill:#fff} .tick{font-size:11px;fill:#444}
.bar{display:flex;align-items:center;gap:.4em;font-size:.9em} .bar .k{width:3.5em;flex:none}
.bar .fill{display:inline-block;height:.8em;background:#bbb;min-width:2px} .bar.correct .fill{background:#59a14f}
.note{background:#fff7e0;border-left:4px solid #f2b01e;padding:.5em .8em} .summary{font-size:1.1em}
.plot{width:100%;height:auto} .axis{font-size:11px;fill:#444} .plabel{font-size:12px;fill:#222;font-weight:bold}
.score{font-size:1.3em} td.num{text-align:right;white-space:nowrap} small.f{color:#666}
@media print{body{margin:1cm} .noprint{display:none} h2{break-after:avoid} svg,table{break-inside:avoid}}
"""


def render_html(r: SessionReport) -> str:
    s = r.session
    started = dt.datetime.fromtimestamp(s.started_wall).strftime("%Y-%m-%d %H:%M")
    esc = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Class report – {esc(s.pack_title)} – {esc(started)}</title><style>{CSS}</style></head><body>",
        f"<h1>Class report: {esc(s.pack_title)}</h1>",
        f"<p class='meta'>Session {esc(s.id)} · started {esc(started)} · lesson time {_clock(r.duration_s)} · "
        f"ended: {esc(r.end_reason)} · mode: {esc(s.mode)} · pack {esc(s.pack_id)}</p>",
    ]
    if r.simulated_inputs:
        out.append(
            "<p class='note'>Answers and hand counts in this session came from the <b>simulated class</b> "
            "(demo mode, no camera or microphone). They are not real student data.</p>"
        )
    out.append(
        f"<p class='summary'>{len(r.questions)} question(s) asked, overall correct rate "
        f"{_pct(r.overall_correct_rate)}; {len(r.polls)} hand poll(s); {len(r.branches)} branch(es) taken.</p>"
    )
    out += ["<h2>Timeline</h2>", _timeline_svg(r)]
    out += _engagement_html(r)
    out.append("<h2>Questions</h2>")
    if r.questions:
        out.append(
            "<table><tr><th>Question</th><th>Asked at</th><th>Responses</th><th>Correct</th>"
            "<th>Answers</th><th>Closed</th></tr>"
        )
        for q in r.questions:
            out.append(
                f"<tr><td><b>{esc(q.node_id)}</b><br>{esc(q.prompt)}<br><small>{esc(q.qtype)}; key: "
                f"{esc(', '.join(q.correct))}</small></td><td>{_clock(q.asked_at_s)}</td><td>{q.responses}</td>"
                f"<td>{q.correct_count} ({_pct(q.correct_rate)})</td><td>{_bars(q)}</td><td>{esc(q.reason)}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>No question was asked.</p>")
    if r.polls:
        out.append("<h2>Hand polls</h2><table><tr><th>Poll</th><th>At</th><th>Hands (final)</th><th>Peak</th></tr>")
        for poll in r.polls:
            out.append(
                f"<tr><td><b>{esc(poll.node_id)}</b><br>{esc(poll.prompt)}</td><td>{_clock(poll.at_s)}</td>"
                f"<td>{poll.count}</td><td>{poll.peak}</td></tr>"
            )
        out.append("</table>")
    if r.branches:
        out.append("<h2>Branches</h2><table><tr><th>At</th><th>Branch</th><th>Why</th><th>Went to</th></tr>")
        for t, node, rule, target in r.branches:
            out.append(f"<tr><td>{_clock(t)}</td><td>{esc(node)}</td><td>{esc(rule)}</td><td>{esc(target)}</td></tr>")
        out.append("</table>")
    out.append("<h2>Segments</h2><table><tr><th>Node</th><th>Kind</th><th>From</th><th>To</th></tr>")
    for seg in r.segments:
        out.append(
            f"<tr><td>{esc(seg.title or seg.node_id)} <small>({esc(seg.node_id)})</small></td>"
            f"<td>{esc(seg.kind)}</td><td>{_clock(seg.start_s)}</td><td>{_clock(seg.end_s)}</td></tr>"
        )
    out.append("</table>")
    if r.teacher_actions:
        acts = ", ".join(f"{k}: {v}" for k, v in sorted(r.teacher_actions.items()))
        out.append(f"<h2>Teacher controls used</h2><p>{esc(acts)}</p>")
    if r.alerts:
        out.append("<h2>Alerts</h2><table><tr><th>At</th><th>Stage</th><th>Severity</th><th>Message</th></tr>")
        for t, stage, sev, msg in r.alerts:
            out.append(f"<tr><td>{_clock(t)}</td><td>{esc(stage)}</td><td>{esc(sev)}</td><td>{esc(msg)}</td></tr>")
        out.append("</table>")
    out += _segments_html(r)
    out.append("<p class='meta'>Class-level facts only: no images, audio, names or per-student data are stored.</p>")
    out.append("</body></html>")
    return "\n".join(out)


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
    import csv

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
) -> tuple[Path, SessionReport]:
    """Write report.html, report.json and the CSV files (as `formats` asks) for a stored session into `out_dir`;
    returns the main file written (the HTML when asked for) and the report."""
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
        written[-1].write_text(render_html(report), encoding="utf-8")
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


# ---- engagement sections -----------------------------------------------------------------------------------
_SERIES = (
    ("head_count", "Head count", "#4e79a7"),
    ("hands_up", "Hands up", "#e15759"),
    ("attention", "Attention (share of faces toward the display)", "#59a14f"),
)


def _fmt_value(name: str, value: float | None) -> str:
    return "no data" if value is None else f"{round(100 * value)} %"


def _engagement_html(r: SessionReport) -> list[str]:
    w = r.metrics
    if w is None:
        return []
    e = w.engagement
    esc = html.escape
    out = ["<h2>Engagement</h2>"]
    if e.score is None:
        out.append("<p>No engagement signal was measured in this session (no camera, microphone or question).</p>")
    else:
        out.append(
            f"<p class='score'>Class engagement score <b>{e.score:.1f}</b> of {e.max_score:.0f} "
            f"<small>(sum of the components with data; each is worth up to 2 points)</small></p>"
        )
    out.append("<table><tr><th>Component</th><th>Value</th><th>Points</th><th>Formula</th><th>From</th></tr>")
    for c in e.components:
        pts = "–" if c.points is None else f"{c.points:.1f} / 2"
        out.append(
            f"<tr><td>{esc(c.name)}</td><td class='num'>{_fmt_value(c.name, c.value)}</td><td class='num'>{pts}</td>"
            f"<td><code>{esc(c.formula)}</code></td><td><small class='f'>{esc(c.explanation)}</small></td></tr>"
        )
    out.append("</table>")
    a, p = w.attendance, w.participation
    facts = [
        f"roster {a.roster_size}" if a.roster_size else "roster size not entered",
        "no head count" if a.median_head_count is None else f"median head count {a.median_head_count:g}",
        f"{p.distinct_hand_tracks} distinct raised hands ({p.hand_raises} raises)",
        f"correct rate {_pct(p.correct_rate)}",
    ]
    if w.speech.room_share is not None:
        facts.append(f"room speech {w.speech.room_s:.0f} s, lead teacher {w.speech.teacher_s:.0f} s")
    out.append(f"<p class='meta'>{esc('; '.join(facts))}. Class-level only: no per-child figures.</p>")
    if r.timeline and any(b.head_count is not None or b.hands_up or b.attention is not None for b in r.timeline):
        out += ["<h2>Over the lesson</h2>", _signals_svg(r)]
    return out


def _bands(r: SessionReport, x: Any, top: float, height: float) -> list[str]:
    parts = []
    for seg in r.segments:
        x0, x1 = x(seg.start_s), x(seg.end_s)
        colour = _KIND_COLOURS.get(seg.kind, "#999")
        parts.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{max(0.5, x1 - x0):.1f}" height="{height:.1f}" '
            f'fill="{colour}" fill-opacity="0.10"/>'
        )
    return parts


def _signals_svg(r: SessionReport, width: int = 900, panel_h: int = 90) -> str:
    """Three small charts on one time axis: head count (dashed: roster), hands up, attention."""
    total = max(r.duration_s, 1.0)
    left, gap = 44, 26
    height = 3 * (panel_h + gap) + 24

    def x(t: float) -> float:
        return left + t / total * (width - left)

    bins = r.timeline
    peak_heads = max((b.head_count or 0.0 for b in bins), default=0.0)
    peak_hands = max((b.hands_up for b in bins), default=0)
    scales = {
        "head_count": max(peak_heads, float(r.roster_size or 0), 1.0) * 1.1,
        "hands_up": max(float(peak_hands), 1.0) * 1.1,
        "attention": 1.0,
    }
    parts = [f'<svg class="plot" viewBox="0 0 {width + 10} {height}" role="img" aria-label="Room over the lesson">']
    for i, (key, label, colour) in enumerate(_SERIES):
        top = i * (panel_h + gap) + 16
        bottom = top + panel_h
        ymax = scales[key]

        def y(v: float, bottom: float = bottom, ymax: float = ymax) -> float:
            return bottom - v / ymax * panel_h

        parts.append(f'<text x="{left}" y="{top - 4}" class="plabel">{html.escape(label)}</text>')
        parts += _bands(r, x, top, panel_h)
        parts.append(
            f'<line x1="{left}" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="#888"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>'
        )
        top_label = "100 %" if key == "attention" else f"{ymax / 1.1:.0f}"
        parts.append(
            f'<text x="{left - 4}" y="{y(ymax / 1.1 if key != "attention" else 1.0) + 4:.1f}" class="axis" '
            f'text-anchor="end">{top_label}</text><text x="{left - 4}" y="{bottom + 4}" class="axis" '
            f'text-anchor="end">0</text>'
        )
        if key == "head_count" and r.roster_size:
            ry = y(float(r.roster_size))
            parts.append(
                f'<line x1="{left}" y1="{ry:.1f}" x2="{width}" y2="{ry:.1f}" stroke="#444" stroke-dasharray="4,3">'
                f"<title>roster: {r.roster_size}</title></line>"
            )
        if key == "hands_up":
            for b in bins:
                if b.hands_up:
                    bw = max(1.0, x(b.end) - x(b.start))
                    parts.append(
                        f'<rect x="{x(b.start):.1f}" y="{y(b.hands_up):.1f}" width="{bw:.1f}"'
                        f' height="{bottom - y(b.hands_up):.1f}" fill="{colour}"><title>{_clock(b.start)}: '
                        f"{b.hands_up} hand(s) up</title></rect>"
                    )
            continue
        runs: list[list[str]] = [[]]
        for b in bins:
            v = b.head_count if key == "head_count" else b.attention
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append(f"{x((b.start + b.end) / 2):.1f},{y(v):.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.5" fill="{colour}"/>')
            elif run:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    for q in r.questions:
        qx = x(q.asked_at_s)
        parts.append(
            f'<line x1="{qx:.1f}" y1="12" x2="{qx:.1f}" y2="{height - 24}" stroke="#f28e2b" stroke-dasharray="2,3">'
            f"<title>{html.escape(q.node_id)} asked at {_clock(q.asked_at_s)}</title></line>"
        )
    step = 60 if total > 240 else 30
    if total > 1800:
        step = 300
    for tick in range(0, int(total) + 1, step):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" class="axis">{_clock(tick)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _segments_html(r: SessionReport) -> list[str]:
    """Engagement per segment: a bar per segment on the timeline (height = score / max) and a table."""
    rows = [w for w in r.segment_metrics if w.engagement.share is not None]
    if not rows:
        return []
    kinds = {seg.node_id: seg.kind for seg in r.segments}
    width, h, left = 900, 110, 10
    total = max(r.duration_s, 1.0)

    def x(t: float) -> float:
        return left + t / total * width

    parts = [f'<svg class="plot" viewBox="0 0 {width + 20} {h + 24}" role="img" aria-label="Engagement per segment">']
    parts.append(f'<line x1="{left}" y1="{h}" x2="{left + width}" y2="{h}" stroke="#888"/>')
    for w in rows:
        share = w.engagement.share or 0.0
        x0, x1 = x(w.start), x(w.end)
        top = h - share * (h - 14)
        label = f"{w.label}: {w.engagement.score or 0:.1f} of {w.engagement.max_score:.0f}"
        parts.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{max(1.0, x1 - x0 - 1):.1f}" height="{h - top:.1f}" '
            f'fill="{_KIND_COLOURS.get(kinds.get(w.label, ""), "#999")}"><title>{html.escape(label)}</title></rect>'
        )
        if x1 - x0 > 34:
            parts.append(f'<text x="{x0 + 2:.1f}" y="{top - 3:.1f}" class="axis">{round(100 * share)} %</text>')
    parts.append(f'<text x="{left}" y="{h + 16}" class="axis">bar height = score / max of the segment</text>')
    parts.append("</svg>")
    out = ["<h2>Engagement per segment</h2>", "".join(parts)]
    names = [c.name for c in rows[0].engagement.components]
    out.append(
        "<table><tr><th>Segment</th><th>From</th><th>To</th>"
        + "".join(f"<th>{html.escape(n)}</th>" for n in names)
        + "<th>Score</th></tr>"
    )
    for w in rows:
        cells = "".join(f"<td class='num'>{_fmt_value(c.name, c.value)}</td>" for c in w.engagement.components)
        out.append(
            f"<tr><td>{html.escape(w.label)}</td><td>{_clock(w.start)}</td><td>{_clock(w.end)}</td>{cells}"
            f"<td class='num'>{w.engagement.score or 0:.1f} / {w.engagement.max_score:.0f}</td></tr>"
        )
    out.append("</table>")
    return out

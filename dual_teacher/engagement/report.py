"""The post-class report: a pure summary of a stored session, rendered as printable HTML.

Only class-level facts: which nodes ran when, per-question tallies and correct rates, hand-poll
counts, branches taken, teacher actions and alerts. No identities, no per-child data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dual_teacher.engagement.store import EventStore, SessionRow, StoredEvent

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

    @property
    def overall_correct_rate(self) -> float | None:
        responses = sum(q.responses for q in self.questions)
        return sum(q.correct_count for q in self.questions) / responses if responses else None


def build_report(session: SessionRow, events: Sequence[StoredEvent]) -> SessionReport:
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
                    dict(p.get("tally", {})),
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
@media print{body{margin:1cm} .noprint{display:none}}
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
    out.append("<p class='meta'>Class-level facts only: no images, audio, names or per-student data are stored.</p>")
    out.append("</body></html>")
    return "\n".join(out)


def report_json(r: SessionReport) -> dict[str, Any]:
    d = dataclasses.asdict(r)
    d["overall_correct_rate"] = r.overall_correct_rate
    return d


def write_report(store: EventStore, session_id: str, out_dir: Path) -> tuple[Path, SessionReport]:
    """Write report.html and report.json for a stored session into `out_dir`."""
    row = store.session(session_id)
    if row is None:
        raise KeyError(session_id)
    report = build_report(row, store.events(row.id))
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    (out_dir / "report.json").write_text(
        json.dumps(report_json(report), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return html_path, report

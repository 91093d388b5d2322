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
from dual_teacher.engagement.recorded import decode_all
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


# ---- the report's words: the lesson's language (en, zh-Hans), in teacher words (titles, never node or rule ids)
_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Class report: {title}", "课后报告：{title}"),
    "meta": (
        "Started {started} · lesson time {length} · {ended}",
        "开始于 {started} · 课时 {length} · {ended}",
    ),
    "simulated": (
        "Answers and hand counts in this session came from the <b>simulated class</b> (demo mode, no camera or "
        "microphone). They are not real student data.",
        "本节课的回答和举手人数来自<b>模拟课堂</b>（演示模式，没有摄像头或麦克风），不是真实的学生数据。",
    ),
    "summary": (
        "{questions} question(s) asked, overall correct rate {rate}; {polls} hand poll(s); {branches} change(s) of "
        "path.",
        "共提问 {questions} 次，总正确率 {rate}；举手投票 {polls} 次；课程路线调整 {branches} 次。",
    ),
    "Timeline": ("Timeline", "时间线"),
    "Questions": ("Questions", "提问"),
    "Question": ("Question", "题目"),
    "Asked at": ("Asked at", "提问时间"),
    "Responses": ("Responses", "回答数"),
    "Correct": ("Correct", "答对"),
    "Answers": ("Answers", "回答分布"),
    "Closed": ("How it ended", "结束方式"),
    "answer key": ("answer", "答案"),
    "no question": ("No question was asked.", "本节课没有提问。"),
    "Hand polls": ("Hand polls", "举手投票"),
    "Poll": ("Poll", "投票"),
    "At": ("At", "时间"),
    "Hands (final)": ("Hands at the end", "结束时举手人数"),
    "Peak": ("Most hands", "最多举手人数"),
    "Branches": ("Where the lesson changed its path", "课程路线的调整"),
    "After": ("After", "在此之后"),
    "Why": ("Why", "原因"),
    "Went to": ("Went on with", "接着进行"),
    "Segments": ("Parts of the lesson", "课程各部分"),
    "Part": ("Part", "部分"),
    "Kind": ("Kind", "类型"),
    "From": ("From", "从"),
    "To": ("To", "到"),
    "Teacher controls used": ("Teacher controls used", "老师使用的操作"),
    "Alerts": ("Alerts", "提醒"),
    "Stage": ("Part of the system", "系统部分"),
    "Severity": ("Severity", "级别"),
    "Message": ("Message", "内容"),
    "privacy": (
        "Class-level facts only: no images, audio, names or per-student data are stored.",
        "只记录全班层面的情况：不保存图像、声音、姓名或任何个人数据。",
    ),
    "Engagement": ("Engagement", "课堂参与"),
    "Over the lesson": ("Over the lesson", "课堂过程"),
    "Engagement per segment": ("Engagement per segment", "各部分的课堂参与"),
    "Segment": ("Segment", "部分"),
    "Score": ("Score", "得分"),
    "Component": ("Component", "指标"),
    "Value": ("Value", "数值"),
    "Points": ("Points", "分数"),
    "Formula": ("Formula", "公式"),
    "Based on": ("Based on", "依据"),
    "no signal": (
        "No engagement signal was measured in this session (no camera, microphone or question).",
        "本节课没有测到参与情况（没有摄像头、麦克风或提问）。",
    ),
    "score": (
        "Class engagement score <b>{score}</b> of {max} <small>(sum of the components with data; each is worth up "
        "to 2 points)</small>",
        "全班参与得分 <b>{score}</b> / {max} <small>（有数据的各项之和；每项最多 2 分）</small>",
    ),
    "no data": ("no data", "无数据"),
    "bar height": ("bar height = score / max of the segment", "柱高 = 该部分得分 / 满分"),
    "class level": ("Class-level only: no per-child figures.", "只有全班数据，没有个人数据。"),
    # kinds of lesson parts
    "video": ("video", "视频"),
    "slide": ("slide", "幻灯片"),
    "question": ("question", "提问"),
    "hand_poll": ("hand poll", "举手"),
    "timer": ("activity", "活动"),
    "end": ("end", "结束"),
    "branch": ("choice of path", "路线选择"),
    # how a question ended
    "time_up": ("time was up", "时间到"),
    "closed_by_teacher": ("closed by the teacher", "老师结束"),
    "skipped": ("skipped", "跳过"),
    "replayed": ("replayed", "重播"),
    "all_answered": ("everyone answered", "全部回答"),
    # how the class ended
    "completed": ("completed", "已上完"),
    "teacher": ("ended by the teacher", "老师下课"),
    "interrupted": ("interrupted", "中断"),
    "error": ("stopped by an error in the lesson", "课程出错而停止"),
    # why the path changed
    "rule:correct_rate": ("because of how many answered correctly", "根据答对的比例"),
    "rule:answer": ("because of the answer the class gave", "根据全班的回答"),
    "rule:timeout": ("because nobody answered", "因为没有人回答"),
    "rule:hands": ("because of how many hands went up", "根据举手的人数"),
    "otherwise": ("the lesson's default path (no condition was met)", "课程的默认路线（没有满足其他条件）"),
    # room signals
    "Head count": ("Head count", "在场人数"),
    "Hands up": ("Hands up", "举手人数"),
    "Attention": ("Attention (share of faces toward the display)", "专注度（面向大屏的比例）"),
    "attendance": ("attendance", "出勤"),
    "hands": ("hands", "举手"),
    "answers": ("answers", "回答"),
    "attention": ("attention", "专注"),
    "talk": ("talk", "发言"),
    # teacher controls
    "pause": ("pause", "暂停"),
    "resume": ("resume", "继续"),
    "next": ("next", "下一步"),
    "back": ("back", "上一步"),
    "replay": ("replay", "重播"),
    "skip question": ("skip question", "跳过题目"),
    "extend timer": ("more time", "延长时间"),
    "answer entered": ("answers entered", "录入回答"),
    "end class": ("end class", "下课"),
}


def report_lang(session: SessionRow) -> str:
    """The report's language: the lesson's ("zh-Hans" for any Chinese), else English."""
    lang = str(session.meta.get("language") or "en")
    return "zh-Hans" if lang.lower().startswith("zh") else "en"


def _w(lang: str, key: str, **values: object) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh-Hans" else pair[0]
    return text.format(**values) if values else text


def _rule_words(lang: str, rule: str) -> str:
    """ "rules.0:correct_rate" -> "because of how many answered correctly"; "otherwise" -> the default path."""
    kind = rule.split(":", 1)[1] if ":" in rule else rule
    key = f"rule:{kind}" if kind != "otherwise" else "otherwise"
    return _w(lang, key) if key in _WORDS else rule


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
    sig = m.extract_signals(decode_all(events))
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


def _timeline_svg(r: SessionReport, width: int = 900, lang: str = "en") -> str:
    total = max(r.duration_s, 1.0)
    left, lane_h = 10, 34
    parts = [f'<svg class="timeline" viewBox="0 0 {width + 20} {lane_h + 70}" role="img" aria-label="Lesson timeline">']
    scale = width / total
    for seg in r.segments:
        x = left + seg.start_s * scale
        w = max(1.5, (seg.end_s - seg.start_s) * scale)
        colour = _KIND_COLOURS.get(seg.kind, "#999")
        kind = _w(lang, seg.kind)
        label = html.escape(f"{seg.title or kind} ({kind}) {_clock(seg.start_s)}–{_clock(seg.end_s)}")
        parts.append(
            f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="{lane_h}" fill="{colour}"><title>{label}</title></rect>'
        )
        if w > 40:
            parts.append(
                f'<text x="{x + 3:.1f}" y="{10 + lane_h / 2 + 4:.1f}" class="seg">'
                f"{html.escape(_fit(seg.title or kind, w))}</text>"
            )
    titles = _titles(r)
    for t, _node, rule, target in r.branches:
        x = left + t * scale
        why = f"{_rule_words(lang, rule)}: {titles.get(target, '')}"
        parts.append(
            f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{lane_h + 14}" stroke="#222" stroke-dasharray="3,2">'
            f"<title>{html.escape(why)}</title></line>"
        )
    step = 60 if total > 240 else 30
    for tick in range(0, int(total) + 1, step):
        x = left + tick * scale
        parts.append(f'<text x="{x:.1f}" y="{lane_h + 32}" class="tick">{_clock(tick)}</text>')
    legend_x = left
    for kind, colour in _KIND_COLOURS.items():
        parts.append(
            f'<rect x="{legend_x}" y="{lane_h + 44}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="{lane_h + 54}" class="tick">{html.escape(_w(lang, kind))}</text>'
        )
        legend_x += 95
    parts.append("</svg>")
    return "".join(parts)


def _fit(text: str, width_px: float) -> str:
    """Cut a label to what fits in `width_px` of the timeline (about 6 px a character)."""
    room = max(1, int(width_px / 6.5))
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


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


def _titles(r: SessionReport) -> dict[str, str]:
    """Node id -> the title the class saw (what the report shows instead of ids)."""
    titles = {seg.node_id: seg.title for seg in r.segments if seg.title and seg.title != seg.node_id}
    for q in r.questions:
        titles.setdefault(q.node_id, q.prompt)
    for poll in r.polls:
        titles.setdefault(poll.node_id, poll.prompt)
    return titles


def render_html(r: SessionReport, lang: str | None = None) -> str:
    """The printable report, in the lesson's language (`lang` overrides it) and in teacher words."""
    lang = lang or report_lang(r.session)
    s = r.session
    started = dt.datetime.fromtimestamp(s.started_wall).strftime("%Y-%m-%d %H:%M")
    esc = html.escape
    titles = _titles(r)

    def name(node_id: str) -> str:
        return esc(titles.get(node_id) or _w(lang, "question"))

    html_lang = "zh-Hans" if lang == "zh-Hans" else "en"
    heading = esc(_w(lang, "title", title=s.pack_title))
    meta = esc(_w(lang, "meta", started=started, length=_clock(r.duration_s), ended=_w(lang, r.end_reason)))
    out = [
        f"<!doctype html><html lang='{html_lang}'><head><meta charset='utf-8'>",
        f"<title>{heading} – {esc(started)}</title><style>{CSS}</style></head><body>",
        f"<h1>{heading}</h1>",
        f"<p class='meta'>{meta} <small>({esc(s.id)})</small></p>",
    ]
    if r.simulated_inputs:
        out.append(f"<p class='note'>{_w(lang, 'simulated')}</p>")
    out.append(
        "<p class='summary'>"
        + esc(
            _w(
                lang,
                "summary",
                questions=len(r.questions),
                rate=_pct(r.overall_correct_rate),
                polls=len(r.polls),
                branches=len(r.branches),
            )
        )
        + "</p>"
    )
    out += [f"<h2>{_w(lang, 'Timeline')}</h2>", _timeline_svg(r, lang=lang)]
    out += _engagement_html(r, lang)
    out.append(f"<h2>{_w(lang, 'Questions')}</h2>")
    if r.questions:
        heads: tuple[str, ...] = ("Question", "Asked at", "Responses", "Correct", "Answers", "Closed")
        out.append("<table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads) + "</tr>")
        for q in r.questions:
            title = titles.get(q.node_id, "")
            prompt = "" if q.prompt == title else f"<br>{esc(q.prompt)}"
            out.append(
                f"<tr><td><b>{name(q.node_id)}</b>{prompt}<br><small>{_w(lang, 'answer key')}: "
                f"{esc(', '.join(q.correct))}</small></td><td>{_clock(q.asked_at_s)}</td><td>{q.responses}</td>"
                f"<td>{q.correct_count} ({_pct(q.correct_rate)})</td><td>{_bars(q)}</td>"
                f"<td>{esc(_w(lang, q.reason))}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append(f"<p>{_w(lang, 'no question')}</p>")
    if r.polls:
        heads = ("Poll", "At", "Hands (final)", "Peak")
        out.append(f"<h2>{_w(lang, 'Hand polls')}</h2><table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads))
        out.append("</tr>")
        for poll in r.polls:
            out.append(
                f"<tr><td><b>{name(poll.node_id)}</b></td><td>{_clock(poll.at_s)}</td>"
                f"<td>{poll.count}</td><td>{poll.peak}</td></tr>"
            )
        out.append("</table>")
    if r.branches:
        heads = ("At", "After", "Why", "Went to")
        out.append(f"<h2>{_w(lang, 'Branches')}</h2><table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads))
        out.append("</tr>")
        for t, _node, rule, target in r.branches:
            source = next((seg.node_id for seg in reversed(r.segments) if seg.end_s <= t and seg.kind != "branch"), "")
            out.append(
                f"<tr><td>{_clock(t)}</td><td>{name(source) if source else ''}</td>"
                f"<td>{esc(_rule_words(lang, rule))}</td><td>{name(target)}</td></tr>"
            )
        out.append("</table>")
    heads = ("Part", "Kind", "From", "To")
    out.append(
        f"<h2>{_w(lang, 'Segments')}</h2><table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads) + "</tr>"
    )
    for seg in r.segments:
        if seg.kind == "branch":
            continue
        out.append(
            f"<tr><td>{esc(titles.get(seg.node_id) or _w(lang, seg.kind))}</td><td>{esc(_w(lang, seg.kind))}</td>"
            f"<td>{_clock(seg.start_s)}</td><td>{_clock(seg.end_s)}</td></tr>"
        )
    out.append("</table>")
    if r.teacher_actions:
        acts = ", ".join(f"{_w(lang, k)}: {v}" for k, v in sorted(r.teacher_actions.items()))
        out.append(f"<h2>{_w(lang, 'Teacher controls used')}</h2><p>{esc(acts)}</p>")
    if r.alerts:
        heads = ("At", "Stage", "Severity", "Message")
        out.append(f"<h2>{_w(lang, 'Alerts')}</h2><table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads))
        out.append("</tr>")
        for t, stage, sev, msg in r.alerts:
            out.append(f"<tr><td>{_clock(t)}</td><td>{esc(stage)}</td><td>{esc(sev)}</td><td>{esc(msg)}</td></tr>")
        out.append("</table>")
    out += _segments_html(r, lang)
    out.append(f"<p class='meta'>{_w(lang, 'privacy')}</p>")
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
    ("attention", "Attention", "#59a14f"),
)


def _fmt_value(name: str, value: float | None, lang: str = "en") -> str:
    return _w(lang, "no data") if value is None else f"{round(100 * value)} %"


def _engagement_html(r: SessionReport, lang: str = "en") -> list[str]:
    w = r.metrics
    if w is None:
        return []
    e = w.engagement
    esc = html.escape
    out = [f"<h2>{_w(lang, 'Engagement')}</h2>"]
    if e.score is None:
        out.append(f"<p>{_w(lang, 'no signal')}</p>")
    else:
        out.append(f"<p class='score'>{_w(lang, 'score', score=f'{e.score:.1f}', max=f'{e.max_score:.0f}')}</p>")
    heads = ("Component", "Value", "Points", "Formula", "Based on")
    out.append("<table><tr>" + "".join(f"<th>{_w(lang, h)}</th>" for h in heads) + "</tr>")
    for c in e.components:
        pts = "–" if c.points is None else f"{c.points:.1f} / 2"
        out.append(
            f"<tr><td>{esc(_w(lang, c.name))}</td><td class='num'>{_fmt_value(c.name, c.value, lang)}</td>"
            f"<td class='num'>{pts}</td>"
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
    if lang == "en":
        out.append(f"<p class='meta'>{esc('; '.join(facts))}. {_w(lang, 'class level')}</p>")
    else:
        out.append(f"<p class='meta'>{_w(lang, 'class level')}</p>")
    if r.timeline and any(b.head_count is not None or b.hands_up or b.attention is not None for b in r.timeline):
        out += [f"<h2>{_w(lang, 'Over the lesson')}</h2>", _signals_svg(r, lang=lang)]
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


def _signals_svg(r: SessionReport, width: int = 900, panel_h: int = 90, lang: str = "en") -> str:
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

        parts.append(f'<text x="{left}" y="{top - 4}" class="plabel">{html.escape(_w(lang, label))}</text>')
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
            f"<title>{html.escape(_titles(r).get(q.node_id, q.prompt))} {_clock(q.asked_at_s)}</title></line>"
        )
    step = 60 if total > 240 else 30
    if total > 1800:
        step = 300
    for tick in range(0, int(total) + 1, step):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" class="axis">{_clock(tick)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _segments_html(r: SessionReport, lang: str = "en") -> list[str]:
    """Engagement per segment: a bar per segment on the timeline (height = score / max) and a table."""
    rows = [w for w in r.segment_metrics if w.engagement.share is not None]
    if not rows:
        return []
    kinds = {seg.node_id: seg.kind for seg in r.segments}
    titles = _titles(r)
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
        label = f"{titles.get(w.label, w.label)}: {w.engagement.score or 0:.1f} / {w.engagement.max_score:.0f}"
        parts.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{max(1.0, x1 - x0 - 1):.1f}" height="{h - top:.1f}" '
            f'fill="{_KIND_COLOURS.get(kinds.get(w.label, ""), "#999")}"><title>{html.escape(label)}</title></rect>'
        )
        if x1 - x0 > 34:
            parts.append(f'<text x="{x0 + 2:.1f}" y="{top - 3:.1f}" class="axis">{round(100 * share)} %</text>')
    parts.append(f'<text x="{left}" y="{h + 16}" class="axis">{_w(lang, "bar height")}</text>')
    parts.append("</svg>")
    out = [f"<h2>{_w(lang, 'Engagement per segment')}</h2>", "".join(parts)]
    names = [c.name for c in rows[0].engagement.components]
    out.append(
        f"<table><tr><th>{_w(lang, 'Segment')}</th><th>{_w(lang, 'From')}</th><th>{_w(lang, 'To')}</th>"
        + "".join(f"<th>{html.escape(_w(lang, n))}</th>" for n in names)
        + f"<th>{_w(lang, 'Score')}</th></tr>"
    )
    for w in rows:
        cells = "".join(f"<td class='num'>{_fmt_value(c.name, c.value, lang)}</td>" for c in w.engagement.components)
        label = titles.get(w.label) or ("" if w.label != "lesson" else _w(lang, "Segments"))
        out.append(
            f"<tr><td>{html.escape(label or w.label)}</td><td>{_clock(w.start)}</td><td>{_clock(w.end)}</td>{cells}"
            f"<td class='num'>{w.engagement.score or 0:.1f} / {w.engagement.max_score:.0f}</td></tr>"
        )
    out.append("</table>")
    return out

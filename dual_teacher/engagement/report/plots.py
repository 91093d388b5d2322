"""The report's charts, inline SVG drawn with `core.svg`: the lesson timeline, the room over the lesson (head
count, hands up, attention on one time axis) and engagement per segment."""

from __future__ import annotations

from collections.abc import Callable

from dual_teacher.core import svg
from dual_teacher.engagement.report.model import SessionReport
from dual_teacher.engagement.report.words import clock, rule_words, w

KIND_COLOURS = {
    "video": "#4e79a7",
    "slide": "#76b7b2",
    "question": "#f28e2b",
    "hand_poll": "#e15759",
    "timer": "#59a14f",
    "end": "#9c755f",
    "branch": "#bab0ac",
}
_OTHER_KIND = "#999"

SERIES = (
    ("head_count", "Head count", "#4e79a7"),
    ("hands_up", "Hands up", "#e15759"),
    ("attention", "Attention", "#59a14f"),
)


def _fit(text: str, width_px: float) -> str:
    """Cut a label to what fits in `width_px` of the timeline (about 6 px a character)."""
    room = max(1, int(width_px / 6.5))
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def _ticks(total: float) -> range:
    """Whole seconds of lesson time for the time axis: every 30 s, 60 s in a lesson over 4 minutes."""
    return range(0, int(total) + 1, 60 if total > 240 else 30)


def timeline_svg(r: SessionReport, width: int = 900, lang: str = "en") -> str:
    total = max(r.duration_s, 1.0)
    left, lane_h = 10, 34
    scale = width / total
    parts = []
    for seg in r.segments:
        x = left + seg.start_s * scale
        seg_w = max(1.5, (seg.end_s - seg.start_s) * scale)
        kind = w(lang, seg.kind)
        label = f"{seg.title or kind} ({kind}) {clock(seg.start_s)}–{clock(seg.end_s)}"
        parts.append(svg.rect(x, 10, seg_w, lane_h, fill=KIND_COLOURS.get(seg.kind, _OTHER_KIND), tip=label))
        if seg_w > 40:
            parts.append(svg.text(x + 3, 10 + lane_h / 2 + 4, _fit(seg.title or kind, seg_w), class_="seg"))
    titles = r.titles()
    for t, _node, rule, target in r.branches:
        x = left + t * scale
        why = f"{rule_words(lang, rule)}: {titles.get(target, '')}"
        parts.append(svg.line(x, 6, x, lane_h + 14, stroke="#222", stroke_dasharray="3,2", tip=why))
    for tick in _ticks(total):
        parts.append(svg.text(left + tick * scale, lane_h + 32, clock(tick), class_="tick"))
    legend_x = left
    for kind, colour in KIND_COLOURS.items():
        parts.append(svg.rect(legend_x, lane_h + 44, 12, 12, fill=colour))
        parts.append(svg.text(legend_x + 16, lane_h + 54, w(lang, kind), class_="tick"))
        legend_x += 95
    box = f"0 0 {width + 20} {lane_h + 70}"
    return svg.canvas(parts, class_="timeline", viewBox=box, role="img", aria_label="Lesson timeline")


def _bands(r: SessionReport, x: Callable[[float], float], top: float, height: float) -> list[str]:
    """The lesson's parts as faint bands behind a chart."""
    return [
        svg.rect(
            x(seg.start_s),
            float(top),
            max(0.5, x(seg.end_s) - x(seg.start_s)),
            float(height),
            fill=KIND_COLOURS.get(seg.kind, _OTHER_KIND),
            fill_opacity="0.10",
        )
        for seg in r.segments
    ]


def signals_svg(r: SessionReport, width: int = 900, panel_h: int = 90, lang: str = "en") -> str:
    """Three small charts on one time axis: head count (dashed: roster), hands up, attention."""
    total = max(r.duration_s, 1.0)
    left, gap = 44, 26
    height = 3 * (panel_h + gap) + 24
    x = svg.linear(0, total, left, width)
    bins = r.timeline
    peak_heads = max((b.head_count or 0.0 for b in bins), default=0.0)
    peak_hands = max((b.hands_up for b in bins), default=0)
    scales = {
        "head_count": max(peak_heads, float(r.roster_size or 0), 1.0) * 1.1,
        "hands_up": max(float(peak_hands), 1.0) * 1.1,
        "attention": 1.0,
    }
    parts = []
    for i, (key, label, colour) in enumerate(SERIES):
        top = i * (panel_h + gap) + 16
        bottom = top + panel_h
        ymax = scales[key]
        y = svg.linear(0, ymax, bottom, top)
        parts.append(svg.text(left, top - 4, w(lang, label), class_="plabel"))
        parts += _bands(r, x, top, panel_h)
        parts.append(
            svg.line(left, bottom, width, bottom, stroke="#888") + svg.line(left, top, left, bottom, stroke="#888")
        )
        top_label = "100 %" if key == "attention" else f"{ymax / 1.1:.0f}"
        top_y = y(ymax / 1.1 if key != "attention" else 1.0) + 4
        parts.append(
            svg.text(left - 4, top_y, top_label, class_="axis", text_anchor="end")
            + svg.text(left - 4, bottom + 4, "0", class_="axis", text_anchor="end")
        )
        if key == "head_count" and r.roster_size:
            ry = y(float(r.roster_size))
            tip = f"roster: {r.roster_size}"
            parts.append(svg.line(left, ry, width, ry, stroke="#444", stroke_dasharray="4,3", tip=tip))
        if key == "hands_up":
            for b in bins:
                if b.hands_up:
                    bw = max(1.0, x(b.end) - x(b.start))
                    tip = f"{clock(b.start)}: {b.hands_up} hand(s) up"
                    parts.append(svg.rect(x(b.start), y(b.hands_up), bw, bottom - y(b.hands_up), fill=colour, tip=tip))
            continue
        runs: list[list[tuple[float, float]]] = [[]]
        for b in bins:
            v = b.head_count if key == "head_count" else b.attention
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x((b.start + b.end) / 2), y(v)))
        for run in runs:
            if len(run) == 1:
                parts.append(svg.circle(*run[0], 1.5, fill=colour))
            elif run:
                parts.append(svg.polyline(run, fill="none", stroke=colour, stroke_width="1.6"))
    titles = r.titles()
    for q in r.questions:
        qx = x(q.asked_at_s)
        tip = f"{titles.get(q.node_id, q.prompt)} {clock(q.asked_at_s)}"
        parts.append(svg.line(qx, 12, qx, height - 24, stroke="#f28e2b", stroke_dasharray="2,3", tip=tip))
    ticks = _ticks(total) if total <= 1800 else range(0, int(total) + 1, 300)
    for tick in ticks:
        parts.append(svg.text(x(tick), height - 6, clock(tick), class_="axis"))
    box = f"0 0 {width + 10} {height}"
    return svg.canvas(parts, class_="plot", viewBox=box, role="img", aria_label="Room over the lesson")


def segments_svg(r: SessionReport, lang: str = "en") -> str:
    """A bar per segment with engagement data on the lesson's time axis: height = score / max of the segment."""
    kinds = {seg.node_id: seg.kind for seg in r.segments}
    titles = r.titles()
    width, h, left = 900, 110, 10
    x = svg.linear(0, max(r.duration_s, 1.0), left, left + width)
    parts = [svg.line(left, h, left + width, h, stroke="#888")]
    for m in r.segment_metrics:
        share = m.engagement.share
        if share is None:
            continue
        x0, x1 = x(m.start), x(m.end)
        top = h - share * (h - 14)
        label = f"{titles.get(m.label, m.label)}: {m.engagement.score or 0:.1f} / {m.engagement.max_score:.0f}"
        colour = KIND_COLOURS.get(kinds.get(m.label, ""), _OTHER_KIND)
        parts.append(svg.rect(x0, top, max(1.0, x1 - x0 - 1), h - top, fill=colour, tip=label))
        if x1 - x0 > 34:
            parts.append(svg.text(x0 + 2, top - 3, f"{round(100 * share)} %", class_="axis"))
    parts.append(svg.text(left, h + 16, w(lang, "bar height"), class_="axis"))
    box = f"0 0 {width + 20} {h + 24}"
    return svg.canvas(parts, class_="plot", viewBox=box, role="img", aria_label="Engagement per segment")

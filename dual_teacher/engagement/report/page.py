"""The report as one printable HTML page (inline SVG charts, no script), in the lesson's language and in
teacher words. The start time is written in the time zone the caller passes in (`export.local_timezone()` for
the machine's own), so the same session gives the same page on every machine."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from dual_teacher.engagement import metrics as m
from dual_teacher.engagement.report.model import QuestionResult, SessionReport
from dual_teacher.engagement.report.plots import segments_svg, signals_svg, timeline_svg
from dual_teacher.engagement.report.style import CSS
from dual_teacher.engagement.report.words import clock, pct, report_lang, rule_words, w

esc = html.escape


def _ths(lang: str, heads: Sequence[str]) -> str:
    return "".join(f"<th>{w(lang, h)}</th>" for h in heads)


def _share(value: float | None, lang: str) -> str:
    return w(lang, "no data") if value is None else f"{round(100 * value)} %"


def _bars(q: QuestionResult) -> str:
    """The answers given, one bar each: the question's choices in order, then any other answer."""
    keys = list(q.choices) or sorted(q.tally)
    others = sorted((k, v) for k, v in q.tally.items() if k not in keys)
    total = max(q.responses, 1)
    return "".join(
        f'<div class="bar {"correct" if key in q.correct else ""}"><span class="k">{esc(key)}</span>'
        f'<span class="fill" style="width:{100 * n / total:.0f}%"></span><span class="n">{n}</span></div>'
        for key, n in [(k, q.tally.get(k, 0)) for k in keys] + others
    )


def render_html(r: SessionReport, lang: str | None = None, *, tz: dt.tzinfo) -> str:
    """The printable report, in the lesson's language (`lang` overrides it), its start time in `tz`."""
    lang = lang or report_lang(r.session)
    s = r.session
    started = dt.datetime.fromtimestamp(s.started_wall, tz).strftime("%Y-%m-%d %H:%M")
    titles = r.titles()

    def name(node_id: str) -> str:
        return esc(titles.get(node_id) or w(lang, "question"))

    html_lang = "zh-Hans" if lang == "zh-Hans" else "en"
    heading = esc(w(lang, "title", title=s.pack_title))
    meta = esc(w(lang, "meta", started=started, length=clock(r.duration_s), ended=w(lang, r.end_reason)))
    out = [
        f"<!doctype html><html lang='{html_lang}'><head><meta charset='utf-8'>",
        f"<title>{heading} – {esc(started)}</title><style>{CSS}</style></head><body>",
        f"<h1>{heading}</h1>",
        f"<p class='meta'>{meta} <small>({esc(s.id)})</small></p>",
    ]
    if r.simulated_inputs:
        out.append(f"<p class='note'>{w(lang, 'simulated')}</p>")
    counts = {"questions": len(r.questions), "polls": len(r.polls), "branches": len(r.branches)}
    out.append(f"<p class='summary'>{esc(w(lang, 'summary', rate=pct(r.overall_correct_rate), **counts))}</p>")
    out += [f"<h2>{w(lang, 'Timeline')}</h2>", timeline_svg(r, lang=lang)]
    out += _engagement_html(r, lang)
    out.append(f"<h2>{w(lang, 'Questions')}</h2>")
    if r.questions:
        out.append(
            f"<table><tr>{_ths(lang, ('Question', 'Asked at', 'Responses', 'Correct', 'Answers', 'Closed'))}</tr>"
        )
        for q in r.questions:
            title = titles.get(q.node_id, "")
            prompt = "" if q.prompt == title else f"<br>{esc(q.prompt)}"
            out.append(
                f"<tr><td><b>{name(q.node_id)}</b>{prompt}<br><small>{w(lang, 'answer key')}: "
                f"{esc(', '.join(q.correct))}</small></td><td>{clock(q.asked_at_s)}</td><td>{q.responses}</td>"
                f"<td>{q.correct_count} ({pct(q.correct_rate)})</td><td>{_bars(q)}</td>"
                f"<td>{esc(w(lang, q.reason))}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append(f"<p>{w(lang, 'no question')}</p>")
    if r.polls:
        out += [
            f"<h2>{w(lang, 'Hand polls')}</h2><table><tr>{_ths(lang, ('Poll', 'At', 'Hands (final)', 'Peak'))}",
            "</tr>",
        ]
        for poll in r.polls:
            out.append(
                f"<tr><td><b>{name(poll.node_id)}</b></td><td>{clock(poll.at_s)}</td>"
                f"<td>{poll.count}</td><td>{poll.peak}</td></tr>"
            )
        out.append("</table>")
    if r.branches:
        out += [f"<h2>{w(lang, 'Branches')}</h2><table><tr>{_ths(lang, ('At', 'After', 'Why', 'Went to'))}", "</tr>"]
        for t, _node, rule, target in r.branches:
            source = next((seg.node_id for seg in reversed(r.segments) if seg.end_s <= t and seg.kind != "branch"), "")
            out.append(
                f"<tr><td>{clock(t)}</td><td>{name(source) if source else ''}</td>"
                f"<td>{esc(rule_words(lang, rule))}</td><td>{name(target)}</td></tr>"
            )
        out.append("</table>")
    out.append(f"<h2>{w(lang, 'Segments')}</h2><table><tr>{_ths(lang, ('Part', 'Kind', 'From', 'To'))}</tr>")
    for seg in r.segments:
        if seg.kind == "branch":
            continue
        out.append(
            f"<tr><td>{esc(titles.get(seg.node_id) or w(lang, seg.kind))}</td><td>{esc(w(lang, seg.kind))}</td>"
            f"<td>{clock(seg.start_s)}</td><td>{clock(seg.end_s)}</td></tr>"
        )
    out.append("</table>")
    if r.teacher_actions:
        acts = ", ".join(f"{w(lang, k)}: {v}" for k, v in sorted(r.teacher_actions.items()))
        out.append(f"<h2>{w(lang, 'Teacher controls used')}</h2><p>{esc(acts)}</p>")
    if r.alerts:
        out += [f"<h2>{w(lang, 'Alerts')}</h2><table><tr>{_ths(lang, ('At', 'Stage', 'Severity', 'Message'))}", "</tr>"]
        for t, stage, sev, msg in r.alerts:
            out.append(f"<tr><td>{clock(t)}</td><td>{esc(stage)}</td><td>{esc(sev)}</td><td>{esc(msg)}</td></tr>")
        out.append("</table>")
    out += _segments_html(r, lang)
    out.append(f"<p class='meta'>{w(lang, 'privacy')}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _engagement_html(r: SessionReport, lang: str = "en") -> list[str]:
    whole = r.metrics
    if whole is None:
        return []
    e = whole.engagement
    out = [f"<h2>{w(lang, 'Engagement')}</h2>"]
    if e.score is None:
        out.append(f"<p>{w(lang, 'no signal')}</p>")
    else:
        out.append(f"<p class='score'>{w(lang, 'score', score=f'{e.score:.1f}', max=f'{e.max_score:.0f}')}</p>")
    out.append(f"<table><tr>{_ths(lang, ('Component', 'Value', 'Points', 'Formula', 'Based on'))}</tr>")
    for c in e.components:
        pts = "–" if c.points is None else f"{c.points:.1f} / 2"
        out.append(
            f"<tr><td>{esc(w(lang, c.name))}</td><td class='num'>{_share(c.value, lang)}</td>"
            f"<td class='num'>{pts}</td>"
            f"<td><code>{esc(c.formula)}</code></td><td><small class='f'>{esc(c.explanation)}</small></td></tr>"
        )
    out.append("</table>")
    if lang == "en":
        out.append(f"<p class='meta'>{esc('; '.join(_facts(whole)))}. {w(lang, 'class level')}</p>")
    else:
        out.append(f"<p class='meta'>{w(lang, 'class level')}</p>")
    if r.timeline and any(b.head_count is not None or b.hands_up or b.attention is not None for b in r.timeline):
        out += [f"<h2>{w(lang, 'Over the lesson')}</h2>", signals_svg(r, lang=lang)]
    return out


def _facts(whole: m.WindowMetrics) -> list[str]:
    """What the whole-lesson figures rest on, in English (the Chinese page says only that they are class level)."""
    a, p = whole.attendance, whole.participation
    facts = [
        f"roster {a.roster_size}" if a.roster_size else "roster size not entered",
        "no head count" if a.median_head_count is None else f"median head count {a.median_head_count:g}",
        f"{p.distinct_hand_tracks} distinct raised hands ({p.hand_raises} raises)",
        f"correct rate {pct(p.correct_rate)}",
    ]
    if whole.speech.room_share is not None:
        facts.append(f"room speech {whole.speech.room_s:.0f} s, lead teacher {whole.speech.teacher_s:.0f} s")
    return facts


def _segments_html(r: SessionReport, lang: str = "en") -> list[str]:
    """Engagement per segment: a bar per segment on the timeline (height = score / max) and a table."""
    rows = [s for s in r.segment_metrics if s.engagement.share is not None]
    if not rows:
        return []
    titles = r.titles()
    out = [f"<h2>{w(lang, 'Engagement per segment')}</h2>", segments_svg(r, lang)]
    names = "".join(f"<th>{esc(w(lang, c.name))}</th>" for c in rows[0].engagement.components)
    out.append(
        f"<table><tr><th>{w(lang, 'Segment')}</th><th>{w(lang, 'From')}</th><th>{w(lang, 'To')}</th>{names}"
        f"<th>{w(lang, 'Score')}</th></tr>"
    )
    for s in rows:
        cells = "".join(f"<td class='num'>{_share(c.value, lang)}</td>" for c in s.engagement.components)
        label = titles.get(s.label) or ("" if s.label != "lesson" else w(lang, "Segments"))
        out.append(
            f"<tr><td>{esc(label or s.label)}</td><td>{clock(s.start)}</td><td>{clock(s.end)}</td>{cells}"
            f"<td class='num'>{s.engagement.score or 0:.1f} / {s.engagement.max_score:.0f}</td></tr>"
        )
    out.append("</table>")
    return out

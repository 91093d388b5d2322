"""The post-class report: a pure summary of a stored session (`model`), rendered as one printable HTML page with
inline SVG charts and no script (`page`, `plots`, `words`, `style`), plus JSON and CSV exports and the file
writer (`export`).

Only class-level facts: which nodes ran when, per-question tallies and correct rates, hand-poll counts,
branches taken, teacher actions and alerts, and the engagement metrics of `engagement.metrics`. No identities,
no per-child data. Free-text answers (short-answer tallies) are folded into "other" unless the operator allows
private data in exports.
"""

from dual_teacher.engagement.report.export import (
    EXPORT_FORMATS,
    local_timezone,
    report_csv,
    report_json,
    summary_text,
    write_report,
)
from dual_teacher.engagement.report.model import (
    OTHER_ANSWERS,
    PollResult,
    QuestionResult,
    Segment,
    SessionReport,
    build_report,
    roster_of,
)
from dual_teacher.engagement.report.page import render_html
from dual_teacher.engagement.report.words import report_lang

__all__ = [
    "EXPORT_FORMATS",
    "OTHER_ANSWERS",
    "PollResult",
    "QuestionResult",
    "Segment",
    "SessionReport",
    "build_report",
    "local_timezone",
    "render_html",
    "report_csv",
    "report_json",
    "report_lang",
    "roster_of",
    "summary_text",
    "write_report",
]

"""The report's words, in the lesson's language (en, zh-Hans) and in teacher words (titles, never node or rule
ids), and how it writes shares and lesson times."""

from __future__ import annotations

from dual_teacher.engagement.store import SessionRow

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


def w(lang: str, key: str, **values: object) -> str:
    """The text of `key` in `lang` (with `values` filled in); a key with no entry is its own text."""
    pair = _WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh-Hans" else pair[0]
    return text.format(**values) if values else text


def rule_words(lang: str, rule: str) -> str:
    """ "rules.0:correct_rate" -> "because of how many answered correctly"; "otherwise" -> the default path."""
    kind = rule.split(":", 1)[1] if ":" in rule else rule
    key = f"rule:{kind}" if kind != "otherwise" else "otherwise"
    return w(lang, key) if key in _WORDS else rule


def pct(x: float | None) -> str:
    return "–" if x is None else f"{round(100 * x)} %"


def clock(seconds: float) -> str:
    """Lesson time as m:ss."""
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"

"""The post-class report is in the lesson's language (en, zh-Hans) and in teacher words: titles the class saw,
reasons in plain words, never node ids or rule ids."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.engagement.report import build_report, render_html
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack

NODE_IDS = ("check-q1", "number-line", "poll-ten", "counting-on", "make-ten", "wrap-up", "rules.0", "otherwise")


def _visible_text(page: str) -> str:
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Class report: ", "Questions", "Where the lesson changed its path", "Parts of the lesson")),
        ("zh-Hans", ("课后报告：", "提问", "课程路线的调整", "课程各部分", "课堂参与")),
    ],
)
def test_report_in_the_lessons_language_without_ids(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, words: tuple[str, ...]
) -> None:
    args = ["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0", "--seed", "3", "--lang", lang]
    assert main(args) == 0
    session_id = re.search(r"session id: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    store = EventStore(tmp_path / "events.sqlite")
    row = store.session(session_id)
    assert row is not None
    page = render_html(build_report(row, store.events(row.id)), tz=dt.UTC)
    store.close()
    text = _visible_text(page)
    for w in words:
        assert w in text, w
    for node_id in NODE_IDS:
        assert node_id not in text, node_id
    pack = load_pack(demo_pack_dir)
    titles = [n.title for n in pack.manifest.nodes if getattr(n, "title", None)]
    pack.close()
    assert titles  # the pack's own titles stand for its parts
    assert f"lang='{lang}'" in page

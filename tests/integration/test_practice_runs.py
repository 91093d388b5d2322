"""Demo and screenshot runs are marked as such and left out of `report latest` and of xAPI unless asked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.engagement.outbox import Outbox
from dual_teacher.engagement.store import EventStore


def test_a_demo_run_is_not_the_latest_class_nor_sent_to_the_lrs(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0", "--seed", "3"]) == 0
    session_id = re.search(r"session id: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    store = EventStore(tmp_path / "events.sqlite")
    row = store.session(session_id)
    assert row is not None and row.practice == "demo"
    assert store.session("latest", include_practice=False) is None
    store.close()

    assert main(["--data-dir", str(tmp_path), "report", "latest"]) == 1
    err = capsys.readouterr().err
    assert "No real class recorded yet" in err and session_id in err and "--include-demo" in err
    assert main(["--data-dir", str(tmp_path), "report", "latest", "--include-demo", "--out", str(tmp_path / "r")]) == 0
    assert main(["--data-dir", str(tmp_path), "report", session_id[:10], "--out", str(tmp_path / "r2")]) == 0

    outbox = Outbox(tmp_path / "events.sqlite")
    try:
        assert outbox.enqueue() == 0  # the class's forwarder leaves demo runs out
        assert outbox.enqueue(include_practice=True) > 0  # `xapi send --include-demo` / [xapi] include_demo
    finally:
        outbox.close()


def test_live_with_headless_says_why_it_plays_the_ai_lesson(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0", "--live", "http://127.0.0.1:9/x.m3u8"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "--live plays the remote teacher's stream on the classroom display" in err and "--headless" in err

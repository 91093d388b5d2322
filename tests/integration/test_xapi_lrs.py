"""xAPI against the real thing: statements validate with ralph-malph's models, and a real Ralph LRS receives every
statement of a class across an LRS outage plus a SIGKILLed app (0 lost).

Ralph runs from its own venv (tests/ralph-requirements.txt; see _ralph.py), so these tests skip only when that
venv cannot be built here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dual_teacher.cli import main

from ._ralph import PASSWORD, USER, RalphLrs, RalphUnavailable, ralph_python

VALIDATOR = Path(__file__).with_name("_validate_xapi.py")
REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 90.0  # only to fail instead of hanging; no timing is asserted


@pytest.fixture(scope="session")
def ralph() -> Path:
    try:
        return ralph_python()
    except RalphUnavailable as exc:
        pytest.skip(f"ralph-malph (the reference LRS and xAPI models) cannot be installed here: {exc}")


def _exe() -> str:
    return shutil.which("dual-teacher") or str(Path(sys.executable).parent / "dual-teacher")


def _wait(cond: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _query(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # table not created yet
        return 0
    finally:
        conn.close()


def test_statements_validate_against_ralph_models(
    ralph: Path, demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0", "--seed", "3"]) == 0
    session_id = re.search(r"session id: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    out = tmp_path / "statements.jsonl"
    assert main(["--data-dir", str(tmp_path), "xapi", "export", session_id, "--out", str(out)]) == 0
    done = subprocess.run([str(ralph), str(VALIDATOR), str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["valid"] == summary["checked"] == len(out.read_text(encoding="utf-8").splitlines())
    assert set(summary["by_model"]) == {
        "VirtualClassroomInitialized",
        "VirtualClassroomJoined",
        "VirtualClassroomRaisedHand",
        "VirtualClassroomLoweredHand",
        "VirtualClassroomStartedPoll",  # asked
        "VirtualClassroomAnsweredPoll",  # answered
        "BaseXapiStatement[cmi.interaction]",  # completed (a question)
        "BaseXapiStatement[virtual-classroom]",  # completed (the lesson)
        "VirtualClassroomTerminated",
    }
    # The same export as a JSON array holds the same statements.
    arr = tmp_path / "statements.json"
    assert main(["--data-dir", str(tmp_path), "xapi", "export", session_id, "--out", str(arr)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert json.loads(arr.read_text(encoding="utf-8")) == lines


@pytest.mark.slow
def test_no_statement_lost_across_lrs_outage_and_app_kill(ralph: Path, demo_pack_dir: Path, tmp_path: Path) -> None:
    lrs = RalphLrs(ralph, tmp_path / "lrs")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'class_size = 24\n[xapi]\nendpoint = "{lrs.endpoint}"\nusername = "{USER}"\ninterval_s = 0.3\n'
        "include_demo = true\n",  # a demo run stands in for a class here
        encoding="utf-8",
    )
    env = {**os.environ, "DUAL_TEACHER_HOME": str(home), "DUAL_TEACHER_XAPI_PASSWORD": PASSWORD}
    db = home / "events.sqlite"
    figures: dict[str, int] = {}
    lrs.start()
    app = subprocess.Popen(
        [_exe(), "demo", "--headless", "--speed", "10", "--seed", "5"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # 1. The class forwards live: the first statements reach the LRS.
        _wait(lambda: len(lrs.stored_ids()) >= 8, "the first statements at the LRS")
        # 2. The LRS dies mid-class; the class goes on and the forwarder keeps failing.
        lrs.kill()
        figures["arrived_before_outage"] = len(lrs.stored_ids())
        _wait(
            lambda: (
                _query(db, "SELECT COUNT(*) FROM events WHERE type = 'QuestionClosed'") >= 1
                and _query(db, "SELECT COUNT(*) FROM xapi_outbox WHERE state = 'pending' AND attempts > 0") > 0
            ),
            "a question closed and failed sends during the outage",
        )
        # 3. The app is killed mid-class, with statements pending and events not yet queued.
        assert app.poll() is None, "the class ended before the kill"
        os.killpg(app.pid, signal.SIGKILL)
        assert app.wait(timeout=30) == -signal.SIGKILL
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
        if app.stderr is not None:
            app.stderr.close()
    assert _query(db, "SELECT COUNT(*) FROM events WHERE type = 'ClassEnded'") == 0  # it really died mid-class
    figures["pending_at_kill"] = _query(db, "SELECT COUNT(*) FROM xapi_outbox WHERE state = 'pending'")
    figures["queued_at_kill"] = _query(db, "SELECT COUNT(*) FROM xapi_outbox")
    figures["failed_attempts_at_kill"] = _query(db, "SELECT COALESCE(SUM(attempts), 0) FROM xapi_outbox")
    figures["events_stored"] = _query(db, "SELECT COUNT(*) FROM events")

    # 4. Both come back; the restarted app drains the outbox (catching up on events never queued).
    lrs.start()
    try:
        sent = subprocess.run([_exe(), "xapi", "send"], env=env, capture_output=True, text=True, timeout=DEADLINE_S)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        # A second drain finds nothing to do (idempotent).
        again = subprocess.run([_exe(), "xapi", "send"], env=env, capture_output=True, text=True, timeout=DEADLINE_S)
        assert again.returncode == 0 and "0 new statement(s) queued, 0 sent now" in again.stdout, again.stdout
        arrived = lrs.stored_ids()
    finally:
        lrs.kill()

    # 5. Every statement that the stored events make is at the LRS, once.
    export = subprocess.run(
        [_exe(), "xapi", "export", "latest", "--include-demo"], env=env, capture_output=True, text=True, timeout=60
    )
    assert export.returncode == 0, export.stderr
    expected = [json.loads(line)["id"] for line in export.stdout.splitlines()]
    figures |= {"expected": len(expected), "arrived": len(set(arrived)), "lrs_file_lines": len(arrived)}
    figures["lost"] = len(set(expected) - set(arrived))
    figures["torn_lrs_lines_repaired"] = lrs.torn_lines_repaired
    print(f"\nxAPI outage figures: {json.dumps(figures)}")
    assert figures["arrived_before_outage"] >= 8 and figures["pending_at_kill"] > 0
    assert figures["lost"] == 0, f"{figures['lost']} statement(s) lost: {sorted(set(expected) - set(arrived))[:5]}"
    assert set(arrived) == set(expected)  # nothing foreign either
    assert len(arrived) == len(set(arrived))  # the LRS kept one copy of each, resends were harmless

"""A frozen classroom display is restarted at the same lesson position: the windowed class runs as a child of
the supervisor; a drill blocks its GUI thread for good 8 s in; the supervisor kills it after 3 s without a
heartbeat and starts it again with the same session at the same node. Needs a display (the test command runs
under Xvfb). No timing assertion: the figures go to artifacts/supervisor.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from dual_teacher.engagement.store import EventStore
from tests.conftest import REPO

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (the test command runs under Xvfb)")
def test_a_frozen_display_is_restarted_at_the_same_place(demo_pack_dir: Path, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        DUAL_TEACHER_FAULT_FREEZE_AT="8",
        QT_QPA_PLATFORM="xcb",
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    code = "import sys; from dual_teacher.cli import main; sys.exit(main())"
    args = ["--data-dir", str(tmp_path), "demo", "--stop-after", "14", "--seed", "3"]
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=200)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "restarting it at the same place" in done.stderr and "Traceback" not in out
    store = EventStore(tmp_path / "events.sqlite")
    sessions = store.sessions()
    assert len(sessions) == 1  # the same session went on
    events = store.events(sessions[0].id)
    store.close()
    starts = [i for i, e in enumerate(events) if e.type == "ClassStarted"]
    assert len(starts) == 2  # the class, then the restarted display going on with it
    frozen_at = [e for e in events[: starts[1]] if e.type == "NodeEntered"][-1]
    restart = next(
        i for i, e in enumerate(events) if e.type == "StageAlert" and "froze and was restarted" in e.payload["message"]
    )
    resumed = [e for e in events[starts[1] : restart] if e.type == "NodeEntered"][-1]
    assert resumed.payload["node_id"] == frozen_at.payload["node_id"]  # the same place in the lesson
    second = max(i for i, e in enumerate(events[: starts[1]]) if e.type == "TeacherStarted")
    last_before_freeze = events[second - 1]  # the frozen child's last event
    assert (tmp_path / "freezes.log").read_text(encoding="utf-8").count("most recent call first") >= 1
    figures = {
        "last_event_to_lesson_again_s": round(resumed.mono - last_before_freeze.mono, 2),
        "node": frozen_at.payload["node_id"],
        "events": len(events),
    }
    (REPO / "artifacts").mkdir(exist_ok=True)
    (REPO / "artifacts" / "supervisor.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfrozen display restarted: {figures}")

"""A class with real inputs: the classroom camera (a recorded GIF) through perception into the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.config import models_cache_dir
from dual_teacher.engagement.store import EventStore
from dual_teacher.inference.registry import ModelRegistry
from tests.conftest import SHARED_DATA, missing, require_data


def test_camera_class_stores_room_signals(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gif = SHARED_DATA / "video" / "classroom_omz_smart_classroom_demo.gif"
    require_data(gif)
    if ModelRegistry(models_cache_dir()).variants("pose_detection", False)[0].state != "ok":
        missing("models are not built: run `dual-teacher models build`")
    code = main(["--data-dir", str(tmp_path), "demo", "--headless", "--camera", str(gif), "--stop-after", "12"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "analysing on CPUExecutionProvider" in out and "real devices run in real time" in out
    store = EventStore(tmp_path / "events.sqlite")
    row = store.session("latest")
    assert row is not None
    events = store.events(row.id)
    counts = [e.payload["count"] for e in events if e.type == "HeadCountReported"]
    assert counts and all(c >= 1 for c in counts)
    assert all(e.payload.get("source") != "simulated" for e in events)  # devices given: no simulated class
    store.close()

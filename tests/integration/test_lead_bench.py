"""`benchmarks/bench_lead.py --quick` runs end to end (so it cannot rot): JSON, a table, the fault checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_lead_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench_lead.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_lead.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "p99_ms" in done.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    (row,) = data["rows"]
    assert row["classrooms"] == 5 and row["connected"] and row["updates_seen"] > 0 and row["p99_ms"] > 0
    faults = row["faults"]
    assert faults["wrong_token_refused"] is True
    assert faults["malformed_close_code"] == 1008 and faults["oversized_close_code"] == 1009
    assert faults["malformed_others_updating"] == "4/4" and faults["oversized_others_updating"] == "4/4"
    assert faults["reconnected_all"] is True and faults["dashboards_see_every_room_again"] is True
    assert "machine" in data


@pytest.mark.slow
def test_lead_benchmark_replays_a_real_demo_class(tmp_path: Path) -> None:
    out = tmp_path / "bench_lead_replay.json"
    script = str(REPO / "benchmarks" / "bench_lead.py")
    done = subprocess.run(
        [sys.executable, script, "--quick", "--replay", "--no-faults", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    replay = data["replay"]
    # The demo lesson (about 4 minutes) publishes about once a second, never above the link's 2/s cap.
    assert 200 < replay["demo_lesson_s"] < 300 and 0.2 < replay["demo_states_per_s"] <= 2.0
    (row,) = data["rows"]
    assert row["rate_per_room"] == "replay" and row["connected"] and "faults" not in row

"""Engagement end to end: the simulated room, the report with plots and exports, retention and purge, the
report benchmark (smoke-run with a tiny budget; no timing is asserted)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.config import AppConfig
from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.outbox import Outbox
from dual_teacher.engagement.report import OTHER_ANSWERS, build_report, render_html, report_json
from dual_teacher.engagement.retention import enforce_retention
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack
from dual_teacher.runtime.session import ClassSession
from dual_teacher.runtime.simulated import SimulatedClass
from dual_teacher.runtime.store_writer import StoreWriter

REPO = Path(__file__).resolve().parents[2]
ROOM = {"HeadCountReported", "AttentionMeasured", "HandRaised", "HandLowered"}


def _run(pack_dir: Path, db: Path, sim: SimulatedClass) -> tuple[EventStore, str]:
    pack = load_pack(pack_dir)
    store = EventStore(db)
    session = ClassSession(pack, store, FakeClock(), inputs=[sim], meta={"roster_size": sim.class_size})
    session.run()
    assert session.close()
    pack.close()
    return store, session.session_id


def test_simulated_room_is_plausible_labelled_and_leaves_answers_alone(demo_pack_dir: Path, tmp_path: Path) -> None:
    store, sid = _run(demo_pack_dir, tmp_path / "a.sqlite", SimulatedClass(class_size=30, seed=4))
    quiet, qsid = _run(demo_pack_dir, tmp_path / "b.sqlite", SimulatedClass(class_size=30, seed=4, room_signals=False))
    events = store.events(sid)
    room = [e for e in events if e.type in ROOM]
    assert {e.type for e in room} == ROOM
    assert all(e.payload["source"] == "simulated" for e in room)
    heads = [e.payload["count"] for e in events if e.type == "HeadCountReported"]
    assert all(20 <= c <= 30 for c in heads)
    att = [e.payload["share"] for e in events if e.type == "AttentionMeasured"]
    assert all(0.0 <= a <= 1.0 for a in att) and len(att) > 200  # every second of ~4 min
    up: set[int] = set()
    for e in events:  # hands pair up: never lowered before raised, never raised twice
        if e.type == "HandRaised":
            assert e.payload["track_id"] not in up and 0 <= e.payload["x"] <= 1 and 0 <= e.payload["y"] <= 1
            up.add(e.payload["track_id"])
        elif e.type == "HandLowered":
            up.remove(e.payload["track_id"])
    # The room's own generator: the answers and the lesson path are those of the same seed without it.
    lesson = [(e.type, e.payload) for e in events if e.type not in ROOM]
    assert lesson == [(e.type, e.payload) for e in quiet.events(qsid)]
    store.close()
    quiet.close()


def test_report_has_plots_metrics_and_exports(demo_pack_dir: Path, tmp_path: Path) -> None:
    assert main(["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0", "--class-size", "28"]) == 0
    out = tmp_path / "only-csv"
    assert (
        main(["--data-dir", str(tmp_path), "report", "latest", "--include-demo", "--out", str(out), "--format", "csv"])
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["questions.csv", "segments.csv", "timeline.csv"]
    rows = list(csv.DictReader((out / "timeline.csv").open(encoding="utf-8")))
    assert len(rows) > 40 and {"head_count", "hands_up", "attention_share"} <= set(rows[0])
    segs = list(csv.DictReader((out / "segments.csv").open(encoding="utf-8")))
    assert segs[-1]["node_id"] == "lesson" and float(segs[-1]["score"]) > 0
    questions = list(csv.DictReader((out / "questions.csv").open(encoding="utf-8")))
    assert [q["node_id"] for q in questions] == ["q1", "q2"]

    full = tmp_path / "full"
    assert main(["--data-dir", str(tmp_path), "report", "latest", "--include-demo", "--out", str(full)]) == 0
    page = (full / "report.html").read_text(encoding="utf-8")
    for text in ("Engagement", "Over the lesson", "Engagement per segment", "min(1, median head count / roster"):
        assert text in page
    assert page.count("<svg") == 3 and "<script" not in page
    data = json.loads((full / "report.json").read_text(encoding="utf-8"))
    assert data["roster_size"] == 28
    assert set(data["formulas"]) == {"attendance", "hands", "answers", "attention", "talk"}
    engagement = data["metrics"]["engagement"]
    assert engagement["max_score"] == 8.0  # no speech signal in the simulation: talk has no data
    assert 0 < engagement["score"] <= 8.0
    assert data["metrics"]["participation"]["distinct_hand_tracks"] > 0
    assert len(data["segment_metrics"]) >= 8
    assert main(["--data-dir", str(tmp_path), "report", "latest", "--include-demo", "--format", "pdf"]) == 2


def test_short_answers_are_folded_unless_private_data(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    store = EventStore(db)
    store.create_session("s", "p", "t", "/p", "test", 1.0, "t")
    writer = StoreWriter(db)
    for i, e in enumerate(
        [
            ev.QuestionAsked("q", "short_answer", "Name a shape", (), ("circle",), 20.0),
            ev.QuestionClosed("q", "time_up", 3, 1, 1 / 3, {"circle": 1, "my name is zoltana": 1, "tom": 1}),
        ]
    ):
        writer.append("s", e, float(i), float(i))
    assert writer.close()
    row = store.session("s")
    assert row is not None
    folded = build_report(row, store.events("s"))
    assert folded.questions[0].tally == {"circle": 1, OTHER_ANSWERS: 2}
    assert "zoltana" not in render_html(folded, tz=dt.UTC) and "zoltana" not in json.dumps(report_json(folded))
    assert build_report(row, store.events("s"), private_data=True).questions[0].tally["tom"] == 1
    store.close()


def _old_session(db: Path, sid: str, age_days: float) -> None:
    store = EventStore(db)
    store.create_session(sid, "p", "t", "/p", "test", time.time() - age_days * 86400, "t")
    store.close()
    writer = StoreWriter(db)
    for i in range(5):
        writer.append(sid, ev.HandRaised(i, 0.5, 0.5, "simulated"), float(i), 1.0)
    writer.append(sid, ev.ClassStarted("p", "t", 1), 9.0, 1.0)
    assert writer.close()
    (db.parent / "reports" / sid).mkdir(parents=True)
    (db.parent / "reports" / sid / "report.html").write_text("x", encoding="utf-8")


def test_retention_deletes_old_sessions_with_events_outbox_and_reports(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite"
    _old_session(db, "old", 141)
    _old_session(db, "new", 10)
    box = Outbox(db)
    assert box.enqueue() > 0
    box.close()
    assert enforce_retention(db, 0, time.time()).sessions == ()  # 0 keeps everything
    purged = enforce_retention(db, 140, time.time(), tmp_path / "reports")
    assert purged.sessions == ("old",) and purged.events == 6 and purged.statements == 12 and purged.report_dirs == 1
    store = EventStore(db)
    assert [r.id for r in store.sessions()] == ["new"] and store.events("old") == []
    store.close()
    assert not (tmp_path / "reports" / "old").exists() and (tmp_path / "reports" / "new").exists()
    box = Outbox(db)
    assert box.stats().pending == box.enqueue() + box.stats().pending  # the survivors' rows are intact
    box.close()


def test_retention_runs_at_start_up_and_purge_asks_first(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "events.sqlite"
    _old_session(db, "last-term", 200)
    _old_session(db, "last-week", 7)
    assert main(["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0"]) == 0
    assert "Retention: deleted 1 session(s) older than 140 days" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "sessions"]) == 0
    listed = capsys.readouterr().out
    assert "last-term" not in listed and "last-week" in listed
    # purge: without --yes and without a terminal it only shows what would go
    with Path("/dev/null").open() as devnull:
        monkeypatch.setattr(sys, "stdin", devnull)
        assert main(["--data-dir", str(tmp_path), "data", "purge", "--older-than", "5"]) == 1
    assert "last-week" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "data", "purge", "--session", "last-week", "--yes"]) == 0
    assert "Deleted 1 session(s): 6 event(s)" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "data", "purge", "--session", "nope", "--yes"]) == 1
    assert main(["--data-dir", str(tmp_path), "data", "purge", "--older-than", "0", "--yes"]) == 0  # all of it
    store = EventStore(db)
    assert store.sessions() == []
    store.close()


def test_config_keys_for_retention_exports_and_xapi() -> None:
    cfg = AppConfig.model_validate({"xapi": {"endpoint": "https://lrs.example/xAPI/", "username": "u"}})
    assert cfg.retention_days == 140 and cfg.export_private_data is False and cfg.xapi.interval_s == 5.0
    for bad in ({"xapi": {"endpiont": "x"}}, {"xapi": {"endpoint": "ftp://x"}}, {"retention_days": -1}):
        with pytest.raises(ValueError):
            AppConfig.model_validate(bad)


def test_report_benchmark_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_report.py"), "--out", str(out), "--minutes=2", "--runs=1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"write_report\s+1\s", done.stdout), done.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["events"] > 100 and data["write_report_p50_s"] > 0 and "machine" in data

"""A whole class runs from the demo pack on a simulated clock; every event lands in the store."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.report import build_report, render_html
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.loader import load_pack
from dual_teacher.runtime.session import ClassSession
from dual_teacher.runtime.simulated import SimulatedClass


class TeacherAnswers:
    """An input stage that plays the assisting teacher typing answers for each question."""

    name = "teacher-script"

    def __init__(self, answers: dict[str, list[tuple[str, int]]]) -> None:
        self.answers = answers
        self.queue: list[ev.Event] = []

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        if isinstance(item, cmd.ShowQuestion):
            self.queue += [ev.TeacherEnteredAnswer(a, n) for a, n in self.answers.get(item.node_id, [])]

    def poll(self, now: float) -> list[ev.Event]:
        out, self.queue = self.queue, []
        return out


def _run(pack_dir: Path, store_path: Path, inputs: list) -> tuple[ClassSession, EventStore]:  # type: ignore[type-arg]
    pack = load_pack(pack_dir)
    store = EventStore(store_path)
    session = ClassSession(pack, store, FakeClock(), inputs=inputs)
    session.run()
    assert session.close()
    pack.close()
    return session, store


def _types(store: EventStore, session_id: str) -> list[str]:
    return [e.type for e in store.events(session_id)]


def _entered(store: EventStore, session_id: str) -> list[str]:
    return [e.payload["node_id"] for e in store.events(session_id) if e.type == "NodeEntered"]


def test_most_correct_skips_the_remedial_segment(demo_pack_dir: Path, tmp_path: Path) -> None:
    session, store = _run(
        demo_pack_dir, tmp_path / "e.sqlite", [TeacherAnswers({"q1": [("B", 20), ("A", 4)], "q2": [("13", 18)]})]
    )
    nodes = _entered(store, session.session_id)
    assert "number-line" not in nodes
    assert nodes == [
        "intro",
        "counting-on",
        "q1",
        "check-q1",
        "make-ten",
        "poll-ten",
        "q2",
        "practice",
        "wrap-up",
        "end",
    ]
    closed = [e.payload for e in store.events(session.session_id) if e.type == "QuestionClosed"]
    assert closed[0]["correct_rate"] == pytest.approx(20 / 24)
    assert closed[1]["correct_count"] == 18
    row = store.session(session.session_id)
    assert row is not None and row.end_reason == "completed" and row.ended_wall is not None


def test_many_wrong_answers_take_the_remedial_branch(demo_pack_dir: Path, tmp_path: Path) -> None:
    session, store = _run(demo_pack_dir, tmp_path / "e.sqlite", [TeacherAnswers({"q1": [("A", 15), ("B", 9)]})])
    nodes = _entered(store, session.session_id)
    assert nodes.index("number-line") == nodes.index("check-q1") + 1
    branch = next(e.payload for e in store.events(session.session_id) if e.type == "BranchTaken")
    assert branch == {"node_id": "check-q1", "rule": "otherwise", "target": "number-line"}


def test_silence_takes_the_timeout_branch(demo_pack_dir: Path, tmp_path: Path) -> None:
    session, store = _run(demo_pack_dir, tmp_path / "e.sqlite", [])
    branch = next(e.payload for e in store.events(session.session_id) if e.type == "BranchTaken")
    assert branch["rule"] == "rules.0:timeout" and branch["target"] == "number-line"


def test_simulated_class_is_deterministic_and_labelled(demo_pack_dir: Path, tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        session, store = _run(demo_pack_dir, tmp_path / f"e{i}.sqlite", [SimulatedClass(seed=3)])
        runs.append([(e.type, e.payload) for e in store.events(session.session_id)])
        report = build_report(store.session(session.session_id), store.events(session.session_id))  # type: ignore[arg-type]
        assert report.simulated_inputs
        assert "simulated class" in render_html(report, tz=dt.UTC)
    assert runs[0] == runs[1]


def test_teacher_controls_mid_lesson_are_recorded(demo_pack_dir: Path, tmp_path: Path) -> None:
    pack = load_pack(demo_pack_dir)
    store = EventStore(tmp_path / "e.sqlite")
    clock = FakeClock()
    session = ClassSession(pack, store, clock)
    session.start()
    for _ in range(30):  # 3 s into the intro
        session.tick()
        clock.advance(0.1)
    for event in (ev.TeacherPaused(), ev.TeacherResumed(), ev.TeacherWentNext(), ev.TeacherWentNext()):
        session.submit(event)
        session.tick()
    assert session.state.node_id == "q1" and session.state.phase == "asking"
    session.submit(ev.TeacherExtendedTimer(10))
    session.submit(ev.TeacherSkippedQuestion())
    session.submit(ev.TeacherEndedClass())
    session.tick()
    assert session.ended
    assert session.close()
    types = _types(store, session.session_id)
    for t in ("TeacherPaused", "LessonPaused", "LessonResumed", "TimerExtended", "QuestionClosed", "ClassEnded"):
        assert t in types
    closed = next(e.payload for e in store.events(session.session_id) if e.type == "QuestionClosed")
    assert closed["reason"] == "skipped"
    pack.close()


def test_cli_headless_demo_sessions_and_report(
    demo_pack_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "demo", "--headless", "--speed", "0"]) == 0
    out = capsys.readouterr().out
    session_id = re.search(r"session id: (\S+)", out).group(1)  # type: ignore[union-attr]
    report = Path(re.search(r"report: (\S+)", out).group(1))  # type: ignore[union-attr]
    assert report.is_file() and "<svg" in report.read_text(encoding="utf-8")
    assert (report.parent / "report.json").is_file()
    assert main(["--data-dir", str(tmp_path), "sessions"]) == 0
    assert session_id in capsys.readouterr().out
    out_dir = tmp_path / "again"
    assert main(["--data-dir", str(tmp_path), "report", session_id[:15], "--out", str(out_dir)]) == 0
    assert (out_dir / "report.html").is_file()
    assert main(["--data-dir", str(tmp_path), "report", "no-such-session"]) == 1


def test_cli_run_refuses_a_broken_pack_with_its_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "lesson.toml").write_text('schema_version = 1\nid = "x"\ntitle = "t"\nnodes = []\n', encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "run", str(tmp_path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert "pack validate" in err and "nodes" in err

"""`TeacherJumped`: the lesson goes to any node (how the AI lesson takes over from the live stream)."""

from __future__ import annotations

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.engine import LessonEngine
from dual_teacher.lesson.loader import load_pack


def _engine(demo_pack_dir):  # type: ignore[no-untyped-def]
    pack = load_pack(demo_pack_dir)
    durations = {n.id: pack.duration_of(n) for n in pack.manifest.nodes if n.kind == "video"}
    engine = LessonEngine(pack.manifest, durations, video_end="media_event")  # type: ignore[arg-type]
    pack.close()
    return engine


def test_jump_from_a_paused_video_resumes_at_the_target(demo_pack_dir) -> None:  # type: ignore[no-untyped-def]
    e = _engine(demo_pack_dir)
    s, _ = e.step(e.initial(), ev.TeacherStarted(), 0.0)
    s, _ = e.step(s, ev.TeacherPaused(), 1.0)
    assert s.status == "paused"
    s, out = e.step(s, ev.TeacherJumped("counting-on"), 5.0)
    assert s.status == "running" and s.node_id == "counting-on" and s.history[-1] == "counting-on"
    assert any(isinstance(o, cmd.PlayVideo) and o.node_id == "counting-on" for o in out)


def test_jump_closes_an_open_question_and_ignores_unknown_nodes(demo_pack_dir) -> None:  # type: ignore[no-untyped-def]
    e = _engine(demo_pack_dir)
    s, _ = e.step(e.initial(), ev.TeacherStarted(), 0.0)
    s, _ = e.step(s, ev.TeacherJumped("q1"), 1.0)
    assert s.node_id == "q1" and s.phase == "asking"
    s, out = e.step(s, ev.TeacherJumped("make-ten"), 2.0)
    closed = [o for o in out if isinstance(o, ev.QuestionClosed)]
    assert closed and closed[0].reason == "closed_by_teacher" and s.node_id == "make-ten"
    same, out = e.step(s, ev.TeacherJumped("no-such-node"), 3.0)
    assert same == s and out == []


def test_jump_before_the_start_or_after_the_end_does_nothing(demo_pack_dir) -> None:  # type: ignore[no-untyped-def]
    e = _engine(demo_pack_dir)
    s0 = e.initial()
    assert e.step(s0, ev.TeacherJumped("q1"), 0.0) == (s0, [])
    s, _ = e.step(s0, ev.TeacherStarted(), 0.0)
    s, _ = e.step(s, ev.TeacherEndedClass(), 1.0)
    assert e.step(s, ev.TeacherJumped("q1"), 2.0) == (s, [])

"""Table-driven tests of the pure lesson state machine (`LessonEngine.step`)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.engine import LessonEngine, LessonState, Output, Tally
from dual_teacher.lesson.schema import LessonPack, QuestionNode

T0 = 100.0
VIDEO_S = 10.0


# ---- builders -------------------------------------------------------------------------------------
def video(id: str = "v", **kw: Any) -> dict[str, Any]:
    return {"kind": "video", "id": id, "file": f"{id}.mp4", **kw}


def slide(id: str = "s", **kw: Any) -> dict[str, Any]:
    return {"kind": "slide", "id": id, "text": f"text {id}", "duration_s": 8.0, **kw}


def question(id: str = "q", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "question",
        "id": id,
        "qtype": "single_choice",
        "prompt": "Pick one",
        "choices": [{"key": k, "text": f"choice {k}"} for k in "ABC"],
        "answer": "B",
        "time_limit_s": 30.0,
        "reveal_s": 4.0,
    }
    return {**base, **kw}


def poll(id: str = "h", **kw: Any) -> dict[str, Any]:
    return {"kind": "hand_poll", "id": id, "prompt": "Hands up", "duration_s": 10.0, **kw}


def timer(id: str = "t", **kw: Any) -> dict[str, Any]:
    return {"kind": "timer", "id": id, "label": "Work", "duration_s": 20.0, **kw}


def branch(id: str, source: str, rules: list[dict[str, Any]], otherwise: str) -> dict[str, Any]:
    return {"kind": "branch", "id": id, "source": source, "rules": rules, "otherwise": otherwise}


def end(id: str = "e", **kw: Any) -> dict[str, Any]:
    return {"kind": "end", "id": id, **kw}


def make_pack(*nodes: dict[str, Any], **top: Any) -> LessonPack:
    return LessonPack.model_validate({"schema_version": 1, "id": "p", "title": "Pack", "nodes": list(nodes), **top})


def make_engine(*nodes: dict[str, Any], pack_kw: dict[str, Any] | None = None, **kw: Any) -> LessonEngine:
    durations = {n["id"]: VIDEO_S for n in nodes if n["kind"] == "video"}
    kw.setdefault("durations", durations)
    return LessonEngine(make_pack(*nodes, **(pack_kw or {})), **kw)


def drive(
    engine: LessonEngine, script: Iterable[tuple[float, ev.Event]], state: LessonState | None = None
) -> tuple[LessonState, list[Output]]:
    """Feed `(now, event)` pairs; return the last state and every output in order."""
    s = engine.initial() if state is None else state
    out: list[Output] = []
    for now, event in script:
        s, o = engine.step(s, event, now)
        out += o
    return s, out


def start(engine: LessonEngine, now: float = T0) -> LessonState:
    return engine.step(engine.initial(), ev.TeacherStarted(), now)[0]


def of(outputs: Sequence[Output], cls: type) -> list[Any]:
    return [o for o in outputs if isinstance(o, cls)]


def kinds(outputs: Sequence[Output]) -> list[str]:
    return [type(o).__name__ for o in outputs]


ALL_INPUTS: list[ev.Event] = [
    ev.TeacherStarted(),
    ev.Tick(),
    ev.TeacherPaused(),
    ev.TeacherResumed(),
    ev.TeacherWentNext(),
    ev.TeacherWentBack(),
    ev.TeacherReplayed(),
    ev.TeacherSkippedQuestion(),
    ev.TeacherExtendedTimer(15.0),
    ev.TeacherEndedClass(),
    ev.MediaEnded("v"),
    ev.MediaFailed("v", "broken"),
    ev.AnswerHeard("B"),
    ev.TeacherEnteredAnswer("B", 3),
    ev.HandCountReported(4, "B"),
    ev.ClassStarted("p", "Pack", 1),  # not an input: no handler
]


def _id(e: ev.Event) -> str:
    return e.kind


# ---- start, before start, after end ---------------------------------------------------------------
def test_start_from_ready_enters_the_first_node() -> None:
    engine = make_engine(video("v"), slide("s"))
    s, out = engine.step(engine.initial(), ev.TeacherStarted(), T0)
    assert out == [
        ev.ClassStarted("p", "Pack", 2),
        ev.NodeEntered("v", "video", "v"),
        cmd.PlayVideo("v", "v.mp4", 0.0, None, "v"),
    ]
    assert s == LessonState(status="running", node_id="v", deadline=T0 + VIDEO_S, history=("v",))


def test_start_uses_the_pack_start_node_and_titles() -> None:
    engine = make_engine(
        slide("s"), video("v", title={"en": "Intro", "zh-Hans": "导入"}, start_s=2.0, end_s=9.0), pack_kw={"start": "v"}
    )
    s, out = engine.step(engine.initial(), ev.TeacherStarted(), T0)
    assert s.node_id == "v"
    assert out[1:] == [ev.NodeEntered("v", "video", "Intro"), cmd.PlayVideo("v", "v.mp4", 2.0, 9.0, "Intro")]
    zh = LessonEngine(engine.pack, engine.durations, lang="zh-Hans")
    assert zh.step(zh.initial(), ev.TeacherStarted(), T0)[1][1] == ev.NodeEntered("v", "video", "导入")


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_start_when_already_started_is_a_no_op(paused: bool) -> None:
    engine = make_engine(slide("s"))
    s = start(engine)
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + 1)[0]
    s2, out = engine.step(s, ev.TeacherStarted(), T0 + 2)
    assert out == []
    assert s2 == s


@pytest.mark.parametrize(
    "event", [e for e in ALL_INPUTS if not isinstance(e, ev.TeacherStarted | ev.TeacherEndedClass)], ids=_id
)
def test_events_before_start_are_ignored(event: ev.Event) -> None:
    engine = make_engine(video("v"), question("q"))
    s, out = engine.step(engine.initial(), event, T0 + 1000)
    assert out == []
    assert s == LessonState()


def test_end_class_before_start_ends_without_a_summary() -> None:
    engine = make_engine(slide("s"))
    s, out = engine.step(engine.initial(), ev.TeacherEndedClass(), T0)
    assert out == [ev.ClassEnded("teacher")]
    assert s.status == "ended"


@pytest.mark.parametrize("event", ALL_INPUTS, ids=_id)
@pytest.mark.parametrize("how", ["teacher", "completed"])
def test_every_event_after_end_is_ignored(event: ev.Event, how: str) -> None:
    engine = make_engine(video("v"), question("q"))
    s = start(engine)
    if how == "teacher":
        s = engine.step(s, ev.TeacherEndedClass(), T0 + 1)[0]
    else:
        s, _ = drive(engine, [(T0 + 1, ev.TeacherWentNext()), (T0 + 2, ev.TeacherWentNext())], s)
    assert s.status == "ended"
    s2, out = engine.step(s, event, T0 + 1000)
    assert out == []
    assert s2 is s


# ---- entering each kind of node -------------------------------------------------------------------
ENTER_CASES = [
    pytest.param(
        video("n"),
        "",
        T0 + VIDEO_S,
        [cmd.PlayVideo("n", "n.mp4", 0.0, None, "n")],
        id="video",
    ),
    pytest.param(
        slide("n", image="img.png", narration="n.ogg", duration_s=6.0),
        "",
        T0 + 6.0,
        [cmd.ShowSlide("n", "img.png", "text n", "n.ogg", T0 + 6.0)],
        id="slide",
    ),
    pytest.param(
        timer("n", duration_s=20.0),
        "",
        T0 + 20.0,
        [cmd.ShowTimer("n", "Work", T0 + 20.0)],
        id="timer",
    ),
    pytest.param(
        poll("n", duration_s=12.0),
        "asking",
        T0 + 12.0,
        [cmd.ShowHandPoll("n", "Hands up", T0 + 12.0), ev.HandPollOpened("n", "Hands up"), cmd.OpenPoll("n", ())],
        id="hand_poll",
    ),
    pytest.param(
        question("n"),
        "asking",
        T0 + 30.0,
        [
            cmd.ShowQuestion(
                "n",
                "single_choice",
                "Pick one",
                (("A", "choice A"), ("B", "choice B"), ("C", "choice C")),
                T0 + 30.0,
                ("spoken", "teacher"),
            ),
            ev.QuestionAsked("n", "single_choice", "Pick one", ("A", "B", "C"), ("B",), 30.0),
            cmd.ListenForAnswer(
                "n",
                "single_choice",
                (("A", "choice A"), ("B", "choice B"), ("C", "choice C")),
                (("A", "choice A"), ("B", "choice B"), ("C", "choice C")),
            ),
        ],
        id="question-spoken",
    ),
    pytest.param(
        question("n", qtype="true_false", choices=[], answer=True, channels=["hand_poll"], time_limit_s=5.0),
        "asking",
        T0 + 5.0,
        [
            cmd.ShowQuestion("n", "true_false", "Pick one", (("true", "✓"), ("false", "✗")), T0 + 5.0, ("hand_poll",)),
            ev.QuestionAsked("n", "true_false", "Pick one", ("true", "false"), ("true",), 5.0),
            cmd.OpenPoll("n", ("true", "false")),
        ],
        id="question-hand_poll",
    ),
]


@pytest.mark.parametrize(("node", "phase", "deadline", "shown"), ENTER_CASES)
def test_entering_a_node(node: dict[str, Any], phase: str, deadline: float, shown: list[Output]) -> None:
    engine = make_engine(node, slide("nx"))
    s, out = engine.step(engine.initial(), ev.TeacherStarted(), T0)
    assert out[1] == ev.NodeEntered("n", node["kind"], "n")
    assert out[2:] == shown
    assert (s.node_id, s.phase, s.deadline, s.history) == ("n", phase, deadline, ("n",))
    if node["kind"] in ("question", "hand_poll"):
        assert s.results == {"n": Tally("n")}


def test_video_without_a_known_duration_has_no_deadline() -> None:
    engine = make_engine(video("v"), slide("nx"), durations={})
    s = start(engine)
    assert s.deadline is None
    s, out = engine.step(s, ev.Tick(), T0 + 1e6)
    assert (s.node_id, out) == ("v", [])


# ---- ticks ----------------------------------------------------------------------------------------
TICK_NODES = [
    pytest.param(video("n"), VIDEO_S, [], id="video"),
    pytest.param(slide("n", duration_s=8.0), 8.0, [], id="slide"),
    pytest.param(timer("n", duration_s=20.0), 20.0, [], id="timer"),
    pytest.param(poll("n", duration_s=10.0), 10.0, [cmd.ClosePoll("n"), ev.HandPollClosed("n", 0, 0)], id="hand_poll"),
    pytest.param(
        question("n", reveal_s=0.0),
        30.0,
        [cmd.StopListening("n"), ev.QuestionClosed("n", "time_up", 0, 0, None, {})],
        id="question-reveal0",
    ),
]


@pytest.mark.parametrize(("node", "duration", "closing"), TICK_NODES)
@pytest.mark.parametrize(
    ("offset", "advances"), [(-0.001, False), (0.0, True), (7.5, True)], ids=["before", "at", "after"]
)
def test_tick_against_the_deadline(
    node: dict[str, Any], duration: float, closing: list[Output], offset: float, advances: bool
) -> None:
    engine = make_engine(node, slide("nx"))
    s0 = start(engine)
    s, out = engine.step(s0, ev.Tick(), T0 + duration + offset)
    if not advances:
        assert out == []
        assert s == s0
        return
    now = T0 + duration + offset
    assert out == [*closing, ev.NodeEntered("nx", "slide", "nx"), cmd.ShowSlide("nx", None, "text nx", None, now + 8.0)]
    assert (s.node_id, s.phase, s.deadline, s.history) == ("nx", "", now + 8.0, ("n", "nx"))


def test_question_time_up_reveals_then_moves_on() -> None:
    engine = make_engine(question("q", reveal_s=4.0, channels=["spoken", "hand_poll"]), slide("nx"))
    s = start(engine)
    s, _ = drive(engine, [(T0 + 1, ev.AnswerHeard("B")), (T0 + 2, ev.AnswerHeard("A"))], s)
    s, out = engine.step(s, ev.Tick(), T0 + 31.0)
    assert out == [
        cmd.StopListening("q"),
        cmd.ClosePoll("q"),
        ev.QuestionClosed("q", "time_up", 2, 1, 0.5, {"B": 1, "A": 1}),
        cmd.RevealAnswer("q", ("B",), 2, 1, {"B": 1, "A": 1}, T0 + 35.0),
    ]
    assert (s.node_id, s.phase, s.deadline) == ("q", "revealing", T0 + 35.0)
    assert s.results["q"].closed_reason == "time_up"
    # answers after closing are not counted
    s2, out = engine.step(s, ev.AnswerHeard("B"), T0 + 32.0)
    assert (s2, out) == (s, [])
    s2, out = engine.step(s, ev.Tick(), T0 + 34.999)
    assert (s2, out) == (s, [])
    s, out = engine.step(s, ev.Tick(), T0 + 35.0)
    assert kinds(out) == ["NodeEntered", "ShowSlide"]
    assert (s.node_id, s.phase) == ("nx", "")


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        pytest.param([slide("a"), slide("b"), slide("c")], ["a", "b", "c"], id="implicit-file-order"),
        pytest.param([slide("a", next="c"), slide("b"), slide("c", next="b")], ["a", "c", "b"], id="explicit-next"),
        pytest.param(
            [question("a", reveal_s=0.0, next="c"), slide("b"), slide("c")], ["a", "c"], id="explicit-from-question"
        ),
    ],
)
def test_next_node_follows_next_or_file_order(nodes: list[dict[str, Any]], expected: list[str]) -> None:
    engine = make_engine(*nodes)
    s = start(engine, 0.0)
    visited = [s.node_id]
    for _ in expected[1:]:
        assert s.deadline is not None
        s = engine.step(s, ev.Tick(), s.deadline)[0]
        visited.append(s.node_id)
    assert visited == expected
    assert s.history == tuple(expected)


@pytest.mark.parametrize(
    ("last", "summary_text"),
    [pytest.param(None, "", id="last-node"), pytest.param(end("e", summary="Bye"), "Bye", id="end-node")],
)
def test_running_off_the_end_completes_the_class(last: dict[str, Any] | None, summary_text: str) -> None:
    nodes = [question("q", reveal_s=0.0), poll("h")] + ([last] if last else [])
    engine = make_engine(*nodes)
    s = start(engine)
    s, _ = drive(
        engine,
        [
            (T0 + 1, ev.TeacherEnteredAnswer("B", 2)),
            (T0 + 1, ev.TeacherEnteredAnswer("C", 2)),
            (T0 + 30, ev.Tick()),
            (T0 + 31, ev.HandCountReported(7)),
            (T0 + 32, ev.HandCountReported(3)),
        ],
        s,
    )
    s, out = engine.step(s, ev.Tick(), T0 + 40)
    tail = [
        cmd.ShowSummary(summary_text, (cmd.QuestionSummary("q", "q", 4, 2, 0.5),), 7),
        ev.ClassEnded("completed"),
    ]
    assert out[-2:] == tail
    if last is not None:
        assert ev.NodeEntered("e", "end", "e") in out
    assert (s.status, s.phase, s.deadline, s.remaining) == ("ended", "", None, None)


# ---- media events ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("video_end", "grace", "deadline"),
    [
        pytest.param("deadline", 5.0, T0 + VIDEO_S, id="deadline-mode"),
        pytest.param("media_event", 5.0, T0 + VIDEO_S + 5.0, id="media-default-grace"),
        pytest.param("media_event", 2.0, T0 + VIDEO_S + 2.0, id="media-grace-2"),
    ],
)
def test_video_deadline_includes_grace_only_for_media_events(video_end: Any, grace: float, deadline: float) -> None:
    engine = make_engine(video("v"), slide("nx"), video_end=video_end, media_grace_s=grace)
    s = start(engine)
    assert s.deadline == deadline
    assert engine.step(s, ev.Tick(), deadline - 0.001)[0].node_id == "v"
    assert engine.step(s, ev.Tick(), deadline)[0].node_id == "nx"


@pytest.mark.parametrize(
    ("event", "advances", "alert"),
    [
        pytest.param(ev.MediaEnded("v"), True, False, id="ended-current"),
        pytest.param(ev.MediaEnded("other"), False, False, id="ended-other"),
        pytest.param(ev.MediaFailed("v", "codec"), True, True, id="failed-current"),
        pytest.param(ev.MediaFailed("other", "codec"), False, False, id="failed-other"),
    ],
)
@pytest.mark.parametrize("video_end", ["media_event", "deadline"])
def test_media_events_on_a_video(event: ev.Event, advances: bool, alert: bool, video_end: Any) -> None:
    engine = make_engine(video("v"), slide("nx"), video_end=video_end)
    s0 = start(engine)
    s, out = engine.step(s0, event, T0 + 3.0)
    alerts = [ev.StageAlert("display", "segment v could not play (codec); skipped")] if alert else []
    if advances:
        assert out == [
            *alerts,
            ev.NodeEntered("nx", "slide", "nx"),
            cmd.ShowSlide("nx", None, "text nx", None, T0 + 11),
        ]
        assert s.node_id == "nx"
    else:
        assert (s, out) == (s0, [])


@pytest.mark.parametrize("event", [ev.MediaEnded("s"), ev.MediaFailed("s", "x")], ids=["MediaEnded", "MediaFailed"])
def test_media_end_for_a_non_video_node_does_not_advance(event: ev.Event) -> None:
    engine = make_engine(slide("s"), slide("nx"))
    s0 = start(engine)
    s, out = engine.step(s0, event, T0 + 1)
    assert s == s0
    assert of(out, ev.NodeEntered) == []


def test_media_ended_while_paused_is_ignored() -> None:
    engine = make_engine(video("v"), slide("nx"), video_end="media_event")
    s0, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherPaused())])
    s, out = engine.step(s0, ev.MediaEnded("v"), T0 + 2)
    assert (s, out) == (s0, [])


# ---- pause and resume -----------------------------------------------------------------------------
PAUSE_NODES = [
    pytest.param(video("n"), VIDEO_S, id="video"),
    pytest.param(slide("n", duration_s=8.0), 8.0, id="slide"),
    pytest.param(timer("n", duration_s=20.0), 20.0, id="timer"),
    pytest.param(poll("n", duration_s=10.0), 10.0, id="hand_poll"),
    pytest.param(question("n"), 30.0, id="question"),
]


@pytest.mark.parametrize(("node", "duration"), PAUSE_NODES)
def test_long_pause_preserves_remaining_time(node: dict[str, Any], duration: float) -> None:
    engine = make_engine(node, slide("nx"))
    s = start(engine)
    s, out = engine.step(s, ev.TeacherPaused(), T0 + 3.0)
    assert out == [cmd.PauseMedia(), ev.LessonPaused("n")]
    assert (s.status, s.deadline, s.remaining) == ("paused", None, duration - 3.0)
    # pausing again, and ticks long past the old deadline, change nothing
    for event in (ev.TeacherPaused(), ev.Tick()):
        s2, out = engine.step(s, event, T0 + 5000.0)
        assert (s2, out) == (s, [])
    resumed_at = T0 + 10_000.0
    new_deadline = resumed_at + duration - 3.0
    s, out = engine.step(s, ev.TeacherResumed(), resumed_at)
    assert out == [cmd.ResumeMedia(), ev.LessonResumed("n"), cmd.ExtendDeadline("n", new_deadline)]
    assert (s.status, s.deadline, s.remaining, s.node_id) == ("running", new_deadline, None, "n")
    assert engine.step(s, ev.Tick(), new_deadline - 0.001)[0].node_id == "n"
    moved, out = engine.step(s, ev.Tick(), new_deadline)
    assert (moved.node_id, moved.phase) != ("n", s.phase)  # a question starts revealing, the rest move on


def test_pause_after_deadline_keeps_zero_remaining() -> None:
    engine = make_engine(slide("s"), slide("nx"))
    s, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 50, ev.TeacherPaused())])
    assert s.remaining == 0.0
    s, _ = drive(engine, [(T0 + 60, ev.TeacherResumed()), (T0 + 60, ev.Tick())], s)
    assert s.node_id == "nx"


def test_pause_resume_video_without_deadline() -> None:
    engine = make_engine(video("v"), slide("nx"), durations={})
    s, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherPaused())])
    assert (s.status, s.remaining) == ("paused", None)
    s, out = engine.step(s, ev.TeacherResumed(), T0 + 2)
    assert out == [cmd.ResumeMedia(), ev.LessonResumed("v")]
    assert (s.status, s.deadline) == ("running", None)


def test_resume_when_running_is_a_no_op() -> None:
    engine = make_engine(slide("s"))
    s0 = start(engine)
    s, out = engine.step(s0, ev.TeacherResumed(), T0 + 1)
    assert (s, out) == (s0, [])


def test_answers_count_while_paused() -> None:
    engine = make_engine(question("q"))
    s, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherPaused()), (T0 + 2, ev.AnswerHeard("b"))])
    assert s.results["q"].counts == {"B": 1}
    assert s.status == "paused"


# ---- teacher: next --------------------------------------------------------------------------------
NEXT_CASES = [
    pytest.param(video("n"), [], id="video"),
    pytest.param(slide("n"), [], id="slide"),
    pytest.param(timer("n"), [], id="timer"),
    pytest.param(poll("n"), [cmd.ClosePoll("n"), ev.HandPollClosed("n", 0, 0)], id="hand_poll"),
    pytest.param(
        question("n"),
        [cmd.StopListening("n"), ev.QuestionClosed("n", "closed_by_teacher", 0, 0, None, {})],
        id="question-asking",
    ),
    pytest.param(
        question("n", channels=["hand_poll", "teacher"]),
        [cmd.ClosePoll("n"), ev.QuestionClosed("n", "closed_by_teacher", 0, 0, None, {})],
        id="question-hand-poll-channel",
    ),
]


@pytest.mark.parametrize(("node", "closing"), NEXT_CASES)
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_next_closes_and_advances_without_reveal(node: dict[str, Any], closing: list[Output], paused: bool) -> None:
    engine = make_engine(node, slide("nx"))
    s = start(engine)
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + 1)[0]
    s, out = engine.step(s, ev.TeacherWentNext(), T0 + 2)
    assert out == [*closing, ev.NodeEntered("nx", "slide", "nx"), cmd.ShowSlide("nx", None, "text nx", None, T0 + 10)]
    assert of(out, cmd.RevealAnswer) == []
    assert (s.status, s.node_id, s.remaining) == ("running", "nx", None)
    if node["kind"] == "question":
        assert s.results["n"].closed_reason == "closed_by_teacher"


def test_next_while_revealing_does_not_close_again() -> None:
    engine = make_engine(question("q"), slide("nx"))
    s, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 30, ev.Tick())])
    assert s.phase == "revealing"
    s, out = engine.step(s, ev.TeacherWentNext(), T0 + 31)
    assert kinds(out) == ["NodeEntered", "ShowSlide"]
    assert s.results["q"].closed_reason == "time_up"


def test_next_at_the_last_node_completes_the_class() -> None:
    engine = make_engine(slide("s"))
    s, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherWentNext())])
    assert out[-1] == ev.ClassEnded("completed")
    assert s.status == "ended"


# ---- teacher: back --------------------------------------------------------------------------------
BACK_NODES = [
    slide("a"),
    question("q", reveal_s=0.0),
    branch("br", "q", [{"on": "timeout", "goto": "c"}], "c"),
    slide("c"),
]


@pytest.mark.parametrize(
    ("nexts", "before", "target", "history"),
    [
        pytest.param(0, "a", "a", ("a",), id="first-node-reenters"),
        pytest.param(1, "q", "a", ("a",), id="question-to-slide"),
        pytest.param(2, "c", "q", ("a", "q"), id="skips-branch"),
    ],
)
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_back_returns_to_previous_non_branch_node(
    nexts: int, before: str, target: str, history: tuple[str, ...], paused: bool
) -> None:
    engine = make_engine(*BACK_NODES)
    s, _ = drive(engine, [(T0, ev.TeacherStarted())] + [(T0 + i + 1, ev.TeacherWentNext()) for i in range(nexts)])
    assert s.node_id == before
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + 9)[0]
    s, out = engine.step(s, ev.TeacherWentBack(), T0 + 10)
    assert (s.status, s.node_id, s.history) == ("running", target, history)
    entered = of(out, ev.NodeEntered)
    assert [e.node_id for e in entered] == [target]
    if before == "q":
        assert out[:2] == [cmd.StopListening("q"), ev.QuestionClosed("q", "closed_by_teacher", 0, 0, None, {})]
    if target == "q":
        assert s.phase == "asking"
        assert s.results["q"] == Tally("q")  # asked afresh
        assert s.deadline == T0 + 10 + 30.0


def test_back_twice_walks_the_history() -> None:
    engine = make_engine(slide("a"), slide("b"), slide("c"))
    s, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0, ev.TeacherWentNext()), (T0, ev.TeacherWentNext())])
    s, _ = drive(engine, [(T0 + 1, ev.TeacherWentBack())], s)
    assert (s.node_id, s.history) == ("b", ("a", "b"))
    s, _ = drive(engine, [(T0 + 2, ev.TeacherWentBack())], s)
    assert (s.node_id, s.history) == ("a", ("a",))


# ---- teacher: replay ------------------------------------------------------------------------------
def test_replay_question_closes_it_as_replayed_and_asks_again() -> None:
    engine = make_engine(slide("a"), question("q"), slide("nx"))
    s, _ = drive(
        engine,
        [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherWentNext()), (T0 + 2, ev.AnswerHeard("B"))],
    )
    s, out = engine.step(s, ev.TeacherReplayed(), T0 + 5)
    assert out[:2] == [cmd.StopListening("q"), ev.QuestionClosed("q", "replayed", 1, 1, 1.0, {"B": 1})]
    assert out[2] == ev.NodeEntered("q", "question", "q")
    assert kinds(out[3:]) == ["ShowQuestion", "QuestionAsked", "ListenForAnswer"]
    assert (s.node_id, s.phase, s.deadline, s.history) == ("q", "asking", T0 + 35.0, ("a", "q"))
    assert s.results["q"] == Tally("q")


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_replay_video_restarts_it(paused: bool) -> None:
    engine = make_engine(video("v"), slide("nx"))
    s = start(engine)
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + 4)[0]
    s, out = engine.step(s, ev.TeacherReplayed(), T0 + 6)
    assert out == [ev.NodeEntered("v", "video", "v"), cmd.PlayVideo("v", "v.mp4", 0.0, None, "v")]
    assert (s.status, s.node_id, s.deadline, s.remaining, s.history) == ("running", "v", T0 + 16, None, ("v",))


# ---- teacher: skip question -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("node", "closing"),
    [
        pytest.param(
            question("n"),
            [cmd.StopListening("n"), ev.QuestionClosed("n", "skipped", 0, 0, None, {})],
            id="question",
        ),
        pytest.param(poll("n"), [cmd.ClosePoll("n"), ev.HandPollClosed("n", 0, 0)], id="hand_poll"),
        pytest.param(video("n"), None, id="video"),
        pytest.param(slide("n"), None, id="slide"),
        pytest.param(timer("n"), None, id="timer"),
    ],
)
def test_skip_question(node: dict[str, Any], closing: list[Output] | None) -> None:
    engine = make_engine(node, slide("nx"))
    s0 = start(engine)
    s, out = engine.step(s0, ev.TeacherSkippedQuestion(), T0 + 1)
    if closing is None:
        assert (s, out) == (s0, [])
        return
    assert out[: len(closing)] == closing
    assert s.node_id == "nx"
    assert s.results["n"].closed_reason == "skipped"


# ---- teacher: extend timer ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("node", "duration", "reveal", "extendable"),
    [
        pytest.param(timer("n", duration_s=20.0), 20.0, False, True, id="timer"),
        pytest.param(poll("n", duration_s=10.0), 10.0, False, True, id="hand_poll"),
        pytest.param(slide("n", duration_s=8.0), 8.0, False, True, id="slide"),
        pytest.param(question("n"), 30.0, False, True, id="question-asking"),
        pytest.param(question("n"), 30.0, True, False, id="question-revealing"),
        pytest.param(video("n"), VIDEO_S, False, False, id="video"),
    ],
)
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_extend_timer(node: dict[str, Any], duration: float, reveal: bool, extendable: bool, paused: bool) -> None:
    engine = make_engine(node, slide("nx"))
    s = start(engine)
    if reveal:
        s = engine.step(s, ev.Tick(), T0 + duration)[0]
        assert s.phase == "revealing"
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + duration + 1 if reveal else T0 + 2)[0]
    s0 = s
    s, out = engine.step(s0, ev.TeacherExtendedTimer(15.0), T0 + 3)
    if not extendable:
        assert (s, out) == (s0, [])
        return
    if paused:
        assert out == [ev.TimerExtended("n", 15.0)]
        assert (s.remaining, s.deadline, s.status) == (duration - 2 + 15.0, None, "paused")
    else:
        assert out == [ev.TimerExtended("n", 15.0), cmd.ExtendDeadline("n", T0 + duration + 15.0)]
        assert s.deadline == T0 + duration + 15.0


@pytest.mark.parametrize("seconds", [0.0, -5.0], ids=["zero", "negative"])
def test_extend_by_nothing_is_a_no_op(seconds: float) -> None:
    engine = make_engine(timer("t"))
    s0 = start(engine)
    s, out = engine.step(s0, ev.TeacherExtendedTimer(seconds), T0 + 1)
    assert (s, out) == (s0, [])


# ---- teacher: end class ---------------------------------------------------------------------------
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_end_class_closes_the_question_and_shows_the_summary(paused: bool) -> None:
    engine = make_engine(question("q", title="Q1"), slide("nx"))
    s, _ = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.AnswerHeard("A")), (T0 + 1, ev.AnswerHeard("B"))])
    if paused:
        s = engine.step(s, ev.TeacherPaused(), T0 + 2)[0]
    s, out = engine.step(s, ev.TeacherEndedClass(), T0 + 3)
    assert out == [
        cmd.StopListening("q"),
        ev.QuestionClosed("q", "closed_by_teacher", 2, 1, 0.5, {"A": 1, "B": 1}),
        cmd.ShowSummary("", (cmd.QuestionSummary("q", "Q1", 2, 1, 0.5),), 0),
        ev.ClassEnded("teacher"),
    ]
    assert (s.status, s.deadline, s.remaining, s.phase) == ("ended", None, None, "")


def test_end_class_on_a_video_emits_only_the_summary() -> None:
    engine = make_engine(video("v"), question("q"))
    s, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherEndedClass())])
    assert out[-2:] == [cmd.ShowSummary("", (), 0), ev.ClassEnded("teacher")]
    assert s.status == "ended"


# ---- answers --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channels", "counted"),
    [
        pytest.param(["spoken"], True, id="spoken"),
        pytest.param(["spoken", "teacher"], True, id="spoken+teacher"),
        pytest.param(["teacher"], False, id="teacher"),
        pytest.param(["hand_poll", "teacher"], False, id="hand_poll+teacher"),
    ],
)
def test_answer_heard_needs_the_spoken_channel(channels: list[str], counted: bool) -> None:
    engine = make_engine(question("q", channels=channels))
    s0 = start(engine)
    s, out = engine.step(s0, ev.AnswerHeard(" b "), T0 + 1)
    if counted:
        assert out == [cmd.UpdateCount("q", 1, {"B": 1})]
        assert (s.results["q"].counts, s.results["q"].correct_count) == ({"B": 1}, 1)
    else:
        assert (s, out) == (s0, [])


@pytest.mark.parametrize(
    ("entries", "counts", "correct"),
    [
        pytest.param([("B", 3, "add")], {"B": 3}, 3, id="add"),
        pytest.param([("B", 3, "add"), ("b", 2, "add")], {"B": 5}, 5, id="add-twice"),
        pytest.param([("B", 3, "add"), ("B", 1, "set")], {"B": 1}, 1, id="set-overrides"),
        pytest.param([("A", 2, "set"), ("B", 4, "bogus")], {"A": 2, "B": 4}, 4, id="unknown-mode-adds"),
        pytest.param([("B", 3, "add"), ("B", -1, "set")], {"B": 3}, 3, id="negative-ignored"),
        pytest.param([("Z", 3, "add"), ("A,B", 1, "add")], {}, 0, id="invalid-ignored"),
        pytest.param([("A", 0, "set")], {"A": 0}, 0, id="zero"),
    ],
)
def test_teacher_entered_answers(entries: list[tuple[str, int, str]], counts: dict[str, int], correct: int) -> None:
    engine = make_engine(question("q", channels=["spoken"]))
    s, out = drive(engine, [(T0 + 1, ev.TeacherEnteredAnswer(a, n, m)) for a, n, m in entries], start(engine))
    t = s.results["q"]
    assert (dict(t.counts), t.correct_count, t.responses) == (counts, correct, sum(counts.values()))
    ups = of(out, cmd.UpdateCount)
    if ups:
        assert ups[-1] == cmd.UpdateCount("q", sum(counts.values()), counts)


@pytest.mark.parametrize(
    ("node", "reports", "expect"),
    [
        pytest.param(
            question("n", channels=["hand_poll"]),
            [(5, "A"), (7, "b"), (3, "A"), (-2, "B"), (9, None), (4, "Z")],
            {"A": 3, "B": 7},
            id="question-per-choice",
        ),
        pytest.param(
            question("n", qtype="true_false", choices=[], answer=False, channels=["hand_poll"]),
            [(4, "true"), (6, "false")],
            {"true": 4, "false": 6},
            id="true-false-per-choice",
        ),
        pytest.param(question("n", channels=["spoken", "teacher"]), [(5, "A")], {}, id="question-no-poll-channel"),
    ],
)
def test_hand_counts_for_a_question(
    node: dict[str, Any], reports: list[tuple[int, str | None]], expect: dict[str, int]
) -> None:
    engine = make_engine(node)
    s, _ = drive(engine, [(T0 + 1, ev.HandCountReported(n, c)) for n, c in reports], start(engine))
    t = s.results["n"]
    assert dict(t.counts) == expect
    q = engine.node("n")
    assert isinstance(q, QuestionNode)
    assert t.correct_count == sum(v for k, v in expect.items() if k in q.correct_keys())


def test_hand_counts_for_a_hand_poll_node() -> None:
    engine = make_engine(poll("h"), slide("nx"))
    s = start(engine)
    outs = []
    for n in (4, 9, -1, 6):
        s, out = engine.step(s, ev.HandCountReported(n), T0 + 1)
        outs += out
    assert outs == [cmd.UpdateCount("h", 4, {}), cmd.UpdateCount("h", 9, {}), cmd.UpdateCount("h", 6, {})]
    assert (s.results["h"].hands, s.results["h"].hands_peak) == (6, 9)
    s, out = engine.step(s, ev.Tick(), T0 + 10)
    assert out[:2] == [cmd.ClosePoll("h"), ev.HandPollClosed("h", 6, 9)]
    assert s.results["h"].closed_reason == "time_up"


@pytest.mark.parametrize(
    ("node", "event"),
    [
        pytest.param(slide("s"), ev.AnswerHeard("B"), id="answer-on-slide"),
        pytest.param(slide("s"), ev.TeacherEnteredAnswer("B"), id="teacher-answer-on-slide"),
        pytest.param(video("s"), ev.HandCountReported(3), id="hands-on-video"),
        pytest.param(timer("s"), ev.HandCountReported(3, "A"), id="hands-choice-on-timer"),
    ],
)
def test_answers_outside_a_question_are_ignored(node: dict[str, Any], event: ev.Event) -> None:
    engine = make_engine(node)
    s0 = start(engine)
    s, out = engine.step(s0, event, T0 + 1)
    assert (s, out) == (s0, [])


def _q(qtype: str, **kw: Any) -> QuestionNode:
    base: dict[str, Any] = {"kind": "question", "id": "q", "prompt": "?", "qtype": qtype}
    defaults: dict[str, dict[str, Any]] = {
        "single_choice": {"choices": [{"key": k, "text": k} for k in "ABC"], "answer": "B"},
        "multiple_choice": {"choices": [{"key": k, "text": k} for k in "ABCD"], "answer": ["C", "A"]},
        "true_false": {"answer": True},
        "numeric": {"answer": 13},
        "short_answer": {"answer": ["Paris", "  City of Light "]},
    }
    return QuestionNode.model_validate({**base, **defaults[qtype], **kw})


NORMALIZE_CASES = [
    ("single_choice", "b", "B"),
    ("single_choice", " C ", "C"),
    ("single_choice", "Z", None),
    ("single_choice", "a,b", None),
    ("single_choice", "", None),
    ("multiple_choice", "c, a", "A,C"),
    ("multiple_choice", "A;C;a", "A,C"),
    ("multiple_choice", "d", "D"),
    ("multiple_choice", "a,e", None),
    ("multiple_choice", " , ", None),
    ("true_false", "yes", "true"),
    ("true_false", "True", "true"),
    ("true_false", "对", "true"),
    ("true_false", "√", "true"),
    ("true_false", "false", "false"),
    ("true_false", "N", "false"),
    ("true_false", "不对", "false"),
    ("true_false", "maybe", None),
    ("numeric", "13.0", "13"),
    ("numeric", " 2.50 ", "2.5"),
    ("numeric", "-0", "0"),
    ("numeric", "1e3", "1000"),
    ("numeric", "abc", None),
    ("numeric", "inf", None),
    ("numeric", "nan", None),
    ("short_answer", "  PARIS ", "paris"),
    ("short_answer", "City   of\tLIGHT", "city of light"),
    ("short_answer", "Straße", "strasse"),
    ("short_answer", "   ", None),
]


@pytest.mark.parametrize(("qtype", "raw", "key"), [pytest.param(*c, id=f"{c[0]}:{c[1]!r}") for c in NORMALIZE_CASES])
def test_normalize(qtype: str, raw: str, key: str | None) -> None:
    engine = make_engine(slide("s"))
    assert engine.normalize(_q(qtype), raw) == key


IS_CORRECT_CASES = [
    ("single_choice", {}, "B", True),
    ("single_choice", {}, "A", False),
    ("multiple_choice", {}, "A,C", True),
    ("multiple_choice", {}, "A", False),
    ("multiple_choice", {}, "A,C,D", False),
    ("true_false", {}, "true", True),
    ("true_false", {"answer": False}, "true", False),
    ("numeric", {}, "13", True),
    ("numeric", {}, "13.0001", False),
    ("numeric", {"tolerance": 0.5}, "13.5", True),
    ("numeric", {"tolerance": 0.5}, "12.5", True),
    ("numeric", {"tolerance": 0.5}, "13.6", False),
    ("numeric", {"answer": 0.1, "tolerance": 0.2}, "0.3", True),
    ("numeric", {"answer": 2.5}, "2.5", True),
    ("short_answer", {}, "paris", True),
    ("short_answer", {}, "city of light", True),
    ("short_answer", {}, "london", False),
]


@pytest.mark.parametrize(
    ("qtype", "kw", "key", "correct"),
    [pytest.param(*c, id=f"{c[0]}:{c[2]}:{'-'.join(map(str, c[1].values()))}") for c in IS_CORRECT_CASES],
)
def test_is_correct(qtype: str, kw: dict[str, Any], key: str, correct: bool) -> None:
    engine = make_engine(slide("s"))
    q = _q(qtype, **kw)
    normalized = engine.normalize(q, key)
    assert normalized is not None
    assert engine.is_correct(q, normalized) is correct


@pytest.mark.parametrize(
    ("counts", "correct", "rate", "top"),
    [
        pytest.param({}, 0, None, None, id="empty"),
        pytest.param({"A": 0}, 0, None, None, id="only-zero"),
        pytest.param({"A": 1, "B": 3}, 3, 0.75, "B", id="clear-top"),
        pytest.param({"A": 2, "B": 2}, 2, 0.5, None, id="tie"),
    ],
)
def test_tally(counts: dict[str, int], correct: int, rate: float | None, top: str | None) -> None:
    t = Tally("q", counts, correct)
    assert (t.responses, t.correct_rate, t.top_answer()) == (sum(counts.values()), rate, top)


# ---- branching ------------------------------------------------------------------------------------
def _branch_engine(source: dict[str, Any], rules: list[dict[str, Any]], **kw: Any) -> LessonEngine:
    return make_engine(
        source,
        branch("br", source["id"], rules, "o"),
        slide("r0"),
        slide("r1"),
        slide("o"),
        **kw,
    )


def _through_question(rules: list[dict[str, Any]], answers: list[str]) -> tuple[LessonState, list[Output]]:
    engine = _branch_engine(question("q", reveal_s=0.0), rules)
    script = [(T0, ev.TeacherStarted())] + [(T0 + 1, ev.TeacherEnteredAnswer(a)) for a in answers]
    return drive(engine, [*script, (T0 + 30, ev.Tick())])


def _rate(at_least: float | None = None, below: float | None = None, goto: str = "r0") -> dict[str, Any]:
    bound = {"at_least": at_least} if at_least is not None else {"below": below}
    return {"on": "correct_rate", **bound, "goto": goto}


BRANCH_CASES = [
    pytest.param([_rate(at_least=0.5)], ["B", "B", "A"], "rules.0:correct_rate", "r0", id="rate-at-least-met"),
    pytest.param([_rate(at_least=0.5)], ["B", "A"], "rules.0:correct_rate", "r0", id="rate-at-least-exact"),
    pytest.param([_rate(at_least=0.8)], ["B", "A"], "otherwise", "o", id="rate-at-least-missed"),
    pytest.param([_rate(below=0.5)], ["A", "A", "B"], "rules.0:correct_rate", "r0", id="rate-below-met"),
    pytest.param([_rate(below=0.5)], ["B", "A"], "otherwise", "o", id="rate-below-exact-missed"),
    pytest.param([_rate(below=0.5)], [], "otherwise", "o", id="rate-no-responses"),
    pytest.param([{"on": "answer", "equals": "A", "goto": "r0"}], ["A", "A", "B"], "rules.0:answer", "r0", id="top"),
    pytest.param([{"on": "answer", "equals": " a ", "goto": "r0"}], ["a"], "rules.0:answer", "r0", id="top-case"),
    pytest.param([{"on": "answer", "equals": "B", "goto": "r0"}], ["A", "A", "B"], "otherwise", "o", id="not-top"),
    pytest.param([{"on": "answer", "equals": "A", "goto": "r0"}], ["A", "B"], "otherwise", "o", id="answer-tie"),
    pytest.param([{"on": "answer", "equals": "A", "goto": "r0"}], [], "otherwise", "o", id="answer-none"),
    pytest.param([{"on": "timeout", "goto": "r0"}], [], "rules.0:timeout", "r0", id="timeout-no-responses"),
    pytest.param([{"on": "timeout", "goto": "r0"}], ["Z", "?"], "rules.0:timeout", "r0", id="timeout-only-invalid"),
    pytest.param([{"on": "timeout", "goto": "r0"}], ["A"], "otherwise", "o", id="timeout-answered"),
    pytest.param(
        [_rate(at_least=0.5, goto="r0"), {"on": "answer", "equals": "B", "goto": "r1"}],
        ["B"],
        "rules.0:correct_rate",
        "r0",
        id="first-match-wins",
    ),
    pytest.param(
        [{"on": "timeout", "goto": "r0"}, {"on": "answer", "equals": "B", "goto": "r1"}],
        ["B"],
        "rules.1:answer",
        "r1",
        id="second-rule",
    ),
]


@pytest.mark.parametrize(("rules", "answers", "rule", "target"), BRANCH_CASES)
def test_branch_on_question(rules: list[dict[str, Any]], answers: list[str], rule: str, target: str) -> None:
    s, out = _through_question(rules, answers)
    assert of(out, ev.BranchTaken) == [ev.BranchTaken("br", rule, target)]
    assert (s.node_id, s.history) == (target, ("q", "br", target))
    i = out.index(ev.BranchTaken("br", rule, target))
    assert out[i - 1] == ev.NodeEntered("br", "branch", "br")
    assert out[i + 1] == ev.NodeEntered(target, "slide", target)


@pytest.mark.parametrize(
    ("qnode", "equals", "answers"),
    [
        pytest.param(
            question("q", qtype="true_false", choices=[], answer=True, reveal_s=0.0),
            "true",
            ["yes", "true"],
            id="true_false",
        ),
        pytest.param(
            question("q", qtype="short_answer", choices=[], answer="Paris", reveal_s=0.0),
            "paris",
            ["Paris", "paris"],
            id="short_answer",
        ),
        pytest.param(
            question("q", qtype="numeric", choices=[], answer=13, reveal_s=0.0),
            "13.0",
            ["13", "13"],
            id="numeric",
        ),
    ],
)
def test_branch_answer_rule_on_non_choice_questions(qnode: dict[str, Any], equals: str, answers: list[str]) -> None:
    engine = _branch_engine(qnode, [{"on": "answer", "equals": equals, "goto": "r0"}])
    script = [(T0, ev.TeacherStarted())] + [(T0 + 1, ev.TeacherEnteredAnswer(a)) for a in answers]
    _, out = drive(engine, [*script, (T0 + 30, ev.Tick())])
    assert of(out, ev.BranchTaken) == [ev.BranchTaken("br", "rules.0:answer", "r0")]


@pytest.mark.parametrize(
    ("rules", "counts", "rule", "target"),
    [
        pytest.param([{"on": "hands", "at_least": 5, "goto": "r0"}], [5], "rules.0:hands", "r0", id="hands-met"),
        pytest.param([{"on": "hands", "at_least": 5, "goto": "r0"}], [9, 4], "otherwise", "o", id="hands-last-count"),
        pytest.param([{"on": "hands", "at_least": 0, "goto": "r0"}], [], "rules.0:hands", "r0", id="hands-zero"),
        pytest.param([{"on": "timeout", "goto": "r0"}], [], "rules.0:timeout", "r0", id="timeout-no-hands"),
        pytest.param([{"on": "timeout", "goto": "r0"}], [0], "rules.0:timeout", "r0", id="timeout-zero-hands"),
        pytest.param([{"on": "timeout", "goto": "r0"}], [3, 0], "otherwise", "o", id="timeout-peak-counts"),
        pytest.param([_rate(at_least=0.0)], [3], "otherwise", "o", id="rate-on-poll"),
        pytest.param([{"on": "answer", "equals": "A", "goto": "r0"}], [3], "otherwise", "o", id="answer-on-poll"),
    ],
)
@pytest.mark.parametrize("close", ["tick", "next", "skip"])
def test_branch_on_hand_poll(
    rules: list[dict[str, Any]], counts: list[int], rule: str, target: str, close: str
) -> None:
    engine = _branch_engine(poll("h"), rules)
    closer = {"tick": ev.Tick(), "next": ev.TeacherWentNext(), "skip": ev.TeacherSkippedQuestion()}[close]
    script = [(T0, ev.TeacherStarted())] + [(T0 + 1, ev.HandCountReported(n)) for n in counts]
    s, out = drive(engine, [*script, (T0 + 10, closer)])
    assert of(out, ev.BranchTaken) == [ev.BranchTaken("br", rule, target)]
    assert s.node_id == target


@pytest.mark.parametrize(
    ("rules", "rule", "target"),
    [
        pytest.param([{"on": "timeout", "goto": "r0"}], "rules.0:timeout", "r0", id="timeout"),
        pytest.param([_rate(below=1.0)], "otherwise", "o", id="rate"),
        pytest.param([{"on": "answer", "equals": "A", "goto": "r0"}], "otherwise", "o", id="answer"),
        pytest.param([{"on": "hands", "at_least": 0, "goto": "r0"}], "otherwise", "o", id="hands"),
    ],
)
def test_branch_when_source_was_never_asked(rules: list[dict[str, Any]], rule: str, target: str) -> None:
    engine = make_engine(branch("br", "q", rules, "o"), question("q"), slide("r0"), slide("o"), pack_kw={"start": "br"})
    s, out = engine.step(engine.initial(), ev.TeacherStarted(), T0)
    assert of(out, ev.BranchTaken) == [ev.BranchTaken("br", rule, target)]
    assert (s.node_id, s.history) == (target, ("br", target))


@pytest.mark.parametrize(
    ("close", "reason"),
    [(ev.TeacherSkippedQuestion(), "skipped"), (ev.TeacherWentNext(), "closed_by_teacher"), (ev.Tick(), "time_up")],
    ids=["skip", "next", "tick"],
)
def test_branch_after_question_closed_by_teacher_or_time(close: ev.Event, reason: str) -> None:
    engine = _branch_engine(question("q", reveal_s=0.0), [{"on": "timeout", "goto": "r0"}])
    _, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 30, close)])
    assert of(out, ev.QuestionClosed)[0].reason == reason
    assert of(out, ev.BranchTaken) == [ev.BranchTaken("br", "rules.0:timeout", "r0")]


def test_branch_chain_is_followed() -> None:
    engine = make_engine(
        slide("s"),
        branch("b1", "q", [{"on": "timeout", "goto": "b2"}], "x"),
        branch("b2", "q", [{"on": "timeout", "goto": "x"}], "b1"),
        slide("x"),
        question("q"),
    )
    s, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherWentNext())])
    assert of(out, ev.BranchTaken) == [
        ev.BranchTaken("b1", "rules.0:timeout", "b2"),
        ev.BranchTaken("b2", "rules.0:timeout", "x"),
    ]
    assert (s.node_id, s.history) == ("x", ("s", "b1", "b2", "x"))


@pytest.mark.parametrize(
    ("loop", "max_hops"),
    [
        pytest.param([branch("b1", "q", [{"on": "timeout", "goto": "b1"}], "b1")], 4, id="self-loop"),
        pytest.param(
            [
                branch("b1", "q", [{"on": "timeout", "goto": "b2"}], "b2"),
                branch("b2", "q", [{"on": "timeout", "goto": "b1"}], "b1"),
            ],
            7,
            id="two-cycle",
        ),
        pytest.param([branch("b1", "q", [{"on": "timeout", "goto": "b1"}], "b1")], None, id="default-32"),
    ],
)
def test_branch_loop_ends_class_with_error(loop: list[dict[str, Any]], max_hops: int | None) -> None:
    kw = {} if max_hops is None else {"max_hops": max_hops}
    engine = make_engine(slide("s"), *loop, question("q"), **kw)
    s, out = drive(engine, [(T0, ev.TeacherStarted()), (T0 + 1, ev.TeacherWentNext())])
    assert len(of(out, ev.BranchTaken)) == (max_hops or 32)
    alerts = of(out, ev.StageAlert)
    assert len(alerts) == 1
    assert (alerts[0].stage, alerts[0].severity) == ("lesson", "error")
    assert out[-2:] == [cmd.ShowSummary("", (), 0), ev.ClassEnded("error")]
    assert out[-3] is alerts[0]
    assert s.status == "ended"


# ---- purity ---------------------------------------------------------------------------------------
PURITY_NODES = [
    video("v"),
    question("q", channels=["spoken", "hand_poll", "teacher"]),
    branch("br", "q", [_rate(at_least=0.5, goto="h")], "t"),
    poll("h"),
    timer("t"),
    slide("s"),
    end("e", summary="Done"),
]
PURITY_SCRIPT: list[tuple[float, ev.Event]] = [
    (T0 - 1, ev.Tick()),
    (T0, ev.TeacherStarted()),
    (T0 + 1, ev.TeacherPaused()),
    (T0 + 50, ev.Tick()),
    (T0 + 60, ev.TeacherResumed()),
    (T0 + 70, ev.MediaEnded("v")),
    (T0 + 71, ev.AnswerHeard("B")),
    (T0 + 71, ev.TeacherEnteredAnswer("A", 2)),
    (T0 + 72, ev.HandCountReported(4, "B")),
    (T0 + 72, ev.TeacherEnteredAnswer("A", 1, "set")),
    (T0 + 73, ev.TeacherExtendedTimer(10.0)),
    (T0 + 74, ev.TeacherReplayed()),
    (T0 + 75, ev.AnswerHeard("B")),
    (T0 + 76, ev.TeacherPaused()),
    (T0 + 77, ev.TeacherExtendedTimer(5.0)),
    (T0 + 78, ev.TeacherResumed()),
    (T0 + 200, ev.Tick()),
    (T0 + 205, ev.Tick()),
    (T0 + 206, ev.HandCountReported(3)),
    (T0 + 207, ev.TeacherWentBack()),
    (T0 + 208, ev.TeacherWentNext()),
    (T0 + 209, ev.TeacherSkippedQuestion()),
    (T0 + 210, ev.TeacherWentNext()),
    (T0 + 211, ev.TeacherWentNext()),
    (T0 + 212, ev.TeacherEndedClass()),
    (T0 + 213, ev.TeacherStarted()),
]


def test_step_never_mutates_its_input_and_is_deterministic() -> None:
    engine = make_engine(*PURITY_NODES, video_end="media_event")
    twin = make_engine(*PURITY_NODES, video_end="media_event")
    s = engine.initial()
    seen: set[str] = set()
    for now, event in PURITY_SCRIPT:
        before = copy.deepcopy(s)
        results_before = {k: (v, dict(v.counts)) for k, v in s.results.items()}
        s2, out = engine.step(s, event, now)
        assert s == before, event
        assert {k: (v, dict(v.counts)) for k, v in s.results.items()} == results_before
        again, out_again = engine.step(before, event, now)
        assert (again, out_again) == (s2, out)
        assert twin.step(before, event, now) == (s2, out)
        seen |= set(kinds(out))
        s = s2
    # the script really went through the graph
    assert s.history == ("v", "q", "br", "t", "s", "e")
    assert {"BranchTaken", "RevealAnswer", "QuestionClosed", "HandPollClosed", "TimerExtended", "ClassEnded"} <= seen
    assert s.status == "ended"


def test_replaying_a_script_gives_equal_outputs() -> None:
    a = drive(make_engine(*PURITY_NODES), PURITY_SCRIPT)
    b = drive(make_engine(*PURITY_NODES), PURITY_SCRIPT)
    assert a == b


def test_short_answer_key_with_inner_whitespace_can_be_correct() -> None:
    engine = make_engine(slide("s"))
    q = _q("short_answer", answer="New  York")
    key = engine.normalize(q, "new york")
    assert key is not None
    assert engine.is_correct(q, key)


def test_the_answer_space_holds_every_language_variant() -> None:
    from dual_teacher.lesson.engine import answer_space
    from dual_teacher.lesson.schema import QuestionNode

    q = QuestionNode.model_validate(
        {
            "kind": "question",
            "id": "q",
            "qtype": "single_choice",
            "prompt": "?",
            "answer": "B",
            "choices": [{"key": "A", "text": {"en": "cat", "zh-Hans": "猫"}}, {"key": "B", "text": "8"}],
        }
    )
    assert answer_space(q) == (("A", "cat"), ("A", "猫"), ("B", "8"))
    n = QuestionNode.model_validate({"kind": "question", "id": "n", "qtype": "numeric", "prompt": "?", "answer": 13})
    assert answer_space(n) == (("13", "13"),)

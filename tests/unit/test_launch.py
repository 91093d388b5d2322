"""Launching a class (runtime/launch.py) called directly: no argparse, a collecting terminal, fake windows."""

from __future__ import annotations

import base64
import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from dual_teacher.config import AppConfig, store_path
from dual_teacher.core import events as ev
from dual_teacher.core.errors import DualTeacherError
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.runtime import launch
from dual_teacher.runtime.class_links import lead_link, lrs_client
from dual_teacher.runtime.launch import LaunchConfig, Terminal, progress_line, run_class


@dataclasses.dataclass
class Lines:
    out: list[str] = dataclasses.field(default_factory=list)
    err: list[str] = dataclasses.field(default_factory=list)

    @property
    def terminal(self) -> Terminal:
        return Terminal(out=self.out.append, err=self.err.append)


def _cfg(tmp_path: Path, **more: Any) -> AppConfig:
    return AppConfig.model_validate({"data_dir": str(tmp_path / "data"), **more})


@dataclasses.dataclass(frozen=True)
class _Run:
    session_id: str
    next_lesson: bool
    report: object | None


class FakeWindows:
    """Runs each "windowed" class headless on a fake clock; the teacher asks for the next lesson `next_lessons`
    times; the end-of-class report is written through the callback only where `report_at_end` says so."""

    def __init__(self, next_lessons: Sequence[bool] = (), report_at_end: Sequence[bool] = (), gui: bool = True):
        self.next_lessons = list(next_lessons)
        self.report_at_end = list(report_at_end)
        self.gui = gui
        self.calls: list[dict[str, Any]] = []

    def available(self) -> bool:
        return self.gui

    def run(
        self,
        pack: LoadedPack,
        store: EventStore,
        inputs: Sequence[Any],
        lang: str,
        *,
        heartbeat_fd: int | None,
        resume: str | None,
        max_lesson_s: float | None,
        live_url: str | None,
        auto_close_s: float | None,
        report: Callable[[str], tuple[str, str, object] | None],
        meta: dict[str, object],
    ) -> _Run:
        assert self.gui, "a class without the GUI must run headless"
        self.calls.append({"resume": resume, "max_lesson_s": max_lesson_s, "auto_close_s": auto_close_s, "meta": meta})
        headless = LaunchConfig(speed=0, stop_after=max_lesson_s)
        session_id = launch.run_headless(headless, pack, store, inputs, lang, Lines().terminal)
        got = report(session_id) if self.report_at_end.pop(0) else None
        return _Run(session_id, self.next_lessons.pop(0), None if got is None else got[2])

    def screenshot_tour(self) -> launch.ScreenshotTour:
        raise AssertionError("not a screenshot run")


def test_a_headless_class_runs_on_a_fake_clock_prints_its_steps_and_writes_its_report(
    demo_pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")  # a display, but no GUI: the class runs headless
    lines, cfg = Lines(), _cfg(tmp_path)
    args = LaunchConfig(headless=False, speed=0, stop_after=70, seed=3, argv=("demo",))
    assert run_class(cfg, demo_pack_dir, args, lines.terminal, FakeWindows(gui=False), demo=True) == 0
    head = "Running 'demo-grade2-addition' headless at as fast as possible; session "
    assert lines.out[0].startswith(head)
    session_id = lines.out[0][len(head) :]
    assert lines.out[1:4] == [
        "[00:00] video     intro: Welcome",
        "[00:21] video     counting-on: Counting on",
        "[01:06] question  q1: Question 1: 5 + 3",
    ]
    report = store_path(cfg).parent / "reports" / session_id / "report.html"
    assert lines.out[-2:] == [f"report: {report}", f"session id: {session_id}"]
    assert report.is_file()
    assert lines.err == []
    store = EventStore(store_path(cfg))
    row = store.session(session_id)
    store.close()
    assert row is not None and row.mode == "headless" and row.practice == "demo"


def test_a_report_folder_that_cannot_be_written_sends_the_report_to_the_temporary_folder(
    demo_pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    lines = Lines()
    args = LaunchConfig(headless=True, speed=0, stop_after=5, report_dir=str(blocker))
    assert run_class(_cfg(tmp_path), demo_pack_dir, args, lines.terminal) == 0
    session_id = lines.out[-1].removeprefix("session id: ")
    fallback = tmp_path / "tmp" / "dual-teacher-reports" / session_id
    assert len(lines.err) == 1 and lines.err[0].startswith(f"The report could not be written to {blocker}: ")
    assert (
        f"The report went to {fallback} instead; free some space, then run `dual-teacher report {session_id}` to "
        "keep it with the class's data." in lines.out
    )
    assert (fallback / "report.html").is_file()


def test_next_lesson_opens_a_fresh_class_and_a_report_missed_at_the_end_is_written_after_the_windows_close(
    demo_pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("DUAL_TEACHER_SUPERVISE", "0")  # in this process, not a supervised child
    windows = FakeWindows(next_lessons=[True, False], report_at_end=[True, False])
    lines, cfg = Lines(), _cfg(tmp_path)
    args = LaunchConfig(stop_after=20, resume="S:intro:3.00", argv=("demo",))
    assert run_class(cfg, demo_pack_dir, args, lines.terminal, windows, demo=True) == 0
    assert [c["resume"] for c in windows.calls] == ["S:intro:3.00", None]  # the next lesson is a fresh class
    assert all(c["auto_close_s"] == 8.0 and c["max_lesson_s"] == 20 for c in windows.calls)
    assert all(c["meta"] == {"practice": "demo"} for c in windows.calls)
    ids = [line.removeprefix("session id: ") for line in lines.out if line.startswith("session id: ")]
    assert len(ids) == 2 and ids[0] != ids[1]
    reports = store_path(cfg).parent / "reports"
    assert [line for line in lines.out if line.startswith("report: ")] == [
        f"report: {reports / i / 'report.html'}" for i in ids
    ]
    assert all((reports / i / "report.html").is_file() for i in ids)


def test_a_windowed_class_is_handed_to_the_supervisor_before_anything_opens(
    demo_pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("DUAL_TEACHER_SUPERVISE", raising=False)
    seen: list[list[str]] = []

    class FakeSupervisor:
        def __init__(self, argv: Sequence[str]) -> None:
            seen.append(list(argv))

        def run(self) -> int:
            return 7

    monkeypatch.setattr("dual_teacher.runtime.supervisor.Supervisor", FakeSupervisor)
    cfg = _cfg(tmp_path)
    args = LaunchConfig(argv=("demo", "--stop-after", "5"))
    assert run_class(cfg, demo_pack_dir, args, Lines().terminal, FakeWindows()) == 7
    assert seen == [["demo", "--stop-after", "5"]]
    assert not store_path(cfg).exists()


def test_screenshots_without_the_gui_are_a_clear_error(demo_pack_dir: Path, tmp_path: Path) -> None:
    args = LaunchConfig(screenshots=str(tmp_path / "shots"), speed=0)
    with pytest.raises(DualTeacherError, match="screenshots need the GUI extra"):
        run_class(_cfg(tmp_path), demo_pack_dir, args, Lines().terminal, FakeWindows(gui=False))


@pytest.mark.parametrize(("headless", "why"), [(True, "--headless was given"), (False, "no display was found")])
def test_live_without_windows_says_why_and_plays_the_ai_lesson(
    demo_pack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headless: bool, why: str
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    lines = Lines()
    args = LaunchConfig(headless=headless, speed=0, stop_after=1, live="http://x/live.m3u8")
    assert run_class(_cfg(tmp_path), demo_pack_dir, args, lines.terminal, FakeWindows()) == 0
    assert lines.err == [
        f"note: --live plays the remote teacher's stream on the classroom display, and {why}: this run plays the "
        "AI lesson only. Run without --headless on a machine with a display to follow the stream."
    ]


@pytest.mark.parametrize(
    ("url", "token", "ca", "message"),
    [
        ("lead.example", "a.b", None, "--lead 'lead.example' is not a lead server address"),
        ("http://lead.example:8765", None, None, "a lead server is set but no classroom token"),
        ("https://lead.example", "a.b", "/no/such.pem", "--lead-ca /no/such.pem: no such file"),
    ],
)
def test_a_lead_link_that_cannot_work_is_refused_before_the_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, token: str | None, ca: str | None, message: str
) -> None:
    monkeypatch.delenv("DUAL_TEACHER_LEAD_TOKEN", raising=False)
    with pytest.raises(DualTeacherError) as caught:
        lead_link(LaunchConfig(lead=url, lead_token=token, lead_ca=ca), _cfg(tmp_path), Lines().terminal)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("view_only", "remote"), [(False, "on"), (True, "off")])
def test_the_lead_link_takes_its_token_from_the_environment_and_says_where_it_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, view_only: bool, remote: str
) -> None:
    monkeypatch.setenv("DUAL_TEACHER_LEAD_TOKEN", "room.secret")
    lines = Lines()
    cfg = _cfg(tmp_path, lead={"url": "http://lead:8765"})
    link = lead_link(LaunchConfig(lead_view_only=view_only), cfg, lines.terminal)
    assert link is not None and link.remote_control is (not view_only)
    assert lines.out == [f"lead link: publishing the class state to {link.url} (remote control {remote})"]
    assert lead_link(LaunchConfig(), _cfg(tmp_path), lines.terminal) is None  # no lead server: no link


def test_the_lrs_client_takes_the_command_line_over_the_config_and_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lrs_client(_cfg(tmp_path)) is None
    monkeypatch.setenv("DUAL_TEACHER_XAPI_PASSWORD", "from-env")
    cfg = _cfg(tmp_path, xapi={"endpoint": "http://lrs/xapi", "username": "u", "password": "from-config"})
    client = lrs_client(cfg)
    assert client is not None and client.url == "http://lrs/xapi/statements"
    assert client._auth == "Basic " + base64.b64encode(b"u:from-env").decode()
    other = lrs_client(cfg, "https://other/xapi/", "v", "given")
    assert other is not None and other.url == "https://other/xapi/statements"
    assert other._auth == "Basic " + base64.b64encode(b"v:given").decode()


@pytest.mark.parametrize(
    ("event", "t", "line"),
    [
        (ev.NodeEntered("q1", "question", "Question 1"), 66.9, "[01:06] question  q1: Question 1"),
        (
            ev.QuestionClosed("q1", "time_up", 24, 14, 14 / 24),
            86,
            "[01:26]           24 responses, 58% correct (time_up)",
        ),
        (ev.QuestionClosed("q1", "teacher", 0, 0, None), 0, "[00:00]           0 responses, - correct (teacher)"),
        (ev.HandPollClosed("poll", 20, 21), 185, "[03:05]           20 hands raised"),
        (ev.BranchTaken("check", "otherwise", "again"), 3600, "[60:00]           branch check: otherwise -> again"),
        (ev.StageAlert("camera", "no frames"), 1, "[00:01] ALERT camera: no frames"),
        (ev.HandRaised(1, 0.5, 0.5), 5, None),
    ],
)
def test_a_headless_class_prints_one_line_per_lesson_step(event: ev.Event, t: float, line: str | None) -> None:
    assert progress_line(event, t) == line

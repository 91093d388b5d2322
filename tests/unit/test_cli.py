"""The command line package: the parser built from its command groups, the class options handed to the launcher,
and `open_session` (finding a stored session, and the message and exit code when there is none)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from dual_teacher.cli import build_parser, main
from dual_teacher.cli.classes import launch_config
from dual_teacher.cli.common import CommandFailed, open_session
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack
from dual_teacher.runtime.launch import LaunchConfig, Terminal, run_headless
from dual_teacher.runtime.simulated import SimulatedClass


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (), inherited: object = None
) -> list[tuple[tuple[str, ...], object]]:
    """Every command that runs: (its words, the function it runs: its own or its group's)."""
    children, own = _subparsers(parser), parser.get_default("func")
    mine = [(path, own or inherited)] if not children or own else []
    return mine + [leaf for name, child in children.items() for leaf in _leaves(child, (*path, name), own or inherited)]


def test_the_commands_are_listed_in_their_order_and_every_one_has_a_function() -> None:
    parser = build_parser()
    assert list(_subparsers(parser)) == [
        "demo",
        "run",
        "pack",
        "models",
        "doctor",
        "bench",
        "sessions",
        "report",
        "xapi",
        "data",
        "lead",
    ]
    leaves = _leaves(parser)
    assert [" ".join(path) for path, _ in leaves] == [
        "demo",
        "run",
        *("pack validate", "pack schema", "pack import-h5p", "pack preview", "pack build"),
        *("models build", "models verify", "models list"),
        "doctor",
        *("bench", "bench compare", "bench setup-peers"),
        "sessions",
        "report",
        *("xapi export", "xapi send", "xapi status"),
        *("data import", "data purge"),
        *("lead", "lead serve", "lead add-classroom", "lead classrooms", "lead set-password"),
    ]
    assert [path for path, func in leaves if not callable(func)] == []
    lead = _subparsers(_subparsers(parser)["lead"])
    assert all(callable(p.get_default("lead_func")) for p in lead.values())  # what cmd_lead runs


def test_every_class_option_reaches_the_launcher() -> None:
    argv = [
        "run",
        "pack.zip",
        "--headless",
        "--speed=0.5",
        "--lang=zh-Hans",
        "--no-simulate",
        "--camera=/dev/video2",
        "--mic",
        "--teacher-audio=http://t/a",
        "--class-size=30",
        "--seed=11",
        "--report-dir=out",
        "--_heartbeat-fd=5",
        "--_resume=S:n:1.00",
        "--stop-after=60",
        "--live=http://l/s.m3u8",
        "--screenshots=shots",
        "--lead=http://lead:1",
        "--lead-token=a.b",
        "--lead-view-only",
        "--lead-ca=ca.pem",
    ]
    args = build_parser().parse_args(argv)
    args.argv = argv
    got = launch_config(args)
    assert got == LaunchConfig(
        lang="zh-Hans",
        headless=True,
        speed=0.5,
        simulate=False,
        camera="/dev/video2",
        mic="default",
        teacher_audio="http://t/a",
        class_size=30,
        seed=11,
        report_dir="out",
        heartbeat_fd=5,
        resume="S:n:1.00",
        stop_after=60.0,
        live="http://l/s.m3u8",
        screenshots="shots",
        lead="http://lead:1",
        lead_token="a.b",
        lead_view_only=True,
        lead_ca="ca.pem",
        argv=argv,
    )
    # Every field differs from its default here, so an option that is parsed but not handed on fails above.
    defaults = LaunchConfig()
    assert [f.name for f in dataclasses.fields(got) if getattr(got, f.name) == getattr(defaults, f.name)] == []
    assert launch_config(build_parser().parse_args(["demo"])) == LaunchConfig()  # the parser's defaults are its


def _record_demo(pack_dir: Path, db: Path) -> str:
    pack, store = load_pack(pack_dir), EventStore(db)
    quiet = Terminal(out=lambda _: None, err=lambda _: None)
    try:
        inputs = [SimulatedClass(class_size=5, seed=1)]
        meta = {"practice": "demo"}
        return run_headless(LaunchConfig(speed=0, stop_after=3), pack, store, inputs, "en", quiet, meta=meta)
    finally:
        pack.close()
        store.close()


def test_open_session_finds_a_session_by_id_prefix_or_latest_and_says_what_to_do_when_none_matches(
    demo_pack_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "events.sqlite"
    with pytest.raises(CommandFailed) as caught, open_session(db, "latest", nothing="nothing to export."):
        pass
    assert (str(caught.value), caught.value.code) == (f"No event store at {db}; nothing to export.", 1)
    assert not db.exists()

    session_id = _record_demo(demo_pack_dir, db)
    with pytest.raises(CommandFailed) as caught, open_session(db, "latest"):
        pass
    assert str(caught.value) == (
        f"No real class recorded yet; the newest run, {session_id}, is a demo run. Add --include-demo to use it, "
        "or give its id."
    )
    with pytest.raises(CommandFailed) as caught, open_session(db, "nope", include_demo=True):
        pass
    assert str(caught.value) == "No session matches 'nope'; `dual-teacher sessions` lists them."
    for asked, include_demo in (("latest", True), (session_id[:12], False), (session_id, False)):
        with open_session(db, asked, include_demo) as (store, row):
            assert row.id == session_id
            assert store.events(row.id)


def test_a_command_that_finds_nothing_prints_why_on_stderr_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "xapi", "export", "latest"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"No event store at {tmp_path / 'events.sqlite'}; nothing to export.\n")
    assert main(["--data-dir", str(tmp_path), "report", "x", "--format", "pdf"]) == 2  # checked before the store
    assert "--format takes html, json and/or csv" in capsys.readouterr().err

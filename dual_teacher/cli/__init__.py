"""`dual-teacher`: the command line, one module per command group, each with `register(subparsers)`.

Only argument handling lives here: what a command does is in the package below it (a class is launched by
runtime/launch.py). Heavy modules (numpy, onnxruntime, PySide6, faster_whisper, av) are imported inside the
command functions, so `dual-teacher --help` starts fast (tests/unit/test_cli_import.py checks it).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from dual_teacher import __version__
from dual_teacher.cli import bench, classes, data, doctor, lead, models, packs, sessions, xapi
from dual_teacher.cli.common import CommandFailed
from dual_teacher.core.errors import DualTeacherError

# In the order `dual-teacher --help` lists them.
COMMAND_GROUPS = (classes, packs, models, doctor, bench, sessions, xapi, data, lead)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dual-teacher",
        description="Offline runtime for dual-teacher classrooms.",
    )
    parser.add_argument("--version", action="version", version=f"dual-teacher {__version__}")
    parser.add_argument("--data-dir", help="folder for the event store and reports (env DUAL_TEACHER_HOME)")
    parser.add_argument("--config", help="config file (TOML)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the supervisor's child
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except CommandFailed as exc:
        print(exc, file=sys.stderr)
        return exc.code
    except DualTeacherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", [])[:50]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

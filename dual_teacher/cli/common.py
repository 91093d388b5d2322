"""What the command modules share: the config from the global options, the terminal, finding a stored session."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dual_teacher.runtime.launch import Terminal

if TYPE_CHECKING:
    from dual_teacher.config import AppConfig
    from dual_teacher.engagement.store import EventStore, SessionRow

TERMINAL = Terminal(
    out=lambda line: print(line, flush=True),
    err=lambda line: print(line, file=sys.stderr, flush=True),
)


class CommandFailed(Exception):
    """A command ends with exit `code` after its message (on stderr): an expected outcome such as a session
    that is not there, not a bug. `main` prints the message and returns the code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def gui_available() -> bool:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return False
    return True


def app_config(args: argparse.Namespace) -> AppConfig:
    """The config file (--config, else the default places) with --data-dir over it."""
    from dual_teacher.config import AppConfig, load_config

    cfg = load_config(Path(args.config) if getattr(args, "config", None) else None)
    if getattr(args, "data_dir", None):
        cfg = AppConfig.model_validate({**cfg.model_dump(exclude_unset=True), "data_dir": args.data_dir})
    return cfg


@contextlib.contextmanager
def open_session(
    path: Path, session_id: str, include_demo: bool = False, nothing: str = "nothing to report."
) -> Iterator[tuple[EventStore, SessionRow]]:
    """The event store at `path` (closed after the block) and the session asked for: an id, a unique prefix of
    one, or "latest" (the newest real class; demo and screenshot runs only with `include_demo`). With no store
    or no such session: CommandFailed (exit 1) with a message that says what to do."""
    from dual_teacher.engagement.store import EventStore

    if not path.exists():
        raise CommandFailed(f"No event store at {path}; {nothing}")
    store = EventStore(path)
    try:
        row = store.session(session_id, include_practice=include_demo)
        if row is None:
            practice = store.session(session_id) if session_id == "latest" else None
            if practice is not None:
                raise CommandFailed(
                    f"No real class recorded yet; the newest run, {practice.id}, is a {practice.practice} run. "
                    "Add --include-demo to use it, or give its id."
                )
            raise CommandFailed(f"No session matches {session_id!r}; `dual-teacher sessions` lists them.")
        yield store, row
    finally:
        store.close()

"""`dual-teacher data import | purge`: events spilled on a full disk, and deleting stored sessions."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from dual_teacher.cli.common import app_config


def cmd_data_import(args: argparse.Namespace) -> int:
    """Put events spilled on a full disk back into the event store."""
    import sqlite3

    from dual_teacher.config import store_path
    from dual_teacher.engagement.store import import_spilled

    path = store_path(app_config(args))
    code = 0
    for name in args.files:
        spill = Path(name)
        try:
            done = import_spilled(path, spill)
        except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
            print(f"{spill}: not imported ({exc}); nothing was changed for this file", file=sys.stderr)
            code = 1
            continue
        sessions = ", ".join(done.sessions) or "-"
        print(f"{spill}: {done.events} event(s) put back into {path} (session {sessions}); file now {done.moved_to}")
    return code


def cmd_data_purge(args: argparse.Namespace) -> int:
    import datetime as dt
    import time

    from dual_teacher.config import store_path
    from dual_teacher.engagement.retention import purge_sessions, sessions_older_than
    from dual_teacher.engagement.store import EventStore

    cfg = app_config(args)
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}; nothing to purge.")
        return 0
    if args.session:
        with contextlib.closing(EventStore(path)) as store:
            rows = [store.session(s) for s in args.session]
        missing = [s for s, r in zip(args.session, rows, strict=True) if r is None]
        if missing:
            print(f"No session matches {', '.join(map(repr, missing))}; nothing deleted.", file=sys.stderr)
            return 1
        chosen = [(r.id, r.started_wall) for r in rows if r is not None]
    else:
        days = cfg.retention_days if args.older_than is None else args.older_than
        if days <= 0 and args.older_than is None:
            print("Retention is off (retention_days = 0): pass --older-than DAYS or --session ID.")
            return 0
        chosen = sessions_older_than(path, days, time.time())
    if not chosen:
        print("Nothing to delete.")
        return 0
    for sid, started in chosen:
        print(f"  {sid}  started {dt.datetime.fromtimestamp(started).strftime('%Y-%m-%d %H:%M')}")
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"{len(chosen)} session(s) would be deleted; add --yes to delete them.", file=sys.stderr)
            return 1
        if (
            input(f"Delete these {len(chosen)} session(s) and everything recorded in them? [y/N] ").strip().lower()
            != "y"
        ):
            print("Nothing deleted.")
            return 1
    purged = purge_sessions(path, [sid for sid, _ in chosen], path.parent / "reports")
    print(
        f"Deleted {len(purged.sessions)} session(s): {purged.events} event(s), {purged.statements} xAPI statement(s),"
        f" {purged.report_dirs} report folder(s)."
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = sub.add_parser("data", help="stored data").add_subparsers(
        dest="data_command", required=True, metavar="DATA_COMMAND"
    )
    dimport = data.add_parser(
        "import", help="put events spilled on a full disk (*-unsaved-*.jsonl) back into the store"
    )
    dimport.add_argument("files", nargs="+")
    dimport.set_defaults(func=cmd_data_import)
    purge = data.add_parser("purge", help="delete stored sessions (events, outbox, reports)")
    purge.add_argument("--older-than", type=float, metavar="DAYS", help="default: the config's retention_days")
    purge.add_argument("--session", action="append", metavar="ID", help="delete this session (repeatable)")
    purge.add_argument("--yes", action="store_true", help="do not ask")
    purge.set_defaults(func=cmd_data_purge)

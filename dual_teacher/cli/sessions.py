"""`dual-teacher sessions | report`: the stored class sessions and their reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dual_teacher.cli.common import app_config, open_session


def cmd_sessions(args: argparse.Namespace) -> int:
    import datetime as dt

    from dual_teacher.config import store_path
    from dual_teacher.engagement.store import EventStore

    path = store_path(app_config(args))
    if not path.exists():
        print(f"No sessions yet ({path} does not exist). Run `dual-teacher demo` to record one.")
        return 0
    store = EventStore(path)
    rows = store.sessions()
    store.close()
    if not rows:
        print("No sessions yet. Run `dual-teacher demo` to record one.")
        return 0
    print(f"{'session id':<24} {'started':<16} {'length':>7} {'events':>6}  {'ended':<11} {'mode':<9} lesson")
    for r in rows:
        started = dt.datetime.fromtimestamp(r.started_wall).strftime("%Y-%m-%d %H:%M")
        length = "-" if r.ended_wall is None else f"{(r.ended_wall - r.started_wall) / 60:.1f}m"
        print(
            f"{r.id:<24} {started:<16} {length:>7} {r.event_count:>6}  {r.end_reason or 'running?':<11} "
            f"{r.mode:<9} {r.pack_title}" + (f"  ({r.practice} run)" if r.practice else "")
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement.report import summary_text, write_report

    cfg = app_config(args)
    path = store_path(cfg)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or set(formats) - {"html", "json", "csv"}:
        print(f"--format takes html, json and/or csv (comma separated), not {args.format!r}", file=sys.stderr)
        return 2
    with open_session(path, args.session_id, args.include_demo, "nothing to report.") as (store, row):
        out_dir = Path(args.out) if args.out else path.parent / "reports" / row.id
        html_path, report = write_report(
            store, row.id, out_dir, formats, roster_size=args.roster or None, private_data=cfg.export_private_data
        )
    print(summary_text(report))
    print(f"report: {html_path}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sessions = sub.add_parser("sessions", help="list stored class sessions")
    sessions.set_defaults(func=cmd_sessions)

    report = sub.add_parser("report", help="write the HTML report (+ JSON and CSV exports) of a stored session")
    report.add_argument("session_id", help="a session id, a unique prefix of one, or 'latest' (the newest real class)")
    report.add_argument("--include-demo", action="store_true", help="'latest' may be a demo or screenshot run")
    report.add_argument("--out", help="output folder (default: <data dir>/reports/<session>)")
    report.add_argument(
        "--format", default="html,json,csv", help="what to write: html, json, csv, comma separated (default: all)"
    )
    report.add_argument("--roster", type=int, help="students on the roster (default: as stored, or the config's)")
    report.set_defaults(func=cmd_report)

"""`dual-teacher xapi export | send | status`: xAPI statements of stored sessions and the outbox to the LRS."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dual_teacher.cli.common import app_config, open_session


def cmd_xapi_export(args: argparse.Namespace) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement import xapi
    from dual_teacher.runtime.class_links import xapi_options

    cfg = app_config(args)
    path = store_path(cfg)
    with open_session(path, args.session_id, args.include_demo, "nothing to export.") as (store, row):
        items = [s for _, s in xapi.statements(row, store.events(row.id), xapi_options(cfg))]
    fmt = args.format or ("json" if args.out and args.out.endswith(".json") else "jsonl")
    text = xapi.write_statements(items, fmt)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(items)} statement(s) of session {row.id} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_xapi_send(args: argparse.Namespace) -> int:
    import time

    from dual_teacher.config import store_path
    from dual_teacher.engagement.outbox import Outbox
    from dual_teacher.runtime.class_links import lrs_client, xapi_options

    cfg = app_config(args)
    client = lrs_client(cfg, args.endpoint, args.username, args.password)
    if client is None:
        print("No LRS: pass --endpoint URL or set [xapi] endpoint in the config.", file=sys.stderr)
        return 2
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}; nothing to send.")
        return 0
    session_id = None
    if args.session:
        with open_session(path, args.session, include_demo=True) as (_, row):  # any stored run, demo ones too
            session_id = row.id
    outbox = Outbox(path, xapi_options(cfg))
    try:
        added = outbox.enqueue(session_id, include_practice=args.include_demo or cfg.xapi.include_demo)
        result = outbox.drain(client, ignore_schedule=True, deadline=time.monotonic() + args.timeout)
        stats = outbox.stats()
    finally:
        outbox.close()
    print(
        f"xAPI: {added} new statement(s) queued, {result.sent} sent now; outbox: {stats.sent} sent,"
        f" {stats.pending} pending, {stats.rejected} rejected by the LRS"
    )
    if stats.pending:
        print(f"not everything was sent ({result.error or 'time is up'}); run again later", file=sys.stderr)
        return 3
    return 0


def cmd_xapi_status(args: argparse.Namespace) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement.outbox import Outbox
    from dual_teacher.runtime.class_links import xapi_options

    cfg = app_config(args)
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}.")
        return 0
    outbox = Outbox(path, xapi_options(cfg))
    try:
        if args.enqueue:
            outbox.enqueue(include_practice=cfg.xapi.include_demo)
        stats = outbox.stats()
    finally:
        outbox.close()
    print(f"endpoint: {cfg.xapi.endpoint or '(none configured)'}")
    print(f"sent {stats.sent}, pending {stats.pending} ({stats.due} due now), rejected {stats.rejected}")
    if stats.last_error:
        print(f"last error: {stats.last_error}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    xapi = sub.add_parser("xapi", help="xAPI statements: export, send to an LRS, outbox status").add_subparsers(
        dest="xapi_command", required=True, metavar="XAPI_COMMAND"
    )
    xexport = xapi.add_parser("export", help="write a session's xAPI statements (JSON lines or a JSON array)")
    xexport.add_argument("session_id", help="a session id, a unique prefix of one, or 'latest' (the newest real class)")
    xexport.add_argument("--include-demo", action="store_true", help="'latest' may be a demo or screenshot run")
    xexport.add_argument("--out", help="file to write (default: standard output)")
    xexport.add_argument("--format", choices=["jsonl", "json"], help="default: json for a .json file, else jsonl")
    xexport.set_defaults(func=cmd_xapi_export)
    xsend = xapi.add_parser("send", help="queue new statements and send the outbox to the LRS")
    xsend.add_argument("--endpoint", help="xAPI base URL of the LRS (default: [xapi] endpoint)")
    xsend.add_argument("--include-demo", action="store_true", help="also send demo and screenshot runs")
    xsend.add_argument("--username", help="HTTP Basic auth user (default: [xapi] username)")
    xsend.add_argument("--password", help="HTTP Basic auth password (default: env DUAL_TEACHER_XAPI_PASSWORD)")
    xsend.add_argument("--session", help="queue only this session's new statements (the outbox is sent whole)")
    xsend.add_argument("--timeout", type=float, default=120.0, help="stop sending after this many seconds")
    xsend.set_defaults(func=cmd_xapi_send)
    xstatus = xapi.add_parser("status", help="how many statements are sent, pending, rejected")
    xstatus.add_argument("--enqueue", action="store_true", help="queue statements of newly stored events first")
    xstatus.set_defaults(func=cmd_xapi_status)

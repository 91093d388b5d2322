"""`dual-teacher lead serve | add-classroom | classrooms | set-password`: argument handling only."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from dual_teacher.config import AppConfig, data_dir
from dual_teacher.core.errors import ConfigError

DEFAULT_PORT = 8765


def _db(args: argparse.Namespace, cfg: AppConfig) -> Path:
    return Path(args.db) if args.db else data_dir(cfg) / "lead.sqlite"


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before uvicorn starts (its own error comes after the start-up lines)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot serve on {host}:{port}: {exc.strerror}", hint="choose another --port, or stop the other server"
            ) from exc


def cmd_serve(args: argparse.Namespace, cfg: AppConfig) -> int:
    try:
        from dual_teacher.lead.server import PASSWORD_ENV, serve
    except ImportError as exc:
        raise ConfigError(
            f"the lead server needs its extra ({exc.name} is missing)", hint="pip install 'dual-teacher[lead]'"
        ) from exc
    from dual_teacher.lead.store import LeadStore

    db = _db(args, cfg)
    store = LeadStore(db)
    rooms, has_password = store.classrooms(), store.password_hash() is not None
    store.close()
    if not has_password and not os.environ.get(PASSWORD_ENV):
        print(f"note: no dashboard password yet: run `dual-teacher lead set-password` or set {PASSWORD_ENV}")
    if (args.ssl_keyfile is None) != (args.ssl_certfile is None):
        raise ConfigError("TLS needs both --ssl-keyfile and --ssl-certfile")
    _check_port(args.host, args.port)
    scheme = "https" if args.ssl_certfile else "http"
    print(f"lead server: {len(rooms)} classroom(s) in {db}", flush=True)
    print(f"dashboard: {scheme}://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1") and scheme == "http":
        print("warning: serving plain HTTP beyond this machine: use --ssl-keyfile/--ssl-certfile or a TLS proxy")
    serve(db, args.host, args.port, args.ssl_keyfile, args.ssl_certfile, "info" if args.verbose else "warning")
    return 0


def cmd_add_classroom(args: argparse.Namespace, cfg: AppConfig) -> int:
    from dual_teacher.lead.store import LeadStore

    store = LeadStore(_db(args, cfg))
    try:
        room, token = store.add_classroom(args.name)
    finally:
        store.close()
    print(f"classroom {room.name!r} added (id {room.id}). Its token, shown only this once:")
    print(token)
    print(
        "On the classroom PC: dual-teacher run PACK --lead URL --lead-token TOKEN  (or [lead] url/token in the config)"
    )
    return 0


def cmd_classrooms(args: argparse.Namespace, cfg: AppConfig) -> int:
    import datetime as dt

    from dual_teacher.lead.store import LeadStore

    store = LeadStore(_db(args, cfg))
    try:
        rooms, states = store.classrooms(), store.states()
    finally:
        store.close()
    if not rooms:
        print("No classrooms yet: `dual-teacher lead add-classroom NAME`.")
        return 0
    for r in rooms:
        seen = states.get(r.id)
        last = dt.datetime.fromtimestamp(seen[1]).strftime("%Y-%m-%d %H:%M") if seen else "never"
        print(f"{r.id}  {r.name:<30} last state: {last}")
    return 0


def cmd_set_password(args: argparse.Namespace, cfg: AppConfig) -> int:
    from dual_teacher.lead.store import LeadStore

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("dashboard password: ")
        if getpass.getpass("again: ") != password:
            print("the two entries differ; nothing changed", file=sys.stderr)
            return 1
    else:
        print("no terminal: pass the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    store = LeadStore(_db(args, cfg))
    try:
        store.set_password(password)
    finally:
        store.close()
    print("dashboard password set (stored as a scrypt hash)")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lead = sub.add_parser("lead", help="the remote lead teacher's server and dashboard").add_subparsers(
        dest="lead_command", required=True, metavar="LEAD_COMMAND"
    )

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", metavar="FILE", help="the lead server's SQLite store (default <data dir>/lead.sqlite)")

    serve = lead.add_parser("serve", help="run the lead server: classrooms connect to it, the dashboard is at /")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--ssl-keyfile", help="TLS private key (PEM), with --ssl-certfile: serve https/wss")
    serve.add_argument("--ssl-certfile", help="TLS certificate chain (PEM)")
    db_option(serve)
    serve.set_defaults(lead_func=cmd_serve)
    add = lead.add_parser("add-classroom", help="register a classroom and print its token (shown once)")
    add.add_argument("name")
    db_option(add)
    add.set_defaults(lead_func=cmd_add_classroom)
    rooms = lead.add_parser("classrooms", help="list the registered classrooms")
    db_option(rooms)
    rooms.set_defaults(lead_func=cmd_classrooms)
    pw = lead.add_parser("set-password", help="set the dashboard password (asked twice, or --password-stdin)")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    db_option(pw)
    pw.set_defaults(lead_func=cmd_set_password)

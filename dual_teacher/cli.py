"""`dual-teacher`: the command line. Heavy modules are imported inside each command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dual_teacher import __version__
from dual_teacher.core.errors import DualTeacherError

if TYPE_CHECKING:
    from dual_teacher.config import AppConfig
    from dual_teacher.engagement.outbox import LrsClient
    from dual_teacher.engagement.xapi import XapiOptions
    from dual_teacher.inference.registry import ModelRegistry
    from dual_teacher.runtime.lead_link import LeadLink
    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

log = logging.getLogger("dual_teacher")


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _gui_available() -> bool:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return False
    return True


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from dual_teacher.config import AppConfig, load_config

    cfg = load_config(Path(args.config) if getattr(args, "config", None) else None)
    if getattr(args, "data_dir", None):
        cfg = AppConfig.model_validate({**cfg.model_dump(exclude_unset=True), "data_dir": args.data_dir})
    return cfg


# ---- pack ---------------------------------------------------------------------------------------------
def cmd_pack_validate(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.loader import validate_pack

    worst = 0
    for raw in args.paths:
        pack, problems = validate_pack(Path(raw))
        for p in problems:
            print(p)
        if pack is None:
            worst = 1
            print(f"{raw}: INVALID, {len(problems)} problem(s)", file=sys.stderr)
        else:
            m = pack.manifest
            media_s = sum((i.duration_s or 0.0) for i in pack.media.values() if i.kind == "video")
            print(f"{raw}: OK: {m.id}, {len(m.nodes)} nodes, {len(pack.media)} media file(s), {media_s:.0f} s of video")
            pack.close()
    return worst


def cmd_pack_schema(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_pack_build(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.archive import zip_folder
    from dual_teacher.lesson.loader import validate_pack

    pack, problems = validate_pack(Path(args.folder))
    for p in problems:
        print(p)
    if pack is None:
        print(f"{args.folder}: not built, fix the problems above", file=sys.stderr)
        return 1
    pack.close()
    made = zip_folder(Path(args.folder), Path(args.out))
    print(f"wrote {made}")
    return 0


def cmd_pack_import_h5p(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.h5p import H5PImportError, import_h5p

    try:
        result = import_h5p(Path(args.file), Path(args.out), Path(args.video) if args.video else None)
    except H5PImportError as exc:
        shown = {str(w) for w in exc.warnings}
        for w in exc.warnings:
            print(f"warning: {w}")
        print(f"error: {exc}", file=sys.stderr)
        for problem in exc.problems[:50]:
            if problem not in shown:
                print(f"  {problem}", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"warning: {w}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.node_kinds.items()))
    print(f"{args.out}: OK: {result.pack_id} from {result.main_library}: {result.nodes} nodes ({kinds}), ", end="")
    print(f"{len(result.questions)} question(s), {len(result.warnings)} warning(s)")
    return 0


def cmd_pack_preview(args: argparse.Namespace) -> int:
    cfg = _config(args)
    lang = args.lang or cfg.language
    pack = Path(args.pack)
    if not _gui_available():
        raise DualTeacherError("the preview needs the GUI (PySide6)", hint="install dual-teacher with its GUI extra")
    if args.screenshots:
        from dual_teacher.qt.preview import screenshot_nodes

        shots = screenshot_nodes(pack, Path(args.screenshots), lang)
        for shot in shots:
            late = f" (waited {shot.waited_s:.1f} s, timed out)" if shot.timed_out else ""
            print(f"{shot.node_id:<12} {shot.kind:<9} {shot.file or 'nothing of its own to show'}{late}")
        print(f"{sum(1 for s in shots if s.file)} screenshot(s) in {args.screenshots}")
        return 0
    if not _has_display():
        raise DualTeacherError("no display to open the preview on", hint="use --screenshots DIR to render every node")
    from dual_teacher.qt.preview import run_preview

    return run_preview(pack, lang, args.node)


# ---- running a class -------------------------------------------------------------------------------------
def _ensure_demo_media(pack_dir: Path) -> None:
    from dual_teacher.resources import resource_dir

    media = pack_dir / "media"
    if media.is_dir() and any(media.glob("*.mp4")):
        return
    script = resource_dir("lesson_packs") / "render_demo.py"
    if not script.exists():
        raise DualTeacherError("the demo pack's media are missing", hint="reinstall dual-teacher")
    import importlib.util

    print("Rendering the demo lesson's media (first run only) ...", flush=True)
    spec = importlib.util.spec_from_file_location("render_demo", script)
    if spec is None or spec.loader is None:
        raise DualTeacherError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.render_all(media)


def _run_class(args: argparse.Namespace, pack_path: Path, demo: bool = False) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement.report import summary_text
    from dual_teacher.engagement.store import EventStore, space_warning
    from dual_teacher.lesson.loader import load_pack
    from dual_teacher.runtime.simulated import SimulatedClass

    cfg = _config(args)
    lang = args.lang or cfg.language
    headless = args.headless or not _has_display() or not _gui_available()
    supervise = os.environ.get("DUAL_TEACHER_SUPERVISE", "1") != "0"
    if not headless and not args.screenshots and args.heartbeat_fd is None and supervise and args.argv is not None:
        # The windows run in a child process that is restarted at the same place if its GUI thread freezes.
        from dual_teacher.runtime.supervisor import Supervisor

        return Supervisor(args.argv).run()
    link = _lead_link(args, cfg)  # checked before anything opens; started with the class
    pack = load_pack(pack_path)
    _enforce_retention(cfg, store_path(cfg))
    store = EventStore(store_path(cfg))
    low = space_warning(store.path.parent)
    if low is not None:
        print(f"warning: {low}", file=sys.stderr, flush=True)
    devices = None
    if args.camera or args.mic is not None or args.teacher_audio:
        from dual_teacher.runtime.devices import open_device_stages, pack_captions, speech_plan

        plan = speech_plan(cfg, pack.manifest.language, args.lang)
        devices = open_device_stages(args.camera, args.mic, args.teacher_audio, plan, pack_captions(pack, lang))
        for note in devices.notes:
            print(note, flush=True)
        if headless and args.speed != 1:
            print("real devices run in real time: --speed 1", flush=True)
            args.speed = 1.0
    simulate = args.simulate if args.simulate is not None else devices is None
    inputs: list[Any] = [SimulatedClass(class_size=args.class_size, seed=args.seed)] if simulate else []
    inputs += devices.stages if devices is not None else []
    roster = cfg.class_size or (args.class_size if simulate else None)
    # Not a real class: left out of `report latest` and of xAPI unless asked (README "Practice runs").
    practice = "screenshots" if args.screenshots else ("demo" if demo or simulate else "")
    meta: dict[str, Any] = {"practice": practice} if practice else {}
    if args.live and headless and not args.screenshots:
        why = "no display was found" if not args.headless else "--headless was given"
        print(
            f"note: --live plays the remote teacher's stream on the classroom display, and {why}: this run "
            "plays the AI lesson only. Run without --headless on a machine with a display to follow the stream.",
            file=sys.stderr,
        )
    if link is not None:
        inputs.append(link)
    forwarder = _start_forwarder(cfg, store.path)

    def report_dir(session_id: str) -> Path:
        return Path(args.report_dir) if args.report_dir else store.path.parent / "reports" / session_id

    def finish(session_id: str, written: tuple[Path, Any] | None) -> None:
        if written is not None:
            html_path, report = written
            print(summary_text(report))
            print(f"report: {html_path}")
        print(f"session id: {session_id}")

    try:
        if link is not None:
            link.start()
        if args.screenshots or headless:
            if args.screenshots:
                session_id = _run_screenshots(args, pack, store, inputs, lang)
            else:
                session_id = _run_headless(args, pack, store, inputs, lang, roster, meta)
            finish(
                session_id,
                _write_class_report(store, session_id, report_dir(session_id), roster, cfg.export_private_data),
            )
        else:
            from dual_teacher.qt.app import run_classroom_window

            def report_now(session_id: str) -> tuple[str, str, object] | None:
                done = _write_class_report(store, session_id, report_dir(session_id), roster, cfg.export_private_data)
                return None if done is None else (str(done[0]), "", done)

            while True:  # "Start the next lesson" on the console opens a fresh class of the same pack
                run = run_classroom_window(
                    pack,
                    store,
                    inputs,
                    lang,
                    heartbeat_fd=args.heartbeat_fd,
                    resume=args.resume,
                    max_lesson_s=args.stop_after,
                    live_url=args.live,
                    auto_close_s=8.0 if args.stop_after else None,  # scripted runs close; a teacher closes
                    report=report_now,
                    meta=meta,
                )
                if isinstance(run.report, tuple):
                    written: tuple[Path, Any] | None = run.report
                else:  # closed before the end-of-class report was written
                    written = _write_class_report(
                        store, run.session_id, report_dir(run.session_id), roster, cfg.export_private_data
                    )
                finish(run.session_id, written)
                if not run.next_lesson:
                    break
                args.resume = None  # the next lesson is a fresh class
    finally:
        if link is not None:
            link.stop()
            s = link.stats
            print(f"lead link: {s.sent} message(s) sent ({s.bytes_sent} bytes), {s.commands} command(s) received")
        if devices is not None:
            devices.stop()
        if forwarder is not None:
            stats = forwarder.stop()
            if stats is not None:
                wait = f", {stats.pending} waiting in the outbox" if stats.pending else ""
                print(f"xAPI: {stats.sent} statement(s) in the LRS{wait}" + (f" ({stats.last_error})" if wait else ""))
        pack.close()
        store.close()
    return 0


def _write_class_report(store, session_id: str, out_dir: Path, roster: int | None, private: bool):  # type: ignore[no-untyped-def]
    """The post-class report where it can be written: `out_dir`, else the temporary folder; on a disk that
    stayed full, a clear message instead (the class itself is never lost for it). None when not written."""
    import sqlite3
    import tempfile

    from dual_teacher.engagement.report import write_report

    later = f"free some space, then run `dual-teacher report {session_id}`"
    fallback = Path(tempfile.gettempdir()) / "dual-teacher-reports" / session_id
    for target in (out_dir, fallback):
        try:
            written = write_report(store, session_id, target, roster_size=roster, private_data=private)
        except KeyError:
            print(f"The report is not ready: the class's record is not in the store yet (the disk was full); {later}")
            return None
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            print(f"The report could not be written to {target}: {reason}", file=sys.stderr)
            continue
        if target != out_dir:
            print(f"The report went to {target} instead; {later} to keep it with the class's data.")
        return written
    print(f"No report this time; {later}.")
    return None


def _lead_link(args: argparse.Namespace, cfg: AppConfig) -> LeadLink | None:
    """With a lead server (--lead or [lead] url), the link that publishes the class state to it (not started)."""
    url = getattr(args, "lead", None) or cfg.lead.url
    if not url:
        return None
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise DualTeacherError(
            f"--lead {url!r} is not a lead server address", hint="e.g. --lead http://lead.example:8765 (or https://)"
        )
    token = getattr(args, "lead_token", None) or os.environ.get("DUAL_TEACHER_LEAD_TOKEN") or cfg.lead.token
    if not token:
        raise DualTeacherError(
            "a lead server is set but no classroom token",
            hint="pass --lead-token (from `dual-teacher lead add-classroom NAME`) or set [lead] token",
        )
    from dual_teacher.runtime.lead_link import LeadLink

    remote = cfg.lead.remote_control and not getattr(args, "lead_view_only", False)
    ca = getattr(args, "lead_ca", None) or cfg.lead.ca_file
    if ca is not None and not Path(ca).is_file():
        raise DualTeacherError(
            f"--lead-ca {ca}: no such file", hint="the PEM certificate of the lead server's authority"
        )
    link = LeadLink(url, token, remote_control=remote, ca_file=Path(ca) if ca else None)
    print(f"lead link: publishing the class state to {link.url} (remote control {'on' if remote else 'off'})")
    return link


def _run_screenshots(args: argparse.Namespace, pack, store, inputs, lang: str) -> str:  # type: ignore[no-untyped-def]
    if not _gui_available():
        raise DualTeacherError("screenshots need the GUI extra", hint="install dual-teacher[gui]")
    from dual_teacher.qt.screenshots import run_screenshots

    print(f"Taking screenshots of a demo class into {args.screenshots} (offscreen, about 40 s) ...", flush=True)
    session_id, shots = run_screenshots(pack, store, inputs, lang, Path(args.screenshots))
    for shot in shots:
        late = " (its moment did not come in time)" if shot.timed_out else ""
        print(f"  {shot.name}: {shot.what}{late}")
        for f in shot.files:
            print(f"    {f}")
    return session_id


def _enforce_retention(cfg: AppConfig, db: Path) -> None:
    """Start-up rule: sessions older than `retention_days` go, with their events, outbox rows and reports."""
    import time

    from dual_teacher.engagement.retention import enforce_retention

    purged = enforce_retention(db, cfg.retention_days, time.time(), db.parent / "reports")
    if purged.sessions:
        print(f"Retention: deleted {len(purged.sessions)} session(s) older than {cfg.retention_days} days.")


def _xapi_options(cfg: AppConfig) -> XapiOptions:
    from dual_teacher.engagement.xapi import XapiOptions

    return XapiOptions(base_iri=cfg.xapi.base_iri, private_data=cfg.export_private_data)


def _lrs_client(
    cfg: AppConfig, endpoint: str | None = None, username: str | None = None, password: str | None = None
) -> LrsClient | None:
    from dual_teacher.engagement.outbox import LrsClient

    url = endpoint or cfg.xapi.endpoint
    if not url:
        return None
    user = username if username is not None else cfg.xapi.username
    secret = password if password is not None else (os.environ.get("DUAL_TEACHER_XAPI_PASSWORD") or cfg.xapi.password)
    return LrsClient(url, user, secret, timeout_s=10.0)


def _start_forwarder(cfg: AppConfig, db: Path) -> XapiForwarder | None:
    """With an LRS configured, forward statements while the class runs (the outbox keeps them durable)."""
    client = _lrs_client(cfg)
    if client is None:
        return None
    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

    forwarder = XapiForwarder(
        db, client, _xapi_options(cfg), interval_s=cfg.xapi.interval_s, include_practice=cfg.xapi.include_demo
    )
    forwarder.start()
    return forwarder


def _run_headless(  # type: ignore[no-untyped-def]
    args: argparse.Namespace,
    pack,
    store,
    inputs,
    lang: str,
    roster: int | None = None,
    meta: dict[str, Any] | None = None,
) -> str:
    from dual_teacher.core.clock import FakeClock, RealClock, ScaledClock
    from dual_teacher.runtime.health import is_simulated
    from dual_teacher.runtime.session import ClassSession, unsaved_note

    clock = FakeClock(start_wall=RealClock().wall()) if args.speed == 0 else ScaledClock(args.speed)
    session = ClassSession(
        pack,
        store,
        clock,
        inputs=inputs,
        lang=lang,
        mode="headless",
        meta={
            "speed": args.speed,
            "simulated_class": any(is_simulated(s) for s in inputs),
            **({"roster_size": roster} if roster else {}),
            **(meta or {}),
        },
    )
    speed = "as fast as possible" if args.speed == 0 else f"{args.speed:g}x real time"
    print(f"Running '{pack.manifest.id}' headless at {speed}; session {session.session_id}", flush=True)
    t0 = clock.monotonic()
    unsubscribe = session.bus.subscribe(lambda e: _print_progress(e, clock.monotonic() - t0))
    try:
        session.run(max_lesson_s=args.stop_after or 4 * 3600)
    except KeyboardInterrupt:
        print("\nInterrupted: the class is stopped, events recorded so far are kept.", file=sys.stderr)
    finally:
        unsubscribe()
        if not session.close():
            print(unsaved_note(session), file=sys.stderr)
    return session.session_id


def _print_progress(event, t: float) -> None:  # type: ignore[no-untyped-def]
    """One line per lesson step; `t` is lesson seconds since this run started."""
    from dual_teacher.core import events as ev

    stamp = f"[{int(t) // 60:02d}:{int(t) % 60:02d}]"
    if isinstance(event, ev.NodeEntered):
        print(f"{stamp} {event.node_kind:<9} {event.node_id}: {event.title}", flush=True)
    elif isinstance(event, ev.QuestionClosed):
        rate = "-" if event.correct_rate is None else f"{event.correct_rate:.0%}"
        print(f"{stamp}           {event.responses} responses, {rate} correct ({event.reason})", flush=True)
    elif isinstance(event, ev.HandPollClosed):
        print(f"{stamp}           {event.count} hands raised", flush=True)
    elif isinstance(event, ev.BranchTaken):
        print(f"{stamp}           branch {event.node_id}: {event.rule} -> {event.target}", flush=True)
    elif isinstance(event, ev.StageAlert):
        print(f"{stamp} ALERT {event.stage}: {event.message}", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from dual_teacher.resources import demo_pack_dir

    pack_dir = demo_pack_dir()
    _ensure_demo_media(pack_dir)
    return _run_class(args, pack_dir, demo=True)


def cmd_run(args: argparse.Namespace) -> int:
    return _run_class(args, Path(args.pack))


# ---- stored sessions ----------------------------------------------------------------------------------------
def cmd_sessions(args: argparse.Namespace) -> int:
    import datetime as dt

    from dual_teacher.config import store_path
    from dual_teacher.engagement.store import EventStore

    path = store_path(_config(args))
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
    from dual_teacher.engagement.store import EventStore

    cfg = _config(args)
    path = store_path(cfg)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or set(formats) - {"html", "json", "csv"}:
        print(f"--format takes html, json and/or csv (comma separated), not {args.format!r}", file=sys.stderr)
        return 2
    if not path.exists():
        print(f"No event store at {path}; nothing to report.", file=sys.stderr)
        return 1
    store = EventStore(path)
    try:
        row = _find_session(store, args.session_id, args.include_demo)
        if row is None:
            return 1
        out_dir = Path(args.out) if args.out else path.parent / "reports" / row.id
        html_path, report = write_report(
            store, row.id, out_dir, formats, roster_size=args.roster or None, private_data=cfg.export_private_data
        )
    finally:
        store.close()
    print(summary_text(report))
    print(f"report: {html_path}")
    return 0


def _find_session(store, session_id: str, include_demo: bool):  # type: ignore[no-untyped-def]
    """The session asked for; "latest" is the newest real class (demo and screenshot runs only when asked).
    None, with a message that says what to do, when there is none."""
    row = store.session(session_id, include_practice=include_demo)
    if row is not None:
        return row
    practice = store.session(session_id) if session_id == "latest" else None
    if practice is not None:
        print(
            f"No real class recorded yet; the newest run, {practice.id}, is a {practice.practice} run. "
            "Add --include-demo to use it, or give its id.",
            file=sys.stderr,
        )
    else:
        print(f"No session matches {session_id!r}; `dual-teacher sessions` lists them.", file=sys.stderr)
    return None


# ---- xAPI and stored data -------------------------------------------------------------------------------------
def cmd_xapi_export(args: argparse.Namespace) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement import xapi
    from dual_teacher.engagement.store import EventStore

    cfg = _config(args)
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}; nothing to export.", file=sys.stderr)
        return 1
    store = EventStore(path)
    try:
        row = _find_session(store, args.session_id, args.include_demo)
        if row is None:
            return 1
        items = [s for _, s in xapi.statements(row, store.events(row.id), _xapi_options(cfg))]
    finally:
        store.close()
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

    cfg = _config(args)
    client = _lrs_client(cfg, args.endpoint, args.username, args.password)
    if client is None:
        print("No LRS: pass --endpoint URL or set [xapi] endpoint in the config.", file=sys.stderr)
        return 2
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}; nothing to send.")
        return 0
    session_id = None
    if args.session:
        from dual_teacher.engagement.store import EventStore

        store = EventStore(path)
        row = store.session(args.session)
        store.close()
        if row is None:
            print(f"No session matches {args.session!r}; `dual-teacher sessions` lists them.", file=sys.stderr)
            return 1
        session_id = row.id
    outbox = Outbox(path, _xapi_options(cfg))
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

    cfg = _config(args)
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}.")
        return 0
    outbox = Outbox(path, _xapi_options(cfg))
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


def cmd_data_import(args: argparse.Namespace) -> int:
    """Put events spilled on a full disk back into the event store."""
    import sqlite3

    from dual_teacher.config import store_path
    from dual_teacher.engagement.store import import_spilled

    path = store_path(_config(args))
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

    cfg = _config(args)
    path = store_path(cfg)
    if not path.exists():
        print(f"No event store at {path}; nothing to purge.")
        return 0
    if args.session:
        store = EventStore(path)
        try:
            rows = [store.session(s) for s in args.session]
        finally:
            store.close()
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


# ---- models ---------------------------------------------------------------------------------------------------
def _registry() -> ModelRegistry:
    from dual_teacher.inference.registry import ModelRegistry

    return ModelRegistry()


def cmd_models_build(args: argparse.Namespace) -> int:
    import time

    from dual_teacher.models.build import run_build

    t0 = time.monotonic()
    registry = _registry()
    code = run_build(registry, lambda line: print(line, flush=True), only=args.only or (), force=args.force)
    if code != 0:
        print(f"models build FAILED (exit {code}); nothing that failed its parity check is used", file=sys.stderr)
        return 1
    print(f"models build done in {time.monotonic() - t0:.1f} s; report: {registry.report_path}")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    from dual_teacher.models.verify import verify_models

    findings = verify_models(_registry())
    bad = [f for f in findings if not f.ok]
    for f in findings:
        print(f"{'ok  ' if f.ok else 'FAIL'} {f.model:<34} {f.variant:<6} {f.message}")
    if bad:
        print(
            f"{len(bad)} problem(s): run `dual-teacher models build` to rebuild (add --force to redo all)",
            file=sys.stderr,
        )
        return 1
    print("all models verified")
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    registry = _registry()
    print(f"model cache: {registry.cache}")
    print("parity: worst output's max |ONNX - TFLite| as a multiple of its allowed difference (<= 1 passes)")
    print(f"{'model':<34} {'variant':<7} {'state':<8} {'size':>8} {'parity':>9}  source")
    for spec in registry.manifest.models:
        for v in registry.variants(spec.name, check_hashes=False):
            size = "-" if v.size_bytes is None else f"{v.size_bytes / 1e6:.1f}MB"
            diff = "-" if v.parity_ratio is None else f"{v.parity_ratio:.2f}x"
            flag = " (over tolerance)" if v.over_tolerance else ""
            src = f"{spec.source.package}=={spec.source.version}" if v.variant == "fp32" else ""
            print(f"{spec.name:<34} {v.variant:<7} {v.state:<8} {size:>8} {diff:>9}  {src}{flag}")
    from dual_teacher.core.errors import ModelLoadError

    for name in registry.whisper_names():
        w = next(x for x in registry.manifest.whisper if x.name == name)
        try:
            path = registry.whisper_dir(name, assemble=False)
            nbytes = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
            state, where = "ok", f"{nbytes / 1e6:.0f}MB"
        except ModelLoadError as exc:
            state, where = ("not built" if "not assembled" in str(exc) else "missing"), "-"
        print(f"{'whisper ' + name:<34} {'ct2':<7} {state:<8} {where:>8} {'':>9}  {', '.join(w.packages)}")
    return 0


# ---- doctor -------------------------------------------------------------------------------------------------------
def cmd_doctor(args: argparse.Namespace) -> int:
    from dual_teacher.bench.doctor import Check, run_checks

    checks, extra = run_checks(_config(args))
    if _gui_available():
        from dual_teacher.qt.doctor import qt_facts

        try:
            facts = qt_facts()
            checks.append(Check("qt", "PySide6", "ok", f"{facts['pyside6']} on {facts['platform']}"))
            checks.append(
                Check(
                    "qt",
                    "multimedia",
                    "ok" if facts["video_decoders"] != "none" else "fail",
                    f"backend {facts['multimedia_backend']}; decodes {facts['video_decoders']}; "
                    f"{facts['audio_outputs']} audio output(s)",
                )
            )
            checks.append(
                Check("qt", "screens", "ok" if "offscreen" not in facts["screens"] else "missing", facts["screens"])
            )
        except (ImportError, RuntimeError) as exc:
            checks.append(Check("qt", "PySide6", "fail", str(exc), "reinstall: pip install 'dual-teacher[gui]'"))
    else:
        checks.append(Check("qt", "PySide6", "missing", "not installed", "pip install 'dual-teacher[gui]'"))
    if args.json:
        payload = {"checks": [c.__dict__ for c in checks], **extra}
        print(json.dumps(payload, indent=2, default=str))
    else:
        marks = {"ok": "ok  ", "warn": "warn", "missing": "--  ", "fail": "FAIL"}
        for c in checks:
            line = f"{marks[c.status]} {c.section:<13} {c.item:<34} {c.value}"
            print(line if not c.advice else f"{line}\n{'':<54}-> {c.advice}")
    failed = [c for c in checks if c.status == "fail"]
    return 1 if failed else 0


# ---- bench ----------------------------------------------------------------------------------------------------------
def cmd_bench_setup_peers(args: argparse.Namespace) -> int:
    """Set-up step: the peers' own environments, from pinned lists (benchmark runs never install anything)."""
    from dual_teacher.bench.peers import setup_peers

    python, how = setup_peers(force=args.force)
    if python is None:
        print(f"MediaPipe peer: not set up: {how}", file=sys.stderr)
        return 1
    print(f"MediaPipe peer: {how} ({python})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import time

    from dual_teacher.bench.budget import Mode
    from dual_teacher.bench.console import exit_code, summary_text
    from dual_teacher.bench.monitor import Progress
    from dual_teacher.bench.run import BenchOptions, run_bench

    if getattr(args, "bench_command", None) == "compare":
        return cmd_bench_compare(args)
    if getattr(args, "bench_command", None) == "setup-peers":
        return cmd_bench_setup_peers(args)
    mode: Mode = "quick" if args.quick else "full" if args.full else "default"
    out = Path(args.out) if args.out else Path("results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    options = BenchOptions(
        out=out,
        mode=mode,
        profile=args.profile,
        budget_s=args.budget_s,
        cameras=args.cameras,
        peers=args.peers == "auto",
        data=Path(args.data) if args.data else None,
    )
    progress = Progress(enabled=not args.no_progress)
    result, json_path, html_path = run_bench(options, progress)
    progress.close()
    print(summary_text(result, json_path, html_path), end="")
    return exit_code(result)


def cmd_bench_compare(args: argparse.Namespace) -> int:
    from dual_teacher.bench.compare import format_compare

    data = []
    for name in (args.a, args.b):
        try:
            data.append(json.loads(Path(name).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"cannot read {name}: {exc}", file=sys.stderr)
            return 2
    print(format_compare(data[0], data[1], args.a, args.b), end="")
    return 0


# ---- lead ------------------------------------------------------------------------------------------------------
def cmd_lead(args: argparse.Namespace) -> int:
    return int(args.lead_func(args, _config(args)))


# ---- parser ---------------------------------------------------------------------------------------------------
def _class_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true", help="no window, even when a display is there")
    p.add_argument(
        "--speed",
        type=float,
        default=10.0,
        help="headless: simulated seconds per real second (0 = as fast as possible; default 10)",
    )
    p.add_argument("--lang", choices=["en", "zh-Hans"], help="display language (default from the config)")
    p.add_argument(
        "--no-simulate",
        dest="simulate",
        action="store_false",
        default=None,
        help="do not simulate the class's answers and hands (default: simulate unless a camera or microphone is given)",
    )
    p.add_argument("--simulate", dest="simulate", action="store_true", help="simulate the class even with devices")
    p.add_argument(
        "--camera",
        metavar="SRC",
        help="classroom camera: /dev/video0, an index, rtsp://..., a video file or a folder of images",
    )
    p.add_argument(
        "--mic", metavar="DEVICE", nargs="?", const="default", help="room microphone (default device if no name)"
    )
    p.add_argument("--teacher-audio", metavar="URL", help="the lead teacher's stream or file, for live captions")
    p.add_argument("--class-size", type=int, default=24, help="students in the simulated class (default 24)")
    p.add_argument("--seed", type=int, default=7, help="seed of the simulated class (default 7)")
    p.add_argument("--report-dir", help="where to write the report (default: <data dir>/reports/<session>)")
    # Between the supervisor and its child (runtime/supervisor.py); not for people.
    p.add_argument("--_heartbeat-fd", dest="heartbeat_fd", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_resume", dest="resume", default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--stop-after",
        type=float,
        metavar="SECONDS",
        help="end the class after this much lesson time (smoke tests, time-boxed sessions)",
    )
    p.add_argument("--live", metavar="URL", help="the remote teacher's live stream (HLS, RTSP, ...); AI lesson if lost")
    p.add_argument("--screenshots", metavar="DIR", help="run a guided class offscreen and save PNGs of both windows")
    p.add_argument("--lead", metavar="URL", help="publish the class state to this lead server (`lead serve`)")
    p.add_argument("--lead-token", metavar="T", help="this classroom's token (env DUAL_TEACHER_LEAD_TOKEN)")
    p.add_argument(
        "--lead-view-only", action="store_true", help="the lead teacher sees the room, but commands only show here"
    )
    p.add_argument("--lead-ca", metavar="PEM", help="trust this certificate authority for an https:// lead server")


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

    demo = sub.add_parser("demo", help="run a class from the bundled demo lesson")
    _class_options(demo)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run a class from a lesson pack (folder or .zip)")
    run.add_argument("pack")
    _class_options(run)
    run.set_defaults(func=cmd_run)

    pack = sub.add_parser("pack", help="lesson pack tools").add_subparsers(
        dest="pack_command", required=True, metavar="PACK_COMMAND"
    )
    validate = pack.add_parser("validate", help="check packs; prints FILE:LINE: key: message per problem")
    validate.add_argument("paths", nargs="+")
    validate.set_defaults(func=cmd_pack_validate)
    schema = pack.add_parser("schema", help="print or write the JSON Schema of lesson.toml")
    schema.add_argument("--out")
    schema.set_defaults(func=cmd_pack_schema)
    h5p = pack.add_parser("import-h5p", help="turn an H5P package (.h5p) into a lesson pack folder")
    h5p.add_argument("file", help="the .h5p file")
    h5p.add_argument("--out", required=True, help="the pack folder to write (new or empty)")
    h5p.add_argument("--video", help="a local copy of an Interactive Video's video when the package links to it")
    h5p.set_defaults(func=cmd_pack_import_h5p)

    preview = pack.add_parser("preview", help="the classroom display of a pack with a control strip; reloads on save")
    preview.add_argument("pack", help="the pack folder")
    preview.add_argument("--node", help="start at this node")
    preview.add_argument("--lang", choices=["en", "zh-Hans"], help="display language (default from the config)")
    preview.add_argument("--screenshots", metavar="DIR", help="render every node offscreen into DIR and exit")
    preview.set_defaults(func=cmd_pack_preview)

    build = pack.add_parser("build", help="validate a pack folder and zip it")
    build.add_argument("folder")
    build.add_argument("--out", required=True)
    build.set_defaults(func=cmd_pack_build)

    models = sub.add_parser("models", help="build, verify and list the on-device models").add_subparsers(
        dest="models_command", required=True, metavar="MODELS_COMMAND"
    )
    mbuild = models.add_parser("build", help="convert and verify the models (cached; a second run does nothing)")
    mbuild.add_argument("--only", action="append", metavar="NAME", help="build only this model (repeatable)")
    mbuild.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    mbuild.set_defaults(func=cmd_models_build)
    mverify = models.add_parser("verify", help="re-check hashes and parity; exit 1 on a corrupt or stale file")
    mverify.set_defaults(func=cmd_models_verify)
    mlist = models.add_parser("list", help="every model, its source, size, state and variants")
    mlist.set_defaults(func=cmd_models_list)

    doctor = sub.add_parser("doctor", help="check this machine: CPU, accelerators (proven), devices, models, Qt")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=cmd_doctor)

    bench = sub.add_parser(
        "bench",
        help="benchmark this machine (MLPerf-style scenarios, accuracy gate, peers); `bench compare A B`",
        description="Runs SingleStream, MultiStream, Offline and Classroom scenarios on real classroom frames and "
        "speech, checks accuracy against the CPU fp32 reference, runs the MediaPipe and faster-whisper peers, "
        "and writes FILE.json plus an HTML report beside it. Ctrl-C writes partial results.",
    )
    bench.add_argument("--profile", help="hardware profile to use (default: the best that works here)")
    length = bench.add_mutually_exclusive_group()
    length.add_argument("--quick", action="store_true", help="about a minute on a 2-core CPU")
    length.add_argument("--full", action="store_true", help="MLPerf-like minimums: >= 600 s per scenario")
    bench.add_argument("--budget-s", type=float, help="seconds per scenario (overrides the mode's; smoke tests)")
    bench.add_argument("--cameras", type=int, default=2, help="simulated cameras in MultiStream / Offline (default 2)")
    bench.add_argument(
        "--peers", choices=["auto", "skip"], default="auto", help="run the MediaPipe/faster-whisper peers"
    )
    bench.add_argument("--data", help="evaluation data folder (default ../shared/data or $DUAL_TEACHER_SHARED_DATA)")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    bench.add_argument("--out", help="results JSON (default results/bench-<time>.json); the .html goes beside it")
    bench.set_defaults(func=cmd_bench)
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND")
    bcompare = bench_sub.add_parser("compare", help="ratios of every metric of two results (B / A)")
    bcompare.add_argument("a", help="results JSON A (the baseline)")
    bcompare.add_argument("b", help="results JSON B")
    bcompare.set_defaults(func=cmd_bench)
    bsetup = bench_sub.add_parser(
        "setup-peers", help="make the MediaPipe peer's venv from its pinned list (a set-up step; runs never install)"
    )
    bsetup.add_argument("--force", action="store_true", help="make it again even if it exists")
    bsetup.set_defaults(func=cmd_bench)

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

    from dual_teacher.lead.commands import add_parser as add_lead_parser

    add_lead_parser(sub)
    sub.choices["lead"].set_defaults(func=cmd_lead)
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
    except DualTeacherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", [])[:50]:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

"""Launching a class: what `dual-teacher demo | run` does once its arguments are parsed (no argparse here).

`run_class(cfg, pack_path, LaunchConfig(...), terminal, windows)` checks the lead link, loads the pack, applies
the retention rule, opens the event store, the real devices and the xAPI forwarder (runtime/class_links.py),
runs the class (headless on a scaled or fake clock, offscreen for screenshots, or in windows: a supervised child
process unless told not to), writes the post-class report and closes everything in reverse order. The windows
come from the caller (`ClassWindows`, implemented over `dual_teacher.qt` by the CLI): this layer does not import
Qt. Every line for the operator goes through `Terminal` (the CLI prints it; a test collects it).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from dual_teacher.core.errors import DualTeacherError
from dual_teacher.runtime.class_links import lead_link, start_forwarder

if TYPE_CHECKING:
    from dual_teacher.config import AppConfig
    from dual_teacher.core import events as ev
    from dual_teacher.engagement.store import EventStore
    from dual_teacher.lesson.loader import LoadedPack
    from dual_teacher.runtime.devices import DeviceStages
    from dual_teacher.runtime.lead_link import LeadLink
    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

WrittenReport = tuple[Path, Any]  # (the report's HTML file, the report) as engagement.report.write_report returns


@dataclasses.dataclass(frozen=True)
class Terminal:
    """Where the lines for the operator go: `out` (progress, results) and `err` (warnings, problems)."""

    out: Callable[[str], None]
    err: Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class LaunchConfig:
    """One class as asked for (`dual-teacher demo | run` options; paths as given on the command line)."""

    lang: str | None = None  # display language; None: the config's
    headless: bool = False
    speed: float = 10.0  # headless: simulated seconds per real second (0 = as fast as possible)
    simulate: bool | None = None  # None: simulate the class unless a camera or microphone is given
    camera: str | None = None
    mic: str | None = None
    teacher_audio: str | None = None
    class_size: int = 24
    seed: int = 7
    report_dir: str | None = None  # None: <data dir>/reports/<session>
    heartbeat_fd: int | None = None  # between the supervisor and its child (runtime/supervisor.py)
    resume: str | None = None  # SESSION:NODE:OFFSET, from the supervisor
    stop_after: float | None = None  # lesson seconds
    live: str | None = None
    screenshots: str | None = None  # a folder: run the guided class offscreen and save PNGs
    lead: str | None = None
    lead_token: str | None = None
    lead_view_only: bool = False
    lead_ca: str | None = None
    argv: Sequence[str] | None = None  # the command line, for the supervisor's child; None: never supervise


class WindowedRun(Protocol):
    """How a windowed class went (qt.app.WindowedClass)."""

    @property
    def session_id(self) -> str: ...
    @property
    def next_lesson(self) -> bool: ...
    @property
    def report(self) -> object | None: ...


class Screenshot(Protocol):
    """One picture of the guided tour (qt.screenshots.Shot)."""

    @property
    def name(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def files(self) -> Sequence[str]: ...
    @property
    def timed_out(self) -> bool: ...


# (pack, store, inputs, lang, out_dir) -> (session id, the pictures): the guided class offscreen
ScreenshotTour = Callable[["LoadedPack", "EventStore", Sequence[Any], str, Path], tuple[str, Sequence[Screenshot]]]


class ClassWindows(Protocol):
    """The classroom display and teacher console, handed in from above (dual_teacher.qt)."""

    def available(self) -> bool: ...

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
    ) -> WindowedRun: ...

    def screenshot_tour(self) -> ScreenshotTour:
        """The guided tour (qt.screenshots.run_screenshots), loaded before the run says it starts."""
        ...


def display_name() -> str | None:
    """The X or Wayland display this process may open ($DISPLAY, else $WAYLAND_DISPLAY), None without one."""
    return os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or None


def has_display() -> bool:
    """A window can be shown: on Linux only with a display; elsewhere the desktop always has one."""
    return display_name() is not None if sys.platform.startswith("linux") else True


def ensure_demo_media(pack_dir: Path, term: Terminal) -> None:
    from dual_teacher.resources import resource_dir

    media = pack_dir / "media"
    if media.is_dir() and any(media.glob("*.mp4")):
        return
    script = resource_dir("lesson_packs") / "render_demo.py"
    if not script.exists():
        raise DualTeacherError("the demo pack's media are missing", hint="reinstall dual-teacher")
    import importlib.util

    term.out("Rendering the demo lesson's media (first run only) ...")
    spec = importlib.util.spec_from_file_location("render_demo", script)
    if spec is None or spec.loader is None:
        raise DualTeacherError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.render_all(media)


def run_class(
    cfg: AppConfig,
    pack_path: Path,
    args: LaunchConfig,
    term: Terminal,
    windows: ClassWindows | None = None,
    demo: bool = False,
) -> int:
    from dual_teacher.config import store_path
    from dual_teacher.engagement.store import EventStore, space_warning
    from dual_teacher.lesson.loader import load_pack
    from dual_teacher.runtime.simulated import SimulatedClass

    lang = args.lang or cfg.language
    headless = args.headless or not has_display() or windows is None or not windows.available()
    supervise = os.environ.get("DUAL_TEACHER_SUPERVISE", "1") != "0"
    if not headless and not args.screenshots and args.heartbeat_fd is None and supervise and args.argv is not None:
        # The windows run in a child process that is restarted at the same place if its GUI thread freezes.
        from dual_teacher.runtime.supervisor import Supervisor

        return Supervisor(args.argv).run()
    link = lead_link(args, cfg, term)  # checked before anything opens; started with the class
    pack = load_pack(pack_path)
    enforce_retention(cfg, store_path(cfg), term)
    store = EventStore(store_path(cfg))
    low = space_warning(store.path.parent)
    if low is not None:
        term.err(f"warning: {low}")
    devices, args = open_devices(cfg, pack, args, lang, headless, term)
    simulate = args.simulate if args.simulate is not None else devices is None
    inputs: list[Any] = [SimulatedClass(class_size=args.class_size, seed=args.seed)] if simulate else []
    inputs += devices.stages if devices is not None else []
    roster = cfg.class_size or (args.class_size if simulate else None)
    # Not a real class: left out of `report latest` and of xAPI unless asked (README "Practice runs").
    practice = "screenshots" if args.screenshots else ("demo" if demo or simulate else "")
    meta: dict[str, Any] = {"practice": practice} if practice else {}
    if args.live and headless and not args.screenshots:
        why = "no display was found" if not args.headless else "--headless was given"
        term.err(
            f"note: --live plays the remote teacher's stream on the classroom display, and {why}: this run "
            "plays the AI lesson only. Run without --headless on a machine with a display to follow the stream."
        )
    if link is not None:
        inputs.append(link)
    forwarder = start_forwarder(cfg, store.path)
    reports = ClassReports(store, args.report_dir, roster, cfg.export_private_data, term)
    try:
        if link is not None:
            link.start()
        if args.screenshots or headless or windows is None:  # (None: headless; said again for the type checker)
            if args.screenshots:
                session_id = run_screenshots(args.screenshots, pack, store, inputs, lang, term, windows)
            else:
                session_id = run_headless(args, pack, store, inputs, lang, term, roster, meta)
            reports.finish(session_id, reports.write(session_id))
        else:
            run_windowed(windows, args, pack, store, inputs, lang, meta, reports)
    finally:
        close_class(link, devices, forwarder, pack, store, term)
    return 0


def open_devices(
    cfg: AppConfig, pack: LoadedPack, args: LaunchConfig, lang: str, headless: bool, term: Terminal
) -> tuple[DeviceStages | None, LaunchConfig]:
    """The camera, microphone and teacher audio asked for, as input stages (None: none asked for); a headless
    class with real devices runs in real time (the returned LaunchConfig says speed 1)."""
    if not (args.camera or args.mic is not None or args.teacher_audio):
        return None, args
    from dual_teacher.runtime.devices import open_device_stages, pack_captions, speech_plan

    plan = speech_plan(cfg, pack.manifest.language, args.lang)
    devices = open_device_stages(args.camera, args.mic, args.teacher_audio, plan, pack_captions(pack, lang))
    for note in devices.notes:
        term.out(note)
    if headless and args.speed != 1:
        term.out("real devices run in real time: --speed 1")
        args = dataclasses.replace(args, speed=1.0)
    return devices, args


@dataclasses.dataclass(frozen=True)
class ClassReports:
    """Where the reports of a launch's classes go, and the lines that end each class."""

    store: EventStore
    report_dir: str | None  # None: <data dir>/reports/<session>
    roster: int | None
    private: bool
    term: Terminal

    def write(self, session_id: str) -> WrittenReport | None:
        out_dir = Path(self.report_dir) if self.report_dir else self.store.path.parent / "reports" / session_id
        return write_class_report(self.store, session_id, out_dir, self.roster, self.private, self.term)

    def finish(self, session_id: str, written: WrittenReport | None) -> None:
        from dual_teacher.engagement.report import summary_text

        if written is not None:
            html_path, report = written
            self.term.out(summary_text(report))
            self.term.out(f"report: {html_path}")
        self.term.out(f"session id: {session_id}")


def run_windowed(
    windows: ClassWindows,
    args: LaunchConfig,
    pack: LoadedPack,
    store: EventStore,
    inputs: Sequence[Any],
    lang: str,
    meta: dict[str, Any],
    reports: ClassReports,
) -> None:
    """The class in both windows, in real time; "Start the next lesson" on the console opens a fresh class of
    the same pack."""

    def report_now(session_id: str) -> tuple[str, str, object] | None:
        done = reports.write(session_id)
        return None if done is None else (str(done[0]), "", done)

    while True:
        run = windows.run(
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
            written: WrittenReport | None = run.report
        else:  # closed before the end-of-class report was written
            written = reports.write(run.session_id)
        reports.finish(run.session_id, written)
        if not run.next_lesson:
            break
        args = dataclasses.replace(args, resume=None)  # the next lesson is a fresh class


def close_class(
    link: LeadLink | None,
    devices: DeviceStages | None,
    forwarder: XapiForwarder | None,
    pack: LoadedPack,
    store: EventStore,
    term: Terminal,
) -> None:
    """Stop what a launch opened, in reverse order, with the link's and the LRS's figures."""
    if link is not None:
        link.stop()
        s = link.stats
        term.out(f"lead link: {s.sent} message(s) sent ({s.bytes_sent} bytes), {s.commands} command(s) received")
    if devices is not None:
        devices.stop()
    if forwarder is not None:
        stats = forwarder.stop()
        if stats is not None:
            wait = f", {stats.pending} waiting in the outbox" if stats.pending else ""
            term.out(f"xAPI: {stats.sent} statement(s) in the LRS{wait}" + (f" ({stats.last_error})" if wait else ""))
    pack.close()
    store.close()


def write_class_report(
    store: EventStore, session_id: str, out_dir: Path, roster: int | None, private: bool, term: Terminal
) -> WrittenReport | None:
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
            term.out(
                f"The report is not ready: the class's record is not in the store yet (the disk was full); {later}"
            )
            return None
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            term.err(f"The report could not be written to {target}: {reason}")
            continue
        if target != out_dir:
            term.out(f"The report went to {target} instead; {later} to keep it with the class's data.")
        return written
    term.out(f"No report this time; {later}.")
    return None


def run_screenshots(
    out_dir: str,
    pack: LoadedPack,
    store: EventStore,
    inputs: Sequence[Any],
    lang: str,
    term: Terminal,
    windows: ClassWindows | None,
) -> str:
    if windows is None or not windows.available():
        raise DualTeacherError("screenshots need the GUI extra", hint="install dual-teacher[gui]")
    tour = windows.screenshot_tour()
    term.out(f"Taking screenshots of a demo class into {out_dir} (offscreen, about 40 s) ...")
    session_id, shots = tour(pack, store, inputs, lang, Path(out_dir))
    for shot in shots:
        late = " (its moment did not come in time)" if shot.timed_out else ""
        term.out(f"  {shot.name}: {shot.what}{late}")
        for f in shot.files:
            term.out(f"    {f}")
    return session_id


def enforce_retention(cfg: AppConfig, db: Path, term: Terminal) -> None:
    """Start-up rule: sessions older than `retention_days` go, with their events, outbox rows and reports."""
    import time

    from dual_teacher.engagement.retention import enforce_retention

    purged = enforce_retention(db, cfg.retention_days, time.time(), db.parent / "reports")
    if purged.sessions:
        term.out(f"Retention: deleted {len(purged.sessions)} session(s) older than {cfg.retention_days} days.")


def run_headless(
    args: LaunchConfig,
    pack: LoadedPack,
    store: EventStore,
    inputs: Sequence[Any],
    lang: str,
    term: Terminal,
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
    term.out(f"Running '{pack.manifest.id}' headless at {speed}; session {session.session_id}")
    t0 = clock.monotonic()

    def show(event: ev.Event) -> None:
        line = progress_line(event, clock.monotonic() - t0)
        if line is not None:
            term.out(line)

    unsubscribe = session.bus.subscribe(show)
    try:
        session.run(max_lesson_s=args.stop_after or 4 * 3600)
    except KeyboardInterrupt:
        term.err("\nInterrupted: the class is stopped, events recorded so far are kept.")
    finally:
        unsubscribe()
        if not session.close():
            term.err(unsaved_note(session))
    return session.session_id


def progress_line(event: ev.Event, t: float) -> str | None:
    """The line a headless class prints for a lesson step (None for other events); `t` is lesson seconds since
    the run started."""
    from dual_teacher.core import events as ev

    stamp = f"[{int(t) // 60:02d}:{int(t) % 60:02d}]"
    if isinstance(event, ev.NodeEntered):
        return f"{stamp} {event.node_kind:<9} {event.node_id}: {event.title}"
    if isinstance(event, ev.QuestionClosed):
        rate = "-" if event.correct_rate is None else f"{event.correct_rate:.0%}"
        return f"{stamp}           {event.responses} responses, {rate} correct ({event.reason})"
    if isinstance(event, ev.HandPollClosed):
        return f"{stamp}           {event.count} hands raised"
    if isinstance(event, ev.BranchTaken):
        return f"{stamp}           branch {event.node_id}: {event.rule} -> {event.target}"
    if isinstance(event, ev.StageAlert):
        return f"{stamp} ALERT {event.stage}: {event.message}"
    return None

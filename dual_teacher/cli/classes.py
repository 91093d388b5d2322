"""`dual-teacher demo | run`: a class from the demo lesson or a pack. The launching is runtime/launch.py's."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dual_teacher.cli.common import TERMINAL, app_config, gui_available

if TYPE_CHECKING:
    from dual_teacher.engagement.store import EventStore
    from dual_teacher.lesson.loader import LoadedPack
    from dual_teacher.runtime.launch import LaunchConfig, ScreenshotTour, WindowedRun


class QtWindows:
    """runtime/launch.py's ClassWindows over dual_teacher.qt (imported only when a window opens)."""

    def available(self) -> bool:
        return gui_available()

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
    ) -> WindowedRun:
        from dual_teacher.qt.app import run_classroom_window

        return run_classroom_window(
            pack,
            store,
            inputs,
            lang,
            heartbeat_fd=heartbeat_fd,
            resume=resume,
            max_lesson_s=max_lesson_s,
            live_url=live_url,
            auto_close_s=auto_close_s,
            report=report,
            meta=meta,
        )

    def screenshot_tour(self) -> ScreenshotTour:
        from dual_teacher.qt.screenshots import run_screenshots

        return run_screenshots


def launch_config(args: argparse.Namespace) -> LaunchConfig:
    """The class options of `demo` / `run` (see add_class_options), as runtime/launch.py takes them."""
    from dual_teacher.runtime.launch import LaunchConfig

    return LaunchConfig(
        lang=args.lang,
        headless=args.headless,
        speed=args.speed,
        simulate=args.simulate,
        camera=args.camera,
        mic=args.mic,
        teacher_audio=args.teacher_audio,
        class_size=args.class_size,
        seed=args.seed,
        report_dir=args.report_dir,
        heartbeat_fd=args.heartbeat_fd,
        resume=args.resume,
        stop_after=args.stop_after,
        live=args.live,
        screenshots=args.screenshots,
        lead=args.lead,
        lead_token=args.lead_token,
        lead_view_only=args.lead_view_only,
        lead_ca=args.lead_ca,
        argv=getattr(args, "argv", None),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from dual_teacher.resources import demo_pack_dir
    from dual_teacher.runtime.launch import ensure_demo_media, run_class

    pack_dir = demo_pack_dir()
    ensure_demo_media(pack_dir, TERMINAL)
    return run_class(app_config(args), pack_dir, launch_config(args), TERMINAL, QtWindows(), demo=True)


def cmd_run(args: argparse.Namespace) -> int:
    from dual_teacher.runtime.launch import run_class

    return run_class(app_config(args), Path(args.pack), launch_config(args), TERMINAL, QtWindows())


def add_class_options(p: argparse.ArgumentParser) -> None:
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run a class from the bundled demo lesson")
    add_class_options(demo)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run a class from a lesson pack (folder or .zip)")
    run.add_argument("pack")
    add_class_options(run)
    run.set_defaults(func=cmd_run)

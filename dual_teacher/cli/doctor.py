"""`dual-teacher doctor`: check this machine (CPU, accelerators, devices, models, Qt)."""

from __future__ import annotations

import argparse
import json

from dual_teacher.cli.common import app_config, gui_available


def cmd_doctor(args: argparse.Namespace) -> int:
    from dual_teacher.bench.doctor import Check, run_checks

    checks, extra = run_checks(app_config(args))
    if gui_available():
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help="check this machine: CPU, accelerators (proven), devices, models, Qt")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=cmd_doctor)

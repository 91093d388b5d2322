"""`dual-teacher lead serve | add-classroom | classrooms | set-password`: its sub-parser is dual_teacher.lead's."""

from __future__ import annotations

import argparse

from dual_teacher.cli.common import app_config


def cmd_lead(args: argparse.Namespace) -> int:
    return int(args.lead_func(args, app_config(args)))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dual_teacher.lead.commands import add_parser as add_lead_parser

    add_lead_parser(sub)
    sub.choices["lead"].set_defaults(func=cmd_lead)

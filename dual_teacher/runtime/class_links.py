"""The lead server and the LRS a class talks to: the lead link (checked before the class opens anything) and
the xAPI forwarder, from the config and the launch's options (runtime/launch.py; `dual-teacher xapi` uses the LRS
client too)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from dual_teacher.core.errors import DualTeacherError

if TYPE_CHECKING:
    from dual_teacher.config import AppConfig
    from dual_teacher.engagement.outbox import LrsClient
    from dual_teacher.engagement.xapi import XapiOptions
    from dual_teacher.runtime.launch import LaunchConfig, Terminal
    from dual_teacher.runtime.lead_link import LeadLink
    from dual_teacher.runtime.xapi_forwarder import XapiForwarder


def lead_link(args: LaunchConfig, cfg: AppConfig, term: Terminal) -> LeadLink | None:
    """With a lead server (--lead or [lead] url), the link that publishes the class state to it (not started)."""
    url = args.lead or cfg.lead.url
    if not url:
        return None
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise DualTeacherError(
            f"--lead {url!r} is not a lead server address", hint="e.g. --lead http://lead.example:8765 (or https://)"
        )
    token = args.lead_token or os.environ.get("DUAL_TEACHER_LEAD_TOKEN") or cfg.lead.token
    if not token:
        raise DualTeacherError(
            "a lead server is set but no classroom token",
            hint="pass --lead-token (from `dual-teacher lead add-classroom NAME`) or set [lead] token",
        )
    from dual_teacher.runtime.lead_link import LeadLink

    remote = cfg.lead.remote_control and not args.lead_view_only
    ca = args.lead_ca or cfg.lead.ca_file
    if ca is not None and not Path(ca).is_file():
        raise DualTeacherError(
            f"--lead-ca {ca}: no such file", hint="the PEM certificate of the lead server's authority"
        )
    link = LeadLink(url, token, remote_control=remote, ca_file=Path(ca) if ca else None)
    term.out(f"lead link: publishing the class state to {link.url} (remote control {'on' if remote else 'off'})")
    return link


def xapi_options(cfg: AppConfig) -> XapiOptions:
    from dual_teacher.engagement.xapi import XapiOptions

    return XapiOptions(base_iri=cfg.xapi.base_iri, private_data=cfg.export_private_data)


def lrs_client(
    cfg: AppConfig, endpoint: str | None = None, username: str | None = None, password: str | None = None
) -> LrsClient | None:
    from dual_teacher.engagement.outbox import LrsClient

    url = endpoint or cfg.xapi.endpoint
    if not url:
        return None
    user = username if username is not None else cfg.xapi.username
    secret = password if password is not None else (os.environ.get("DUAL_TEACHER_XAPI_PASSWORD") or cfg.xapi.password)
    return LrsClient(url, user, secret, timeout_s=10.0)


def start_forwarder(cfg: AppConfig, db: Path) -> XapiForwarder | None:
    """With an LRS configured, forward statements while the class runs (the outbox keeps them durable)."""
    client = lrs_client(cfg)
    if client is None:
        return None
    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

    forwarder = XapiForwarder(
        db, client, xapi_options(cfg), interval_s=cfg.xapi.interval_s, include_practice=cfg.xapi.include_demo
    )
    forwarder.start()
    return forwarder

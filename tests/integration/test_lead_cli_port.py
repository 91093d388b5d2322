"""`dual-teacher lead serve` on a port another program holds: a clear error, no traceback (binds a real socket on
127.0.0.1, so here in integration; the lead store's other checks are in tests/unit/test_lead_store.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from dual_teacher.cli import main


def test_cli_busy_port_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["lead", "serve", "--port", str(port), "--db", str(tmp_path / "lead.sqlite")]) == 2
    assert "choose another --port" in capsys.readouterr().err

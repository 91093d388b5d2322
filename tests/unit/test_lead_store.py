"""The lead server's store: tokens and the password are kept hashed, checked in constant time, refused clearly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dual_teacher.cli import main
from dual_teacher.config import AppConfig
from dual_teacher.core.errors import ConfigError
from dual_teacher.lead.store import LeadStore, check_password, hash_password


def test_tokens_authenticate_their_classroom_only_and_are_stored_hashed(tmp_path: Path) -> None:
    store = LeadStore(tmp_path / "lead.sqlite")
    a, token_a = store.add_classroom("Grade 2, Yuxi")
    b, token_b = store.add_classroom("Grade 2, Hekou")
    assert store.authenticate(token_a) == a and store.authenticate(token_b) == b
    cid, _, secret = token_a.partition(".")
    for wrong in ("", "nope", f"{cid}.", f"{cid}.{secret}x", f"{b.id}.{secret}", "." + secret, "x" * 500):
        assert store.authenticate(wrong) is None, wrong
    store.close()
    raw = (tmp_path / "lead.sqlite").read_bytes()
    assert secret.encode() not in raw  # only the HMAC is kept
    con = sqlite3.connect(tmp_path / "lead.sqlite")
    assert con.execute("SELECT count(*) FROM classrooms").fetchone() == (2,)
    con.close()


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_classroom_names_are_refused_with_advice(tmp_path: Path, name: str) -> None:
    store = LeadStore(tmp_path / "lead.sqlite")
    with pytest.raises(ConfigError):
        store.add_classroom(name)


def test_a_duplicate_classroom_name_is_refused(tmp_path: Path) -> None:
    store = LeadStore(tmp_path / "lead.sqlite")
    store.add_classroom("Room 1")
    with pytest.raises(ConfigError, match="exists already"):
        store.add_classroom("Room 1")


def test_password_is_scrypt_hashed_and_checked(tmp_path: Path) -> None:
    store = LeadStore(tmp_path / "lead.sqlite")
    with pytest.raises(ConfigError):
        store.set_password("short")
    store.set_password("a long enough password")
    stored = store.password_hash()
    assert stored is not None and stored.startswith("scrypt$") and "a long enough" not in stored
    assert check_password("a long enough password", stored)
    assert not check_password("a long enough passwore", stored)
    assert not check_password("x", "garbage") and not check_password("x", "md5$00$00")
    assert hash_password("same") != hash_password("same")  # salted


def test_dashboard_sessions_survive_a_reopen(tmp_path: Path) -> None:
    store = LeadStore(tmp_path / "lead.sqlite")
    store.add_dashboard_session("tok", 2e9)
    store.close()
    store = LeadStore(tmp_path / "lead.sqlite")
    assert store.dashboard_session_expiry("tok") == 2e9 and store.dashboard_session_expiry("other") is None
    store.remove_dashboard_session("tok")
    assert store.dashboard_session_expiry("tok") is None


def test_cli_add_classroom_prints_a_working_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "lead.sqlite"
    assert main(["lead", "add-classroom", "Room A", "--db", str(db)]) == 0
    token = capsys.readouterr().out.splitlines()[1]
    store = LeadStore(db)
    room = store.authenticate(token)
    assert room is not None and room.name == "Room A"
    assert main(["lead", "add-classroom", "Room A", "--db", str(db)]) == 2  # a clear error, no traceback
    assert "exists already" in capsys.readouterr().err


def test_cli_a_lead_url_without_a_token_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--headless", "--speed", "0", "--lead", "http://127.0.0.1:9"]) == 2
    assert "--lead-token" in capsys.readouterr().err
    assert main(["demo", "--headless", "--speed", "0", "--lead", "lead.example", "--lead-token", "a.b"]) == 2
    assert "not a lead server address" in capsys.readouterr().err


@pytest.mark.parametrize("lead", [{"url": "ftp://x"}, {"token": 5}, {"remote": True}, {"url": "lead.example"}])
def test_lead_config_is_checked(lead: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AppConfig.model_validate({"lead": lead})


def test_lead_config_defaults_off() -> None:
    cfg = AppConfig.model_validate({"lead": {"url": "https://lead.example", "token": "a.b"}})
    assert cfg.lead.remote_control is True and AppConfig().lead.url is None


def test_cli_unwritable_store_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["lead", "classrooms", "--db", str(blocker / "lead.sqlite")]) == 2
    assert "pass --db with a writable file" in capsys.readouterr().err
    # a busy --port: tests/integration/test_lead_cli_port.py (it binds a socket)

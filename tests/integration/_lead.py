"""Helpers for the lead-link tests: a real `dual-teacher lead serve` and real headless demos, as subprocesses."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from dual_teacher.cli import main; sys.exit(main())"]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


def trusting(ca: Path) -> urllib.request.OpenerDirector:
    """An opener (no proxy) that trusts the test's own certificate authority."""
    ctx = ssl.create_default_context(cafile=str(ca))
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))


PASSWORD = "lead-test-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("http_proxy", None)
    e.pop("HTTP_PROXY", None)
    return e


def setup_rooms(db: Path, names: list[str]) -> list[str]:
    from dual_teacher.lead.store import LeadStore

    store = LeadStore(db)
    try:
        store.set_password(PASSWORD)
        return [store.add_classroom(n)[1] for n in names]
    finally:
        store.close()


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


@contextlib.contextmanager
def lead_server(db: Path, port: int, log: Path, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*CLI, "lead", "serve", "--port", str(port), "--db", str(db), *extra], env=env(), stdout=out, stderr=out
        )
    try:
        wait_port(port)
        yield proc
    finally:
        stop(proc)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(key, certificate) for 127.0.0.1, made with openssl."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, cert


def start_demo(data_dir: Path, url: str, token: str, *extra: str, speed: str = "1") -> subprocess.Popen[bytes]:
    log = (data_dir.parent / f"{data_dir.name}.log").open("ab")
    return subprocess.Popen(
        [
            *CLI,
            "--data-dir",
            str(data_dir),
            "demo",
            "--headless",
            "--speed",
            speed,
            "--stop-after",
            "600",
            "--lead",
            url,
            "--lead-token",
            token,
            *extra,
        ],
        env=env(),
        stdout=log,
        stderr=log,
    )


def stop(proc: subprocess.Popen[bytes], sig: int = 2) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def login(base: str, opener: urllib.request.OpenerDirector = NO_PROXY) -> str:
    """The dashboard session cookie (`dt_lead=...`)."""
    req = urllib.request.Request(
        base + "/api/login",
        data=json.dumps({"password": PASSWORD}).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with opener.open(req, timeout=10) as resp:
        cookie = resp.headers["set-cookie"]
    return str(cookie.split(";")[0])


def get(base: str, path: str, cookie: str, opener: urllib.request.OpenerDirector = NO_PROXY) -> Any:
    req = urllib.request.Request(base + path, headers={"cookie": cookie})
    with opener.open(req, timeout=10) as resp:
        return json.loads(resp.read())


def event_kinds(data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of every event the classroom stored so far (read while it runs: WAL)."""
    db = data_dir / "events.sqlite"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT type, payload FROM events ORDER BY seq").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    return [(t, json.loads(p)) for t, p in rows]


def wait_for(pred: Any, timeout: float, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(every)
    return pred()

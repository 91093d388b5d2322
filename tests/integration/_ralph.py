"""A real Ralph LRS (ralph-malph, filesystem backend) for the xAPI tests, in its own venv.

The venv is built once per machine from tests/ralph-requirements.txt (pinned) into
<tmp>/dual-teacher-ralph-<hash of that file> (or $DUAL_TEACHER_RALPH_VENV), under a file lock, and reused.
The LRS (started by _ralph_lrs.py: see there why not `ralph runserver`) listens on 127.0.0.1 only, on a free
port, with HTTP Basic auth; its statements land in <workdir>/data/fs_lrs.jsonl.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parents[1] / "ralph-requirements.txt"
LAUNCHER = Path(__file__).with_name("_ralph_lrs.py")
USER, PASSWORD = "dual-teacher-test", "s3cret-for-tests"


class RalphUnavailable(Exception):
    """The Ralph venv cannot be built here (no package index, no wheels for this platform)."""


def ralph_python() -> Path:
    """The Python of the Ralph venv, building the venv first if needed."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = Path(os.environ.get("DUAL_TEACHER_RALPH_VENV") or Path(tempfile.gettempdir()) / f"dual-teacher-ralph-{key}")
    python = venv / "bin" / "python"
    marker = venv / ".complete"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with Path(f"{venv}.lock").open("w") as lock:
        deadline = time.monotonic() + 600
        while True:  # another test run may be building the same venv: wait for it, not forever
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RalphUnavailable(f"another process has been building {venv} for 10 minutes") from None
                time.sleep(0.5)
        if marker.exists() and python.exists():
            return python
        if venv.exists():
            subprocess.run(["rm", "-rf", str(venv)], check=True)
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False)
        if made.returncode != 0:
            raise RalphUnavailable(f"python -m venv failed: {made.stderr[-800:]}")
        quiet = ["-q", "--disable-pip-version-check"]
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", *quiet, "--no-deps", "--no-compile", "-r", str(REQUIREMENTS)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if pip.returncode != 0:
            tail = "\n".join(line for line in pip.stderr.splitlines() if "is ignored" not in line)[-1200:]
            raise RalphUnavailable(f"pip could not install {REQUIREMENTS.name}: {tail}")
        check = subprocess.run(
            [str(python), "-c", "import ralph.api, ralph.models.xapi.virtual_classroom, bcrypt"],
            capture_output=True,
            text=True,
            env={**os.environ, "RALPH_RUNSERVER_BACKEND": "fs"},
            cwd=venv,
        )
        if check.returncode != 0:
            raise RalphUnavailable(f"ralph does not import: {check.stderr[-800:]}")
        marker.write_text(key)
    return python


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RalphLrs:
    """start() / kill() / start() again on the same port and data folder."""

    def __init__(self, python: Path, workdir: Path, port: int | None = None) -> None:
        self.python = python
        self.workdir = workdir
        self.port = port or free_port()
        self.data = workdir / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        self.torn_lines_repaired = 0
        self.data.mkdir(parents=True, exist_ok=True)
        auth = workdir / "auth.json"
        if not auth.exists():
            digest = subprocess.run(
                [
                    str(python),
                    "-c",
                    "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
                    PASSWORD,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            users = [
                {
                    "agent": {"objectType": "Agent", "account": {"homePage": "http://127.0.0.1", "name": USER}},
                    "scopes": ["all"],
                    "hash": digest,
                    "username": USER,
                }
            ]
            auth.write_text(json.dumps(users), encoding="utf-8")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    @property
    def statements_file(self) -> Path:
        return self.data / "fs_lrs.jsonl"

    def start(self, timeout_s: float = 90.0) -> None:
        self._repair()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            "RALPH_APP_DIR": str(self.workdir / "app"),
            "RALPH_AUTH_FILE": str(self.workdir / "auth.json"),
            "RALPH_HISTORY_FILE": str(self.workdir / "app" / "history.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
        }
        log = (self.workdir / "lrs.log").open("ab")
        self.proc = subprocess.Popen(
            [str(self.python), str(LAUNCHER), "127.0.0.1", str(self.port)],
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the LRS exited (rc={self.proc.returncode}):\n{self.log_tail()}")
            url = f"http://127.0.0.1:{self.port}/__heartbeat__"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"the LRS did not come up in {timeout_s:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the LRS vanishes mid-request, as in a power cut or a dropped network."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def _repair(self) -> None:
        """Ralph's fs backend appends without fsync or locking: a SIGKILL mid-write can leave a torn last line
        (a statement it never acknowledged, so the sender still has it). Cut it off, as an operator would; the
        download history (bookkeeping, no statements) is rewritten whole and may be torn too: drop it."""
        f = self.statements_file
        if f.exists():
            raw = f.read_bytes()
            if raw and not raw.endswith(b"\n"):
                f.write_bytes(raw[: raw.rfind(b"\n") + 1])
                self.torn_lines_repaired += 1
        history = self.workdir / "app" / "history.json"
        if history.exists():
            try:
                json.loads(history.read_text(encoding="utf-8"))
            except ValueError:
                history.unlink()

    def stored_ids(self) -> list[str]:
        """Statement ids in the LRS's file, in order (complete lines only)."""
        if not self.statements_file.exists():
            return []
        ids = []
        for line in self.statements_file.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.endswith("\n") and line.strip():
                ids.append(json.loads(line)["id"])
        return ids

    def log_tail(self, n: int = 3000) -> str:
        log = self.workdir / "lrs.log"
        return log.read_text(encoding="utf-8", errors="replace")[-n:] if log.exists() else ""

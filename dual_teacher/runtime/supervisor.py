"""The windowed class in a child process, restarted at the same lesson position when its GUI thread freezes.

A native deadlock that holds the GIL (the PySide6 / FFmpeg one) stops every thread of the process, so the
only sure recovery is from outside: `dual-teacher demo|run` with windows starts the class as a child
process and watches the heartbeat lines its GUI thread writes every tick (session id, lesson node, offset
into it). No line for `threshold_s` (3 s) and the child is killed (its stacks were already written to
`freezes.log` by faulthandler) and started again with `--_resume SESSION:NODE:OFFSET`: the same session
goes on from the same node, the video at the same offset. Events committed before the kill are kept (the
store's writer commits every 50 ms). At most `max_restarts` restarts a class; then it says so and stops.

`parse_beat` / `format_beat` are the wire format; `FreezeWatch` is the pure decision on injected time.
"""

from __future__ import annotations

import dataclasses
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

THRESHOLD_S = 3.0
CHILD_CODE = "import sys; from dual_teacher.cli import main; sys.exit(main())"


@dataclasses.dataclass(frozen=True)
class Position:
    session_id: str
    node_id: str
    offset_s: float
    ended: bool = False

    def resume_arg(self) -> str:
        return f"{self.session_id}:{self.node_id}:{self.offset_s:.2f}"


def format_beat(session_id: str, node_id: str, offset_s: float, ended: bool) -> bytes:
    return f"beat\t{session_id}\t{node_id}\t{offset_s:.2f}\t{int(ended)}\n".encode()


def parse_beat(line: bytes) -> Position | None:
    parts = line.decode("utf-8", "replace").rstrip("\n").split("\t")
    if len(parts) != 5 or parts[0] != "beat":
        return None
    try:
        return Position(parts[1], parts[2], float(parts[3]), parts[4] == "1")
    except ValueError:
        return None


def parse_resume(text: str) -> Position | None:
    """`SESSION:NODE:OFFSET` (what `--_resume` carries)."""
    session_id, _, rest = text.partition(":")
    node_id, _, offset = rest.rpartition(":")
    try:
        return Position(session_id, node_id, float(offset)) if session_id and node_id else None
    except ValueError:
        return None


class FreezeWatch:
    """A child froze when it has beaten once and then not for `threshold_s` (start-up is not timed)."""

    def __init__(self, threshold_s: float = THRESHOLD_S) -> None:
        self.threshold_s = threshold_s
        self.last: float | None = None
        self.position: Position | None = None

    def beat(self, now: float, position: Position) -> None:
        self.last, self.position = now, position

    def frozen(self, now: float) -> bool:
        return self.last is not None and now - self.last >= self.threshold_s


class Supervisor:
    def __init__(
        self,
        argv: Sequence[str],
        threshold_s: float = THRESHOLD_S,
        max_restarts: int = 3,
        say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),  # noqa: T201
    ) -> None:
        self.argv = list(argv)
        self.say = say
        self.threshold_s = threshold_s
        self.max_restarts = max_restarts
        self.restarts: list[tuple[float, Position]] = []  # (seconds from freeze to the new child's start, where)

    def run(self) -> int:
        resume: Position | None = None
        while True:
            code, frozen = self._one(resume)
            if frozen is None:
                return code
            if frozen.ended:
                self.say("The classroom display froze after the class ended; the class is saved.")
                return 0
            if len(self.restarts) >= self.max_restarts:
                self.say(
                    f"The classroom display froze {len(self.restarts) + 1} times; stopping. Everything recorded is "
                    f"kept (session {frozen.session_id}); restart dual-teacher to go on."
                )
                return 1
            self.say(
                f"The classroom display froze; restarting it at the same place ({frozen.node_id}, "
                f"{frozen.offset_s:.0f} s in)."
            )
            resume = frozen

    def _one(self, resume: Position | None) -> tuple[int, Position | None]:
        """Run one child; (exit code, None) when it ended by itself, (-1, where) when it froze and was killed."""
        read_fd, write_fd = os.pipe()
        args = [*self.argv, "--_heartbeat-fd", str(write_fd)]
        if resume is not None:
            args += ["--_resume", resume.resume_arg()]
        started = time.monotonic()
        # The child imports this very package (a checkout on PYTHONPATH or the installed one).
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
        child = subprocess.Popen([sys.executable, "-c", CHILD_CODE, *args], pass_fds=(write_fd,), env=env)
        os.close(write_fd)
        if resume is not None and self.restarts:
            self.restarts[-1] = (started - self.restarts[-1][0], resume)
        watch = FreezeWatch(self.threshold_s)
        buffer = b""
        try:
            while True:
                ready, _, _ = select.select([read_fd], [], [], 0.25)
                now = time.monotonic()
                if ready:
                    chunk = os.read(read_fd, 65536)
                    if not chunk:  # the child closed its end: it is exiting
                        return child.wait(), None
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        position = parse_beat(line + b"\n")
                        if position is not None:
                            watch.beat(now, position)
                if child.poll() is not None:
                    return child.returncode, None
                if watch.frozen(now) and watch.position is not None:
                    child.kill()
                    child.wait()
                    self.restarts.append((now, watch.position))
                    return -1, watch.position
        finally:
            os.close(read_fd)

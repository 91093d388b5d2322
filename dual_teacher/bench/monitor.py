"""Resource sampling and progress display for `dual-teacher bench`.

`ResourceMonitor` samples, on its own thread, this process's CPU use (process CPU time over wall time, all
threads: `os.times`), its resident memory (/proc/self/statm; the peak from `getrusage`), and the GPU memory
it holds where `nvidia-smi` exists (else None). `Progress` is a plain text bar on stderr (redrawn in place
on a terminal, one line per phase otherwise), so logs of CI runs stay readable. `UsageWindow` turns the
samples taken over one part of the run into that part's `Usage`.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from dual_teacher.bench.figures import cpu_percent, window
from dual_teacher.bench.results import Usage


def process_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)  # bytes on macOS, KiB on Linux


def gpu_memory_mb(pid: int | None = None) -> float | None:
    """GPU memory this process holds (MiB) per nvidia-smi; None without nvidia-smi or when it fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    pid = os.getpid() if pid is None else pid
    try:
        done = subprocess.run(
            [exe, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    total = 0.0
    for line in done.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0] == str(pid):
            try:
                total += float(parts[1])
            except ValueError:
                continue
    return total


class ResourceMonitor:
    """Samples [t (s since start), CPU % since the previous sample, RSS MB, GPU MB or None] every `interval_s`."""

    def __init__(self, interval_s: float = 0.5, gpu_every_s: float = 2.0) -> None:
        self.interval_s = interval_s
        self.gpu_every_s = gpu_every_s
        self.t0 = time.monotonic()
        self.samples: list[list[float | None]] = []
        self.gpu_available = shutil.which("nvidia-smi") is not None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="bench-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def snapshot(self) -> list[list[float | None]]:
        with self._lock:
            return [list(s) for s in self.samples]

    def _main(self) -> None:
        last_t, last_cpu = time.monotonic(), process_cpu_s()
        gpu: float | None = None
        gpu_at = -1e9
        while not self._stop.wait(self.interval_s):
            now, cpu = time.monotonic(), process_cpu_s()
            if self.gpu_available and now - gpu_at >= self.gpu_every_s:
                gpu, gpu_at = gpu_memory_mb(), now
            sample: list[float | None] = [
                round(now - self.t0, 2),
                cpu_percent(cpu - last_cpu, now - last_t),
                rss_mb(),
                gpu,
            ]
            last_t, last_cpu = now, cpu
            with self._lock:
                self.samples.append(sample)


class UsageWindow:
    """CPU and memory from now on: `usage()` gives them for the time since the window opened."""

    def __init__(self, monitor: ResourceMonitor) -> None:
        self.monitor = monitor
        self.cpu0 = process_cpu_s()
        self.t0 = time.monotonic()
        self.m0 = monitor.now()

    def usage(self) -> Usage:
        wall = time.monotonic() - self.t0
        peaks = window(self.monitor.snapshot(), self.m0, self.monitor.now())
        rss = peaks["peak_rss_mb"]
        return Usage(
            wall_s=round(wall, 2),
            cpu_percent=cpu_percent(process_cpu_s() - self.cpu0, wall),
            peak_rss_mb=rss if rss is not None else rss_mb(),
            peak_gpu_mem_mb=peaks["peak_gpu_mem_mb"],
        )


class Progress:
    """A text progress bar: `phase(name, total)` starts one, `update(fraction, detail)` moves it."""

    def __init__(self, out: TextIO | None = None, enabled: bool = True, width: int = 24) -> None:
        self.out = out or sys.stderr
        self.enabled = enabled
        self.width = width
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._name = ""
        self._index = 0
        self._total = 0
        self._last = 0.0
        self._t0 = time.monotonic()

    def phase(self, name: str, index: int, total: int) -> None:
        self._finish()
        self._name, self._index, self._total = name, index, total
        self._t0 = time.monotonic()
        self._last = 0.0
        if self.enabled and not self.tty:
            self.out.write(f"[{index}/{total}] {name} ...\n")
            self.out.flush()
        self.update(0.0)

    def update(self, fraction: float, detail: str = "") -> None:
        if not self.enabled or not self.tty:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and fraction < 1.0:
            return
        self._last = now
        f = min(1.0, max(0.0, fraction))
        filled = round(f * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{self._index}/{self._total}] {self._name:<28} [{bar}] {f:4.0%} {detail}"
        cols = max(40, shutil.get_terminal_size((120, 24)).columns - 1)
        self.out.write("\r" + line[:cols].ljust(cols))
        self.out.flush()

    def _finish(self) -> None:
        if self.enabled and self.tty and self._name:
            self.out.write("\n")
            self.out.flush()

    def note(self, text: str) -> None:
        if not self.enabled:
            return
        if self.tty and self._name:
            self.out.write("\n")
            self._name = ""
        self.out.write(text + "\n")
        self.out.flush()

    def close(self, status: str = "") -> None:
        self._finish()
        self._name = ""
        if self.enabled and status:
            self.out.write(status + "\n")
            self.out.flush()

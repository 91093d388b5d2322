"""How many classrooms one lead server carries: loopback only, bounded in time and count.

    python benchmarks/bench_lead.py --out results/bench_lead.json [--sizes 10,100,500] [--dashboards 2]
        [--seconds 20] [--rate 2 | --replay] [--no-faults] [--quick]

For each N: a fresh `dual-teacher lead serve` (its own process and store) with N registered classrooms; one
load process opens N classroom links that publish a snapshot, then deltas at `--rate` messages/s each (2/s is
the link's cap, so this is the worst case; a real demo class sends less), built from the real class-state
reducer; with `--replay`, each classroom instead replays the states a real demo class published (the demo pack
run once on a simulated clock with a simulated class, through the real `LeadLink` reducer and its 2/s cap), at
real time from a random point of the lesson. M dashboards (signed in, as a browser) receive every update.
Measured over `--seconds` after a warm-up: state-to-dashboard latency (the classroom's send time -> the
dashboard's receive time, same clock), p50/p99; messages in and out; the server's CPU (% of one core) and RSS
from /proc.

Faults (at the first N): a wrong token is refused; a malformed and an oversized message each close only their
own connection, while every other room's updates keep reaching the dashboards; the server is SIGKILLed mid-run
and restarted on the same store and port: time until every classroom has reconnected and sent a fresh snapshot,
and whether the dashboards (signed in before the kill) see every room again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import write_json

from dual_teacher.core import events as ev
from dual_teacher.core.stats import summarize
from dual_teacher.core.table import print_table
from dual_teacher.lead.store import LeadStore
from dual_teacher.runtime.class_state import ClassState, reduce, to_dict
from dual_teacher.runtime.lead_protocol import MAX_MESSAGE_BYTES

REPO = Path(__file__).resolve().parent.parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
PASSWORD = "bench-password"
CLI = [sys.executable, "-c", "import sys; from dual_teacher.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MiB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return cpu, rss


# ---- the simulated classrooms (a separate process) ---------------------------------------------------------
def _base_state(rng: random.Random) -> ClassState:
    s = ClassState()
    items: list[ev.Event] = [
        ev.ClassStarted("demo-grade2-addition", "Adding small numbers", 11),
        ev.NodeEntered("q1", "question", "Question 1: 5 + 3"),
        ev.QuestionAsked("q1", "numeric", "What is 5 + 3?", ()),
        ev.HeadCountReported(rng.randint(20, 45)),
        ev.AttentionMeasured(rng.random(), rng.randint(10, 40)),
    ]
    for e in items:
        s = reduce(s, e, 0.0)
    return s


def _next_state(s: ClassState, rng: random.Random, t: float) -> ClassState:
    r = rng.random()
    if r < 0.35:
        return reduce(s, ev.HeadCountReported(rng.randint(20, 45)), t)
    if r < 0.6:
        return reduce(s, ev.AttentionMeasured(rng.random(), rng.randint(10, 40)), t)
    if r < 0.8:
        return reduce(s, ev.HandRaised(rng.randint(1, 40), rng.random(), rng.random()), t)
    return reduce(s, ev.HandLowered(rng.randint(1, 40)), t)


async def _classroom(url: str, token: str, rate: float, stop_at: float, seed: int, counters: dict[str, int]) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    from dual_teacher.runtime.class_state import delta

    rng = random.Random(seed)
    state = _base_state(rng)
    t = 0.0
    backoff = 0.5
    while time.time() < stop_at:
        try:
            async with connect(
                url, additional_headers={"Authorization": f"Bearer {token}"}, proxy=None, compression=None,
                open_timeout=20, max_size=MAX_MESSAGE_BYTES,
            ) as ws:  # fmt: skip
                counters["connects"] += 1
                backoff = 0.5
                sent = to_dict(state, t)
                seq = 0
                await ws.send(json.dumps({"type": "snapshot", "seq": seq, "ts": time.time(), "state": sent}))
                await asyncio.sleep(rng.random() / rate)  # spread the rooms over the interval
                while time.time() < stop_at:
                    t += 1 / rate
                    state = _next_state(state, rng, t)
                    now_d = to_dict(state, t)
                    body = delta(sent, now_d)
                    sent = now_d
                    seq += 1
                    await ws.send(json.dumps({"type": "delta", "seq": seq, "ts": time.time(), "state": body}))
                    counters["sent"] += 1
                    await asyncio.sleep(1 / rate)
        except (OSError, TimeoutError, WebSocketException):
            counters["failures"] += 1
            await asyncio.sleep(backoff * rng.uniform(0.8, 1.2))
            backoff = min(10.0, backoff * 2)


def record_demo_states(min_interval_s: float = 0.5) -> list[tuple[float, dict[str, Any]]]:
    """(lesson second, state dict) as a real demo class publishes them: the bundled demo pack with a simulated
    class of 24 on a fake clock, the real `LeadLink` (not connected) reducing the session's events, coalesced
    to the link's cap like its sending thread does."""
    from dual_teacher.core.clock import FakeClock
    from dual_teacher.engagement.store import EventStore
    from dual_teacher.lesson.loader import load_pack
    from dual_teacher.resources import demo_pack_dir
    from dual_teacher.runtime.lead_link import LeadLink
    from dual_teacher.runtime.session import ClassSession
    from dual_teacher.runtime.simulated import SimulatedClass

    pack = load_pack(demo_pack_dir())
    with tempfile.TemporaryDirectory(prefix="bench-lead-demo-") as tmp:
        store = EventStore(Path(tmp) / "events.sqlite")
        clock = FakeClock()
        link = LeadLink("http://127.0.0.1:9", "bench.x")
        session = ClassSession(pack, store, clock, inputs=[SimulatedClass(24, seed=7), link])
        session.start()
        out: list[tuple[float, dict[str, Any]]] = []
        pending: dict[str, Any] | None = None
        last = -1e9
        t0 = clock.monotonic()
        while not session.ended and clock.monotonic() - t0 < 3600:
            session.tick()
            fresh = link.take_published()
            pending = fresh if fresh is not None else pending
            now = clock.monotonic() - t0
            if pending is not None and now - last >= min_interval_s:
                out.append((now, pending))
                pending, last = None, now
            clock.sleep(0.1)
        session.close()
        store.close()
    pack.close()
    return out


async def _replaying_classroom(
    url: str, token: str, states: list[tuple[float, dict[str, Any]]], stop_at: float, seed: int,
    counters: dict[str, int],
) -> None:  # fmt: skip
    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    from dual_teacher.runtime.class_state import delta

    rng = random.Random(seed)
    i = rng.randrange(len(states))
    backoff = 0.5
    while time.time() < stop_at:
        try:
            async with connect(
                url, additional_headers={"Authorization": f"Bearer {token}"}, proxy=None, compression=None,
                open_timeout=20, max_size=MAX_MESSAGE_BYTES,
            ) as ws:  # fmt: skip
                counters["connects"] += 1
                backoff = 0.5
                sent = states[i][1]
                await ws.send(json.dumps({"type": "snapshot", "seq": 0, "ts": time.time(), "state": sent}))
                seq = 0
                while time.time() < stop_at:
                    j = (i + 1) % len(states)
                    gap = states[j][0] - states[i][0] if j else 1.0  # the lesson starts again after its end
                    await asyncio.sleep(max(0.0, gap))
                    i = j
                    body = delta(sent, states[i][1])
                    sent = states[i][1]
                    if body:
                        seq += 1
                        await ws.send(json.dumps({"type": "delta", "seq": seq, "ts": time.time(), "state": body}))
                        counters["sent"] += 1
        except (OSError, TimeoutError, WebSocketException):
            counters["failures"] += 1
            await asyncio.sleep(backoff * rng.uniform(0.8, 1.2))
            backoff = min(10.0, backoff * 2)


def generator(
    url: str, tokens: list[str], rate: float, seconds: float, states: list[tuple[float, dict[str, Any]]] | None
) -> None:
    async def main() -> None:
        counters = {"connects": 0, "sent": 0, "failures": 0}
        stop_at = time.time() + seconds
        tasks = []
        for i, tok in enumerate(tokens):
            if states:
                room = _replaying_classroom(url, tok, states, stop_at, i, counters)
            else:
                room = _classroom(url, tok, rate, stop_at, i, counters)
            tasks.append(asyncio.create_task(room))
            if i % 50 == 49:
                await asyncio.sleep(0.2)  # do not open 500 connections in one instant
        await asyncio.gather(*tasks)

    asyncio.run(main())


# ---- the lead server and the dashboards ---------------------------------------------------------------------
class Server:
    def __init__(self, db: Path, port: int, log: Path) -> None:
        self.db, self.port, self.log = db, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*CLI, "lead", "serve", "--port", str(self.port), "--db", str(self.db)],
                env=env,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the lead server did not start; see {self.log}")

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def login(base: str) -> str:
    req = urllib.request.Request(
        base + "/api/login",
        data=json.dumps({"password": PASSWORD}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with NO_PROXY.open(req, timeout=10) as resp:
        return str(resp.headers["set-cookie"].split(";")[0])


def stats(base: str, cookie: str) -> dict[str, Any]:
    req = urllib.request.Request(base + "/api/stats", headers={"cookie": cookie})
    with NO_PROXY.open(req, timeout=10) as resp:
        return dict(json.loads(resp.read()))


class Dashboards:
    """M signed-in dashboard connections; records (room, latency) of every update while `recording`."""

    def __init__(self, base: str, cookie: str, m: int) -> None:
        self.url = base.replace("http://", "ws://") + "/ws/dashboard"
        self.cookie = cookie
        self.m = m
        self.latencies: list[float] = []
        self.recording = False
        self.updates = 0
        self.last_seen: dict[str, float] = {}  # room -> receive time (any dashboard)
        self.connects = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def _one(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        while True:
            try:
                async with connect(
                    self.url, additional_headers={"cookie": self.cookie}, proxy=None, compression=None,
                    max_size=64 * 1024 * 1024,
                ) as ws:  # fmt: skip
                    self.connects += 1
                    async for raw in ws:
                        got = time.time()
                        msg = json.loads(raw)
                        if msg.get("type") != "update":
                            continue
                        for room in msg["rooms"]:
                            self.last_seen[room["id"]] = got
                            if room["patch"] and room["connected"]:
                                self.updates += 1
                                if self.recording:
                                    self.latencies.append(got - room["ts"])
            except (OSError, TimeoutError, WebSocketException):
                await asyncio.sleep(0.5)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._one()) for _ in range(self.m)]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _wait(pred: Any, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(pred):
            return True
        await asyncio.sleep(every)
    return False


async def _faults(server: Server, base: str, cookie: str, tokens: list[str], dash: Dashboards) -> dict[str, Any]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    url = base.replace("http://", "ws://") + "/ws/classroom"
    out: dict[str, Any] = {}
    try:
        async with connect(url, additional_headers={"Authorization": "Bearer 0000.wrong"}, proxy=None):
            out["wrong_token_refused"] = False
    except InvalidStatus as exc:
        out["wrong_token_refused"] = exc.response.status_code == 403
    victim = tokens[0]
    victim_id = victim.split(".")[0]
    closes = {}
    huge = {"type": "delta", "seq": 1, "ts": 0, "state": {"alerts": ["x" * 4 * MAX_MESSAGE_BYTES]}}
    for name, text in (("malformed", "{this is not json"), ("oversized", json.dumps(huge))):
        t_fault = time.time()
        async with connect(url, additional_headers={"Authorization": f"Bearer {victim}"}, proxy=None,
                           max_size=None) as ws:  # fmt: skip
            await ws.send(text)
            try:
                await asyncio.wait_for(ws.recv(), 10)
                closes[name] = None
            except ConnectionClosed as exc:
                closes[name] = exc.rcvd.code if exc.rcvd else None
        await asyncio.sleep(2.0)
        others = [cid for cid in (t.split(".")[0] for t in tokens) if cid != victim_id]
        fresh = sum(1 for cid in others if dash.last_seen.get(cid, 0) > t_fault + 0.5)
        out[f"{name}_close_code"] = closes[name]
        out[f"{name}_others_updating"] = f"{fresh}/{len(others)}"
    # SIGKILL mid-run, restart on the same store and port.
    before = stats(base, cookie)
    t_kill = time.time()
    assert server.proc is not None
    server.proc.kill()
    server.proc.wait(10)
    server.proc = None
    await asyncio.sleep(1.0)
    server.start()
    t_up = time.time()
    n = len(tokens)
    ok = await _wait(lambda: stats(base, cookie)["rooms_connected"] == n, 60)
    t_all = time.time()
    seen_all = await _wait(lambda: all(dash.last_seen.get(t.split(".")[0], 0) > t_up for t in tokens), 20)
    out.update(
        {
            "kill_restart_down_s": round(t_up - t_kill, 2),
            "reconnected_all": ok,
            "reconnect_after_restart_s": round(t_all - t_up, 2),
            "dashboards_see_every_room_again": seen_all,
            "state_messages_before_kill": before["state_messages"],
            "refused_tokens": before["refused_tokens"],
            "refused_messages": before["refused_messages"] + before["oversized_messages"],
        }
    )
    return out


async def run_size(
    n: int, args: argparse.Namespace, work: Path, faults: bool, states: list[tuple[float, dict[str, Any]]] | None
) -> dict[str, Any]:
    db = work / f"lead-{n}.sqlite"
    store = LeadStore(db)
    store.set_password(PASSWORD)
    tokens = [store.add_classroom(f"room {i:03d}")[1] for i in range(n)]
    store.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server(db, port, work / f"server-{n}.log")
    server.start()
    run_s = args.seconds + (90 if faults else 30)
    gen = mp.get_context("spawn").Process(
        target=generator, args=(base.replace("http://", "ws://") + "/ws/classroom", tokens, args.rate, run_s, states)
    )
    gen.start()
    try:
        cookie = login(base)
        connected = await _wait(lambda: stats(base, cookie)["rooms_connected"] == n, 60)
        dash = Dashboards(base, cookie, args.dashboards)
        dash.start()
        await asyncio.sleep(args.warmup)
        assert server.proc is not None
        pid = server.proc.pid
        s0, (cpu0, _) = stats(base, cookie), proc_usage(pid)
        t0 = time.monotonic()
        dash.recording = True
        await asyncio.sleep(args.seconds)
        dash.recording = False
        wall = time.monotonic() - t0
        s1, (cpu1, rss) = stats(base, cookie), proc_usage(pid)
        lat = summarize(dash.latencies, scale=1000.0, digits=1)
        row: dict[str, Any] = {
            "classrooms": n,
            "dashboards": args.dashboards,
            "connected": connected,
            "rate_per_room": "replay" if states else args.rate,
            "msgs_in_per_s": round((s1["state_messages"] - s0["state_messages"]) / wall, 1),
            "updates_seen": len(dash.latencies),
            "p50_ms": lat.p50,
            "p90_ms": lat.p90,
            "p99_ms": lat.p99,
            "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
            "server_rss_mb": round(rss, 1),
            "coalesced": s1["coalesced"],
        }
        if faults:
            row["faults"] = await _faults(server, base, cookie, tokens, dash)
        await dash.stop()
        return row
    finally:
        gen.terminate()
        gen.join(10)
        server.stop()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rows = []
    states = None
    replay: dict[str, Any] = {}
    if args.replay:
        states = record_demo_states()
        span = states[-1][0] - states[0][0]
        size = sum(len(json.dumps(d, separators=(",", ":"))) for _, d in states)
        replay = {
            "demo_states": len(states),
            "demo_lesson_s": round(span, 1),
            "demo_states_per_s": round(len(states) / span, 2),
            "demo_state_bytes": size,
        }
        print(f"replaying a demo class: {len(states)} published states over {span:.0f} lesson seconds", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-lead-") as tmp:
        for i, n in enumerate(args.sizes):
            print(f"N = {n} classrooms, {args.dashboards} dashboard(s), {args.seconds:g} s ...", flush=True)
            rows.append(await run_size(n, args, Path(tmp), faults=(i == 0 and not args.no_faults), states=states))
    return {"rows": rows, **({"replay": replay} if replay else {})}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--sizes", default="10,100,500", help="numbers of classrooms, comma separated")
    p.add_argument("--dashboards", type=int, default=2)
    p.add_argument("--seconds", type=float, default=20.0, help="measured window per size")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--rate", type=float, default=2.0, help="messages/s per classroom (the link's cap is 2)")
    p.add_argument("--replay", action="store_true", help="classrooms replay a real demo class's states (real rate)")
    p.add_argument("--no-faults", action="store_true", help="skip the fault checks")
    p.add_argument("--quick", action="store_true", help="smoke run: 5 classrooms, 1 dashboard, 2 s")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.dashboards, args.seconds, args.warmup = "5", 1, 2.0, 1.0
    args.sizes = [int(x) for x in str(args.sizes).split(",") if x.strip()]
    t0 = time.monotonic()
    result = asyncio.run(main_async(args))
    rows = result["rows"]
    print_table(
        rows,
        [
            "classrooms", "dashboards", "rate_per_room", "msgs_in_per_s", "updates_seen", "p50_ms", "p90_ms", "p99_ms",
            "server_cpu_pct", "server_rss_mb",
        ],
    )  # fmt: skip
    faults = rows[0].get("faults", {})
    for k, v in faults.items():
        print(f"  {k}: {v}")
    write_json(
        Path(args.out),
        {"benchmark": "bench_lead", "args": {k: v for k, v in vars(args).items() if k != "out"},
         "wall_s": round(time.monotonic() - t0, 1), **result},
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

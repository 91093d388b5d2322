"""The classroom's link to the remote lead teacher's server: publishes the class state, takes commands.

`LeadLink` is an input stage of the class session. On the session's thread (never blocking) it reduces what
the session publishes (bus events, and the engine commands it is handed) into one `ClassState`, and puts the
snapshot dict into a depth-1 latest slot. Its own thread ("lead-link") connects out over a WebSocket (works
behind NAT), sends a full snapshot on every (re)connection and then deltas, at most `max_rate_hz` messages per
second; it reconnects with exponential backoff (0.5 s doubling to 30 s, with jitter). The class never waits for
the link: a newer snapshot overwrites an unsent one (counted as coalesced), commands come back through a bounded
drop-oldest queue (counted) and reach the lesson on the next tick as events. Nothing the server sends can crash
the classroom: every frame is validated (`LeadCommand`, extra="forbid"); anything else is ignored and counted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from dual_teacher.core import events as ev
from dual_teacher.core.backoff import Backoff
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.queues import DropOldestQueue, LatestSlot
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.class_state import LESSON_T_STEP_S, ClassState, HealthSample, StageRow, reduce, to_dict
from dual_teacher.runtime.class_state import delta as state_delta
from dual_teacher.runtime.health import HealthState, StageHealth, session_health
from dual_teacher.runtime.lead_protocol import MAX_MESSAGE_BYTES, LeadCommand, command_events

if TYPE_CHECKING:
    from dual_teacher.runtime.session import ClassSession

log = logging.getLogger(__name__)

_AT_CAP = 10_000  # an attempt number far past any cap (the delay saturates; Backoff does not overflow)
_IGNORED = (ev.Tick, ev.CaptionUpdated)  # high rate or private: never reach the state
HEALTH_EVERY_S = 1.0
RECONNECT = Backoff(initial_s=0.5, cap_s=30.0, jitter=0.2)


@dataclasses.dataclass
class LinkStats:
    connected: bool = False
    connects: int = 0
    failures: int = 0
    refused: int = 0  # the server refused our token
    sent: int = 0
    bytes_sent: int = 0
    coalesced: int = 0  # snapshots overwritten before they were sent (by design: latest wins)
    commands: int = 0
    ignored: int = 0  # frames from the server that did not validate or were of an unknown type
    commands_dropped: int = 0
    last_error: str = ""


def ws_url(base: str) -> str:
    """The classroom endpoint of a lead server given as http(s):// or ws(s):// base URL."""
    url = base.rstrip("/")
    if url.startswith("http://"):
        url = "ws://" + url[len("http://") :]
    elif url.startswith("https://"):
        url = "wss://" + url[len("https://") :]
    return url if url.endswith("/ws/classroom") else url + "/ws/classroom"


class LeadLink:
    name = "lead link"
    gated = False  # lead commands are not camera/microphone analytics: pausing analytics does not hold them

    def __init__(
        self,
        url: str,
        token: str,
        remote_control: bool = True,
        max_rate_hz: float = 2.0,
        reconnect: Backoff = RECONNECT,
        ca_file: Path | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`ca_file`: a PEM bundle to trust for a wss:// server with a private (e.g. district) certificate
        authority; by default the system's trusted authorities. `clock` paces the sending thread and stamps
        its messages; `rng` draws the reconnection jitter."""
        self.url = ws_url(url)
        self.ca_file = ca_file
        self._token = token
        self.remote_control = remote_control
        self.min_interval_s = 1.0 / max_rate_hz
        self.reconnect = reconnect
        self.clock = clock or RealClock()
        self._rng = rng or random.Random()
        self.stats = LinkStats()
        self._state = ClassState(remote_control=remote_control)
        self._published: ClassState | None = None
        self._published_t = -1
        self._slot: LatestSlot[dict[str, Any]] = LatestSlot()
        self._commands: DropOldestQueue[LeadCommand] = DropOldestQueue(32)
        self._notes: DropOldestQueue[ev.Event] = DropOldestQueue(32)
        self._session: ClassSession | None = None
        self._unsubscribe: Any = None
        self._next_health = 0.0
        self._stop = threading.Event()
        self._final = threading.Event()
        self._sent_final = threading.Event()
        self._thread: threading.Thread | None = None
        self._now = 0.0
        # The classroom window says whether lesson controls apply now (not while the live teacher is on air).
        self.lesson_controls_allowed: Callable[[], bool] = lambda: True

    # ---- the session's side (its thread) ---------------------------------------------------------------------
    def attach(self, session: ClassSession) -> None:
        """Called by the session: see every event it records, pull its stage health."""
        self._session = session
        self._unsubscribe = session.bus.subscribe(self._on_event)
        self._notes.put_nowait(ev.RemoteControlSet(self.remote_control))

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, _IGNORED):
            return
        self._state = reduce(self._state, event, self._now)

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        self._now = now
        if isinstance(item, cmd.Command):  # events arrive through the bus
            self._state = reduce(self._state, item, now)

    def poll(self, now: float) -> list[ev.Event]:
        self._now = now
        if now >= self._next_health and self._session is not None:
            self._next_health = now + HEALTH_EVERY_S
            rows = tuple(
                StageRow(r.stage, r.state, r.dropped) for r in session_health(self._session) if r.stage != self.name
            )
            self._state = reduce(self._state, HealthSample(rows), now)
        out = self._notes.drain()
        for c in self._commands.drain():
            events = command_events(c, self._state, self.remote_control)
            if not self.lesson_controls_allowed():  # the live stream leads: the AI lesson waits as it is
                events = [e for e in events if not isinstance(e, ev.TeacherPaused | ev.TeacherResumed)]
            out.extend(events)
        self.stats.commands_dropped = self._commands.dropped
        lesson_t = int(self._state.lesson_s(now) // LESSON_T_STEP_S)
        if self._state is not self._published or lesson_t != self._published_t:
            self._published, self._published_t = self._state, lesson_t
            self._slot.put(to_dict(self._state, now))
            self.stats.coalesced = self._slot.dropped
        return out

    def take_published(self) -> dict[str, Any] | None:
        """The newest state published since the last take, or None (what the sending thread reads; for tools
        that drive a link without connecting it, such as benchmarks/bench_lead.py --replay)."""
        return self._slot.take(timeout=0)

    def set_remote_control(self, enabled: bool) -> None:
        """The console's switch (thread-safe): commands still arrive and are shown, but nothing else happens."""
        self.remote_control = enabled
        self._notes.put_nowait(ev.RemoteControlSet(enabled))

    def health(self) -> StageHealth:
        s = self.stats
        state: HealthState = "ok" if s.connected else "degraded"
        detail = "connected" if s.connected else (s.last_error or "connecting")
        if s.refused:
            detail = "the lead server refused this classroom's token"
        return StageHealth(self.name, state, dropped=s.ignored + s.commands_dropped, detail=detail)

    # ---- the link's own thread --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lead-link", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Send the last state (the class has ended or stopped), then close the link."""
        self._slot.put(to_dict(self._state, self._now))
        self._final.set()
        if self._thread is not None and self.stats.connected:
            self._sent_final.wait(min(timeout, 2.0))
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _run(self) -> None:
        from websockets.exceptions import InvalidStatus, WebSocketException

        failures = 0  # tries since the last one that connected; a refused token waits the longest
        latest: dict[str, Any] | None = None
        while not self._stop.is_set():
            try:
                latest = self._session_once(latest)
                failures = 1
            except InvalidStatus as exc:
                self._down(f"refused: HTTP {exc.response.status_code}")
                failures += 1
                if exc.response.status_code in (401, 403):
                    self.stats.refused += 1
                    failures = max(failures, _AT_CAP)
            except (OSError, TimeoutError, WebSocketException) as exc:
                self._down(f"{type(exc).__name__}: {exc}"[:160])
                failures += 1
            if self.clock.wait(self._stop, self.reconnect.delay(failures, self._rng)):
                break

    def _down(self, reason: str) -> None:
        self.stats.failures += 1
        self.stats.last_error = reason
        if self.stats.connected:
            self.stats.connected = False
            self._notes.put_nowait(ev.LeadLinkChanged("down", reason))
        log.info("lead link down: %s", reason)

    def _session_once(self, latest: dict[str, Any] | None) -> dict[str, Any] | None:
        from websockets.sync.client import connect

        headers = {"Authorization": f"Bearer {self._token}"}
        tls = None
        if self.url.startswith("wss://") and self.ca_file is not None:
            tls = ssl.create_default_context(cafile=str(self.ca_file))
        with connect(
            self.url,
            ssl=tls,
            additional_headers=headers,
            open_timeout=5,
            close_timeout=1,
            max_size=MAX_MESSAGE_BYTES,
            proxy=None,
            compression=None,
        ) as ws:
            self.stats.connected = True
            self.stats.connects += 1
            self.stats.last_error = ""
            self._notes.put_nowait(ev.LeadLinkChanged("connected"))
            sent: dict[str, Any] | None = None
            last_send = 0.0
            seq = 0
            while not self._stop.is_set():
                fresh = self.take_published()
                if fresh is not None:
                    latest = fresh
                mono = self.clock.monotonic()
                final = self._final.is_set()
                if latest is not None and latest != sent and (final or mono - last_send >= self.min_interval_s):
                    body = latest if sent is None else state_delta(sent, latest)
                    kind = "snapshot" if sent is None else "delta"
                    text = json.dumps(
                        {"type": kind, "seq": seq, "ts": self.clock.wall(), "state": body}, separators=(",", ":")
                    )
                    ws.send(text)
                    seq += 1
                    self.stats.sent += 1
                    self.stats.bytes_sent += len(text)
                    sent, last_send = latest, mono
                if final and fresh is None:
                    self._sent_final.set()
                try:
                    frame = ws.recv(timeout=0.05)
                except TimeoutError:
                    continue
                self._on_frame(frame)
        return latest

    def _on_frame(self, frame: str | bytes) -> None:
        try:
            data = json.loads(frame)
        except (ValueError, UnicodeDecodeError):
            self.stats.ignored += 1
            return
        if not isinstance(data, dict) or data.get("type") != "command":
            self.stats.ignored += 1  # unknown kinds are ignored (a newer server may send more)
            return
        try:
            command = LeadCommand.model_validate(data)
        except ValidationError:
            self.stats.ignored += 1
            return
        self.stats.commands += 1
        self._commands.put_nowait(command)

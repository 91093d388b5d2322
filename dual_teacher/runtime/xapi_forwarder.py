"""The xAPI forwarder: a background thread that, while a class runs, moves newly stored events into the outbox
and sends the statements that are due to the Learning Record Store.

It holds nothing of its own: events are durable in the store and statements in the outbox, so stopping it,
an LRS outage or a killed app loses nothing; the next forwarder or `dual-teacher xapi send` carries on.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.engagement.outbox import DrainResult, LrsClient, Outbox, OutboxStats
from dual_teacher.engagement.xapi import XapiOptions

log = logging.getLogger(__name__)


class XapiForwarder:
    def __init__(
        self,
        store_path: Path,
        client: LrsClient,
        options: XapiOptions | None = None,
        interval_s: float = 5.0,
        include_practice: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.store_path = store_path
        self.clock = clock or RealClock()
        self.client = client
        self.options = options or XapiOptions()
        self.interval_s = interval_s
        self.include_practice = include_practice  # forward demo and screenshot runs too
        self.last: DrainResult | None = None
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xapi-forwarder", daemon=True)
        self._outbox: Outbox | None = None

    def start(self) -> None:
        self._outbox = Outbox(self.store_path, self.options, clock=self.clock)
        self._thread.start()

    def _once(self, budget_s: float) -> None:
        if self._outbox is None:
            return
        try:
            self._outbox.enqueue(include_practice=self.include_practice)
            self.last = self._outbox.drain(self.client, deadline=self.clock.monotonic() + budget_s)
        except Exception:  # a broken LRS reply or a busy disk must not kill the forwarder; it tries again
            self.errors += 1
            log.exception("xAPI forwarding failed; will try again")

    def _run(self) -> None:
        while not self.clock.wait(self._stop, self.interval_s):
            self._once(budget_s=max(self.interval_s, 10.0))

    def stop(self, final_s: float = 5.0) -> OutboxStats | None:
        """Stop the thread, then one last pass (at most `final_s` of sending); what is left stays in the outbox."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=max(final_s, self.client.timeout_s) + 5.0)
        if self._outbox is None or self._thread.is_alive():  # still stuck in a send: leave it (a daemon thread)
            return None
        try:
            if final_s > 0:
                self._once(budget_s=final_s)
            return self._outbox.stats()
        finally:
            self._outbox.close()
            self._outbox = None

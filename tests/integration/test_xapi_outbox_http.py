"""The durable xAPI outbox and the forwarder against a fake LRS on 127.0.0.1 (a real HTTP server, so here in
integration): sent once with basic auth, kept through an outage and a restart, a refused statement set aside,
an unreachable LRS retried. Statements themselves are tested in tests/unit/test_xapi_outbox.py."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.outbox import RETRY, LrsClient, LrsError, Outbox
from tests.unit.test_xapi_outbox import CLASS, _statements, _write


# ---- a fake LRS ----------------------------------------------------------------------------------------------
class FakeLrs(BaseHTTPRequestHandler):
    mode: ClassVar[str] = "ok"  # "ok", "down" (503), "refuse" (400 for batches holding a bad id)
    bad_ids: ClassVar[set[str]] = set()
    stored: ClassVar[dict[str, str]] = {}
    posts: ClassVar[list[int]] = []
    auth: ClassVar[list[str | None]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeLrs.auth.append(self.headers.get("Authorization"))
        statements = json.loads(body)
        FakeLrs.posts.append(len(statements))
        if FakeLrs.mode == "down":
            self._reply(503, b'{"detail": "down"}')
        elif any(s["id"] in FakeLrs.bad_ids for s in statements):
            self._reply(400, b'{"detail": "invalid statement"}')
        else:
            for s in statements:
                FakeLrs.stored.setdefault(s["id"], json.dumps(s, sort_keys=True))
            self._reply(200, json.dumps([s["id"] for s in statements]).encode())

    def _reply(self, code: int, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def lrs() -> Iterator[str]:
    FakeLrs.mode, FakeLrs.bad_ids, FakeLrs.stored, FakeLrs.posts, FakeLrs.auth = "ok", set(), {}, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLrs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xAPI/"
    server.shutdown()
    server.server_close()


def test_outbox_sends_everything_once_with_basic_auth(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS[:6])
    box = Outbox(db)
    assert box.enqueue() == 6
    assert box.enqueue() == 0  # nothing new
    result = box.drain(LrsClient(lrs, "user", "pw ✓"), batch_size=4)
    assert (result.sent, result.failed_attempts, result.error) == (6, 0, None)
    assert FakeLrs.posts == [4, 2]
    assert FakeLrs.auth[0] == "Basic " + base64.b64encode("user:pw ✓".encode()).decode()
    # More events arrive: only their statements are queued; the builder remembers the open question.
    _write(db, CLASS[6:], start=100.0)
    assert box.enqueue() == 9
    assert box.drain(LrsClient(lrs)).sent == 9
    stats = box.stats()
    assert (stats.sent, stats.pending, stats.rejected) == (15, 0, 0)
    assert sorted(FakeLrs.stored) == sorted(s["id"] for s in _statements(db))
    box.close()


def test_outbox_keeps_statements_through_an_outage_and_a_restart(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    clock = FakeClock(start_wall=1000.0)
    box = Outbox(db, clock=clock)
    box.enqueue()
    FakeLrs.mode = "down"
    result = box.drain(LrsClient(lrs), batch_size=5)
    assert result.sent == 0 and result.failed_attempts == 5 and "503" in (result.error or "")
    assert len(FakeLrs.posts) == 1  # stops at the first failure: the LRS is away
    stats = box.stats()
    assert stats.pending == 15 and stats.due == 10  # the failed batch waits for its backoff
    clock.advance(1.0)
    assert box.drain(LrsClient(lrs)).sent == 0  # still down
    box.close()
    # The app restarts; the LRS is back. Each statement goes when its backoff (kept in the store) is over.
    FakeLrs.mode = "ok"
    box = Outbox(db, clock=clock)
    assert box.enqueue() == 0
    assert box.drain(LrsClient(lrs)).sent == 0
    clock.advance(1000.0 + RETRY.delay(1) - clock.wall())
    assert box.drain(LrsClient(lrs), deadline=clock.monotonic()).sent == 0  # the deadline is on the same clock
    assert box.drain(LrsClient(lrs)).sent == 5  # the first failed batch
    clock.advance(1.0)
    assert box.drain(LrsClient(lrs)).sent == 10
    assert box.stats().pending == 0
    assert len(FakeLrs.stored) == 15
    box.close()


def test_a_statement_the_lrs_refuses_is_set_aside_not_blocking(tmp_path: Path, lrs: str) -> None:
    db = tmp_path / "e.sqlite"
    _write(db, CLASS)
    box = Outbox(db)
    box.enqueue()
    bad = _statements(db)[4]["id"]
    FakeLrs.bad_ids = {bad}
    result = box.drain(LrsClient(lrs), batch_size=10, ignore_schedule=True)
    assert (result.sent, result.rejected) == (14, 1)
    stats = box.stats()
    assert (stats.sent, stats.pending, stats.rejected) == (14, 0, 1)
    assert bad not in FakeLrs.stored
    box.close()


def test_unreachable_lrs_is_a_retry(tmp_path: Path) -> None:
    client = LrsClient("http://127.0.0.1:9/xAPI", timeout_s=2.0)
    with pytest.raises(LrsError) as info:
        client.post(["{}"])
    assert info.value.retry and "unreachable" in str(info.value)
    with pytest.raises(ValueError, match="http"):
        LrsClient("file:///etc/passwd")


def test_forwarder_sends_while_events_are_stored_and_once_more_at_stop(tmp_path: Path, lrs: str) -> None:
    import time

    from dual_teacher.runtime.xapi_forwarder import XapiForwarder

    db = tmp_path / "e.sqlite"
    _write(db, CLASS[:4])
    forwarder = XapiForwarder(db, LrsClient(lrs), interval_s=0.05)
    forwarder.start()
    deadline = time.monotonic() + 20
    while len(FakeLrs.stored) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(FakeLrs.stored) == 4  # initialized, joined (room), joined + raised hand (track)
    _write(db, CLASS[4:], start=50.0)
    stats = forwarder.stop(final_s=5.0)
    assert stats is not None and (stats.sent, stats.pending) == (15, 0)
    assert len(FakeLrs.stored) == 15

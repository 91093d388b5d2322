"""The classroom link against a real `lead serve`, with real headless demos: faults and remote control."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.integration._lead import (
    event_kinds,
    free_port,
    get,
    lead_server,
    login,
    self_signed,
    setup_rooms,
    start_demo,
    stop,
    trusting,
    wait_for,
)

pytestmark = pytest.mark.slow


def _stored_state(db: Path) -> bool:
    import sqlite3

    con = sqlite3.connect(db, timeout=5)
    try:
        return bool(con.execute("SELECT count(*) FROM states").fetchone()[0])
    finally:
        con.close()


def _room(base: str, cookie: str, name: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in get(base, "/api/rooms", cookie)["rooms"] if r["name"] == name)


def _command(base: str, cookie: str, room_id: str, **command: object) -> dict:  # type: ignore[type-arg]
    ws_base = base.replace("http://", "ws://")
    with connect(ws_base + "/ws/dashboard", additional_headers={"cookie": cookie}, proxy=None) as ws:
        json.loads(ws.recv(timeout=10))  # the rooms
        ws.send(json.dumps({"room": room_id, "type": "command", "id": "t1", **command}))
        while True:
            msg = json.loads(ws.recv(timeout=10))
            if msg["type"] in ("ack", "error"):
                return msg  # type: ignore[no-any-return]


def test_faults_refused_without_harm_and_state_rebuilt_after_a_server_restart(tmp_path: Path) -> None:
    db = tmp_path / "lead.sqlite"
    good, other = setup_rooms(db, ["good", "other"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ws_base = f"ws://127.0.0.1:{port}/ws/classroom"
    room_dir = tmp_path / "room"
    demo = start_demo(room_dir, base, good, speed="4")
    try:
        with lead_server(db, port, tmp_path / "server.log") as server:
            cookie = login(base)
            assert wait_for(lambda: _room(base, cookie, "good")["connected"], 20)
            # A wrong token never gets a WebSocket.
            for token in ("nope", good.split(".")[0] + ".wrong-secret", other + "x"):
                with pytest.raises(InvalidStatus) as refused:
                    connect(ws_base, additional_headers={"Authorization": f"Bearer {token}"}, proxy=None)
                assert refused.value.response.status_code == 403
            # Malformed, unknown-key and oversized messages close only the offending connection.
            for text, code in (
                ("{not json", 1008),
                (json.dumps({"type": "delta", "seq": 1, "ts": 0, "state": {"faces": [1, 2]}}), 1008),
                (json.dumps({"type": "delta", "seq": 1, "ts": 0, "state": {"alerts": ["x" * 40_000]}}), 1009),
            ):
                with connect(ws_base, additional_headers={"Authorization": f"Bearer {other}"}, proxy=None) as ws:
                    ws.send(text)
                    with pytest.raises(ConnectionClosed) as closed:
                        ws.recv(timeout=10)
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == code
            stats = get(base, "/api/stats", cookie)
            assert stats["refused_tokens"] == 3
            assert stats["refused_messages"] == 2 and stats["oversized_messages"] == 1
            # ... while the good classroom kept publishing.
            before = _room(base, cookie, "good")["updated"]
            assert wait_for(lambda: _room(base, cookie, "good")["updated"] > before, 15)
            assert _room(base, cookie, "good")["connected"]
            # A command reaches the classroom and becomes events there.
            ack = _command(base, cookie, _room(base, cookie, "good")["id"], kind="pause")
            assert ack["delivered"] is True
            assert wait_for(lambda: "LessonPaused" in [k for k, _ in event_kinds(room_dir)], 15)
            _command(base, cookie, _room(base, cookie, "good")["id"], kind="resume")
            bad = _command(base, cookie, _room(base, cookie, "good")["id"], kind="pause", shell="x")
            assert bad["type"] == "error"
            # Kill the server mid-class (no clean shutdown), once it has written the room's state (every 5 s).
            assert wait_for(lambda: _stored_state(db), 15)
            server.kill()
            server.wait(10)
        time.sleep(1.0)
        with lead_server(db, port, tmp_path / "server.log"):
            cookie = login(base)
            restored = _room(base, cookie, "good")
            assert restored["state"]["lesson"]["pack"] == "demo-grade2-addition"  # from the store, at once
            assert wait_for(lambda: _room(base, cookie, "good")["connected"], 20)  # the classroom reconnected
            fresh = wait_for(lambda: _room(base, cookie, "good")["updated"] > restored["updated"], 15)
            assert fresh
    finally:
        stop(demo)
    kinds = [k for k, _ in event_kinds(room_dir)]
    assert kinds.count("LeadLinkChanged") >= 3  # connected, down, connected again
    assert "LessonResumed" in kinds


def test_remote_control_off_shows_commands_but_does_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lead.sqlite"
    (token,) = setup_rooms(db, ["view only"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    room_dir = tmp_path / "room"
    demo = start_demo(room_dir, base, token, "--lead-view-only", speed="4")
    try:
        with lead_server(db, port, tmp_path / "server.log"):
            cookie = login(base)
            assert wait_for(lambda: _room(base, cookie, "view only")["connected"], 20)
            assert wait_for(lambda: _room(base, cookie, "view only")["state"].get("remote_control") is False, 10)
            ack = _command(base, cookie, _room(base, cookie, "view only")["id"], kind="pause")
            assert ack["delivered"] is True
            got = wait_for(lambda: [p for k, p in event_kinds(room_dir) if k == "LeadCommandReceived"], 15)
            assert got and got[0]["accepted"] is False
            time.sleep(1.0)
            assert "LessonPaused" not in [k for k, _ in event_kinds(room_dir)]
    finally:
        stop(demo)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_tls_with_uvicorn_options_and_a_private_authority(tmp_path: Path) -> None:
    db = tmp_path / "lead.sqlite"
    (token,) = setup_rooms(db, ["tls room"])
    key, cert = self_signed(tmp_path)
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    room_dir = tmp_path / "room"
    opener = trusting(cert)
    with lead_server(db, port, tmp_path / "server.log", "--ssl-keyfile", str(key), "--ssl-certfile", str(cert)):
        demo = start_demo(room_dir, base, token, "--lead-ca", str(cert), speed="4")
        untrusting = start_demo(tmp_path / "room2", base, token)  # the system CAs do not know this certificate
        try:
            cookie = login(base, opener)
            assert wait_for(lambda: get(base, "/api/rooms", cookie, opener)["rooms"][0]["connected"], 20)
            kinds = [k for k, _ in event_kinds(room_dir)]
            assert wait_for(lambda: "LeadLinkChanged" in [k for k, _ in event_kinds(room_dir)], 10), kinds
            stop(untrusting)
            assert not [p for k, p in event_kinds(tmp_path / "room2") if k == "LeadLinkChanged"]
        finally:
            stop(demo)
            stop(untrusting)

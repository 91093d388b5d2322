"""The lead teacher's server: an ASGI app (Starlette on uvicorn) with WebSockets for classrooms and dashboards.

- `/ws/classroom`: a classroom connects out with `Authorization: Bearer <token>`; a wrong token is refused before
  the WebSocket opens (HTTP 403). It sends a snapshot, then deltas (`runtime.lead_protocol.StateMessage`); a frame
  that is too big, not JSON, or does not validate closes that one connection (1009/1008) and is counted; every
  other classroom and dashboard carries on. A second connection with the same token replaces the first.
- `/ws/dashboard`: a signed-in browser (session cookie, same origin only) gets every room's last known state,
  then patches as they come, coalesced per room while a send is in progress (so a slow dashboard holds at most
  one pending patch per room: bounded, counted); it sends `LeadCommand`s with a `room` id, forwarded to that room.
- `/` the dashboard page, `/static/*` its assets, `/api/login`, `/api/logout`, `/api/rooms`, `/api/stats`.

The last state of each room is written to the store every few seconds, so a restarted server shows the rooms at
once and the classrooms' reconnect snapshots bring them up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from dual_teacher.lead.store import LeadStore, check_password, hash_password
from dual_teacher.runtime.lead_protocol import MAX_MESSAGE_BYTES, LeadCommand, StateMessage

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "dt_lead"
SESSION_S = 12 * 3600
FLUSH_S = 5.0
PASSWORD_ENV = "DUAL_TEACHER_LEAD_PASSWORD"
CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'"
)


class Room:
    def __init__(self, cid: str, name: str) -> None:
        self.id = cid
        self.name = name
        self.state: dict[str, Any] = {}
        self.ts = 0.0  # the classroom's wall clock of the last state it sent
        self.updated = 0.0  # our wall clock when it arrived
        self.ws: WebSocket | None = None
        self.messages = 0
        self.bytes = 0

    @property
    def connected(self) -> bool:
        return self.ws is not None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "connected": self.connected,
            "ts": self.ts,
            "updated": self.updated,
            "state": self.state,
        }


class Dashboard:
    """One signed-in browser: at most one pending patch per room (coalesced), sent by its own task."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.pending: dict[str, dict[str, Any]] = {}
        self.wake = asyncio.Event()
        self.coalesced = 0

    def push(self, room: Room, patch: dict[str, Any]) -> None:
        cur = self.pending.get(room.id)
        if cur is None:
            self.pending[room.id] = {"id": room.id, "connected": room.connected, "ts": room.ts, "patch": dict(patch)}
        else:
            self.coalesced += 1
            cur["patch"].update(patch)
            cur["connected"] = room.connected
            cur["ts"] = room.ts
        self.wake.set()

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batch, self.pending = list(self.pending.values()), {}
            if not batch:
                continue
            try:
                await self.ws.send_text(json.dumps({"type": "update", "rooms": batch}, separators=(",", ":")))
            except (RuntimeError, WebSocketDisconnect, OSError):
                return  # the browser went away; its receive loop cleans up


class Hub:
    def __init__(self, store: LeadStore, password_hash: str | None) -> None:
        self.store = store
        self.password_hash = password_hash
        self.rooms: dict[str, Room] = {}
        self.dashboards: set[Dashboard] = set()
        self.sessions: dict[str, float] = {}  # dashboard session token -> expiry
        self.dirty: set[str] = set()
        self.counters = {
            "state_messages": 0,
            "refused_tokens": 0,
            "refused_messages": 0,
            "oversized_messages": 0,
            "commands_forwarded": 0,
            "commands_undelivered": 0,
            "bad_commands": 0,
            "logins_failed": 0,
        }
        self.started = time.time()
        self.reload()

    def reload(self) -> None:
        known = self.store.states()
        for c in self.store.classrooms():
            if c.id not in self.rooms:
                room = Room(c.id, c.name)
                if c.id in known:
                    room.state, room.updated = known[c.id]
                self.rooms[c.id] = room

    def broadcast(self, room: Room, patch: dict[str, Any]) -> None:
        for d in self.dashboards:
            d.push(room, patch)

    def flush(self) -> None:
        rows = [(cid, self.rooms[cid].state, self.rooms[cid].updated) for cid in self.dirty if cid in self.rooms]
        self.dirty.clear()
        self.store.save_states(rows)

    def signed_in(self, token: str | None) -> bool:
        if not token:
            return False
        expiry = self.sessions.get(token)
        if expiry is None and len(token) < 100:
            expiry = self.store.dashboard_session_expiry(token)  # signed in before a restart
            if expiry is not None:
                self.sessions[token] = expiry
        if expiry is None or expiry < time.time():
            self.sessions.pop(token or "", None)
            return False
        return True

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            **self.counters,
            "rooms": len(self.rooms),
            "rooms_connected": sum(1 for r in self.rooms.values() if r.connected),
            "dashboards": len(self.dashboards),
            "coalesced": sum(d.coalesced for d in self.dashboards),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": usage.ru_maxrss / 1024,
            "uptime_s": time.time() - self.started,
            "pid": os.getpid(),
        }


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == ws.headers.get("host")


class _LeadApp:
    """The routes of the lead-teacher server over one `Hub` (see `create_app`)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        hub = self.hub

        async def flusher() -> None:
            while True:
                await asyncio.sleep(FLUSH_S)
                if hub.dirty:
                    await asyncio.to_thread(hub.flush)

        task = asyncio.create_task(flusher())
        try:
            yield
        finally:
            task.cancel()
            hub.flush()
            hub.store.close()

    def authed(self, request: Request) -> bool:
        return self.hub.signed_in(request.cookies.get(COOKIE))

    async def index(self, request: Request) -> Response:
        return FileResponse(
            STATIC / "index.html", headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        )

    async def login(self, request: Request) -> Response:
        hub = self.hub
        try:
            body = await request.json()
            given = str(body.get("password", ""))[:200]
        except (ValueError, AttributeError):
            return JSONResponse({"error": 'send JSON: {"password": "..."}'}, status_code=400)
        if hub.password_hash is None:
            return JSONResponse(
                {"error": "no dashboard password set: run `dual-teacher lead set-password` on the server"},
                status_code=503,
            )
        ok = await asyncio.to_thread(check_password, given, hub.password_hash)
        if not ok:
            hub.counters["logins_failed"] += 1
            await asyncio.sleep(1.0)  # slows guessing
            return JSONResponse({"error": "wrong password"}, status_code=401)
        token = secrets.token_urlsafe(32)
        hub.sessions[token] = time.time() + SESSION_S
        await asyncio.to_thread(hub.store.add_dashboard_session, token, hub.sessions[token])
        resp = JSONResponse({"ok": True})
        resp.set_cookie(
            COOKIE, token, max_age=SESSION_S, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )
        return resp

    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(COOKIE) or ""
        self.hub.sessions.pop(token, None)
        await asyncio.to_thread(self.hub.store.remove_dashboard_session, token)
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(COOKIE)
        return resp

    async def rooms(self, request: Request) -> Response:
        if not self.authed(request):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        self.hub.reload()
        return JSONResponse({"rooms": [r.view() for r in self.hub.rooms.values()]})

    async def stats(self, request: Request) -> Response:
        if not self.authed(request):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        return JSONResponse(self.hub.stats())

    async def classroom_ws(self, ws: WebSocket) -> None:
        hub = self.hub
        auth = ws.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        classroom = hub.store.authenticate(token) if token else None
        if classroom is None:
            hub.counters["refused_tokens"] += 1
            await ws.close(code=1008)  # before accept: the client sees HTTP 403
            return
        room = hub.rooms.get(classroom.id)
        if room is None:
            hub.reload()
            room = hub.rooms[classroom.id]
        await ws.accept()
        old, room.ws = room.ws, ws
        if old is not None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await old.close(code=4000)  # replaced by a newer connection of the same classroom
        has_snapshot = False
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                close, has_snapshot = self._on_state(room, msg.get("text"), has_snapshot)
                if close is not None:
                    await ws.close(code=close)
                    break
        except WebSocketDisconnect:
            pass
        finally:
            if room.ws is ws:
                room.ws = None
                hub.broadcast(room, {})

    def _on_state(self, room: Room, text: str | None, has_snapshot: bool) -> tuple[int | None, bool]:
        """One message of a classroom: (the close code when it is refused, else None; has a snapshot now)."""
        hub = self.hub
        if text is None or len(text) > MAX_MESSAGE_BYTES:
            hub.counters["oversized_messages" if text is not None else "refused_messages"] += 1
            return (1009 if text is not None else 1003), has_snapshot
        try:
            data = StateMessage.model_validate_json(text)
        except ValidationError:
            hub.counters["refused_messages"] += 1
            return 1008, has_snapshot
        if data.type == "snapshot":
            room.state = dict(data.state)
            has_snapshot = True
        elif has_snapshot:
            room.state.update(data.state)
        else:
            hub.counters["refused_messages"] += 1  # a delta before any snapshot: ignore it
            return None, has_snapshot
        room.ts, room.updated = data.ts, time.time()
        room.messages += 1
        room.bytes += len(text)
        hub.counters["state_messages"] += 1
        hub.dirty.add(room.id)
        hub.broadcast(room, data.state if data.type == "delta" else room.state)
        return None, has_snapshot

    async def dashboard_ws(self, ws: WebSocket) -> None:
        hub = self.hub
        if not hub.signed_in(ws.cookies.get(COOKIE)) or not _same_origin(ws):
            await ws.close(code=1008)
            return
        await ws.accept()
        hub.reload()
        await ws.send_text(json.dumps({"type": "rooms", "rooms": [r.view() for r in hub.rooms.values()]}))
        dash = Dashboard(ws)
        hub.dashboards.add(dash)
        sender = asyncio.create_task(dash.run())
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                await self._dashboard_command(ws, msg.get("text"))
        except WebSocketDisconnect:
            pass
        finally:
            hub.dashboards.discard(dash)
            sender.cancel()

    async def _dashboard_command(self, ws: WebSocket, text: str | None) -> None:
        hub = self.hub
        try:
            data = json.loads(text or "")
            room_id = str(data.pop("room"))
            command = LeadCommand.model_validate(data)
        except (ValueError, TypeError, KeyError, AttributeError, ValidationError) as exc:
            hub.counters["bad_commands"] += 1
            await ws.send_text(json.dumps({"type": "error", "message": f"command refused: {exc}"[:300]}))
            return
        room = hub.rooms.get(room_id)
        target = room.ws if room is not None else None
        delivered = False
        if target is not None:
            try:
                await target.send_text(command.model_dump_json(exclude_none=True))
                delivered = True
            except (RuntimeError, WebSocketDisconnect):
                delivered = False
        hub.counters["commands_forwarded" if delivered else "commands_undelivered"] += 1
        await asyncio.to_thread(hub.store.log_command, room_id, command.model_dump(), delivered, time.time())
        await ws.send_text(json.dumps({"type": "ack", "id": command.id, "room": room_id, "delivered": delivered}))


def create_app(db: Path, password: str | None = None) -> Starlette:
    """The app on the store at `db`. The dashboard password: `password`, else $DUAL_TEACHER_LEAD_PASSWORD, else the
    one set with `lead set-password` (scrypt hash in the store)."""
    store = LeadStore(db)
    secret = password or os.environ.get(PASSWORD_ENV)
    lead = _LeadApp(Hub(store, hash_password(secret) if secret else store.password_hash()))
    routes = [
        Route("/", lead.index),
        Route("/api/login", lead.login, methods=["POST"]),
        Route("/api/logout", lead.logout, methods=["POST"]),
        Route("/api/rooms", lead.rooms),
        Route("/api/stats", lead.stats),
        WebSocketRoute("/ws/classroom", lead.classroom_ws),
        WebSocketRoute("/ws/dashboard", lead.dashboard_ws),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lead.lifespan)
    app.state.hub = lead.hub
    return app


def serve(
    db: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    ssl_keyfile: str | None = None,
    ssl_certfile: str | None = None,
    log_level: str = "warning",
) -> None:
    import uvicorn

    uvicorn.run(
        create_app(db),
        host=host,
        port=port,
        ssl_keyfile=ssl_keyfile,
        ssl_certfile=ssl_certfile,
        ws_max_size=4 * MAX_MESSAGE_BYTES,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        lifespan="on",
    )

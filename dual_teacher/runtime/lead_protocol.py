"""Messages of the classroom <-> lead-server link (JSON text frames over one WebSocket).

Classroom -> server: `{"type": "snapshot" | "delta", "seq": n, "ts": wall seconds, "state": {...}}`; a snapshot
holds every key of `class_state.to_dict`, a delta only those that changed. Nothing else is ever sent: the keys
are checked against `STATE_KEYS` on both ends (the server refuses a message with any other key).
Server -> classroom: `{"type": "command", "id": ..., "kind": ..., ...}` (`LeadCommand`). Both sides validate with
pydantic (`extra="forbid"`); a message that does not validate, or of an unknown type, is ignored and counted.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dual_teacher.core import events as ev
from dual_teacher.runtime.class_state import ClassState, nearest_hand

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 16 * 1024  # a full snapshot of a 60-hand class is ~5 KiB
STATE_KEYS = frozenset(
    {
        "lesson",
        "on_air",
        "live_ok",
        "head",
        "hands",
        "poll",
        "answers",
        "attention",
        "health",
        "alerts",
        "analytics",
        "remote_control",
        "lead_log",
    }
)
CommandKind = Literal["call_on_seat", "hand_poll", "question", "switch_source", "pause", "resume", "note"]


class LeadCommand(BaseModel):
    """One command from the lead teacher's dashboard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["command"] = "command"
    id: str = Field("", max_length=40, description="the dashboard's id for this command")
    kind: CommandKind
    x: float | None = Field(None, ge=0.0, le=1.0, description="call_on_seat: seat position, left -> right")
    y: float | None = Field(None, ge=0.0, le=1.0, description="call_on_seat: seat position, front -> back")
    prompt: str | None = Field(None, min_length=1, max_length=200, description="hand_poll / question text")
    choices: tuple[str, ...] = Field((), max_length=6, description="question: the answer choices")
    source: Literal["live", "lesson"] | None = Field(None, description="switch_source: what goes on air")
    text: str | None = Field(None, min_length=1, max_length=280, description="note: to the assisting teacher")
    duration_s: float = Field(30.0, ge=5.0, le=600.0, description="hand_poll / question: how long it stays open")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> LeadCommand:
        need = {
            "call_on_seat": ("x", "y"),
            "hand_poll": ("prompt",),
            "question": ("prompt",),
            "switch_source": ("source",),
            "note": ("text",),
        }.get(self.kind, ())
        missing = [name for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {', '.join(missing)}")
        if any(not c or len(c) > 60 for c in self.choices):
            raise ValueError("choices must be 1-60 characters each")
        return self


class StateMessage(BaseModel):
    """What a classroom sends (checked by the server)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["snapshot", "delta"]
    seq: int = Field(ge=0)
    ts: float = Field(description="the classroom's wall clock when it sent this (for latency figures)")
    state: dict[str, Any]

    @model_validator(mode="after")
    def _known_keys(self) -> StateMessage:
        extra = set(self.state) - STATE_KEYS
        if extra:
            raise ValueError(f"unknown state keys: {sorted(extra)}")
        if self.type == "snapshot" and set(self.state) != STATE_KEYS:
            raise ValueError(f"a snapshot needs every key; missing {sorted(STATE_KEYS - set(self.state))}")
        return self


def describe(c: LeadCommand) -> str:
    """One line for the console and the event log."""
    if c.kind == "call_on_seat":
        return f"seat {c.x:.2f}, {c.y:.2f}"
    if c.kind == "question":
        return (c.prompt or "") + (f" [{' | '.join(c.choices)}]" if c.choices else "")
    if c.kind == "hand_poll":
        return f"{c.prompt} ({c.duration_s:g} s)"
    if c.kind == "switch_source":
        return c.source or ""
    return c.text or ""


def command_events(c: LeadCommand, state: ClassState, remote_control: bool) -> list[ev.Event]:
    """The events a lead command becomes in the classroom. Always a `LeadCommandReceived` (the console shows it);
    with remote control on, also what the assisting teacher's own button would have submitted."""
    if not remote_control:
        return [ev.LeadCommandReceived(c.kind, describe(c), accepted=False)]
    out: list[ev.Event] = [ev.LeadCommandReceived(c.kind, describe(c), accepted=True)]
    if c.kind == "call_on_seat" and c.x is not None and c.y is not None:
        hand = nearest_hand(state, c.x, c.y)
        out.append(ev.TeacherCalledOnHand(hand.track_id if hand is not None else -1))
    elif c.kind == "pause":
        out.append(ev.TeacherPaused())
    elif c.kind == "resume":
        out.append(ev.TeacherResumed())
    # switch_source: the classroom window acts on the LeadCommandReceived (it owns the live stream), exactly as for
    # the console's own button, which records TeacherSwitchedSource
    elif c.kind == "hand_poll" and c.prompt is not None:
        out.append(ev.LeadHandPollRequested(c.prompt, c.duration_s))
    elif c.kind == "question" and c.prompt is not None:
        out.append(ev.LeadQuestionShown(c.prompt, c.choices, c.duration_s))
    return out

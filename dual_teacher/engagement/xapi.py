"""Stored events -> xAPI statements, following the xAPI Virtual Classroom profile.

Pure and deterministic: the same stored events give the same statements, byte for byte, so a statement sent
twice is harmless (the LRS keeps one). Statement ids are `uuid5(NAMESPACE, "<session id>:<event seq>:<k>")`
(k numbers the statements made from one event).

Actors are anonymous and live for one lesson: an xAPI account on `base_iri` whose name is
`sha256("<session id>:<role>")` (first 32 hex digits), with role "lead-teacher", "room" (the class as a whole)
or "track:<id>" (an anonymous per-lesson hand-raising track). No names, faces, seats or voices leave the PC.

| event | statement (verb) | actor |
|---|---|---|
| ClassStarted | initialized the virtual classroom; the room joined it | lead teacher; room |
| HandRaised (first of a track) | joined, then raised-hand | track |
| HandRaised / HandLowered | raised-hand / lowered-hand | track |
| QuestionAsked | asked (a cmi.interaction; parent: the classroom) | lead teacher |
| AnswerHeard | answered (response: the answer key; free text withheld unless private data is allowed) | room |
| QuestionClosed | completed the question (score: correct / responses; tally in result extensions) | room |
| ClassEnded "completed" | completed the lesson | room |
| ClassEnded | terminated the virtual classroom | lead teacher |
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from dual_teacher.core.events import (
    AnswerHeard,
    ClassEnded,
    ClassStarted,
    Event,
    HandLowered,
    HandRaised,
    QuestionAsked,
    QuestionClosed,
)
from dual_teacher.engagement.recorded import Recorded, decode
from dual_teacher.engagement.store import SessionRow, StoredEvent

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/dual-teacher/xapi/statement")
PROFILE_IRI = "https://w3id.org/xapi/virtual-classroom"
VIRTUAL_CLASSROOM = "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom"
CMI_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
PROFILE_TYPE = "http://adlnet.gov/expapi/activities/profile"
SESSION_ID_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
PLANNED_DURATION_EXT = "http://id.tincanapi.com/extension/planned-duration"
WITHHELD = "(free text withheld)"

VERBS: dict[str, tuple[str, str]] = {
    "initialized": ("http://adlnet.gov/expapi/verbs/initialized", "initialized"),
    "joined": ("http://activitystrea.ms/join", "joined"),
    "raised-hand": ("https://w3id.org/xapi/virtual-classroom/verbs/raised-hand", "raised hand"),
    "lowered-hand": ("https://w3id.org/xapi/virtual-classroom/verbs/lowered-hand", "lowered hand"),
    "asked": ("http://adlnet.gov/expapi/verbs/asked", "asked"),
    "answered": ("http://adlnet.gov/expapi/verbs/answered", "answered"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "completed"),
    "terminated": ("http://adlnet.gov/expapi/verbs/terminated", "terminated"),
}

# Only these stored events make statements (the outbox reads no others: it selects their stored type names).
SOURCE_EVENTS: tuple[type[Event], ...] = (
    ClassStarted,
    HandRaised,
    HandLowered,
    QuestionAsked,
    AnswerHeard,
    QuestionClosed,
    ClassEnded,
)
SOURCE_TYPES = tuple(kind.__name__ for kind in SOURCE_EVENTS)


@dataclasses.dataclass(frozen=True)
class _OpenQuestion:
    node_id: str
    qtype: str
    activity: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class XapiOptions:
    """`base_iri` roots the activity ids, account home page and extension keys; `private_data` lets free-text
    (short) answers through instead of withholding them."""

    base_iri: str = "urn:dual-teacher"
    private_data: bool = False


def statement_id(session_id: str, seq: int, k: int = 0) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{session_id}:{seq}:{k}"))


def anonymous_name(session_id: str, role: str) -> str:
    """The account name of an anonymous per-lesson actor: a hash that no other lesson shares."""
    return hashlib.sha256(f"{session_id}:{role}".encode()).hexdigest()[:32]


def timestamp(wall: float) -> str:
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    return f"PT{max(0.0, seconds):.2f}S"


class StatementBuilder:
    """Feeds on one session's decoded events in order; returns the statements each event makes."""

    def __init__(self, session: SessionRow, options: XapiOptions | None = None) -> None:
        self.session = session
        self.options = options or XapiOptions()
        base = self.options.base_iri.rstrip("/")
        self._base = base
        self._lang = str(session.meta.get("language") or "en")
        self._classroom: dict[str, Any] = {
            "objectType": "Activity",
            "id": f"{base}/sessions/{quote(session.id, safe='')}",
            "definition": {"type": VIRTUAL_CLASSROOM, **self._name(session.pack_title)},
        }
        self._registration = str(uuid.uuid5(NAMESPACE, f"registration:{session.id}"))
        self._joined: set[int] = set()
        self._open_question: _OpenQuestion | None = None
        self._questions: dict[str, dict[str, Any]] = {}
        self._first_wall: float | None = None

    # ---- pieces -------------------------------------------------------------------------------------------
    def _name(self, text: str, key: str = "name") -> dict[str, Any]:
        return {key: {self._lang: text}} if text else {}

    def _agent(self, role: str) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "account": {"homePage": self._base, "name": anonymous_name(self.session.id, role)},
        }

    def _ext(self, name: str) -> str:
        return f"{self._base}/xapi/extensions/{name}"

    def _context(self, parent: bool = False, planned: bool = False) -> dict[str, Any]:
        activities: dict[str, Any] = {
            "category": [{"id": PROFILE_IRI, "definition": {"type": PROFILE_TYPE}}],
        }
        if parent:
            activities["parent"] = [self._classroom]
        extensions: dict[str, Any] = {SESSION_ID_EXT: self.session.id}
        if planned:
            extensions[PLANNED_DURATION_EXT] = None  # not planned ahead: the lesson runs until it ends
        return {
            "registration": self._registration,
            "contextActivities": activities,
            "platform": "dual-teacher",
            "language": self._lang,
            "extensions": extensions,
        }

    def _question(self, node_id: str, prompt: str) -> dict[str, Any]:
        pack = quote(self.session.pack_id, safe="")
        definition: dict[str, Any] = {"type": CMI_INTERACTION, **self._name(node_id)}
        definition.update(self._name(prompt, "description"))
        return {
            "objectType": "Activity",
            "id": f"{self._base}/packs/{pack}/questions/{quote(node_id, safe='')}",
            "definition": definition,
        }

    def _statement(
        self,
        e: Recorded,
        k: int,
        verb: str,
        actor: dict[str, Any],
        obj: dict[str, Any],
        context: dict[str, Any],
        result: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        verb_id, display = VERBS[verb]
        stmt: dict[str, Any] = {
            "id": statement_id(self.session.id, e.seq, k),
            "actor": actor,
            "verb": {"id": verb_id, "display": {"en-US": display}},
            "object": obj,
        }
        if result is not None:
            stmt["result"] = result
        stmt["context"] = context
        stmt["timestamp"] = timestamp(e.wall)
        stmt["version"] = "1.0.0"
        return stmt

    # ---- events -> statements ---------------------------------------------------------------------------------
    def feed(self, e: Recorded) -> list[dict[str, Any]]:
        if self._first_wall is None:
            self._first_wall = e.wall
        out: list[dict[str, Any]] = []
        match e.event:
            case ClassStarted():
                out.append(
                    self._statement(
                        e, 0, "initialized", self._agent("lead-teacher"), self._classroom, self._context(planned=True)
                    )
                )
                out.append(
                    self._statement(e, 1, "joined", self._agent("room"), self._classroom, self._context(planned=True))
                )
            case HandRaised(track_id=track):
                actor = self._agent(f"track:{track}")
                if track not in self._joined:
                    self._joined.add(track)
                    out.append(self._statement(e, 0, "joined", actor, self._classroom, self._context(planned=True)))
                out.append(self._statement(e, 1, "raised-hand", actor, self._classroom, self._context()))
            case HandLowered(track_id=track):
                actor = self._agent(f"track:{track}")
                out.append(self._statement(e, 0, "lowered-hand", actor, self._classroom, self._context()))
            case QuestionAsked() as asked:
                question = self._question(asked.node_id, asked.prompt)
                self._questions[asked.node_id] = question
                self._open_question = _OpenQuestion(asked.node_id, asked.qtype, question)
                out.append(
                    self._statement(e, 0, "asked", self._agent("lead-teacher"), question, self._context(parent=True))
                )
            case AnswerHeard() as heard if self._open_question is not None:
                out += self._answered(e, heard, self._open_question)
            case QuestionClosed() as closed:
                out.append(self._completed(e, closed))
            case ClassEnded() as ended:
                duration = _duration(e.wall - (self._first_wall or e.wall))
                if ended.reason == "completed":
                    out.append(
                        self._statement(
                            e,
                            0,
                            "completed",
                            self._agent("room"),
                            self._classroom,
                            self._context(),
                            {"completion": True, "duration": duration},
                        )
                    )
                out.append(
                    self._statement(
                        e,
                        1,
                        "terminated",
                        self._agent("lead-teacher"),
                        self._classroom,
                        self._context(planned=True),
                        {"duration": duration},
                    )
                )
        return out

    def _answered(self, e: Recorded, heard: AnswerHeard, question: _OpenQuestion) -> list[dict[str, Any]]:
        answer = heard.answer.strip()
        if question.qtype == "short_answer" and not self.options.private_data:
            answer = WITHHELD
        if not answer:
            return []
        return [
            self._statement(
                e,
                0,
                "answered",
                self._agent("room"),
                question.activity,
                self._context(parent=True),
                {"response": answer},
            )
        ]

    def _completed(self, e: Recorded, closed: QuestionClosed) -> dict[str, Any]:
        node_id = closed.node_id
        question = self._questions.get(node_id) or self._question(node_id, "")
        qtype = self._open_question.qtype if self._open_question else ""
        if self._open_question is not None and self._open_question.node_id == node_id:
            self._open_question = None
        responses, correct = closed.responses, closed.correct_count
        tally = {str(k): int(v) for k, v in closed.tally.items()}
        if qtype == "short_answer" and not self.options.private_data:
            tally = {"correct": correct, "other": responses - correct}
        result: dict[str, Any] = {
            "completion": True,
            "extensions": {
                self._ext("responses"): responses,
                self._ext("correct-count"): correct,
                self._ext("closed"): closed.reason,
                self._ext("tally"): tally,
            },
        }
        if responses > 0:
            result["score"] = {"scaled": round(correct / responses, 4), "raw": correct, "min": 0, "max": responses}
        return self._statement(e, 0, "completed", self._agent("room"), question, self._context(parent=True), result)


def statements(
    session: SessionRow, events: Iterable[StoredEvent], options: XapiOptions | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(event seq, statement) for every statement a session's events make, in order."""
    builder = StatementBuilder(session, options)
    for stored in events:
        e = decode(stored)
        if isinstance(e.event, SOURCE_EVENTS):
            for stmt in builder.feed(e):
                yield e.seq, stmt


def dumps(statement: dict[str, Any]) -> str:
    """The canonical text of a statement (what the outbox stores and sends, byte for byte)."""
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_statements(items: Sequence[dict[str, Any]], fmt: str = "jsonl") -> str:
    """JSON lines (one statement a line) or one JSON array."""
    if fmt == "json":
        return json.dumps(list(items), ensure_ascii=False, indent=1) + "\n"
    return "".join(dumps(s) + "\n" for s in items)

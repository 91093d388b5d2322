"""The exported JSON Schema in lesson_packs/schema/ must match the pydantic models."""

from __future__ import annotations

import json

from dual_teacher.lesson.schema import SCHEMA_VERSION, json_schema
from tests.conftest import REPO


def test_exported_schema_is_current() -> None:
    path = REPO / "lesson_packs" / "schema" / "lesson-pack.schema.json"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk == json_schema(), "run: dual-teacher pack schema --out lesson_packs/schema/lesson-pack.schema.json"


def test_schema_names_every_node_kind() -> None:
    defs = json_schema()["$defs"]
    kinds = {d["properties"]["kind"]["const"] for d in defs.values() if "kind" in d.get("properties", {})}  # type: ignore[union-attr, index]
    assert kinds == {"video", "slide", "question", "hand_poll", "timer", "branch", "end"}
    assert json_schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION  # type: ignore[index]

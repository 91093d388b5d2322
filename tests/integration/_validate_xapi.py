"""Runs in the Ralph venv (not the runtime's): validates xAPI statements with ralph-malph's pydantic models.

Usage: python _validate_xapi.py STATEMENTS.jsonl

Each statement is checked against the Virtual Classroom profile model for its verb (and object type), and
also against ralph's generic model selector. "completed" has no Virtual Classroom model: it is checked as a
base xAPI statement. Prints one JSON object: {"checked", "valid", "by_model", "errors"}; exit 1 if any failed.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from pydantic import ValidationError
from ralph.models.selector import ModelSelector
from ralph.models.validator import Validator
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.virtual_classroom import statements as vc

CMI = "http://adlnet.gov/expapi/activities/cmi.interaction"
VC = "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom"
MODELS = {
    ("http://adlnet.gov/expapi/verbs/initialized", VC): vc.VirtualClassroomInitialized,
    ("http://activitystrea.ms/join", VC): vc.VirtualClassroomJoined,
    ("https://w3id.org/xapi/virtual-classroom/verbs/raised-hand", VC): vc.VirtualClassroomRaisedHand,
    ("https://w3id.org/xapi/virtual-classroom/verbs/lowered-hand", VC): vc.VirtualClassroomLoweredHand,
    ("http://adlnet.gov/expapi/verbs/asked", CMI): vc.VirtualClassroomStartedPoll,
    ("http://adlnet.gov/expapi/verbs/answered", CMI): vc.VirtualClassroomAnsweredPoll,
    ("http://adlnet.gov/expapi/verbs/terminated", VC): vc.VirtualClassroomTerminated,
    ("http://adlnet.gov/expapi/verbs/completed", VC): BaseXapiStatement,
    ("http://adlnet.gov/expapi/verbs/completed", CMI): BaseXapiStatement,
}


def main(path: str) -> int:
    text = Path(path).read_text(encoding="utf-8")
    items = (
        json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines() if line]
    )
    validator = Validator(ModelSelector("ralph.models.xapi"))
    by_model: Counter[str] = Counter()
    errors: list[str] = []
    for stmt in items:
        key = (stmt["verb"]["id"], stmt["object"].get("definition", {}).get("type"))
        model = MODELS.get(key)
        if model is None:
            errors.append(f"{stmt.get('id')}: no Virtual Classroom model for {key}")
            continue
        try:
            model(**stmt)
            if model is not BaseXapiStatement:  # the generic selector must find the same profile model
                found = type(validator.get_first_valid_model(stmt))
                if found is not model:
                    errors.append(f"{stmt['id']}: the selector picked {found.__name__}, not {model.__name__}")
                    continue
        except ValidationError as exc:
            errors.append(f"{stmt.get('id')} ({model.__name__}): {exc}")
            continue
        by_model[model.__name__ + ("" if model is not BaseXapiStatement else f"[{key[1].rsplit('/', 1)[-1]}]")] += 1
    summary = {"checked": len(items), "valid": sum(by_model.values()), "by_model": by_model, "errors": errors[:20]}
    print(json.dumps(summary))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

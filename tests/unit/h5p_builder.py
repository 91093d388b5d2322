"""Build small .h5p packages for the importer's tests (a zip of h5p.json, content/content.json, files)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_h5p(
    path: Path,
    main: str,
    content: Mapping[str, Any],
    files: Mapping[str, bytes] | None = None,
    language: str = "und",
    title: str = "Test content",
) -> Path:
    h5p = {"title": title, "language": language, "mainLibrary": main, "embedTypes": ["div"], "license": "U"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("h5p.json", json.dumps(h5p))
        zf.writestr("content/content.json", json.dumps(content))
        zf.writestr(f"{main}-1.0/library.json", json.dumps({"machineName": main}))
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def item(library: str, params: Mapping[str, Any], title: str | None = None) -> dict[str, Any]:
    meta = {"contentType": library.split(".")[-1], "license": "U"}
    if title:
        meta["title"] = title
    return {"library": f"{library} 1.0", "params": dict(params), "metadata": meta, "subContentId": "x"}


def multi_choice(question: str, answers: list[tuple[str, bool]], **behaviour: Any) -> dict[str, Any]:
    return {
        "question": question,
        "answers": [{"text": t, "correct": c} for t, c in answers],
        "behaviour": {"type": "auto", **behaviour},
    }


def interaction(t: float, action: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"duration": {"from": t, "to": t + 5}, "action": dict(action), "pause": True, **extra}

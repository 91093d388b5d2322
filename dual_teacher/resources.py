"""Find the data that ships with the runtime (sample packs, schema, QML, profiles, model manifest).

In a checkout these are the top-level folders beside the package; in an installed wheel they are
installed under `<prefix>/share/dual-teacher/`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """Path of a top-level data folder such as 'lesson_packs' or 'ui'."""
    for base in (_CHECKOUT, Path(sys.prefix) / "share" / "dual-teacher"):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    return _CHECKOUT / name


def demo_pack_dir() -> Path:
    return resource_dir("lesson_packs") / "demo"


def shared_data_dir() -> Path | None:
    """The evaluation data folder (../shared/data beside a checkout, or $DUAL_TEACHER_SHARED_DATA)."""
    env = os.environ.get("DUAL_TEACHER_SHARED_DATA")
    candidate = Path(env) if env else _CHECKOUT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None

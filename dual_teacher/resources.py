"""Find the data that ships with the runtime (sample packs, schema, QML, profiles, model manifest).

In a checkout these are the top-level folders beside the package; in an installed wheel they are
installed under `<prefix>/share/dual-teacher/`.
"""

from __future__ import annotations

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

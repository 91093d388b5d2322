"""A small base for QML view-models: values live in a dict, changes are batched per group.

`_set("card", prompt=..., choices=...)` stores values and marks the group dirty only when a value really
changed; `flush()` (called by the GUI loop after each tick) emits one `<group>Changed` signal per dirty
group, so QML re-reads only what changed and lists are not rebuilt for nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Signal


def prop(type_: type, key: str, notify: Signal) -> Any:
    """A read-only QML property backed by `self._v[key]` (typed Any: Python reads it as a plain value)."""

    def getter(self: ViewModel) -> Any:
        return self._v[key]

    return Property(type_, getter, notify=notify)


class ViewModel(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._v: dict[str, Any] = {}
        self._dirty: set[str] = set()

    def _set(self, group: str, **values: Any) -> None:
        for key, value in values.items():
            if key not in self._v or self._v[key] != value:
                self._v[key] = value
                self._dirty.add(group)

    def value(self, key: str) -> Any:
        return self._v.get(key)

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for group in sorted(dirty):
            getattr(self, f"{group}Changed").emit()

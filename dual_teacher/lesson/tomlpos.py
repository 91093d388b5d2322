"""Map key paths of a TOML document to the line that defines them.

tomllib gives values but no positions, and lesson designers need `FILE:LINE` in error messages.
This scanner understands what lesson.toml uses: `[table]`, `[[array.of.tables]]` (also nested),
`key = value` and dotted keys, and multi-line arrays whose elements start on their own lines.
Paths use array indices, e.g. ("nodes", 3, "file"). Lookup falls back to the nearest known parent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PathT = tuple[str | int, ...]
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def _bracket_delta(text: str) -> int:
    """Net count of open [ and { outside strings and comments on one line."""
    depth = 0
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[PathT, int]:
    lines: dict[PathT, int] = {}
    array_counts: dict[PathT, int] = {}
    table: PathT = ()
    open_array: PathT | None = None
    depth = 0
    element = -1
    in_multiline_string = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline_string:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline_string = False
            continue
        if depth > 0 and open_array is not None:
            if depth == 1 and line.startswith(("{", "[")):
                element += 1
                lines.setdefault((*open_array, element), lineno)
            depth += _bracket_delta(line)
            continue
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(raw)
        if header:
            is_array = header.group(1) == "[["
            resolved: list[str | int] = []
            for part in _split_key(header.group(2)):
                resolved.append(part)
                prefix = tuple(resolved)
                if prefix in array_counts and not (is_array and len(resolved) == len(_split_key(header.group(2)))):
                    resolved.append(array_counts[prefix] - 1)
            path: PathT = tuple(resolved)
            if is_array:
                idx = array_counts.get(path, 0)
                array_counts[path] = idx + 1
                lines.setdefault(path, lineno)
                path = (*path, idx)
            lines[path] = lineno
            table = path
            continue
        key = _KEY.match(raw)
        if key:
            full = (*table, *_split_key(key.group(1)))
            lines[full] = lineno
            rest = raw[key.end() :]
            if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
                in_multiline_string = True
            delta = _bracket_delta(rest)
            if delta > 0:
                open_array, depth, element = full, delta, -1
                stripped = rest.strip()
                if stripped.startswith("[") and stripped[1:].strip().startswith(("{", "[")):
                    element = 0
                    lines.setdefault((*full, 0), lineno)
    return lines


def line_for(lines: dict[PathT, int], path: Sequence[str | int]) -> int | None:
    """Line of `path`, or of its nearest parent that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None

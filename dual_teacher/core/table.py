"""The one text-table printer of the console output (`dual-teacher bench`, `bench compare`, benchmarks/).

Columns are as wide as their widest cell, two spaces apart, under a header and a line of dashes. A float
shows 3 significant digits (no exponent from 1000 on), None or a missing key shows `missing`.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TextIO


def cell(value: Any, missing: str = "-") -> str:
    """How a table shows one value."""
    if value is None:
        return missing
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table_text(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    right: Collection[str] = (),
    missing: str = "-",
    headers: Mapping[str, str] | None = None,
) -> str:
    """The rows' `columns` as aligned text (ends with a newline); `right` columns are right-aligned (numbers),
    `headers` renames columns in the header line only."""
    heads = [(headers or {}).get(c, c) for c in columns]
    cells = [[cell(r.get(c), missing) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if c in right else v.ljust(w) for v, w, c in zip(values, widths, columns, strict=True)]
        return "  ".join(parts).rstrip()

    lines = [line(heads), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in cells]
    return "\n".join(lines) + "\n"


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    out: TextIO | None = None,
    right: Collection[str] = (),
    missing: str = "-",
) -> None:
    """`table_text` written to `out` (stdout by default) and flushed."""
    stream = out or sys.stdout
    stream.write(table_text(rows, columns, right=right, missing=missing))
    stream.flush()

"""The one text-table printer."""

from __future__ import annotations

import io

import pytest

from dual_teacher.core.table import cell, print_table, table_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "-"), (1.23456, "1.23"), (12345.6, "12346"), (0.000123, "0.000123"), (3, "3"), (True, "True"), ("x", "x")],
)
def test_cell(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_columns_are_as_wide_as_their_widest_cell() -> None:
    text = table_text([{"name": "a", "ms": 1.5}, {"name": "longer", "ms": 1234.5}], ["name", "ms"], right=["ms"])
    assert text.splitlines() == [
        "name      ms",
        "------  ----",
        "a        1.5",
        "longer  1234",
    ]


def test_missing_values_and_renamed_headers() -> None:
    text = table_text([{"a": 1}, {"b": 2}], ["a", "b"], missing="", headers={"a": "A"})
    assert text.splitlines() == ["A  b", "-  -", "1", "   2"]


def test_an_empty_table_has_its_header() -> None:
    out = io.StringIO()
    print_table([], ["stage", "p50_ms"], out=out)
    assert out.getvalue() == "stage  p50_ms\n-----  ------\n"

"""The test suite's own rule for what a test needs (tests/conftest.py): a missing model or data set skips the
test on a developer's machine and fails it under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.config import CACHE_ENV
from tests import conftest
from tests.conftest import in_ci, missing, require_data, require_models


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_ci_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, ci: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_without_ci_a_missing_requirement_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no models here"):
        missing("no models here")


def test_in_ci_a_missing_requirement_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no models here \(CI=true: .* fails the run"):
        missing("no models here")


def test_require_data_names_every_absent_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    (tmp_path / "here").mkdir()
    require_data(tmp_path / "here")  # present: nothing happens
    with pytest.raises(pytest.fail.Exception) as err:
        require_data(tmp_path / "here", tmp_path / "gone", tmp_path / "also-gone")
    text = str(err.value)
    assert str(tmp_path / "gone") in text and str(tmp_path / "also-gone") in text
    assert str(tmp_path / "here") + "," not in text


def test_require_models_fails_in_ci_for_a_model_that_is_not_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "empty-cache"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"model pose_detection not built.*dual-teacher models build"):
        require_models("pose_detection")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="model pose_detection not built"):
        require_models("pose_detection")


class _Item:
    """What pytest_runtest_setup reads of a test item: its marks."""

    def __init__(self, *marks: pytest.Mark) -> None:
        self.marks = marks

    def iter_markers(self, name: str) -> list[pytest.Mark]:
        return [m for m in self.marks if m.name == name]


def test_the_needs_data_mark_is_checked_before_a_test_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    present, absent = tmp_path, tmp_path / "absent"
    monkeypatch.setenv("CI", "true")
    conftest.pytest_runtest_setup(_Item(conftest.needs_data(present).mark))  # type: ignore[arg-type]
    with pytest.raises(pytest.fail.Exception, match="absent"):
        conftest.pytest_runtest_setup(_Item(conftest.needs_data(present).mark, conftest.needs_data(absent).mark))  # type: ignore[arg-type]
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="absent"):
        conftest.pytest_runtest_setup(_Item(pytest.mark.slow.mark, conftest.needs_data(absent).mark))  # type: ignore[arg-type]

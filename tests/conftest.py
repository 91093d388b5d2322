"""Shared fixtures. Tests never touch the user's data folder and use Qt's offscreen platform by default."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
DEMO_PACK = REPO / "lesson_packs" / "demo"
SHARED_DATA = REPO.parent / "shared" / "data"


def benchmark_module(name: str) -> Iterator[ModuleType]:
    """A script of benchmarks/ imported as a module (for a module-scoped fixture: `yield from`), with
    benchmarks/ on sys.path only while it is in use (the scripts import their `_common` helper)."""
    folder = str(REPO / "benchmarks")
    sys.path.insert(0, folder)
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(folder)


# ---- what a test needs: a skip on a developer's machine, a failure in CI ----------------------------------------
def in_ci() -> bool:
    """CI=true (or 1/yes), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> NoReturn:
    """Something the test needs (a built model, ../shared/data, the rendered demo media) is not here: skip the
    test with `reason` locally; under CI=true fail it, so that a CI run without its models or data cannot pass
    by skipping. Genuinely platform-specific skips (no display, no root, no camera) do not use this."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing model or data set fails the run instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_data(*paths: Path) -> None:
    """The shared evaluation data (../shared/data, ../shared/h5p) a test reads: see `missing`."""
    absent = [p for p in paths if not p.exists()]
    if absent:
        missing(f"shared evaluation data not found: {', '.join(str(p) for p in absent)}")


def require_models(*names: str) -> None:
    """The built ONNX models a test runs (`dual-teacher models build`): see `missing`."""
    from dual_teacher.core.errors import ModelLoadError
    from dual_teacher.inference.registry import ModelRegistry

    registry = ModelRegistry()
    for name in names:
        try:
            registry.onnx_path(name)
        except ModelLoadError as exc:
            missing(f"model {name} not built ({exc.message}): run `dual-teacher models build`")


def needs_data(*paths: Path) -> pytest.MarkDecorator:
    """Mark a test (or a module, as `pytestmark`) that reads these shared data paths: `require_data` runs
    before it starts."""
    return pytest.mark.needs_data(*paths)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_data(*paths): reads ../shared data; skipped locally, failed in CI")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_data"):
        require_data(*mark.args)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("dt-home")
    monkeypatch.setenv("DUAL_TEACHER_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def demo_pack_dir() -> Path:
    """The bundled demo pack with its rendered media (rendered here if the set-up step has not run)."""
    media = DEMO_PACK / "media"
    if not any(media.glob("*.mp4")):
        if shutil.which("espeak-ng") is None:
            missing("demo media not rendered and espeak-ng is missing: run `bash scripts/bootstrap.sh test`")
        import importlib.util

        spec = importlib.util.spec_from_file_location("render_demo", REPO / "lesson_packs" / "render_demo.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.render_all(media)
    return DEMO_PACK


# ---- exit: the results are final before Qt and PySide6 tear down ---------------------------------------------
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own exit status once the summary is written. A run whose failures kept Qt objects
    alive in their tracebacks was seen to segfault in interpreter teardown (PySide6 destroying them in no
    particular order), turning a report into a crash with no stacks; the product never exits that way, the test
    process must not either. DUAL_TEACHER_TEST_NORMAL_EXIT=1 keeps the normal teardown (to debug it)."""
    if _EXIT_STATUS and os.environ.get("DUAL_TEACHER_TEST_NORMAL_EXIT") != "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])

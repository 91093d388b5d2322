"""Shared fixtures. Tests never touch the user's data folder and use Qt's offscreen platform by default."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
DEMO_PACK = REPO / "lesson_packs" / "demo"
SHARED_DATA = REPO.parent / "shared" / "data"


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
            pytest.skip("demo media not rendered and espeak-ng is missing: run `bash scripts/bootstrap.sh test`")
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

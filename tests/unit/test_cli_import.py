"""`dual-teacher --help` stays fast: importing the command line and building its parser loads no heavy module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("numpy", "onnxruntime", "PySide6", "faster_whisper", "av", "ctranslate2", "cv2", "sounddevice")

PROBE = f"""
import json, sys
stages = {{}}
import dual_teacher.cli
stages["import"] = sorted(m for m in {HEAVY!r} if m in sys.modules)
parser = dual_teacher.cli.build_parser()
stages["parser"] = sorted(m for m in {HEAVY!r} if m in sys.modules)
try:
    dual_teacher.cli.main(["--help"])
except SystemExit:
    pass
stages["help"] = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps(stages), file=sys.stderr)
"""


def _probe(code: str) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_importing_the_cli_and_printing_its_help_loads_no_heavy_module() -> None:
    stages = _probe(PROBE)
    assert stages == {"import": [], "parser": [], "help": []}


@pytest.mark.parametrize("heavy", ["numpy", "PySide6"])
def test_the_probe_sees_a_heavy_module_when_one_is_imported(heavy: str) -> None:
    # The check above can fail: the same probe notices a heavy module imported at cli import time.
    pytest.importorskip(heavy)
    stages = _probe(f"import {heavy}\n" + PROBE)
    assert stages == {"import": [heavy], "parser": [heavy], "help": [heavy]}

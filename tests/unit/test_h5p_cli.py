"""`dual-teacher pack import-h5p`: each warning printed, a refused package exits 1 with its reason, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.cli import main
from tests.unit.h5p_builder import item, write_h5p


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_import_prints_warnings_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = {
        "content": [
            {"content": item("H5P.TrueFalse", {"question": "Q?", "correct": "true"})},
            {"content": item("H5P.DragQuestion", {})},
        ]
    }
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.Column", content)
    code, out, _ = _run(["pack", "import-h5p", str(pkg), "--out", str(tmp_path / "pack")], capsys)
    assert code == 0
    assert out.splitlines() == [
        "warning: content/content.json: content[1].content: H5P.DragQuestion (DragQuestion) has no equivalent in a "
        "lesson pack: left out",
        f"{tmp_path / 'pack'}: OK: test-content from H5P.Column: 2 nodes (1 end, 1 question), 1 question(s), "
        "1 warning(s)",
    ]
    code, out, _ = _run(["pack", "validate", str(tmp_path / "pack")], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda d: d / "missing.h5p", [], "no such file"),
        (
            lambda d: write_h5p(d / "x.h5p", "H5P.TrueFalse", {"question": "Q?", "correct": "true"}),
            ["--video", "nope.mp4"],
            "--video nope.mp4: no such file",
        ),
        (
            lambda d: write_h5p(d / "x.h5p", "H5P.Timeline", {}),
            [],
            "H5P.Timeline content has no equivalent in a lesson pack",
        ),
    ],
    ids=["missing", "missing-video", "unsupported"],
)
def test_refused_package_exits_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, extra: list[str], message: str
) -> None:
    pkg = make(tmp_path)  # type: ignore[operator]
    code, _, err = _run(["pack", "import-h5p", str(pkg), "--out", str(tmp_path / "pack"), *extra], capsys)
    assert code == 1 and err.startswith("error: ") and message in err and "\n  -> " in err
    assert not (tmp_path / "pack").exists()

"""Round trip on the real H5P packages in ../shared/h5p: each one imports (or is refused with its reason),
the pack validates, a class runs headless to the end, and the report lists every imported question."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dual_teacher.cli import main
from tests.conftest import REPO, needs_data
from tests.unit.test_pack_validate import write_mp4

H5P_DIR = REPO.parent / "shared" / "h5p"
# file -> (None: imports | the reason it is refused, questions expected)
EXPECTED: dict[str, tuple[str | None, int]] = {
    "H5P.Blanks.h5p": (None, 3),
    "H5P.InteractiveVideo.h5p": (None, 6),
    "H5P.MultiChoice.h5p": (None, 1),
    "H5P.QuestionSet.h5p": ("nothing could be imported: every item was left out", 0),
    "H5P.SingleChoiceSet.h5p": (None, 3),
    "H5P.Summary.h5p": (None, 2),
    "H5P.TrueFalse.h5p": (None, 1),
    "interactive-content-2260.h5p": (None, 9),
    "invalid-language-file-json.h5p": ("H5P.GreetingCard-1.0/language/fr.json:1: library file is not valid JSON", 0),
}
pytestmark = needs_data(H5P_DIR)


@pytest.fixture(scope="module")
def local_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stands in for the Interactive Video's remote iv.mp4 (the machine has no network)."""
    path = tmp_path_factory.mktemp("video") / "iv.mp4"
    write_mp4(path, seconds=4, size=96)
    return path


def test_every_fixture_is_in_the_table() -> None:
    assert sorted(p.name for p in H5P_DIR.glob("*.h5p")) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_round_trip(name: str, tmp_path: Path, local_video: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused, n_questions = EXPECTED[name]
    pack = tmp_path / "pack"
    argv = ["pack", "import-h5p", str(H5P_DIR / name), "--out", str(pack)]
    if name == "H5P.InteractiveVideo.h5p":
        assert main(argv) == 1, "a remote video without --video is refused"
        err = capsys.readouterr().err
        assert "https://h5p.org/sites/default/files/h5p/iv.mp4" in err and "--video FILE" in err
        argv += ["--video", str(local_video)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if refused is not None:
        assert code == 1 and refused in err and not pack.exists()
        return
    assert code == 0, err
    warnings = [line for line in out.splitlines() if line.startswith("warning: content/content.json: ")]
    assert f"{len(warnings)} warning(s)" in out and f"{n_questions} question(s)" in out

    assert main(["pack", "validate", str(pack)]) == 0
    manifest = tomllib.loads((pack / "lesson.toml").read_text(encoding="utf-8"))
    question_ids = [n["id"] for n in manifest["nodes"] if n["kind"] == "question"]
    assert len(question_ids) == n_questions

    report_dir = tmp_path / "report"
    capsys.readouterr()
    argv = ["--data-dir", str(tmp_path / "data"), "run", str(pack), "--headless", "--speed", "0"]
    assert main([*argv, "--report-dir", str(report_dir)]) == 0
    out = capsys.readouterr().out
    assert "ended: completed" in out
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert [q["node_id"] for q in report["questions"]] == question_ids
    assert all(q["responses"] > 0 for q in report["questions"]), "the simulated class answered each question"

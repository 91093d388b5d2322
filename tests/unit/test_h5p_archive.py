"""An .h5p is read with the lesson pack archive checks; its library files are counted apart from its content."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from dual_teacher.lesson.archive import ArchiveLimits
from dual_teacher.lesson.h5p import H5PImportError, import_h5p
from tests.unit.h5p_builder import write_h5p

TF = {"question": "Is this safe?", "correct": "true"}


def _refusal(pkg: Path, out: Path, limits: ArchiveLimits | None = None) -> H5PImportError:
    with pytest.raises(H5PImportError) as err:
        import_h5p(pkg, out, limits=limits)
    assert not out.exists(), "a refused package leaves no pack behind"
    return err.value


def _add(pkg: Path, name: str, data: bytes = b"x", mode: int | None = None) -> None:
    with zipfile.ZipFile(pkg, "a") as zf:
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        zf.writestr(info, data)


@pytest.mark.parametrize(
    ("entry", "mode", "message"),
    [
        ("../evil.txt", None, "escapes the pack folder"),
        ("/etc/evil", None, "absolute path"),
        ("content/link", stat.S_IFLNK | 0o777, "symbolic link"),
        ("H5P.Lib-1.0/fifo", stat.S_IFIFO | 0o644, "special file"),
    ],
)
def test_unsafe_entries_are_refused(tmp_path: Path, entry: str, mode: int | None, message: str) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", TF)
    _add(pkg, entry, mode=mode)
    err = _refusal(pkg, tmp_path / "pack")
    assert "unsafe archive" in str(err)
    assert any(p.startswith(f"{entry}: ") and message in p for p in err.problems), err.problems


def test_library_files_do_not_count_as_content_entries(tmp_path: Path) -> None:
    limits = ArchiveLimits(max_entries=5, max_other_entries=50)
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", TF)
    for i in range(40):  # the H5P libraries' own JS/CSS: many files, none of them content
        _add(pkg, f"H5P.Lib-1.0/scripts/s{i}.js", b"// js")
    assert import_h5p(pkg, tmp_path / "pack", limits=limits).node_kinds == {"question": 1, "end": 1}
    for i in range(5):
        _add(pkg, f"content/images/p{i}.png", b"png")
    err = _refusal(pkg, tmp_path / "pack2", limits)
    assert any("content entries, over the limit of 5" in p for p in err.problems)
    for i in range(40, 60):
        _add(pkg, f"H5P.Lib-1.0/scripts/s{i}.js", b"// js")
    err = _refusal(pkg, tmp_path / "pack3", limits)
    assert any("library entries, over the limit of 50" in p for p in err.problems)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", TF)
    with zipfile.ZipFile(pkg, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("content/images/bomb.png", b"\0" * (8 * 1024 * 1024))
    err = _refusal(pkg, tmp_path / "pack")
    assert any("compression ratio" in p and "zip bomb" in p for p in err.problems)


def test_broken_library_json_is_refused_with_file_and_line(tmp_path: Path) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", TF)
    _add(pkg, "H5P.TrueFalse-1.0/language/fr.json", b'{\n  "semantics": [ XXX ]\n}')
    err = _refusal(pkg, tmp_path / "pack")
    assert "H5P.TrueFalse-1.0/language/fr.json:2: library file is not valid JSON" in str(err)
    assert "export the content again" in str(err)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: p.write_bytes(b"not a zip"), "not an H5P package"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("content/content.json", "{}"), "h5p.json is missing"),
        (
            lambda p: zipfile.ZipFile(p, "w").writestr("h5p.json", json.dumps({"mainLibrary": "H5P.TrueFalse"})),
            "content/content.json is missing",
        ),
    ],
    ids=["not-zip", "no-h5p-json", "no-content"],
)
def test_not_a_package(tmp_path: Path, build: object, message: str) -> None:
    pkg = tmp_path / "in.h5p"
    build(pkg)  # type: ignore[operator]
    assert message in str(_refusal(pkg, tmp_path / "pack"))


def test_media_path_outside_content_is_not_followed(tmp_path: Path) -> None:
    content = {**TF, "media": {"type": {"library": "H5P.Image 1.1", "params": {"file": {"path": "../h5p.json"}}}}}
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", content)
    result = import_h5p(pkg, tmp_path / "pack")
    assert result.node_kinds == {"question": 1, "end": 1}
    assert "points outside the package's content folder" in result.warnings[0].message
    assert not (tmp_path / "pack" / "media").exists()

"""`dual-teacher pack preview`: the display of a pack plus a control strip, reloading on save, errors in place,
and `--screenshots` of every node; on a pack imported from H5P (a video cut in two around a question)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="GUI extra not installed")

from PySide6.QtGui import QImage

from dual_teacher.cli import main
from dual_teacher.lesson.h5p import import_h5p
from tests.unit.h5p_builder import interaction, item, multi_choice, write_h5p
from tests.unit.test_pack_validate import write_mp4

pytestmark = [pytest.mark.gui, pytest.mark.slow]
PROBLEM_RE = re.compile(r"^.+/lesson\.toml:\d+: \S+: .+$")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, seconds=3, size=128)
    content = {
        "interactiveVideo": {
            "video": {"files": [{"path": "https://example.org/clip.mp4", "mime": "video/mp4"}]},
            "assets": {
                "interactions": [
                    interaction(1.0, item("H5P.Text", {"text": "<p>Look at the colours</p>"})),
                    interaction(
                        1.0, item("H5P.MultiChoice", multi_choice("Which is red?", [("Sky", False), ("Rose", True)]))
                    ),
                ]
            },
        }
    }
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.InteractiveVideo", content, language="en")
    import_h5p(pkg, tmp_path / "pack", video=clip)
    return tmp_path / "pack"


@pytest.fixture
def preview(qtbot, pack: Path) -> Iterator:  # type: ignore[no-untyped-def]
    from dual_teacher.qt.preview import PackPreview

    p = PackPreview(pack, "en")
    p.start()
    p.window.show()
    yield p
    p.close()


def _until(qtbot, ok: Callable[[], bool], timeout_ms: int = 8000) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(ok, timeout=timeout_ms)


def _save(path: Path, text: str) -> None:
    time.sleep(0.01)  # a new mtime even on coarse clocks
    path.write_text(text, encoding="utf-8")


def test_plays_from_any_node_and_reloads_on_save(qtbot, preview, pack: Path) -> None:  # type: ignore[no-untyped-def]
    strip = preview.strip
    ids = [strip.nodes.itemData(i) for i in range(strip.nodes.count())]
    assert ids == ["seg1", "slide1", "q1", "seg2", "end"]
    _until(qtbot, lambda: preview.room.display.mode == "video")
    strip.nodes.setCurrentIndex(ids.index("q1"))
    strip.play.click()
    _until(qtbot, lambda: preview.room.display.mode == "question" and preview.room.display.prompt == "Which is red?")
    assert preview.room.display.choices == [{"key": "A", "text": "Sky"}, {"key": "B", "text": "Rose"}]

    manifest = pack / "lesson.toml"
    good = manifest.read_text(encoding="utf-8")
    _save(manifest, good.replace('"Which is red?"', '"Which one is red?"'))
    _until(qtbot, lambda: preview.room.display.prompt == "Which one is red?")
    assert preview.current_node() == "q1", "a reload stays at the node on screen"
    assert not strip.problems.isVisible()

    strip.next.click()
    _until(qtbot, lambda: preview.current_node() == "seg2" and preview.room.display.mode == "video")


def test_errors_are_shown_in_place_and_cleared(qtbot, preview, pack: Path) -> None:  # type: ignore[no-untyped-def]
    _until(qtbot, lambda: preview.room is not None and preview.room.display.mode == "video")
    room = preview.room
    manifest = pack / "lesson.toml"
    good = manifest.read_text(encoding="utf-8")
    broken = good.replace('qtype = "single_choice"', 'qtype = "single_choice"\ncolour = "red"')
    _save(manifest, broken.replace('id = "seg2"', 'id = "seg2"\nnext = "nowhere"'))
    _until(qtbot, lambda: bool(preview.problems))
    lines = preview.strip.problems.toPlainText().splitlines()
    assert all(PROBLEM_RE.match(line) for line in lines), lines
    text = manifest.read_text(encoding="utf-8").splitlines()
    colour_line = text.index('colour = "red"') + 1
    assert f"lesson.toml:{colour_line}: nodes.2.colour: unknown key" in "\n".join(lines)
    assert any("points to node 'nowhere', which does not exist" in line for line in lines)
    assert preview.strip.problems.isVisible() and f"{len(lines)} problem(s)" in preview.strip.status.text()
    assert preview.room is room, "the last good pack stays on screen"

    _save(manifest, "this is [not TOML")
    _until(qtbot, lambda: "TOML syntax error" in preview.strip.problems.toPlainText())

    _save(manifest, good)
    _until(qtbot, lambda: not preview.problems and preview.room is not room)
    assert not preview.strip.problems.isVisible()


def test_screenshots_of_every_node(pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shots"
    assert main(["pack", "preview", str(pack), "--screenshots", str(out)]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["1-seg1.png", "2-slide1.png", "3-q1.png", "4-seg2.png", "5-end.png"]
    assert "5 screenshot(s)" in capsys.readouterr().out
    for name in names:
        image = QImage(str(out / name))
        assert image.width() == 1280 and image.height() == 720
        colours = {
            image.pixelColor(int(image.width() * x / 9), int(image.height() * y / 9)).rgb()
            for x in range(1, 9)
            for y in range(1, 9)
        }
        assert len(colours) > 2, f"{name} is blank"


def test_screenshots_of_a_broken_pack_list_its_problems(
    pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = pack / "lesson.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('file = "media/clip.mp4"', 'file = "media/gone.mp4"', 1)
    )
    assert main(["pack", "preview", str(pack), "--screenshots", str(tmp_path / "shots")]) == 2
    err = capsys.readouterr().err
    assert "lesson.toml:" in err and "'media/gone.mp4': file not found" in err and "Traceback" not in err


def test_starts_at_the_node_asked_for(qtbot, pack: Path) -> None:  # type: ignore[no-untyped-def]
    from dual_teacher.qt.preview import PackPreview

    p = PackPreview(pack, "en", start_node="slide1")
    try:
        p.start()
        p.window.show()
        _until(qtbot, lambda: p.current_node() == "slide1" and p.room.display.mode == "slide")
        assert p.room.display.prompt == "Look at the colours"
        p.jump("end")
        _until(qtbot, lambda: p.room.display.mode == "summary")
        p.jump("q1")  # after the end node: a fresh class, at that node
        _until(qtbot, lambda: p.current_node() == "q1" and p.room.display.mode == "question")
    finally:
        p.close()


def test_a_pack_broken_from_the_start_shows_its_problems_then_plays(qtbot, pack: Path) -> None:  # type: ignore[no-untyped-def]
    from dual_teacher.qt.preview import PackPreview

    manifest = pack / "lesson.toml"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good.replace('kind = "end"', 'kind = "finish"'), encoding="utf-8")
    p = PackPreview(pack, "en")
    try:
        p.start()
        p.window.show()
        assert p.room is None and p.strip.problems.isVisible()
        assert "unknown value 'finish'" in p.strip.problems.toPlainText()
        _save(manifest, good)
        _until(qtbot, lambda: p.room is not None and p.room.display.mode == "video")
        assert not p.strip.problems.isVisible()
    finally:
        p.close()

"""The lesson pack validator: one valid pack, many packs broken by one edit each, and unsafe zips.

Every problem must read `FILE:LINE: key.path: message` (or `FILE: key.path: message` without a line)
so that an editor can jump to it; the tests check the key path and the exact line in lesson.toml.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from dual_teacher.lesson.archive import ArchiveLimits
from dual_teacher.lesson.loader import Problem, validate_pack

PROBLEM_RE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>[^:\s]+): (?P<message>.+)$")
# Without a line the key may be a zip entry name, which can hold ':' (e.g. "C:/x").
PROBLEM_NO_LINE_RE = re.compile(r"^(?P<file>.+?): (?P<path>\S+): (?P<message>.+)$")

# Each [[nodes]] header carries a comment naming its node, so that tests can find its line.
VALID_TOML = """\
# A tiny pack for the validator tests.
schema_version = 1
id = "tiny-pack"
title = { en = "A tiny pack", zh-Hans = "小课" }
language = "en"

[[nodes]]  # intro
id = "intro"
kind = "video"
title = "Welcome"
file = "media/clip.mp4"
end_s = 0.8

[[nodes]]  # slide1
id = "slide1"
kind = "slide"
image = "media/slide.png"
text = "One plus one"
duration_s = 3

[[nodes]]  # q1
id = "q1"
kind = "question"
qtype = "single_choice"
prompt = "What is 1 + 1?"
choices = [
  { key = "A", text = "1" },
  { key = "B", text = "2" },
]
answer = "B"
time_limit_s = 10
channels = ["spoken", "hand_poll", "teacher"]

[[nodes]]  # poll
id = "poll"
kind = "hand_poll"
prompt = "Raise your hand if you are sure"
duration_s = 5

[[nodes]]  # check
id = "check"
kind = "branch"
source = "q1"
otherwise = "practice"
rules = [
  { on = "correct_rate", below = 0.5, goto = "recap" },
  { on = "answer", equals = "A", goto = "recap" },
]

[[nodes]]  # recap
id = "recap"
kind = "video"
file = "media/recap.mp4"
start_s = 0.2
next = "intro"

[[nodes]]  # practice
id = "practice"
kind = "timer"
label = "Practice"
duration_s = 30

[[nodes]]  # end
id = "end"
kind = "end"
summary = "Well done"
"""

NODE_IDS = ["intro", "slide1", "q1", "poll", "check", "recap", "practice", "end"]


# ---- media and pack builders ------------------------------------------------------------------------------
def write_mp4(path: Path, seconds: int = 1, fps: int = 25, size: int = 64) -> None:
    import av
    import numpy as np

    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width = size
        stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(seconds * fps):
            img = np.full((size, size, 3), (i * 9) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (32, 24), (200, 40, 40)).save(path, format="PNG")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny real media, made once: a 1-second 64x64 mp4 and a PNG."""
    d = tmp_path_factory.mktemp("media")
    write_mp4(d / "clip.mp4")
    write_png(d / "slide.png")
    return d


def make_pack(dest: Path, media_dir: Path, toml_text: str = VALID_TOML) -> Path:
    (dest / "media").mkdir(parents=True)
    shutil.copy(media_dir / "clip.mp4", dest / "media" / "clip.mp4")
    shutil.copy(media_dir / "clip.mp4", dest / "media" / "recap.mp4")
    shutil.copy(media_dir / "slide.png", dest / "media" / "slide.png")
    (dest / "lesson.toml").write_text(toml_text, encoding="utf-8")
    return dest


@pytest.fixture
def valid_pack(tmp_path: Path, media_dir: Path) -> Path:
    return make_pack(tmp_path / "pack", media_dir)


def zip_dir(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return archive


def line_of(text: str, needle: str, offset: int = 0) -> int:
    """1-based line of the only line containing `needle`, plus `offset`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0] + offset


def header(node_id: str) -> str:
    return f"[[nodes]]  # {node_id}"


def manifest_text(pack: Path) -> str:
    return (pack / "lesson.toml").read_text(encoding="utf-8")


def set_manifest(pack: Path, text: str) -> None:
    (pack / "lesson.toml").write_text(text, encoding="utf-8")


def assert_formatted(problems: list[Problem]) -> None:
    for p in problems:
        text = str(p)
        if p.line is None:
            assert PROBLEM_NO_LINE_RE.match(text), text
        else:
            m = PROBLEM_RE.match(text)
            assert m, text
            assert (m["file"], int(m["line"]), m["path"], m["message"]) == (p.file, p.line, p.path, p.message)


# ---- the valid pack ---------------------------------------------------------------------------------------
def test_valid_pack_has_no_problems(valid_pack: Path) -> None:
    pack, problems = validate_pack(valid_pack)
    assert problems == []
    assert pack is not None
    with pack:
        assert [n.kind for n in pack.manifest.nodes] == [
            "video",
            "slide",
            "question",
            "hand_poll",
            "branch",
            "video",
            "timer",
            "end",
        ]
        assert [n.id for n in pack.manifest.nodes] == NODE_IDS
        assert set(pack.media) == {"media/clip.mp4", "media/recap.mp4", "media/slide.png"}
        clip = pack.media["media/clip.mp4"]
        assert clip.kind == "video"
        assert clip.duration_s == pytest.approx(1.0, abs=0.1)
        assert (clip.width, clip.height) == (64, 64)
        assert pack.media["media/slide.png"].kind == "image"
        assert pack.root == valid_pack


def test_manifest_file_itself_is_accepted(valid_pack: Path) -> None:
    pack, problems = validate_pack(valid_pack / "lesson.toml")
    assert problems == []
    assert pack is not None


def test_missing_path(tmp_path: Path) -> None:
    pack, problems = validate_pack(tmp_path / "nope")
    assert pack is None
    assert [(p.path, p.message) for p in problems] == [("(pack)", "no such file or folder")]


def test_plain_file_is_not_a_pack(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello", encoding="utf-8")
    pack, problems = validate_pack(f)
    assert pack is None
    assert [p.path for p in problems] == ["(pack)"]
    assert "not a folder or a .zip" in problems[0].message


# ---- one edit, one problem --------------------------------------------------------------------------------
Mutate = Callable[[Path], None]
LineSpec = int | str | tuple[str, int] | None


def replace(old: str, new: str) -> Mutate:
    def mutate(pack: Path) -> None:
        text = manifest_text(pack)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        set_manifest(pack, text.replace(old, new))

    return mutate


def remove_node(node_id: str) -> Mutate:
    def mutate(pack: Path) -> None:
        text = manifest_text(pack)
        start = text.index(header(node_id))
        nxt = text.find("[[nodes]]", start + 1)
        set_manifest(pack, text[:start] + (text[nxt:] if nxt >= 0 else ""))

    return mutate


def write_media(rel: str, data: bytes) -> Mutate:
    def mutate(pack: Path) -> None:
        (pack / rel).write_bytes(data)

    return mutate


def delete_manifest(pack: Path) -> None:
    (pack / "lesson.toml").unlink()


def latin1_manifest(pack: Path) -> None:
    text = manifest_text(pack).replace('title = "Welcome"', 'title = "Café"')
    (pack / "lesson.toml").write_bytes(text.encode("latin-1", errors="replace"))


def absolute_image(pack: Path) -> None:
    replace('image = "media/slide.png"', f'image = "{(pack / "media" / "slide.png").as_posix()}"')(pack)


def dotdot_file(pack: Path) -> None:
    # The file really exists one level up, so only the path rule can reject it.
    shutil.copy(pack / "media" / "recap.mp4", pack.parent / "recap.mp4")
    replace('file = "media/recap.mp4"', 'file = "../recap.mp4"')(pack)


@dataclasses.dataclass(frozen=True)
class Broken:
    mutate: Mutate
    path: str
    fragment: str
    line: LineSpec  # an int, the text of the only line (in the edited lesson.toml), (text, offset), or None
    in_manifest: bool = True  # the problem names lesson.toml (not the pack folder)


BROKEN: list[object] = [
    pytest.param(
        Broken(replace("duration_s = 30\n", "duration_s = = 30\n"), "(toml)", "TOML syntax error", "= = 30"),
        id="toml-syntax-error",
    ),
    pytest.param(
        Broken(replace('language = "en"\n', 'language = "en"\ncolour = "red"\n'), "colour", "unknown key", "colour"),
        id="unknown-top-level-key",
    ),
    pytest.param(
        Broken(
            replace("duration_s = 3\n", "duration_s = 3\ndurration_s = 4\n"),
            "nodes.1.durration_s",
            "unknown key",
            "durration_s = 4",
        ),
        id="unknown-node-key",
    ),
    pytest.param(
        Broken(
            replace("time_limit_s = 10", 'time_limit_s = "soon"'),
            "nodes.2.time_limit_s",
            "valid number, unable to parse string as a number (got 'soon')",
            'time_limit_s = "soon"',
        ),
        id="wrong-type",
    ),
    pytest.param(
        Broken(replace("schema_version = 1", "schema_version = 2"), "schema_version", "(got 2)", "schema_version"),
        id="wrong-schema-version",
    ),
    pytest.param(
        Broken(
            replace('kind = "timer"', 'kind = "stopwatch"'),
            "nodes.6",
            "unknown value 'stopwatch'; expected one of",
            header("practice"),
        ),
        id="unknown-node-kind",
    ),
    pytest.param(
        Broken(replace('label = "Practice"\n', ""), "nodes.6.label", "required key is missing", header("practice")),
        id="missing-required-key",
    ),
    pytest.param(
        Broken(
            replace('image = "media/slide.png"', 'image = "media/nope.png"'),
            "nodes.1.image",
            "'media/nope.png': file not found",
            "media/nope.png",
        ),
        id="missing-media-file",
    ),
    pytest.param(
        Broken(
            write_media("media/clip.mp4", os.urandom(4096)),
            "nodes.0.file",
            "'media/clip.mp4': does not decode",
            "media/clip.mp4",
        ),
        id="undecodable-mp4",
    ),
    pytest.param(
        Broken(
            write_media("media/slide.png", b"this is not a picture\n" * 20),
            "nodes.1.image",
            "not a readable image",
            "media/slide.png",
        ),
        id="text-named-png",
    ),
    pytest.param(
        Broken(write_media("media/recap.mp4", b""), "nodes.5.file", "file is empty", "media/recap.mp4"),
        id="empty-media-file",
    ),
    pytest.param(
        Broken(
            replace('file = "media/recap.mp4"', 'file = "media/slide.png"'),
            "nodes.5.file",
            "'slide.png' is image, a video segment needs a video file",
            'file = "media/slide.png"',
        ),
        id="video-node-with-image",
    ),
    pytest.param(
        Broken(
            replace('image = "media/slide.png"', 'image = "media/clip.mp4"'),
            "nodes.1.image",
            "a slide image must be a picture",
            'image = "media/clip.mp4"',
        ),
        id="slide-image-is-video",
    ),
    pytest.param(
        Broken(
            replace('next = "intro"', 'next = "nowhere"'),
            "nodes.5.next",
            "points to node 'nowhere', which does not exist",
            'next = "nowhere"',
        ),
        id="dangling-next",
    ),
    pytest.param(
        Broken(
            replace('below = 0.5, goto = "recap"', 'below = 0.5, goto = "nowhere"'),
            "nodes.4.rules.0.goto",
            "points to node 'nowhere', which does not exist",
            'goto = "nowhere"',
        ),
        id="dangling-goto",
    ),
    pytest.param(
        Broken(
            replace('otherwise = "practice"', 'otherwise = "nowhere"'),
            "nodes.4.otherwise",
            "points to node 'nowhere', which does not exist",
            'otherwise = "nowhere"',
        ),
        id="dangling-otherwise",
    ),
    pytest.param(
        Broken(
            replace('source = "q1"', 'source = "nowhere"'),
            "nodes.4.source",
            "source 'nowhere' does not exist",
            'source = "nowhere"',
        ),
        id="dangling-source",
    ),
    pytest.param(
        Broken(
            replace('language = "en"\n', 'language = "en"\nstart = "nowhere"\n'),
            "start",
            "start node 'nowhere' does not exist",
            'start = "nowhere"',
        ),
        id="dangling-start",
    ),
    pytest.param(
        Broken(
            replace("end_s = 0.8\n", 'end_s = 0.8\nnext = "q1"\n'),
            "nodes.1",
            "node 'slide1' can never be reached from the start node 'intro'",
            header("slide1"),
        ),
        id="unreachable-node",
    ),
    pytest.param(
        Broken(
            replace("end_s = 0.8\n", 'end_s = 0.8\nnext = "recap"\n'),
            "nodes.0",
            "loop with no way out: from 'intro' the lesson never reaches an end node (intro -> recap -> intro)",
            header("intro"),
        ),
        id="loop-with-no-way-out",
    ),
    pytest.param(
        Broken(
            remove_node("end"),
            "nodes.6",
            "node 'practice' is the last node but not an end node",
            header("practice"),
        ),
        id="last-node-not-end",
    ),
    pytest.param(
        Broken(
            replace('id = "poll"', 'id = "q1"'),
            "nodes.3.id",
            "duplicate node id 'q1' (first used by nodes.2)",
            (header("poll"), 1),
        ),
        id="duplicate-node-id",
    ),
    pytest.param(
        Broken(
            replace('answer = "B"', 'answer = "C"'),
            "nodes.2",
            "answer ['C'] is not among the choices ['A', 'B']",
            header("q1"),
        ),
        id="answer-not-among-choices",
    ),
    pytest.param(
        Broken(
            replace('equals = "A"', 'equals = "Z"'),
            "nodes.4.rules.1",
            "answer 'Z' is not among q1's choices ['A', 'B']",
            'equals = "Z"',
        ),
        id="branch-answer-not-among-choices",
    ),
    pytest.param(
        Broken(
            replace("end_s = 0.8", "end_s = 5.0"),
            "nodes.0.end_s",
            "out point 5.0s is past the end of the file",
            "end_s = 5.0",
        ),
        id="out-point-past-media-end",
    ),
    pytest.param(
        Broken(
            replace("start_s = 0.2", "start_s = 3.0"),
            "nodes.5.start_s",
            "in point 3.0s is past the end of the file",
            "start_s = 3.0",
        ),
        id="in-point-past-media-end",
    ),
    pytest.param(
        Broken(
            dotdot_file,
            "nodes.5.file",
            "'../recap.mp4': media paths must stay inside the pack folder (no '..')",
            "../recap.mp4",
        ),
        id="media-path-dotdot",
    ),
    pytest.param(
        Broken(absolute_image, "nodes.1.image", "media paths must be relative to the pack folder", "image = "),
        id="media-path-absolute",
    ),
    pytest.param(
        Broken(
            replace('source = "q1"', 'source = "poll"'),
            "nodes.4.rules.0",
            'a hand poll has no correct answer: use on = "hands"',
            'on = "correct_rate"',
        ),
        id="correct-rate-rule-on-hand-poll",
    ),
    pytest.param(
        Broken(
            replace('on = "correct_rate", below = 0.5,', 'on = "hands", at_least = 3,'),
            "nodes.4.rules.0",
            'on = "hands" needs a hand_poll source',
            'on = "hands"',
        ),
        id="hands-rule-on-question",
    ),
    pytest.param(
        Broken(
            replace('source = "q1"', 'source = "practice"'),
            "nodes.4.source",
            "source 'practice' is a timer node",
            'source = "practice"',
        ),
        id="branch-source-not-a-question",
    ),
    pytest.param(
        Broken(delete_manifest, "lesson.toml", "missing: a pack needs lesson.toml", None, in_manifest=False),
        id="lesson-toml-missing",
    ),
    pytest.param(
        Broken(latin1_manifest, "(file)", "not UTF-8 text", None),
        id="lesson-toml-not-utf8",
    ),
]


def expected_line(spec: LineSpec, text: str | None) -> int | None:
    if spec is None or isinstance(spec, int):
        return spec
    assert text is not None
    if isinstance(spec, tuple):
        return line_of(text, spec[0], spec[1])
    return line_of(text, spec)


@pytest.mark.parametrize("case", BROKEN)
def test_broken_pack(case: Broken, valid_pack: Path) -> None:
    case.mutate(valid_pack)
    manifest = valid_pack / "lesson.toml"
    text = manifest.read_text(encoding="utf-8", errors="replace") if manifest.exists() else None
    line = expected_line(case.line, text)

    pack, problems = validate_pack(valid_pack)

    assert pack is None
    assert problems, "a broken pack must report at least one problem"
    assert_formatted(problems)
    shown = "\n".join(map(str, problems))
    matching = [p for p in problems if p.path == case.path and case.fragment in p.message]
    assert matching, f"no problem at {case.path} containing {case.fragment!r}; got:\n{shown}"
    p = matching[0]
    assert p.line == line, f"expected line {line}, got {p.line}: {p}"
    assert p.file == str(manifest if case.in_manifest else valid_pack)


def test_toml_syntax_error_names_the_line_in_its_message(valid_pack: Path) -> None:
    """Whatever the Python version, the line of a TOML syntax error must appear somewhere in the problem."""
    replace("duration_s = 30\n", "duration_s = = 30\n")(valid_pack)
    line = line_of(manifest_text(valid_pack), "= = 30")
    pack, problems = validate_pack(valid_pack)
    assert pack is None
    assert len(problems) == 1
    (p,) = problems
    assert p.path == "(toml)"
    assert p.line == line or f"line {line}," in p.message, str(p)


def test_several_independent_problems_are_all_reported(valid_pack: Path) -> None:
    text = manifest_text(valid_pack)
    text = text.replace('language = "en"\n', 'language = "en"\ncolour = "red"\n')  # schema: unknown key
    text = text.replace('next = "intro"', 'next = "nowhere"')  # graph: dangling reference
    text = text.replace('image = "media/slide.png"', 'image = "media/nope.png"')  # media: missing file
    text = text.replace("end_s = 0.8", "end_s = 5.0")  # media: out point past the end
    set_manifest(valid_pack, text)
    (valid_pack / "media" / "recap.mp4").write_bytes(os.urandom(2048))  # media: undecodable

    pack, problems = validate_pack(valid_pack)

    assert pack is None
    assert_formatted(problems)
    found = {(p.path, p.line) for p in problems}
    expected = {
        ("colour", line_of(text, "colour")),
        ("nodes.5.next", line_of(text, 'next = "nowhere"')),
        ("nodes.1.image", line_of(text, "media/nope.png")),
        ("nodes.0.end_s", line_of(text, "end_s = 5.0")),
        ("nodes.5.file", line_of(text, "media/recap.mp4")),
    }
    assert expected <= found, "\n".join(map(str, problems))


def _break_q1_and_later_nodes(pack: Path) -> str:
    """q1 fails the schema; the branch and the recap video after it get graph and media problems."""
    text = manifest_text(pack)
    text = text.replace("time_limit_s = 10", 'time_limit_s = "soon"')
    text = text.replace('below = 0.5, goto = "recap"', 'below = 0.5, goto = "nowhere"')
    text = text.replace("start_s = 0.2", "start_s = 3.0")
    set_manifest(pack, text)
    return text


def test_schema_error_does_not_hide_graph_and_media_problems(valid_pack: Path) -> None:
    """A node that fails the schema is left out of the graph checks, but the other nodes are still checked."""
    _break_q1_and_later_nodes(valid_pack)
    pack, problems = validate_pack(valid_pack)
    assert pack is None
    messages = [p.message for p in problems]
    assert any("unable to parse string as a number (got 'soon')" in m for m in messages)
    assert any("points to node 'nowhere', which does not exist" in m for m in messages)
    assert any("in point 3.0s is past the end of the file" in m for m in messages)


def test_problems_after_a_broken_node_keep_their_index_and_line(valid_pack: Path) -> None:
    text = _break_q1_and_later_nodes(valid_pack)
    pack, problems = validate_pack(valid_pack)
    assert pack is None
    found = {(p.path, p.line) for p in problems}
    assert ("nodes.2.time_limit_s", line_of(text, "soon")) in found
    assert ("nodes.4.rules.0.goto", line_of(text, 'goto = "nowhere"')) in found, found
    assert ("nodes.5.start_s", line_of(text, "start_s = 3.0")) in found, found


def test_one_broken_node_reports_one_problem(valid_pack: Path) -> None:
    replace('kind = "timer"', 'kind = "stopwatch"')(valid_pack)
    pack, problems = validate_pack(valid_pack)
    assert pack is None
    assert [p.path for p in problems] == ["nodes.6"], "\n".join(map(str, problems))


# ---- zip archives -----------------------------------------------------------------------------------------
@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Send the validator's extraction folders into tmp_path/extract, so that escapes can be seen."""
    d = tmp_path / "extract"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def test_zip_of_valid_pack(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    pack, problems = validate_pack(archive)
    assert problems == []
    assert pack is not None
    root = pack.root
    assert root.is_relative_to(private_tempdir)
    assert (root / "lesson.toml").is_file()
    assert pack.media_path("media/clip.mp4").is_file()
    pack.close()
    assert not root.exists()
    assert list(private_tempdir.iterdir()) == []


def test_zip_with_single_top_folder(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip", prefix="tiny-pack/")
    pack, problems = validate_pack(archive)
    assert problems == []
    assert pack is not None
    with pack:
        assert pack.root.name == "tiny-pack"
        assert [n.id for n in pack.manifest.nodes] == NODE_IDS


def test_zip_of_broken_pack_reports_the_manifest_inside(valid_pack: Path, tmp_path: Path) -> None:
    replace("time_limit_s = 10", 'time_limit_s = "soon"')(valid_pack)
    line = line_of(manifest_text(valid_pack), "soon")
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    pack, problems = validate_pack(archive)
    assert pack is None
    assert [(p.file, p.line, p.path) for p in problems] == [
        (f"{archive}/lesson.toml", line, "nodes.2.time_limit_s"),
    ]


def _zip_with(valid_pack: Path, archive: Path, extra: Callable[[zipfile.ZipFile], None]) -> Path:
    zip_dir(valid_pack, archive)
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        extra(zf)
    return archive


def _archive_problems(archive: Path, limits: ArchiveLimits | None = None) -> list[Problem]:
    pack, problems = validate_pack(archive, limits)
    assert pack is None
    assert problems
    assert all(p.file == str(archive) and p.line is None for p in problems)
    assert_formatted(problems)
    return problems


def test_zip_entry_with_dotdot_is_refused_and_nothing_escapes(
    valid_pack: Path, tmp_path: Path, private_tempdir: Path
) -> None:
    def extra(zf: zipfile.ZipFile) -> None:
        zf.writestr("../escaped-one.txt", "one level up")
        zf.writestr("media/../../escaped-two.txt", "two levels up")
        zf.writestr("../../../escaped-three.txt", "three levels up")

    archive = _zip_with(valid_pack, tmp_path / "evil.zip", extra)
    problems = _archive_problems(archive)
    by_entry = {p.path: p.message for p in problems}
    assert "escapes the pack folder" in by_entry["../escaped-one.txt"]
    assert "escapes the pack folder" in by_entry["media/../../escaped-two.txt"]
    assert "escapes the pack folder" in by_entry["../../../escaped-three.txt"]
    for name in ("escaped-one.txt", "escaped-two.txt", "escaped-three.txt"):
        for folder in (private_tempdir, tmp_path, tmp_path.parent, Path(tempfile.gettempdir())):
            assert not (folder / name).exists(), folder / name
        assert not list(tmp_path.rglob(name))
    assert list(private_tempdir.iterdir()) == [], "the extraction folder must be removed"


def test_zip_entry_with_absolute_path_is_refused(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    target = tmp_path / "absolute-target.txt"

    def extra(zf: zipfile.ZipFile) -> None:
        zf.writestr(zipfile.ZipInfo(target.as_posix()), "absolute")
        zf.writestr(zipfile.ZipInfo("C:/windows/evil.txt"), "drive letter")

    archive = _zip_with(valid_pack, tmp_path / "evil.zip", extra)
    problems = _archive_problems(archive)
    by_entry = {p.path: p.message for p in problems}
    assert "absolute path in archive" in by_entry[target.as_posix()]
    assert "absolute path in archive" in by_entry["C:/windows/evil.txt"]
    assert not target.exists()
    assert list(private_tempdir.iterdir()) == []


def test_zip_symlink_entry_is_refused(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    def extra(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("media/link.mp4")
        info.external_attr = 0o120777 << 16
        info.create_system = 3
        zf.writestr(info, "/etc/passwd")

    archive = _zip_with(valid_pack, tmp_path / "link.zip", extra)
    problems = _archive_problems(archive)
    assert [(p.path, p.message) for p in problems] == [
        ("media/link.mp4", "symbolic link in archive (links are not allowed in lesson packs)")
    ]
    assert list(private_tempdir.iterdir()) == []


def test_zip_special_file_entry_is_refused(valid_pack: Path, tmp_path: Path) -> None:
    def extra(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("media/fifo")
        info.external_attr = 0o010644 << 16  # a named pipe
        zf.writestr(info, "")

    problems = _archive_problems(_zip_with(valid_pack, tmp_path / "fifo.zip", extra))
    assert [p.path for p in problems] == ["media/fifo"]
    assert "special file" in problems[0].message


def test_zip_entry_over_size_limit(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    limits = ArchiveLimits(max_entry_bytes=1000)
    problems = _archive_problems(archive, limits)
    sizes = {i.filename: i.file_size for i in zipfile.ZipFile(archive).infolist()}
    too_big = {name for name, size in sizes.items() if size > 1000}
    assert too_big >= {"media/clip.mp4", "media/recap.mp4"}
    assert {p.path for p in problems} == too_big
    for p in problems:
        assert p.message == f"entry is {sizes[p.path]} bytes, over the 1000-byte limit"
    assert list(private_tempdir.iterdir()) == []


def test_zip_total_size_limit(valid_pack: Path, tmp_path: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    problems = _archive_problems(archive, ArchiveLimits(max_total_bytes=2000))
    assert [p.path for p in problems] == ["archive"]
    assert "over the limit of 2000" in problems[0].message


def test_zip_bomb_ratio_with_default_limits(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    def extra(zf: zipfile.ZipFile) -> None:
        zf.writestr("media/zeros.bin", b"\0" * (5 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED)

    archive = _zip_with(valid_pack, tmp_path / "bomb.zip", extra)
    problems = _archive_problems(archive)
    assert [p.path for p in problems] == ["media/zeros.bin"]
    assert re.fullmatch(r"compression ratio \d+:1 is over 100:1 \(zip bomb\?\)", problems[0].message)
    assert list(private_tempdir.iterdir()) == []


def test_zip_with_too_many_entries(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    def extra(zf: zipfile.ZipFile) -> None:
        for i in range(10):
            zf.writestr(f"notes/{i}.txt", f"note {i}")

    archive = _zip_with(valid_pack, tmp_path / "many.zip", extra)
    problems = _archive_problems(archive, ArchiveLimits(max_entries=5))
    assert [(p.path, p.message) for p in problems] == [("archive", "14 entries, over the limit of 5")]
    assert list(private_tempdir.iterdir()) == []
    # The same archive is fine under the default limits.
    pack, problems = validate_pack(archive)
    assert problems == []
    assert pack is not None
    pack.close()


def test_corrupt_deflate_data_is_reported_not_raised(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("lesson.toml")
    data = bytearray(archive.read_bytes())
    head = info.header_offset
    name_len = int.from_bytes(data[head + 26 : head + 28], "little")
    extra_len = int.from_bytes(data[head + 28 : head + 30], "little")
    start = head + 30 + name_len + extra_len
    data[start : start + info.compress_size] = b"\xff" * info.compress_size  # block type 3: invalid deflate
    archive.write_bytes(bytes(data))
    pack, problems = validate_pack(archive)
    assert pack is None
    assert [p.path for p in problems] == ["(pack)"]
    assert "cannot read the archive" in problems[0].message


def test_truncated_zip_is_reported(valid_pack: Path, tmp_path: Path, private_tempdir: Path) -> None:
    archive = zip_dir(valid_pack, tmp_path / "tiny.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    pack, problems = validate_pack(archive)
    assert pack is None
    assert [p.path for p in problems] == ["(pack)"]
    assert "not a folder or a .zip" in problems[0].message
    assert list(private_tempdir.iterdir()) == []


# ---- the command line -------------------------------------------------------------------------------------
def test_cli_pack_validate(
    valid_pack: Path, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dual_teacher.cli import main

    assert main(["pack", "validate", str(valid_pack)]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines() == [out.strip()]
    assert out.startswith(f"{valid_pack}: OK: tiny-pack, 8 nodes, 3 media file(s)")
    assert "INVALID" not in err

    broken = make_pack(tmp_path / "broken", media_dir)
    text = manifest_text(broken)
    text = text.replace('language = "en"\n', 'language = "en"\ncolour = "red"\n')
    text = text.replace("time_limit_s = 10", 'time_limit_s = "soon"')
    text = text.replace('image = "media/slide.png"', 'image = "media/nope.png"')
    set_manifest(broken, text)

    assert main(["pack", "validate", str(broken)]) == 1
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 3
    manifest = str(broken / "lesson.toml")
    parsed = []
    for line in lines:
        m = PROBLEM_RE.match(line)
        assert m, line
        assert m["file"] == manifest
        parsed.append((int(m["line"]), m["path"]))
    assert sorted(parsed) == sorted(
        [
            (line_of(text, "colour"), "colour"),
            (line_of(text, "soon"), "nodes.2.time_limit_s"),
            (line_of(text, "nope.png"), "nodes.1.image"),
        ]
    )
    assert f"{broken}: INVALID, 3 problem(s)" in err

    # Several paths: the worst result wins.
    assert main(["pack", "validate", str(valid_pack), str(broken)]) == 1
    capsys.readouterr()

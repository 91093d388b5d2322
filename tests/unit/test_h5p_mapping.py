"""H5P import: what each content kind becomes, on small packages built here (tables over the mapping).

Every import is validated by the importer itself (`validate_pack`); the tests read the written lesson.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from dual_teacher.lesson.h5p import H5PImportError, import_h5p, parse_blanks, split_text
from dual_teacher.lesson.loader import validate_pack
from tests.unit.h5p_builder import interaction, item, multi_choice, write_h5p
from tests.unit.test_pack_validate import write_mp4, write_png


def _import(tmp_path: Path, main: str, content: dict[str, Any], **kw: Any) -> tuple[list[dict[str, Any]], Any]:
    files = kw.pop("files", None)
    lang = kw.pop("language", "und")
    tmp_path.mkdir(parents=True, exist_ok=True)
    pkg = write_h5p(tmp_path / "in.h5p", main, content, files, language=lang)
    result = import_h5p(pkg, tmp_path / "pack", **kw)
    manifest = tomllib.loads((tmp_path / "pack" / "lesson.toml").read_text(encoding="utf-8"))
    return manifest["nodes"], result


def _questions(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in nodes if n["kind"] == "question"]


# ---- one row per content kind: (main library, content.json, expected node kinds, check on the questions)
MC_SINGLE = multi_choice("<p>Which is red?</p>", [("Sky", False), ("<b>Rose</b>", True), ("Grass", False)])
MC_MULTI = multi_choice("Pick the even numbers", [("2", True), ("3", False), ("4", True)])
CASES: list[tuple[str, str, dict[str, Any], list[str], list[tuple[str, Any]]]] = [
    (
        "multichoice-single",
        "H5P.MultiChoice",
        MC_SINGLE,
        ["question", "end"],
        [("single_choice", "B")],
    ),
    ("multichoice-multi", "H5P.MultiChoice", MC_MULTI, ["question", "end"], [("multiple_choice", ["A", "C"])]),
    (
        "multichoice-forced-multi",
        "H5P.MultiChoice",
        multi_choice("One right, but 'multi'", [("x", True), ("y", False)], type="multi"),
        ["question", "end"],
        [("multiple_choice", ["A"])],
    ),
    (
        "truefalse-true",
        "H5P.TrueFalse",
        {"question": "Oslo is in Norway.", "correct": "true"},
        ["question", "end"],
        [("true_false", True)],
    ),
    (
        "truefalse-false",
        "H5P.TrueFalse",
        {"question": "2 + 2 = 5", "correct": "false"},
        ["question", "end"],
        [("true_false", False)],
    ),
    (
        "blanks",
        "H5P.Blanks",
        {
            "text": "Fill in",
            "questions": ["<p>The sky is *blue/Blue:a colour*, grass is *green*.</p>", "It has *4* legs"],
        },
        ["slide", "question", "question", "question", "end"],
        [("short_answer", ["blue", "Blue"]), ("short_answer", ["green"]), ("numeric", 4)],
    ),
    (
        "text",
        "H5P.AdvancedText",
        {"text": "<h2>Plants</h2><p>Plants need <em>light</em>.</p>"},
        ["slide", "end"],
        [],
    ),
    (
        "column",
        "H5P.Column",
        {
            "content": [
                {"content": item("H5P.AdvancedText", {"text": "<p>Read this</p>"})},
                {"content": item("H5P.TrueFalse", {"question": "Read?", "correct": "true"})},
                {"content": item("H5P.DragQuestion", {})},
            ]
        },
        ["slide", "question", "end"],
        [("true_false", True)],
    ),
    (
        "questionset",
        "H5P.QuestionSet",
        {
            "introPage": {"showIntroPage": True, "title": "Quiz", "introduction": "<p>Five questions</p>"},
            "questions": [
                item("H5P.MultiChoice", MC_SINGLE),
                item("H5P.TrueFalse", {"question": "Q?", "correct": "false"}),
            ],
        },
        ["slide", "question", "question", "end"],
        [("single_choice", "B"), ("true_false", False)],
    ),
]


@pytest.mark.parametrize(("name", "main", "content", "kinds", "answers"), CASES, ids=[c[0] for c in CASES])
def test_content_kind_maps_to_nodes(
    tmp_path: Path, name: str, main: str, content: dict[str, Any], kinds: list[str], answers: list[tuple[str, Any]]
) -> None:
    nodes, result = _import(tmp_path, main, content)
    assert [n["kind"] for n in nodes] == kinds
    assert [(q["qtype"], q["answer"]) for q in _questions(nodes)] == answers
    assert result.questions == tuple(q["id"] for q in _questions(nodes))
    pack, problems = validate_pack(tmp_path / "pack")
    assert pack is not None and problems == []
    pack.close()


def test_choice_texts_are_plain_and_keyed_in_order(tmp_path: Path) -> None:
    nodes, _ = _import(tmp_path, "H5P.MultiChoice", MC_SINGLE)
    q = _questions(nodes)[0]
    assert q["prompt"] == "Which is red?"
    assert [(c["key"], c["text"]) for c in q["choices"]] == [("A", "Sky"), ("B", "Rose"), ("C", "Grass")]
    assert "hand_poll" in q["channels"]


@pytest.mark.parametrize(
    ("main", "statements_key"),
    [("H5P.SingleChoiceSet", "choices"), ("H5P.Summary", "summaries")],
)
def test_first_alternative_is_the_key_wherever_it_is_shown(tmp_path: Path, main: str, statements_key: str) -> None:
    """H5P's rule for these two: the first alternative is the right one; it is shown shuffled (fixed order)."""
    sets = [["Right one", "Wrong one", "Also wrong", "Nope"], ["Correct", "Incorrect"], ["Yes it is", "No", "Maybe"]]
    if main == "H5P.SingleChoiceSet":
        content = {"choices": [{"question": f"Q{i}", "answers": s} for i, s in enumerate(sets)]}
    else:
        content = {"intro": "Choose", "summaries": [{"summary": [f"<p>{x}</p>" for x in s]} for s in sets]}
    nodes, _ = _import(tmp_path, main, content)
    qs = _questions(nodes)
    assert len(qs) == len(sets) and content[statements_key]
    for q, s in zip(qs, sets, strict=True):
        by_key = {c["key"]: c["text"] for c in q["choices"]}
        assert sorted(by_key.values()) == sorted(s)
        assert by_key[q["answer"]] == s[0]
    again, _ = _import(tmp_path / "again", main, content)
    assert [q["choices"] for q in _questions(again)] == [q["choices"] for q in qs]


# ---- never an invented key: such questions are left out with a warning
NO_KEY = [
    (
        "multichoice-none-correct",
        "H5P.MultiChoice",
        multi_choice("Q?", [("a", False), ("b", False)]),
        "no answer marked correct",
    ),
    (
        "multichoice-no-text",
        "H5P.MultiChoice",
        {"answers": [{"correct": True}, {"correct": False}]},
        "no question text",
    ),
    ("truefalse-no-correct", "H5P.TrueFalse", {"question": "Q?"}, "no correct answer set"),
    ("blanks-no-blank", "H5P.Blanks", {"text": "Fill", "questions": ["<p>nothing marked</p>"]}, "no *marked* blank"),
    ("summary-one-statement", "H5P.Summary", {"summaries": [{"summary": ["only one"]}]}, "2-26 statements"),
]


@pytest.mark.parametrize(("name", "main", "content", "why"), NO_KEY, ids=[c[0] for c in NO_KEY])
def test_question_without_key_is_left_out(
    tmp_path: Path, name: str, main: str, content: dict[str, Any], why: str
) -> None:
    wrapped = {"content": [{"content": item(main, content)}, {"content": item("H5P.AdvancedText", {"text": "Kept"})}]}
    nodes, result = _import(tmp_path, "H5P.Column", wrapped)
    assert [n["kind"] for n in nodes] == ["slide", "end"]
    assert len(result.warnings) == 1
    warning = str(result.warnings[0])
    assert warning.startswith("content/content.json: content[0].content") and why in warning


def test_nothing_importable_is_refused_with_each_reason(tmp_path: Path) -> None:
    pkg = write_h5p(
        tmp_path / "in.h5p", "H5P.QuestionSet", {"questions": [item("H5P.DragQuestion", {}), item("H5P.TrueFalse", {})]}
    )
    with pytest.raises(H5PImportError) as err:
        import_h5p(pkg, tmp_path / "pack")
    assert "nothing could be imported" in str(err.value)
    assert [p.split(": ", 2)[1] for p in err.value.problems] == ["questions[0]", "questions[1]"]
    assert not (tmp_path / "pack").exists()


def test_unknown_main_library_is_refused(tmp_path: Path) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.GreetingCard", {"greeting": "Hello"})
    with pytest.raises(H5PImportError, match=r"H5P\.GreetingCard content has no equivalent"):
        import_h5p(pkg, tmp_path / "pack")


def test_question_picture_becomes_a_slide_before_it(tmp_path: Path) -> None:
    write_png(tmp_path / "pic.png")
    content = {**MC_SINGLE, "media": {"type": item("H5P.Image", {"file": {"path": "images/pic.png"}, "alt": "A rose"})}}
    nodes, _ = _import(
        tmp_path, "H5P.MultiChoice", content, files={"content/images/pic.png": (tmp_path / "pic.png").read_bytes()}
    )
    assert [n["kind"] for n in nodes] == ["slide", "question", "end"]
    assert nodes[0]["image"] == "media/pic.png" and nodes[0]["text"] == "Which is red?"
    assert (tmp_path / "pack" / "media" / "pic.png").is_file()


def test_missing_picture_falls_back_to_its_alt_text(tmp_path: Path) -> None:
    content = {"content": [{"content": item("H5P.Image", {"file": {"path": "images/gone.png"}, "alt": "A map"})}]}
    nodes, result = _import(tmp_path, "H5P.Column", content)
    assert nodes[0]["kind"] == "slide" and nodes[0]["text"] == "A map" and "image" not in nodes[0]
    assert result.warnings[0].message.startswith("media file content/images/gone.png is not in the package")


@pytest.mark.parametrize(
    ("language", "expected_title", "pack_language"),
    [
        ("en", {"en": "Test content"}, "en"),
        ("zh-hans", {"zh-Hans": "Test content"}, "zh-Hans"),
        ("zh", {"zh-Hans": "Test content"}, "zh-Hans"),
        ("und", "Test content", "en"),
        ("de", "Test content", "en"),
    ],
)
def test_language_goes_to_text_variants(tmp_path: Path, language: str, expected_title: Any, pack_language: str) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", {"question": "Q?", "correct": "true"}, language=language)
    result = import_h5p(pkg, tmp_path / "pack")
    manifest = tomllib.loads((tmp_path / "pack" / "lesson.toml").read_text(encoding="utf-8"))
    assert manifest["title"] == expected_title and manifest["language"] == pack_language
    assert manifest["nodes"][0]["prompt"] == (
        "Q?" if isinstance(expected_title, str) else {k: "Q?" for k in expected_title}
    )
    assert any("has no variant" in w.message for w in result.warnings) == (language == "de")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("one two three", ["one two three"]),
        ("a b\nc d\ne", ["a b\nc d", "e"]),
        ("a b c d e f\ng", ["a b c d e f", "g"]),
    ],
)
def test_long_text_goes_on_several_slides(text: str, parts: list[str]) -> None:
    assert split_text(text, max_words=4) == parts


def test_each_blank_is_asked_with_its_paragraph(tmp_path: Path) -> None:
    content = {"text": "Task", "questions": ["<p>First *one* here.</p><p>Second *two* there.</p>"]}
    nodes, _ = _import(tmp_path, "H5P.Blanks", content)
    assert [(n["kind"], n.get("prompt", n.get("text"))) for n in nodes[:3]] == [
        ("slide", "Task"),
        ("question", "First _____ here."),
        ("question", "Second _____ there."),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A *cat* sat", [("A _____ sat", ["cat"], "")]),
        ("*a/b:tip* and *c*", [("_____ and …", ["a", "b"], "tip"), ("… and _____", ["c"], "")]),
        ("no blanks", []),
        ("time *10\\:30*", [("time _____", ["10:30"], "")]),
    ],
)
def test_parse_blanks(text: str, expected: list[tuple[str, list[str], str]]) -> None:
    assert parse_blanks(text) == expected


# ---- Interactive Video ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("iv") / "clip.mp4"
    write_mp4(path, seconds=3)
    return path


def _iv(interactions: list[dict[str, Any]], video_path: str = "videos/clip.mp4", **assets: Any) -> dict[str, Any]:
    return {
        "interactiveVideo": {
            "video": {"files": [{"path": video_path, "mime": "video/mp4"}]},
            "assets": {"interactions": interactions, **assets},
        }
    }


def test_interactive_video_is_cut_at_interactions_with_branches(tmp_path: Path, clip: Path) -> None:
    adaptivity = {"correct": {"seekTo": 2.0}, "wrong": {"seekTo": 0}}
    content = _iv(
        [
            interaction(1.0, item("H5P.MultiChoice", MC_SINGLE), adaptivity=adaptivity),
            interaction(1.5, item("H5P.DragQuestion", {})),
            interaction(2.0, item("H5P.TrueFalse", {"question": "True?", "correct": "true"})),
        ],
        bookmarks=[{"time": 0.5, "label": "Part two"}],
    )
    nodes, result = _import(
        tmp_path, "H5P.InteractiveVideo", content, files={"content/videos/clip.mp4": clip.read_bytes()}
    )
    # seg3 (1.0-2.0) is jumped over both ways: H5P seeks past it; a seek to 2.0 lands on the question there.
    assert [n["id"] for n in nodes] == ["seg1", "seg2", "q1", "branch1", "q2", "seg4", "end"]
    segs = {n["id"]: (n.get("start_s", 0.0), n.get("end_s")) for n in nodes if n["kind"] == "video"}
    assert segs == {"seg1": (0.0, 0.5), "seg2": (0.5, 1.0), "seg4": (2.0, None)}
    assert {n["file"] for n in nodes if n["kind"] == "video"} == {"media/clip.mp4"}
    assert nodes[1]["title"] == "Part two"
    branch = nodes[3]
    assert branch["source"] == "q1" and branch["otherwise"] == "seg1"
    assert branch["rules"] == [{"on": "correct_rate", "at_least": 0.5, "goto": "q2"}]
    assert [(w.path, w.time_s) for w in result.warnings] == [
        ("interactiveVideo.assets.interactions[1].action", 1.5),
        ("interactiveVideo", None),
    ]
    assert "seg3 (0:01-0:02) is never shown" in result.warnings[1].message
    assert "(at 0:01.5)" in str(result.warnings[0])


def test_adaptivity_without_seek_on_one_side_goes_on(tmp_path: Path, clip: Path) -> None:
    content = _iv(
        [
            interaction(
                1.0, item("H5P.TrueFalse", {"question": "T?", "correct": "true"}), adaptivity={"wrong": {"seekTo": 0.5}}
            )
        ]
    )
    nodes, _ = _import(tmp_path, "H5P.InteractiveVideo", content, files={"content/videos/clip.mp4": clip.read_bytes()})
    assert [n["id"] for n in nodes] == ["seg1", "seg2", "q1", "branch1", "seg3", "end"]
    assert nodes[3]["rules"][0]["goto"] == "seg3" and nodes[3]["otherwise"] == "seg2"


def test_interaction_past_the_end_goes_after_the_video(tmp_path: Path, clip: Path) -> None:
    content = _iv([interaction(99.0, item("H5P.TrueFalse", {"question": "T?", "correct": "true"}))])
    nodes, result = _import(
        tmp_path, "H5P.InteractiveVideo", content, files={"content/videos/clip.mp4": clip.read_bytes()}
    )
    assert [n["id"] for n in nodes] == ["seg1", "q1", "end"]
    assert "past the end of the video" in result.warnings[0].message


def test_remote_video_needs_a_local_copy(tmp_path: Path, clip: Path) -> None:
    url = "https://example.org/videos/lesson.mp4"
    content = _iv([interaction(1.0, item("H5P.TrueFalse", {"question": "T?", "correct": "true"}))], video_path=url)
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.InteractiveVideo", content)
    with pytest.raises(H5PImportError) as err:
        import_h5p(pkg, tmp_path / "pack")
    assert url in str(err.value) and "--video" in str(err.value)
    result = import_h5p(pkg, tmp_path / "pack", video=clip)
    assert result.node_kinds == {"video": 2, "question": 1, "end": 1}
    assert (tmp_path / "pack" / "media" / "clip.mp4").read_bytes() == clip.read_bytes()


def test_crossroads_is_shown_not_branched(tmp_path: Path, clip: Path) -> None:
    gotoq = item(
        "H5P.GoToQuestion", {"text": "Where now?", "choices": [{"text": "Again", "goTo": 0}, {"text": "On", "goTo": 2}]}
    )
    nodes, result = _import(tmp_path, "H5P.InteractiveVideo", _iv([interaction(1.0, gotoq)]), video=clip)
    assert [n["kind"] for n in nodes] == ["video", "slide", "video", "end"]
    assert nodes[1]["text"] == "Where now?\nA: Again (-> 0:00)\nB: On (-> 0:02)"
    assert "no answer key, so no branch" in result.warnings[0].message


def test_out_folder_must_be_new_or_empty(tmp_path: Path) -> None:
    pkg = write_h5p(tmp_path / "in.h5p", "H5P.TrueFalse", {"question": "Q?", "correct": "true"})
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "keep.txt").write_text("mine")
    with pytest.raises(H5PImportError, match="not an empty folder"):
        import_h5p(pkg, tmp_path / "pack")
    assert (tmp_path / "pack" / "keep.txt").read_text() == "mine"


# ---- malformed content: imported or refused with a reason, never a traceback ---------------------------------------
def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*prefix, i))
    return out


def _replaced(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[path[0]] = _replaced(tree[path[0]], path[1:], value)
    return copy


FUZZ_BASES = [(c[1], c[2]) for c in CASES] + [
    ("H5P.SingleChoiceSet", {"choices": [{"question": "Q", "answers": ["a", "b"]}]}),
    ("H5P.Summary", {"intro": "I", "summaries": [{"summary": ["a", "b"]}]}),
    (
        "H5P.InteractiveVideo",
        {
            "interactiveVideo": {
                "video": {"files": [{"path": "videos/clip.mp4"}]},
                "assets": {
                    "interactions": [
                        interaction(
                            1.0,
                            item("H5P.TrueFalse", {"question": "T?", "correct": "true"}),
                            adaptivity={"wrong": {"seekTo": 0.5}},
                        ),
                        interaction(
                            1.5, item("H5P.GoToQuestion", {"text": "x", "choices": [{"text": "a", "goTo": 1}]})
                        ),
                    ],
                    "bookmarks": [{"time": 0.5, "label": "B"}],
                    "endscreens": [{"time": 1.0, "label": "E"}],
                },
            }
        },
    ),
]
ODD_VALUES = [None, 7, -3.5, True, "x", "", [], {}, [None], {"library": 5}]


@pytest.mark.parametrize("base", range(len(FUZZ_BASES)))
def test_malformed_content_never_crashes(tmp_path: Path, clip: Path, base: int) -> None:
    import random

    main, content = FUZZ_BASES[base]
    rng = random.Random(base)
    paths = _paths(content)
    files = {"content/videos/clip.mp4": clip.read_bytes()} if main == "H5P.InteractiveVideo" else None
    for i in range(40):
        broken = _replaced(content, rng.choice(paths), rng.choice(ODD_VALUES))
        if not isinstance(broken, dict):
            broken = {"value": broken}
        where = tmp_path / str(i)
        where.mkdir()
        pkg = write_h5p(where / "in.h5p", main, broken, files)
        try:
            import_h5p(pkg, where / "pack")
        except H5PImportError as exc:
            assert str(exc)

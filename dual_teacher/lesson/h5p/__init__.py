"""Import an H5P package (.h5p) as a lesson pack v1 folder (lesson.toml + media).

What maps (see the README's table): Interactive Video -> video segments cut at the interaction times (the
same file with `start_s`/`end_s`), with the interactions between them; MultiChoice -> single/multiple choice;
TrueFalse -> true/false; SingleChoiceSet, QuestionSet, Summary -> a run of questions; Blanks -> a short answer
(or numeric) question per blank; Text, AdvancedText, Table, Image, Label -> slides; Column -> its items in
order; the adaptivity `seekTo` on correct / wrong -> a branch to the segment starting at that time.
Everything else is left out with a warning naming its content.json path (and its time in the video).
An answer key is taken only from the package: a question without one is left out, never guessed.

The archive is checked like a lesson pack (archive.check_zip), with the H5P libraries' own files counted
apart from the content; only h5p.json, content/content.json and the media it references are read.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from dual_teacher.lesson.archive import ArchiveLimits
from dual_teacher.lesson.h5p.builder import HANDLERS, Builder
from dual_teacher.lesson.h5p.interactive_video import interactive_video, prune_unreachable, resolve_next
from dual_teacher.lesson.h5p.package import (
    CONTENT_JSON,
    H5PImportError,
    H5PWarning,
    ImportResult,
    Node,
    language_of,
    open_package,
)
from dual_teacher.lesson.h5p.text import clock, html_to_text, parse_blanks, split_text, to_toml

__all__ = [
    "CONTENT_JSON",
    "H5PImportError",
    "H5PWarning",
    "ImportResult",
    "clock",
    "html_to_text",
    "import_h5p",
    "iter_kinds",
    "parse_blanks",
    "split_text",
    "to_toml",
]


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    s = re.sub(r"-{2,}", "-", s)[:64].strip("-.")
    return s if s and s[0].isalnum() else "h5p-import"


def iter_kinds(nodes: Sequence[Node]) -> Iterator[str]:
    return (str(n["kind"]) for n in nodes)


def import_h5p(path: Path, out: Path, video: Path | None = None, limits: ArchiveLimits | None = None) -> ImportResult:
    """Import `path` into the folder `out` (created; must be empty or absent) and validate the result.

    Raises H5PImportError (a LessonPackError) when the package is refused; `warnings` on the result list
    everything that was left out."""
    from dual_teacher.lesson.loader import validate_pack

    limits = limits or ArchiveLimits()
    if video is not None and not video.is_file():
        raise H5PImportError(f"--video {video}: no such file", hint="give the path of a local video file")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise H5PImportError(f"{out} exists and is not an empty folder", hint="choose a new --out folder")
    pkg = open_package(path, limits)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        variant, code = language_of(pkg.h5p)
        b = Builder(pkg, out, variant, video)
        main = str(pkg.h5p["mainLibrary"])
        if code and variant is None:
            b.warn(
                "(h5p.json) language",
                f"language {code!r} has no variant in lesson packs (en, zh-Hans): texts kept as written",
            )
        if main == "H5P.InteractiveVideo":
            nodes = interactive_video(b, pkg.content, pkg.label)
        elif main in HANDLERS:
            nodes = b.dispatch({"library": main, "params": pkg.content, "metadata": pkg.h5p}, "")
        else:
            raise H5PImportError(
                f"{pkg.label}: {main} content has no equivalent in a lesson pack: nothing imported",
                hint="lesson packs can import Interactive Video, Column, Question Set and question packages "
                "(MultiChoice, TrueFalse, SingleChoiceSet, Summary, Blanks)",
                warnings=b.warnings,
            )
        if not any(n["kind"] in ("question", "video", "slide") for n in nodes):
            raise H5PImportError(
                f"{pkg.label}: nothing could be imported: every item was left out",
                [str(w) for w in b.warnings],
                hint="each line above says why; fix the content in the H5P editor (e.g. give every question its text "
                "and its correct answer) and export it again",
                warnings=b.warnings,
            )
        nodes.append({"id": "end", "kind": "end"})
        resolve_next(nodes)
        nodes = prune_unreachable(b, nodes)
        title = html_to_text(pkg.h5p.get("title")) or path.stem
        top: dict[str, object] = {
            "schema_version": 1,
            "id": _slug(title if not re.match(r"^https?://", title) else path.stem),
            "title": b.text(title),
            "language": variant or "en",
            "description": b.text(f"Imported from {path.name} ({main})"),
        }
        authors = pkg.h5p.get("authors")
        if isinstance(authors, list):
            names = [str(a["name"]) for a in authors if isinstance(a, Mapping) and isinstance(a.get("name"), str)]
            if names:
                top["author"] = ", ".join(names)
        header = f"Imported from {path.name} by `dual-teacher pack import-h5p`; {len(b.warnings)} warning(s)."
        (out / "lesson.toml").write_text(to_toml(top, nodes, header), encoding="utf-8")
        pack, problems = validate_pack(out)
        if pack is None:
            raise H5PImportError(
                f"{pkg.label}: the imported pack does not validate (an importer bug: please report it)",
                [str(p) for p in problems],
                warnings=b.warnings,
            )
        pack.close()
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for child in out.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    finally:
        pkg.zf.close()
    kinds: dict[str, int] = {}
    for k in iter_kinds(nodes):
        kinds[k] = kinds.get(k, 0) + 1
    return ImportResult(
        out,
        str(top["id"]),
        main,
        kinds,
        tuple(str(n["id"]) for n in nodes if n["kind"] == "question"),
        tuple(b.warnings),
    )

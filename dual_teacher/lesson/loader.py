"""Load and validate a lesson pack, reporting every problem at once.

Each problem reads `FILE:LINE: key.path: message` (or `FILE: key.path: message` where no line is known)
so that editors can jump to it. `validate_pack` never raises for a broken pack; `load_pack` raises
`LessonPackError` carrying the same list. This module does the I/O (the folder or zip, the TOML file, probing
the media); the checks themselves are pure and live in `lesson.checks`.
"""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
import zipfile
import zlib
from pathlib import Path

from dual_teacher.core.errors import LessonPackError
from dual_teacher.lesson.archive import ArchiveLimits, UnsafeArchive, extract_zip
from dual_teacher.lesson.checks import (
    Collector,
    GNode,
    Problem,
    check_graph,
    check_media_kind,
    check_schema,
    graph_nodes,
    media_refs,
    raw_start,
    toml_problem,
    unsafe_media_path,
)
from dual_teacher.lesson.schema import LessonPack, VideoNode
from dual_teacher.lesson.tomlpos import key_lines
from dual_teacher.media.probe import MediaInfo, MediaProbeError, probe_media

MANIFEST = "lesson.toml"


@dataclasses.dataclass
class LoadedPack:
    """A validated pack. Media paths resolve inside `root` (a temporary folder for zips: call close())."""

    manifest: LessonPack
    root: Path
    label: str
    media: dict[str, MediaInfo]
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def media_path(self, rel: str) -> Path:
        return self.root / rel

    def duration_of(self, node: VideoNode) -> float | None:
        info = self.media.get(node.file)
        end = node.end_s if node.end_s is not None else (info.duration_s if info else None)
        return None if end is None else max(0.0, end - node.start_s)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LoadedPack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def validate_pack(path: Path, limits: ArchiveLimits | None = None) -> tuple[LoadedPack | None, list[Problem]]:
    """Check a pack folder or zip. Returns the loaded pack (None if anything is wrong) and all problems."""
    limits = limits or ArchiveLimits()
    label = str(path)
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if not path.exists():
        return None, [Problem(label, None, "(pack)", "no such file or folder")]
    if path.is_file():
        if not zipfile.is_zipfile(path):
            if path.name == MANIFEST:  # accept the manifest itself
                path = path.parent
                label = str(path)
            else:
                return None, [Problem(label, None, "(pack)", "not a folder or a .zip lesson pack")]
        else:
            try:
                root, tmp = extract_zip(path, limits)
            except UnsafeArchive as exc:
                return None, [Problem(label, None, entry, msg) for entry, msg in exc.problems]
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                return None, [Problem(label, None, "(pack)", f"cannot read the archive: {exc}")]
    if tmp is None:
        root = path
    pack, problems = _validate_root(root, label)
    if pack is None or problems:
        if tmp is not None:
            tmp.cleanup()
        return None, problems
    pack._tmp = tmp
    return pack, []


def load_pack(path: Path, limits: ArchiveLimits | None = None) -> LoadedPack:
    pack, problems = validate_pack(path, limits)
    if pack is None:
        raise LessonPackError(
            f"The lesson pack {path} has {len(problems)} problem(s)",
            [str(p) for p in problems],
            hint=f"run `dual-teacher pack validate {path}` and fix each line it prints",
        )
    return pack


def _validate_root(root: Path, label: str) -> tuple[LoadedPack | None, list[Problem]]:
    manifest_file = root / MANIFEST
    file_label = f"{label}/{MANIFEST}"
    if not manifest_file.is_file():
        return None, [Problem(label, None, MANIFEST, "missing: a pack needs lesson.toml at its top level")]
    try:
        text = manifest_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(file_label, None, "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [toml_problem(file_label, exc)]
    out = Collector(file_label, key_lines(text))
    manifest = check_schema(raw, out)
    gnodes = graph_nodes(raw, manifest)
    start = manifest.start_id if manifest else raw_start(raw, gnodes)
    check_graph(gnodes, start, out)
    media = _check_media(root, gnodes, out)
    if manifest is None or out.problems:
        return None, out.problems
    return LoadedPack(manifest, root, label, media), []


def _check_media(root: Path, gnodes: list[GNode], out: Collector) -> dict[str, MediaInfo]:
    media: dict[str, MediaInfo] = {}
    real_root = root.resolve()
    for g in gnodes:
        node = g.node
        if node is None:
            continue
        for field, rel in media_refs(node):
            loc: tuple[str | int, ...] = ("nodes", g.index, field)
            unsafe = unsafe_media_path(rel)
            if unsafe:
                out.add(loc, f"{rel!r}: {unsafe}")
                continue
            target = root / rel
            if target.exists() and not target.resolve().is_relative_to(real_root):
                out.add(loc, f"{rel!r} is a link that points outside the pack")
                continue
            if rel not in media:
                try:
                    media[rel] = probe_media(target)
                except MediaProbeError as exc:
                    out.add(loc, f"{rel!r}: {exc}")
                    continue
            check_media_kind(node, field, media[rel], loc, out)
    return media

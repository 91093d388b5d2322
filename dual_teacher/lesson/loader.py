"""Load and validate a lesson pack, reporting every problem at once.

Each problem reads `FILE:LINE: key.path: message` (or `FILE: key.path: message` where no line is known)
so that editors can jump to it. `validate_pack` never raises for a broken pack; `load_pack` raises
`LessonPackError` carrying the same list.
"""

from __future__ import annotations

import dataclasses
import tempfile
import tomllib
import zipfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dual_teacher.core.errors import LessonPackError
from dual_teacher.lesson.archive import ArchiveLimits, UnsafeArchive, extract_zip
from dual_teacher.lesson.schema import (
    BranchNode,
    CorrectRateRule,
    EndNode,
    HandPollNode,
    HandsRule,
    LessonPack,
    Node,
    QuestionNode,
    SlideNode,
    VideoNode,
    successors,
)
from dual_teacher.lesson.tomlpos import PathT, key_lines, line_for
from dual_teacher.media.probe import MediaInfo, MediaProbeError, probe_media

MANIFEST = "lesson.toml"
_NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}"


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


class _Collector:
    def __init__(self, file: str, lines: Mapping[PathT, int] | None = None) -> None:
        self.file = file
        self.lines = dict(lines or {})
        self.problems: list[Problem] = []

    def add(self, path: Sequence[str | int], message: str, line: int | None = None) -> None:
        dotted = ".".join(str(p) for p in path) or "(file)"
        if line is None:
            line = line_for(self.lines, path)
        self.problems.append(Problem(self.file, line, dotted, message))


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
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
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
        return None, [_toml_problem(file_label, exc)]
    out = _Collector(file_label, key_lines(text))
    manifest = _check_schema(raw, out)
    nodes = manifest.nodes if manifest else _valid_nodes(raw)
    raw_ids = _raw_ids(raw)
    start = manifest.start_id if manifest else _raw_start(raw, nodes)
    _check_graph(nodes, start, raw_ids, out)
    media = _check_media(root, nodes, out)
    if manifest is None or out.problems:
        return None, out.problems
    return LoadedPack(manifest, root, label, media), []


def _toml_problem(file_label: str, exc: tomllib.TOMLDecodeError) -> Problem:
    lineno = getattr(exc, "lineno", None)
    msg = getattr(exc, "msg", str(exc))
    return Problem(file_label, lineno, "(toml)", f"TOML syntax error: {msg}")


def _strip_tags(loc: Sequence[str | int], raw: Any) -> list[str | int]:
    """Drop pydantic's discriminator tags (e.g. 'video' in nodes.0.video.file) from an error location."""
    out: list[str | int] = []
    cur = raw
    for part in loc:
        if (
            isinstance(cur, dict)
            and isinstance(part, str)
            and part not in cur
            and part in (cur.get("kind"), cur.get("on"))
        ):
            continue
        out.append(part)
        if isinstance(cur, dict):
            cur = cur.get(part) if isinstance(part, str) else None
        elif isinstance(cur, list) and isinstance(part, int):
            cur = cur[part] if 0 <= part < len(cur) else None
        else:
            cur = None
    return out


def _message(err: Mapping[str, Any]) -> str:
    etype = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if etype == "extra_forbidden":
        return "unknown key (check the spelling; see lesson_packs/schema/lesson-pack.schema.json)"
    if etype == "missing":
        return "required key is missing"
    if etype == "union_tag_invalid":
        ctx = err.get("ctx") or {}
        return f"unknown value {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if etype == "union_tag_not_found":
        ctx = err.get("ctx") or {}
        return f"required key {ctx.get('discriminator')} is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if "input" in err and etype not in ("missing",) and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _check_schema(raw: dict[str, Any], out: _Collector) -> LessonPack | None:
    try:
        return LessonPack.model_validate(raw)
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        for err in exc.errors():
            loc = _strip_tags(err["loc"], raw)
            key = (".".join(map(str, loc)), _message(err))
            if key in seen:
                continue
            seen.add(key)
            out.add(loc, key[1])
        return None


def _valid_nodes(raw: dict[str, Any]) -> list[Node]:
    """The nodes that validate on their own (so graph checks still run when some node is broken)."""
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return []
    good: list[Node] = []
    for item in nodes:
        try:
            good.append(_NODE_ADAPTER.validate_python(item))
        except ValidationError:
            continue
    return good


def _raw_ids(raw: dict[str, Any]) -> set[str]:
    nodes = raw.get("nodes")
    if not isinstance(nodes, list):
        return set()
    return {n["id"] for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}


def _raw_start(raw: dict[str, Any], nodes: list[Node]) -> str | None:
    start = raw.get("start")
    if isinstance(start, str):
        return start
    return nodes[0].id if nodes else None


def _node_loc(nodes: list[Node], index: int, *rest: str | int) -> tuple[str | int, ...]:
    return ("nodes", index, *rest)


def _check_graph(nodes: list[Node], start: str | None, raw_ids: set[str], out: _Collector) -> None:
    if not nodes:
        return
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.id in index:
            out.add(
                _node_loc(nodes, i, "id"),
                f"duplicate node id {node.id!r} (first used by nodes.{index[node.id]})",
            )
        else:
            index[node.id] = i
    known = set(index) | raw_ids
    if start is not None and start not in known:
        out.add(("start",), f"start node {start!r} does not exist")
    edges: dict[str, list[str]] = {}
    for i, node in enumerate(nodes):
        targets = []
        for label, target in successors(nodes, i):
            field = label.split(" ")[0]
            if target not in known:
                out.add(_node_loc(nodes, i, *_dotted(field)), f"points to node {target!r}, which does not exist")
            elif target in index:
                targets.append(target)
        if not successors(nodes, i) and not isinstance(node, EndNode):
            out.add(
                _node_loc(nodes, i),
                f"node {node.id!r} is the last node but not an end node: add `next` or an `end` node after it",
            )
        edges[node.id] = targets
        if isinstance(node, BranchNode):
            _check_branch(nodes, i, node, index, known, out)
    if not any(isinstance(n, EndNode) for n in nodes):
        out.add(("nodes",), 'the lesson has no end node (add a node with kind = "end")')
    if start is None or start not in index:
        return
    reachable = _reach(start, edges)
    for i, node in enumerate(nodes):
        if node.id not in reachable and index.get(node.id) == i:
            out.add(_node_loc(nodes, i), f"node {node.id!r} can never be reached from the start node {start!r}")
    ends = {n.id for n in nodes if isinstance(n, EndNode)}
    reverse: dict[str, list[str]] = {nid: [] for nid in edges}
    for src, dsts in edges.items():
        for dst in dsts:
            reverse.setdefault(dst, []).append(src)
    can_finish = set()
    for e in ends:
        can_finish |= _reach(e, reverse)
    for i, node in enumerate(nodes):
        if node.id in reachable and node.id not in can_finish and index.get(node.id) == i:
            cycle = _find_cycle(node.id, edges)
            shown = " -> ".join(cycle) if cycle else node.id
            out.add(
                _node_loc(nodes, i),
                f"loop with no way out: from {node.id!r} the lesson never reaches an end node ({shown})",
            )
    _check_instant_loops(nodes, index, edges, out)


def _dotted(field: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in field.split("."))


def _check_branch(
    nodes: list[Node], i: int, node: BranchNode, index: dict[str, int], known: set[str], out: _Collector
) -> None:
    if node.source not in known:
        out.add(_node_loc(nodes, i, "source"), f"source {node.source!r} does not exist")
        return
    if node.source not in index:
        return
    src = nodes[index[node.source]]
    if not isinstance(src, QuestionNode | HandPollNode):
        out.add(
            _node_loc(nodes, i, "source"),
            f"source {node.source!r} is a {src.kind} node; a branch reads the results of a question or a hand_poll",
        )
        return
    for r, rule in enumerate(node.rules):
        loc = _node_loc(nodes, i, "rules", r)
        if isinstance(rule, CorrectRateRule) and isinstance(src, HandPollNode):
            out.add(loc, 'a hand poll has no correct answer: use on = "hands" instead of "correct_rate"')
        if isinstance(rule, HandsRule) and isinstance(src, QuestionNode):
            out.add(loc, 'on = "hands" needs a hand_poll source; use "correct_rate" or "answer" for questions')
        if rule.on == "answer" and isinstance(src, QuestionNode) and src.choices:
            keys = [c.key for c in src.choices]
            if getattr(rule, "equals", None) not in keys:
                out.add(loc, f"answer {getattr(rule, 'equals', None)!r} is not among {src.id}'s choices {keys}")


def _reach(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in edges.get(todo.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _find_cycle(start: str, edges: Mapping[str, list[str]]) -> list[str]:
    """A path from `start` that comes back to a node already on it, for the message."""
    path: list[str] = []
    on_path: set[str] = set()

    def dfs(n: str) -> list[str] | None:
        path.append(n)
        on_path.add(n)
        for m in edges.get(n, []):
            if m in on_path:
                return [*path[path.index(m) :], m]
            found = dfs(m)
            if found:
                return found
        path.pop()
        on_path.discard(n)
        return None

    return dfs(start) or []


def _check_instant_loops(
    nodes: list[Node], index: dict[str, int], edges: Mapping[str, list[str]], out: _Collector
) -> None:
    """Branches that can jump to each other forever without showing anything."""
    branch_edges = {
        n.id: [t for t in edges[n.id] if isinstance(nodes[index[t]], BranchNode)]
        for n in nodes
        if isinstance(n, BranchNode) and index.get(n.id) is not None
    }
    reported: set[str] = set()
    for nid in branch_edges:
        cycle = _find_cycle(nid, branch_edges)
        if cycle and cycle[0] not in reported:
            reported.update(cycle)
            out.add(
                _node_loc(nodes, index[nid]),
                "branches jump to each other with nothing shown in between: " + " -> ".join(cycle),
            )


def _media_refs(node: Node) -> Iterator[tuple[str, str]]:
    if isinstance(node, VideoNode):
        yield "file", node.file
    elif isinstance(node, SlideNode):
        if node.image:
            yield "image", node.image
        if node.narration:
            yield "narration", node.narration


def _unsafe_media_path(rel: str) -> str | None:
    if "\\" in rel:
        return "use '/' as the folder separator"
    pure = PurePosixPath(rel)
    if pure.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return "media paths must be relative to the pack folder"
    if ".." in pure.parts:
        return "media paths must stay inside the pack folder (no '..')"
    return None


def _check_media(root: Path, nodes: list[Node], out: _Collector) -> dict[str, MediaInfo]:
    media: dict[str, MediaInfo] = {}
    real_root = root.resolve()
    for i, node in enumerate(nodes):
        for field, rel in _media_refs(node):
            loc = _node_loc(nodes, i, field)
            unsafe = _unsafe_media_path(rel)
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
            _check_media_kind(node, field, media[rel], loc, out)
    return media


def _check_media_kind(node: Node, field: str, info: MediaInfo, loc: tuple[str | int, ...], out: _Collector) -> None:
    if field == "file" and info.kind != "video":
        out.add(loc, f"{info.path.rsplit('/', 1)[-1]!r} is {info.kind}, a video segment needs a video file")
    if field == "image" and info.kind != "image":
        out.add(loc, f"a slide image must be a picture (png, jpg, webp), not {info.kind}")
    if field == "narration" and info.kind not in ("audio", "video"):
        out.add(loc, "narration must be an audio file")
    if isinstance(node, VideoNode) and info.duration_s is not None:
        if node.start_s >= info.duration_s:
            out.add(
                (*loc[:2], "start_s"),
                f"in point {node.start_s}s is past the end of the file ({info.duration_s:.2f}s)",
            )
        if node.end_s is not None and node.end_s > info.duration_s + 0.05:
            out.add(
                (*loc[:2], "end_s"),
                f"out point {node.end_s}s is past the end of the file ({info.duration_s:.2f}s)",
            )

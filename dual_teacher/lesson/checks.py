"""The pure checks of a lesson pack's manifest, each adding `Problem`s to a `Collector`: pydantic's schema errors in
words, the node graph (ids, links, reachability, a way to an end from everywhere, branch sources and rules,
branches that loop without showing anything) and the media fields' paths and kinds.

No file is read here: `lesson.loader` opens the pack (folder or zip), parses the TOML, probes the media and
calls these with what it found.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

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
)
from dual_teacher.lesson.tomlpos import PathT, line_for
from dual_teacher.media.probe import MediaInfo

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


class Collector:
    def __init__(self, file: str, lines: Mapping[PathT, int] | None = None) -> None:
        self.file = file
        self.lines = dict(lines or {})
        self.problems: list[Problem] = []

    def add(self, path: Sequence[str | int], message: str, line: int | None = None) -> None:
        dotted = ".".join(str(p) for p in path) or "(file)"
        if line is None:
            line = line_for(self.lines, path)
        self.problems.append(Problem(self.file, line, dotted, message))


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def toml_problem(file_label: str, exc: tomllib.TOMLDecodeError) -> Problem:
    """tomllib gives the position only inside its message before Python 3.14; take it from there."""
    msg = str(exc)
    lineno: int | None = getattr(exc, "lineno", None)
    m = _TOML_AT.search(msg)
    if m:
        lineno = lineno or int(m.group(1))
        msg = msg[: m.start()] + f" (column {m.group(2)})"
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


def check_schema(raw: dict[str, Any], out: Collector) -> LessonPack | None:
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


@dataclasses.dataclass(frozen=True)
class GNode:
    """A node as the graph checks see it: from the parsed model when it is valid, else from the raw table,
    so one broken node neither shifts the indices of the others nor cuts the paths through it."""

    index: int
    id: str | None
    kind: str | None
    edges: tuple[tuple[tuple[str | int, ...], str], ...]  # (key path inside the node, target id)
    node: Node | None


def _explicit_edges(item: Any) -> list[tuple[tuple[str | int, ...], str]]:
    if not isinstance(item, dict):
        return []
    edges: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(item.get("next"), str):
        edges.append((("next",), item["next"]))
    if item.get("kind") == "branch":
        rules = item.get("rules")
        for r, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict) and isinstance(rule.get("goto"), str):
                edges.append((("rules", r, "goto"), rule["goto"]))
        if isinstance(item.get("otherwise"), str):
            edges.append((("otherwise",), item["otherwise"]))
    return edges


def graph_nodes(raw: dict[str, Any], manifest: LessonPack | None) -> list[GNode]:
    items = raw.get("nodes")
    if not isinstance(items, list):
        return []
    out: list[GNode] = []
    for i, item in enumerate(items):
        parsed: Node | None
        if manifest is not None:
            parsed = manifest.nodes[i]
        else:
            try:
                parsed = _NODE_ADAPTER.validate_python(item)
            except ValidationError:
                parsed = None
        raw_id = item.get("id") if isinstance(item, dict) else None
        raw_kind = item.get("kind") if isinstance(item, dict) else None
        node_id = parsed.id if parsed else raw_id if isinstance(raw_id, str) else None
        kind = parsed.kind if parsed else raw_kind if isinstance(raw_kind, str) else None
        out.append(GNode(i, node_id, kind, tuple(_explicit_edges(item)), parsed))
    linked: list[GNode] = []
    for g in out:
        has_next = any(path == ("next",) for path, _ in g.edges)
        if g.kind not in ("end", "branch") and not has_next and g.index + 1 < len(out):
            following = out[g.index + 1].id
            if following is not None:
                g = dataclasses.replace(g, edges=(*g.edges, (("next",), following)))
        linked.append(g)
    return linked


def raw_start(raw: dict[str, Any], gnodes: list[GNode]) -> str | None:
    start = raw.get("start")
    if isinstance(start, str):
        return start
    return gnodes[0].id if gnodes else None


def check_graph(gnodes: list[GNode], start: str | None, out: Collector) -> None:
    if not gnodes:
        return
    index = _index_ids(gnodes, out)
    if start is not None and start not in index:
        out.add(("start",), f"start node {start!r} does not exist")
    edges = _check_edges(gnodes, index, out)
    if not any(g.kind == "end" for g in gnodes):
        out.add(("nodes",), 'the lesson has no end node (add a node with kind = "end")')
    if start is None or start not in index:
        return
    _check_reach(gnodes, start, index, edges, out)
    _check_instant_loops(gnodes, index, edges, out)


def _index_ids(gnodes: list[GNode], out: Collector) -> dict[str, int]:
    """Node id -> the index of the first node with it (a second one is reported)."""
    index: dict[str, int] = {}
    for g in gnodes:
        if g.id is None:
            continue
        if g.id in index:
            out.add(("nodes", g.index, "id"), f"duplicate node id {g.id!r} (first used by nodes.{index[g.id]})")
        else:
            index[g.id] = g.index
    return index


def _check_edges(gnodes: list[GNode], index: dict[str, int], out: Collector) -> dict[str, list[str]]:
    """Targets that exist, a last node that is not an end, branch rules; returns the graph's edges."""
    edges: dict[str, list[str]] = {}
    for g in gnodes:
        for path, target in g.edges:
            if target not in index:
                out.add(("nodes", g.index, *path), f"points to node {target!r}, which does not exist")
        if g.id is not None and index.get(g.id) == g.index:
            edges[g.id] = [t for _, t in g.edges if t in index]
        if not g.edges and g.node is not None and not isinstance(g.node, EndNode):
            out.add(
                ("nodes", g.index),
                f"node {g.id!r} is the last node but not an end node: add `next` or an `end` node after it",
            )
        if isinstance(g.node, BranchNode):
            _check_branch(gnodes, g.index, g.node, index, out)
    return edges


def _check_reach(
    gnodes: list[GNode], start: str, index: dict[str, int], edges: dict[str, list[str]], out: Collector
) -> None:
    """Every node reachable from the start, and from every reachable node a way to an end."""
    reachable = _reach(start, edges)
    for g in gnodes:
        if g.id is not None and index.get(g.id) == g.index and g.id not in reachable:
            out.add(("nodes", g.index), f"node {g.id!r} can never be reached from the start node {start!r}")
    reverse: dict[str, list[str]] = {nid: [] for nid in edges}
    for src, dsts in edges.items():
        for dst in dsts:
            reverse.setdefault(dst, []).append(src)
    can_finish: set[str] = set()
    for g in gnodes:
        if g.kind == "end" and g.id is not None:
            can_finish |= _reach(g.id, reverse)
    for g in gnodes:
        if g.id is not None and index.get(g.id) == g.index and g.id in reachable and g.id not in can_finish:
            cycle = _find_cycle(g.id, edges)
            shown = " -> ".join(cycle) if cycle else g.id
            out.add(
                ("nodes", g.index),
                f"loop with no way out: from {g.id!r} the lesson never reaches an end node ({shown})",
            )


def _check_branch(gnodes: list[GNode], i: int, node: BranchNode, index: dict[str, int], out: Collector) -> None:
    if node.source not in index:
        out.add(("nodes", i, "source"), f"source {node.source!r} does not exist")
        return
    src = gnodes[index[node.source]].node
    if src is None:
        return
    if not isinstance(src, QuestionNode | HandPollNode):
        out.add(
            ("nodes", i, "source"),
            f"source {node.source!r} is a {src.kind} node; a branch reads the results of a question or a hand_poll",
        )
        return
    for r, rule in enumerate(node.rules):
        loc: tuple[str | int, ...] = ("nodes", i, "rules", r)
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
    gnodes: list[GNode], index: dict[str, int], edges: Mapping[str, list[str]], out: Collector
) -> None:
    """Branches that can jump to each other forever without showing anything."""
    branch_edges = {
        g.id: [t for t in edges.get(g.id, []) if gnodes[index[t]].kind == "branch"]
        for g in gnodes
        if g.kind == "branch" and g.id is not None and index.get(g.id) == g.index
    }
    reported: set[str] = set()
    for nid in branch_edges:
        cycle = _find_cycle(nid, branch_edges)
        if cycle and cycle[0] not in reported:
            reported.update(cycle)
            out.add(
                ("nodes", index[nid]),
                "branches jump to each other with nothing shown in between: " + " -> ".join(cycle),
            )


def media_refs(node: Node) -> Iterator[tuple[str, str]]:
    if isinstance(node, VideoNode):
        yield "file", node.file
    elif isinstance(node, SlideNode):
        if node.image:
            yield "image", node.image
        if node.narration:
            yield "narration", node.narration


def unsafe_media_path(rel: str) -> str | None:
    if "\\" in rel:
        return "use '/' as the folder separator"
    pure = PurePosixPath(rel)
    if pure.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return "media paths must be relative to the pack folder"
    if ".." in pure.parts:
        return "media paths must stay inside the pack folder (no '..')"
    return None


def check_media_kind(node: Node, field: str, info: MediaInfo, loc: tuple[str | int, ...], out: Collector) -> None:
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

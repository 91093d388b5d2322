"""H5P Interactive Video: the video cut into segments at the interaction times, the interactions between
them, adaptivity seeks as branches, and what no path reaches pruned."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from dual_teacher.lesson.h5p.builder import Builder
from dual_teacher.lesson.h5p.package import KEYS, H5PImportError, Node, field_list, field_map, library_name
from dual_teacher.lesson.h5p.text import clock, html_to_text
from dual_teacher.media.probe import MediaProbeError, probe_media

PASS_RATE = 0.5  # H5P's per-learner "correct" becomes "at least half of the class answered correctly"


@dataclasses.dataclass
class _Cue:
    time_s: float
    nodes: list[Node]
    correct_seek: float | None = None
    wrong_seek: float | None = None
    path: str = ""


def _seek(adaptivity: object, which: str) -> float | None:
    part = adaptivity.get(which) if isinstance(adaptivity, Mapping) else None
    value = part.get("seekTo") if isinstance(part, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def interactive_video(b: Builder, content: Mapping[str, Any], label: str) -> list[Node]:
    iv = field_map(content, "interactiveVideo")
    rel, duration = _video(b, iv, label)
    assets = field_map(iv, "assets")
    cues = [c for i, inter in enumerate(field_list(assets, "interactions")) if (c := _cue(b, inter, i, duration))]
    summary = field_map(iv, "summary")
    if isinstance(summary.get("task"), Mapping):
        nodes = b.dispatch(summary["task"], "interactiveVideo.summary.task", duration)
        if nodes:
            end = duration if duration is not None else float("inf")
            cues.append(_Cue(end, nodes, path="interactiveVideo.summary.task"))
    # Cut points: every interaction time, every seek target, every bookmark.
    bookmarks = _bookmarks(b, assets, duration)
    _check_endscreens(b, assets, duration)
    cuts = {round(c.time_s, 3) for c in cues} | set(bookmarks) | _seek_targets(b, cues, duration)
    bounds = [0.0, *sorted(t for t in cuts if t > 0 and (duration is None or t < duration))]
    return _assemble(b, cues, bounds, _segments(b, bounds, bookmarks, rel, duration))


def _video(b: Builder, iv: Mapping[str, Any], label: str) -> tuple[str, float | None]:
    """The video file in the pack (copied, or the --video given) and its duration."""
    files = field_list(field_map(iv, "video"), "files")
    first = files[0] if files and isinstance(files[0], Mapping) else {}
    src = first.get("path")
    remote = isinstance(src, str) and bool(re.match(r"^[a-z][a-z0-9+.-]*://", src, re.I))
    if b.video is not None:
        rel = b.local_video()
    elif remote:
        raise H5PImportError(
            f"{label}: the Interactive Video's video is not in the package but on the web: {src}",
            hint="download it (or use a local copy) and import again with --video FILE",
        )
    else:
        copied = b.copy_media(src, "interactiveVideo.video.files[0]", None)
        if copied is None:
            raise H5PImportError(
                f"{label}: the Interactive Video has no usable video file",
                [str(w) for w in b.warnings[-1:]],
                hint="import again with --video FILE",
            )
        rel = copied
    try:
        return rel, probe_media(b.out / rel).duration_s
    except MediaProbeError as exc:
        raise H5PImportError(
            f"{label}: the video {rel} cannot be used: {exc}", hint="give another --video file"
        ) from None


def _cue(b: Builder, inter: object, i: int, duration: float | None) -> _Cue | None:
    """One interaction as the nodes shown at its time (None: nothing to show)."""
    path = f"interactiveVideo.assets.interactions[{i}]"
    if not isinstance(inter, Mapping):
        return None
    span = field_map(inter, "duration")
    start = span.get("from")
    t = float(start) if isinstance(start, int | float) and not isinstance(start, bool) and start >= 0 else 0.0
    end = span.get("to")
    shown = float(end) - t if isinstance(end, int | float) and end > t else None
    action = inter.get("action")
    lib = library_name(action.get("library")) if isinstance(action, Mapping) else ""
    extra = {"duration_s": min(60.0, max(4.0, shown))} if shown else {}
    if lib == "H5P.Nil":
        text = html_to_text(inter.get("label"))
        if text:
            nodes = [b.slide(text, None, extra.get("duration_s", 6.0))]
        else:
            b.warn(path, "label with no text: left out", t)
            nodes = []
    elif lib == "H5P.GoToQuestion":
        nodes = _crossroads(b, field_map(inter, "action"), path, t)
    else:
        nodes = b.dispatch(action, f"{path}.action", t, extra)
    if duration is not None and t >= duration:
        b.warn(path, f"at {clock(t)}, past the end of the video ({clock(duration)}): placed after the video", t)
        t = duration
    cue = _Cue(t, nodes, path=path)
    if any(n["kind"] == "question" for n in nodes):
        cue.correct_seek = _seek(inter.get("adaptivity"), "correct")
        cue.wrong_seek = _seek(inter.get("adaptivity"), "wrong")
    return cue if nodes else None


def _bookmarks(b: Builder, assets: Mapping[str, Any], duration: float | None) -> dict[float, str]:
    """Bookmark time -> its name (the name of the segment that starts there)."""
    bookmarks: dict[float, str] = {}
    for i, mark in enumerate(field_list(assets, "bookmarks")):
        if isinstance(mark, Mapping) and isinstance(mark.get("time"), int | float):
            bt = float(mark["time"])
            if duration is None or bt < duration:
                bookmarks[round(bt, 3)] = html_to_text(mark.get("label")) or f"Bookmark {i + 1}"
            else:
                b.warn(f"interactiveVideo.assets.bookmarks[{i}]", "bookmark past the end of the video: left out", bt)
    return bookmarks


def _check_endscreens(b: Builder, assets: Mapping[str, Any], duration: float | None) -> None:
    for i, screen in enumerate(field_list(assets, "endscreens")):
        if isinstance(screen, Mapping) and isinstance(screen.get("time"), int | float):
            et = float(screen["time"])
            if duration is None or et < duration - 0.5:
                b.warn(
                    f"interactiveVideo.assets.endscreens[{i}]",
                    "end screen before the end of the video: the class summary comes at the end of the lesson instead",
                    et,
                )


def _seek_targets(b: Builder, cues: list[_Cue], duration: float | None) -> set[float]:
    """The times the adaptivity seeks of questions jump to (a seek past the end is dropped, saying so)."""
    out: set[float] = set()
    for c in cues:
        for seek, which in ((c.correct_seek, "correct"), (c.wrong_seek, "wrong")):
            if seek is None:
                continue
            if duration is not None and seek >= duration:
                b.warn(
                    c.path,
                    f"adaptivity {which}.seekTo {clock(seek)} is past the end of the video: the lesson goes on instead",
                    c.time_s,
                )
            else:
                out.add(round(seek, 3))
    return out


def _segments(
    b: Builder, bounds: list[float], bookmarks: dict[float, str], rel: str, duration: float | None
) -> list[Node]:
    """One video node per span between cut points."""
    segments: list[Node] = []
    for k, start in enumerate(bounds):
        stop = bounds[k + 1] if k + 1 < len(bounds) else None
        node: Node = {"id": b.new_id("seg"), "kind": "video"}
        name = bookmarks.get(round(start, 3))
        node["title"] = b.text(name or f"Video {clock(start)}-{clock(stop if stop is not None else duration)}")
        node["file"] = rel
        if start > 0:
            node["start_s"] = start
        if stop is not None:
            node["end_s"] = stop
        segments.append(node)
    return segments


def _assemble(b: Builder, cues: list[_Cue], bounds: list[float], segments: list[Node]) -> list[Node]:
    """The cues at time t come before the segment that starts at t; a seek to t lands on the first of them."""
    seg_at = {round(start, 3): node for start, node in zip(bounds, segments, strict=True)}
    out: list[Node] = []
    first_at: dict[float, str] = {}
    by_time: dict[float, list[_Cue]] = {}
    for c in cues:
        by_time.setdefault(round(c.time_s, 3), []).append(c)
    for t in sorted(set(bounds) | set(by_time)):
        placed = len(out)
        for c in by_time.get(t, []):
            out += c.nodes
            if c.correct_seek is not None or c.wrong_seek is not None:
                out.append(_branch(b, c))
        if t in seg_at:
            out.append(seg_at[t])
        if len(out) > placed:
            first_at[t] = out[placed]["id"]
    for n in out:
        if n["kind"] == "branch":
            for holder, key in [*((r, "goto") for r in n["rules"]), (n, "otherwise")]:
                target = holder[key]
                if target.startswith("@t:"):
                    holder[key] = first_at.get(float(target[3:]), "@next")
    return out


def _branch(b: Builder, c: _Cue) -> Node:
    source = [n for n in c.nodes if n["kind"] == "question"][-1]["id"]
    right = f"@t:{round(c.correct_seek, 3)}" if c.correct_seek is not None else "@next"
    wrong = f"@t:{round(c.wrong_seek, 3)}" if c.wrong_seek is not None else "@next"
    return {
        "id": b.new_id("branch"),
        "kind": "branch",
        "source": source,
        "rules": [{"on": "correct_rate", "at_least": PASS_RATE, "goto": right}],
        "otherwise": wrong,
    }


def prune_unreachable(b: Builder, nodes: list[Node]) -> list[Node]:
    """Drop what no path reaches (a segment every branch jumps over), saying so."""
    index = {n["id"]: i for i, n in enumerate(nodes)}
    seen = {nodes[0]["id"]}
    todo = [nodes[0]["id"]]
    while todo:
        i = index[todo.pop()]
        n = nodes[i]
        if n["kind"] == "branch":
            targets = [r["goto"] for r in n["rules"]] + [n["otherwise"]]
        elif n["kind"] == "end":
            targets = []
        else:
            targets = [nodes[i + 1]["id"]] if i + 1 < len(nodes) else []
        for t in targets:
            if t not in seen and t in index:
                seen.add(t)
                todo.append(t)
    for n in nodes:
        if n["id"] not in seen:
            span = f" ({clock(n.get('start_s', 0.0))}-{clock(n.get('end_s'))})" if n["kind"] == "video" else ""
            b.warn(
                "interactiveVideo",
                f"{n['id']}{span} is never shown: every way past the question before it jumps over it",
            )
    return [n for n in nodes if n["id"] in seen]


def _crossroads(b: Builder, action: Mapping[str, Any], path: str, t: float) -> list[Node]:
    """H5P.GoToQuestion: the learner picks a way; there is no answer key, and a lesson pack's question
    needs one, so no branch is made: the choices are shown on a slide and the teacher jumps from the console."""
    params = field_map(action, "params")
    text = html_to_text(params.get("text"))
    choices = field_list(params, "choices")
    lines = [text] if text else []
    for i, ch in enumerate(choices[:26]):
        if isinstance(ch, Mapping):
            goto = ch.get("goTo")
            where = f" (-> {clock(float(goto))})" if isinstance(goto, int | float) else ""
            lines.append(f"{KEYS[i]}: {html_to_text(ch.get('text'))}{where}")
    b.warn(
        f"{path}.action",
        "crossroads (H5P.GoToQuestion) has no answer key, so no branch was made: its choices are shown on a slide",
        t,
    )
    return [b.slide("\n".join(lines), None, 10.0)] if lines else []


def resolve_next(nodes: list[Node]) -> None:
    """Branch targets '@next' become the node after the branch."""
    for i, n in enumerate(nodes):
        if n["kind"] != "branch":
            continue
        following = nodes[i + 1]["id"] if i + 1 < len(nodes) else "end"
        for rule in n["rules"]:
            if rule["goto"] == "@next":
                rule["goto"] = following
        if n["otherwise"] == "@next":
            n["otherwise"] = following

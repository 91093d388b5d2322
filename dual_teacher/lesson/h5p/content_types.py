"""H5P content types as node tables: MultiChoice, TrueFalse, SingleChoiceSet, Summary, Blanks, QuestionSet
(questions), Text, AdvancedText, Table, Image (slides), Column (its items in order), Video."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dual_teacher.lesson.h5p.package import KEYS, Node, field_list, field_map, title_of
from dual_teacher.lesson.h5p.text import as_number, html_to_text, parse_blanks, split_text

if TYPE_CHECKING:
    from dual_teacher.lesson.h5p.builder import Builder


def shuffled(items: Sequence[str], seed_text: str) -> list[int]:
    """A fixed order (the same on every import) for sets whose first item is the correct one."""
    order = list(range(len(items)))
    seed = int.from_bytes(hashlib.sha256(seed_text.encode("utf-8")).digest()[:8], "big")
    random.Random(seed).shuffle(order)
    return order


def multi_choice(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    prompt = html_to_text(params.get("question"))
    raw = field_list(params, "answers")
    texts = [html_to_text(a.get("text")) if isinstance(a, Mapping) else "" for a in raw]
    correct = [KEYS[i] for i, a in enumerate(raw[:26]) if isinstance(a, Mapping) and a.get("correct") is True]
    if not prompt:
        b.warn(path, "multiple choice question with no question text: left out", time_s)
        return []
    if len(raw) < 2 or len(raw) > 26:
        b.warn(path, f"multiple choice question with {len(raw)} answers (2-26 can be imported): left out", time_s)
        return []
    empty = [i + 1 for i, t in enumerate(texts) if not t]
    if empty:
        b.warn(path, f"multiple choice question whose answer(s) {empty} have no text: left out", time_s)
        return []
    if not correct:
        b.warn(path, "multiple choice question with no answer marked correct: left out (no key is guessed)", time_s)
        return []
    behaviour = field_map(params, "behaviour")
    kind = behaviour.get("type", "auto")
    multi = kind == "multi" or (kind != "single" and len(correct) > 1)
    if kind == "single" and len(correct) > 1:
        b.warn(path, f"'single' question with {len(correct)} correct answers: imported as multiple choice", time_s)
        multi = True
    title = title_of(ctx.get("metadata"))
    node = b.question(
        "multiple_choice" if multi else "single_choice",
        prompt,
        correct if multi else correct[0],
        title,
        texts,
    )
    return [*b.media_slide(params, path, time_s, prompt), node]


def true_false(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    prompt = html_to_text(params.get("question"))
    correct = params.get("correct")
    if not prompt:
        b.warn(path, "true/false question with no question text: left out", time_s)
        return []
    if correct not in ("true", "false", True, False):
        b.warn(path, "true/false question with no correct answer set: left out (no key is guessed)", time_s)
        return []
    answer = correct in ("true", True)
    node = b.question("true_false", prompt, answer, title_of(ctx.get("metadata")))
    return [*b.media_slide(params, path, time_s, prompt), node]


def single_choice_set(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    """H5P's rule: the first alternative of each question is the correct one (shown shuffled)."""
    nodes: list[Node] = []
    raw = field_list(params, "choices")
    for i, item in enumerate(raw):
        where = f"{path}.choices[{i}]"
        item = item if isinstance(item, Mapping) else {}
        prompt = html_to_text(item.get("question"))
        answers = [html_to_text(a) for a in field_list(item, "answers") if isinstance(a, str)]
        if not prompt or len(answers) < 2 or not all(answers) or len(answers) > 26:
            b.warn(where, "single choice question without a question text or 2-26 answers with text: left out", time_s)
            continue
        order = shuffled(answers, prompt + "\0" + "\0".join(answers))
        shown = [answers[j] for j in order]
        nodes.append(b.question("single_choice", prompt, KEYS[order.index(0)], None, shown))
    if not raw:
        b.warn(path, "single choice set with no questions: left out", time_s)
    return nodes


def summary(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    """H5P's rule: the first statement of each set is the correct one (shown shuffled)."""
    intro = html_to_text(params.get("intro")) or "Choose the correct statement."
    raw = field_list(params, "summaries")
    nodes: list[Node] = []
    for i, item in enumerate(raw):
        where = f"{path}.summaries[{i}]"
        item = item if isinstance(item, Mapping) else {}
        statements = [html_to_text(s) for s in field_list(item, "summary") if isinstance(s, str)]
        if len(statements) < 2 or not all(statements) or len(statements) > 26:
            b.warn(where, "statement set without 2-26 statements with text: left out", time_s)
            continue
        order = shuffled(statements, intro + "\0" + "\0".join(statements))
        shown = [statements[j] for j in order]
        prompt = intro if len(raw) == 1 else f"{intro} ({i + 1}/{len(raw)})"
        nodes.append(b.question("single_choice", prompt, KEYS[order.index(0)], None, shown))
    if not raw:
        b.warn(path, "summary with no statement sets: left out", time_s)
    return nodes


def blanks(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    intro = html_to_text(params.get("text"))
    raw = field_list(params, "questions")
    behaviour = field_map(params, "behaviour")
    nodes: list[Node] = []
    found = 0
    for i, item in enumerate(raw):
        paragraphs = html_to_text(item).split("\n")  # each blank is asked with its own paragraph only
        for prompt_part, answers, _tip in (blank for para in paragraphs for blank in parse_blanks(para)):
            found += 1
            if not answers:
                b.warn(f"{path}.questions[{i}]", "a blank with no accepted answer: left out", time_s)
                continue
            prompt = prompt_part
            numbers = {as_number(a) for a in answers}
            value = numbers.pop() if len(numbers) == 1 else None
            if value is not None:
                nodes.append(b.question("numeric", prompt, int(value) if value.is_integer() else value, None))
            else:
                nodes.append(b.question("short_answer", prompt, answers, None))
    if not found:
        b.warn(path, "fill in the blanks with no *marked* blank: left out", time_s)
    elif any(n["qtype"] == "short_answer" for n in nodes) and behaviour.get("caseSensitive") is True:
        b.warn(path, "blanks are case-sensitive in H5P; spoken and typed answers here are not", time_s)
    if nodes and intro:  # the task, once, before its blanks (with the picture when there is one)
        nodes = [*(b.media_slide(params, path, time_s, intro) or [b.slide(intro, None, 6.0)]), *nodes]
    elif nodes:
        nodes = [*b.media_slide(params, path, time_s, intro), *nodes]
    return nodes


def question_set(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    nodes: list[Node] = []
    intro = field_map(params, "introPage")
    intro_text = html_to_text(intro.get("introduction")) if intro.get("showIntroPage") else ""
    title = html_to_text(intro.get("title")) if intro.get("showIntroPage") else ""
    if intro_text or title:
        nodes.append(b.slide(intro_text or title, None, 8.0, title or None))
    raw = field_list(params, "questions")
    for i, item in enumerate(raw):
        nodes += b.dispatch(item, f"{path}.questions[{i}]", time_s)
    return nodes


# ---- slides
def text_slide(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    """A text (or table) on slides: a long one on several, so that it stays readable across the room."""
    text = html_to_text(params.get("text"))
    if not text:
        b.warn(path, "text with nothing in it: left out", time_s)
        return []
    title = title_of(ctx.get("metadata"))
    slides = []
    for part in split_text(text):
        words = len(part.split())
        duration = float(ctx.get("duration_s") or min(60.0, max(6.0, words / 2.5)))
        slides.append(b.slide(part, None, duration, title))
    return slides


def image_slide(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    file = params.get("file")
    image = b.copy_media(file.get("path"), f"{path}.file", time_s) if isinstance(file, Mapping) else None
    alt = html_to_text(params.get("alt")) or None
    title = title_of(ctx.get("metadata"))
    if image is None and alt is None:
        b.warn(path, "image with no picture in the package and no alternative text: left out", time_s)
        return []
    if image is None:
        b.warn(path, "image with no picture in the package: a slide with its alternative text instead", time_s)
    return [b.slide(None if image else alt, image, float(ctx.get("duration_s") or 8.0), title)]


def column(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    nodes: list[Node] = []
    raw = field_list(params, "content")
    for i, item in enumerate(raw):
        inner = item.get("content") if isinstance(item, Mapping) else None
        nodes += b.dispatch(inner, f"{path}.content[{i}].content", time_s)
    return nodes


def video_item(
    b: Builder, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
) -> list[Node]:
    """A plain video (inside a Column): the package's own file, or --video for a remote one."""
    sources = field_list(params, "sources")
    first = sources[0] if sources and isinstance(sources[0], Mapping) else {}
    src = first.get("path")
    if isinstance(src, str) and re.match(r"^[a-z][a-z0-9+.-]*://", src, re.I):
        if b.video is None:
            b.warn(path, f"video at {src} is on the web: left out (pass --video FILE with a local copy)", time_s)
            return []
        rel: str | None = b.local_video()
    else:
        rel = b.copy_media(src, f"{path}.sources[0]", time_s)
    if rel is None:
        if not sources:
            b.warn(path, "video with no source: left out", time_s)
        return []
    node: Node = {"id": b.new_id("video"), "kind": "video"}
    title = title_of(ctx.get("metadata"))
    if title:
        node["title"] = b.text(title)
    node["file"] = rel
    return [node]

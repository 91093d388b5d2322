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

import dataclasses
import hashlib
import html.parser
import json
import random
import re
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from dual_teacher.core.errors import LessonPackError
from dual_teacher.lesson.archive import ArchiveLimits, UnsafeArchive, check_zip, copy_entry, read_entry
from dual_teacher.media.probe import MediaProbeError, probe_media

CONTENT_JSON = "content/content.json"
MAX_JSON_BYTES = 32 * 1024 * 1024
SLIDE_WORDS = 45  # words on one slide before the text goes on to the next
PASS_RATE = 0.5  # H5P's per-learner "correct" becomes "at least half of the class answered correctly"
_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class H5PImportError(LessonPackError):
    """The package is refused; `problems` says why, `warnings` what was left out before that."""

    def __init__(
        self, message: str, problems: list[str] | None = None, hint: str = "", warnings: Sequence[H5PWarning] = ()
    ):
        super().__init__(message, problems, hint)
        self.warnings = list(warnings)


@dataclasses.dataclass(frozen=True)
class H5PWarning:
    """Something that was not imported (or imported differently): where it is in content.json and why."""

    path: str  # JSON path inside content/content.json, e.g. interactiveVideo.assets.interactions[13]
    message: str
    time_s: float | None = None  # time in the Interactive Video, where it has one

    def __str__(self) -> str:
        at = f" (at {clock(self.time_s)})" if self.time_s is not None else ""
        return f"{CONTENT_JSON}: {self.path or '(top level)'}{at}: {self.message}"


@dataclasses.dataclass(frozen=True)
class ImportResult:
    pack_dir: Path
    pack_id: str
    main_library: str
    node_kinds: Mapping[str, int]  # kind -> number of nodes made
    questions: tuple[str, ...]  # ids of the question nodes
    warnings: tuple[H5PWarning, ...]

    @property
    def nodes(self) -> int:
        return sum(self.node_kinds.values())


def clock(seconds: float | None) -> str:
    s = max(0.0, seconds or 0.0)
    whole = int(s)
    frac = s - whole
    return f"{whole // 60}:{whole % 60:02d}" + (f".{round(frac * 10):d}" if frac >= 0.05 else "")


# ---- HTML to plain text ---------------------------------------------------------------------------------------
_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
_DROP = {"script", "style", "head", "title", "iframe", "object", "template", "svg", "math"}


class _TextOnly(html.parser.HTMLParser):
    """Collects the text of an HTML fragment: tags dropped (script/style with their content), entities
    decoded, blocks and table rows on their own lines, cells separated by ' | ', list items bulleted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.dropping = 0
        self.cells = 0

    def _newline(self) -> None:
        line = " ".join("".join(self.cur).split())
        if line:
            self.lines.append(line)
        self.cur = []
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.dropping += 1
        elif tag in _BLOCKS:
            self._newline()
            if tag == "li":
                self.cur.append("• ")
        elif tag in ("td", "th"):
            if self.cells:
                self.cur.append(" | ")
            self.cells += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.cur.append(data.replace("\xa0", " "))


def html_to_text(fragment: object) -> str:
    """Plain text of an H5P HTML field (never markup, never script); non-strings give ''."""
    if not isinstance(fragment, str):
        return ""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    parser._newline()
    text = "\n".join(parser.lines)
    return "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())


def split_text(text: str, max_words: int = SLIDE_WORDS) -> list[str]:
    """Whole lines grouped into parts of at most `max_words` words (a longer line stays one part)."""
    parts: list[list[str]] = [[]]
    count = 0
    for line in text.split("\n"):
        n = len(line.split())
        if parts[-1] and count + n > max_words:
            parts.append([])
            count = 0
        parts[-1].append(line)
        count += n
    return ["\n".join(p) for p in parts if p]


# ---- Blanks ----------------------------------------------------------------------------------------------------
_BLANK = re.compile(r"\*([^*\n]+)\*")


def parse_blanks(text: str) -> list[tuple[str, list[str], str]]:
    """For each `*answer/alternative:tip*` marker in `text`: (prompt with that blank as _____ and the
    others as …, accepted answers, tip)."""
    markers = list(_BLANK.finditer(text))
    out = []
    for i, m in enumerate(markers):
        body = m.group(1).replace("\\:", "\0")
        answers_part, _, tip = body.partition(":")
        answers = [a.replace("\0", ":").strip() for a in answers_part.split("/")]
        answers = [a for a in answers if a]
        pieces = []
        last = 0
        for j, other in enumerate(markers):
            pieces.append(text[last : other.start()])
            pieces.append("_____" if j == i else "…")
            last = other.end()
        pieces.append(text[last:])
        out.append(("".join(pieces).strip(), answers, tip.replace("\0", ":").strip()))
    return out


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "")) if re.fullmatch(r"-?[\d,]*\.?\d+", text.strip()) else None
    except ValueError:
        return None
    return value


# ---- TOML output -------------------------------------------------------------------------------------------------
def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\\/", "/")


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, Sequence):
        items = [_toml_value(x) for x in v]
        if any(isinstance(x, Mapping) for x in v):
            return "[\n" + "".join(f"  {i},\n" for i in items) + "]"
        return "[" + ", ".join(items) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_str(k)


def to_toml(top: Mapping[str, object], nodes: Sequence[Mapping[str, object]], header: str = "") -> str:
    lines = [f"# {h}" for h in header.splitlines()]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in top.items() if v is not None]
    for node in nodes:
        lines += ["", "[[nodes]]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in node.items() if v is not None]
    return "\n".join(lines) + "\n"


# ---- the package ----------------------------------------------------------------------------------------------------
def _is_content(name: str) -> bool:
    return name == "h5p.json" or name.startswith("content/")


@dataclasses.dataclass
class _Package:
    zf: zipfile.ZipFile
    label: str
    limits: ArchiveLimits
    h5p: dict[str, Any]
    content: dict[str, Any]

    def info(self, name: str) -> zipfile.ZipInfo | None:
        try:
            return self.zf.getinfo(name)
        except KeyError:
            return None


def _json_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, what: str) -> Any:
    data = read_entry(zf, info, MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise H5PImportError(
            f"{label}: {info.filename} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint=f"the {what} is damaged: export the content again from the H5P editor",
        ) from None
    except json.JSONDecodeError as exc:
        raise H5PImportError(
            f"{label}: {info.filename}:{exc.lineno}: {what} is not valid JSON ({exc.msg}, column {exc.colno})",
            hint=f"the {what} is damaged: export the content again from the H5P editor",
        ) from None


def _open_package(path: Path, limits: ArchiveLimits) -> _Package:
    label = str(path)
    if not path.is_file():
        raise H5PImportError(f"{label}: no such file", hint="give the path of an .h5p file")
    if not zipfile.is_zipfile(path):
        raise H5PImportError(f"{label}: not an H5P package (an .h5p is a zip file)", hint="give an .h5p file")
    zf = zipfile.ZipFile(path)
    try:
        check_zip(zf, limits, is_content=_is_content)
        h5p_info = zf.getinfo("h5p.json") if "h5p.json" in zf.namelist() else None
        if h5p_info is None:
            raise H5PImportError(f"{label}: h5p.json is missing: not an H5P package", hint="give an .h5p file")
        h5p = _json_entry(zf, h5p_info, label, "package description h5p.json")
        if not isinstance(h5p, dict) or not isinstance(h5p.get("mainLibrary"), str):
            raise H5PImportError(f"{label}: h5p.json names no mainLibrary", hint="export the content again")
        # The libraries' own descriptions and translations: H5P refuses a package with a broken one, so do we.
        for info in zf.infolist():
            name = info.filename
            if not _is_content(name) and name.endswith(".json") and not info.is_dir():
                _json_entry(zf, info, label, "library file")
        content_info = zf.getinfo(CONTENT_JSON) if CONTENT_JSON in zf.namelist() else None
        if content_info is None:
            raise H5PImportError(f"{label}: {CONTENT_JSON} is missing", hint="export the content again")
        content = _json_entry(zf, content_info, label, "content")
        if not isinstance(content, dict):
            raise H5PImportError(f"{label}: {CONTENT_JSON} is not a JSON object", hint="export the content again")
    except UnsafeArchive as exc:
        zf.close()
        raise H5PImportError(
            f"{label}: unsafe archive, not imported",
            [f"{entry}: {msg}" for entry, msg in exc.problems],
            hint="only import packages from a source you trust; re-export it from the H5P editor",
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        zf.close()
        raise H5PImportError(f"{label}: cannot read the archive ({exc})", hint="the file is damaged") from None
    except BaseException:
        zf.close()
        raise
    return _Package(zf, label, limits, h5p, content)


def _language(h5p: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text variant key or None for plain strings, the language code as given)."""
    for key in ("language", "defaultLanguage"):
        code = h5p.get(key)
        if not isinstance(code, str) or code.lower() in ("", "und"):
            continue
        low = code.lower().replace("_", "-")
        if low in ("en",) or low.startswith("en-"):
            return "en", code
        if low in ("zh", "zh-hans", "zh-cn", "zh-sg"):
            return "zh-Hans", code
        return None, code
    return None, None


def _map(obj: object, key: str) -> Mapping[str, Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _list(obj: object, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, list) else []


def _lib(value: object) -> str:
    """Machine name of a library string such as 'H5P.MultiChoice 1.14'."""
    return value.split(" ")[0] if isinstance(value, str) else ""


def _title_of(meta: object) -> str | None:
    title = meta.get("title") if isinstance(meta, Mapping) else None
    if not isinstance(title, str) or not title.strip() or title.startswith("Untitled"):
        return None
    return html_to_text(title) or None


def _shuffled(items: Sequence[str], seed_text: str) -> list[int]:
    """A fixed order (the same on every import) for sets whose first item is the correct one."""
    order = list(range(len(items)))
    seed = int.from_bytes(hashlib.sha256(seed_text.encode("utf-8")).digest()[:8], "big")
    random.Random(seed).shuffle(order)
    return order


# ---- the mapping ------------------------------------------------------------------------------------------
Node = dict[str, Any]


class _Builder:
    """Turns content.json items into node tables, copying the media they use into the pack."""

    def __init__(self, pkg: _Package, out: Path, variant: str | None, video: Path | None) -> None:
        self.pkg = pkg
        self.out = out
        self.variant = variant
        self.video = video
        self.warnings: list[H5PWarning] = []
        self.counters: dict[str, int] = {}
        self.media: dict[str, str] = {}  # content path -> pack path
        self.total = 0
        self.where = ""  # the item being mapped and its time, for warnings raised by helpers
        self.when: float | None = None
        self._handlers: dict[str, Callable[[Mapping[str, Any], str, float | None, Mapping[str, Any]], list[Node]]] = {
            "H5P.MultiChoice": self.multi_choice,
            "H5P.TrueFalse": self.true_false,
            "H5P.SingleChoiceSet": self.single_choice_set,
            "H5P.QuestionSet": self.question_set,
            "H5P.Summary": self.summary,
            "H5P.Blanks": self.blanks,
            "H5P.Text": self.text_slide,
            "H5P.AdvancedText": self.text_slide,
            "H5P.Table": self.text_slide,
            "H5P.Image": self.image_slide,
            "H5P.Column": self.column,
            "H5P.Video": self.video_item,
        }

    # -- helpers
    def warn(self, path: str, message: str, time_s: float | None = None) -> None:
        self.warnings.append(H5PWarning(path.lstrip("."), message, time_s))

    def new_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]}"

    def text(self, s: str) -> str | dict[str, str]:
        return {self.variant: s} if self.variant else s

    def copy_media(self, rel: object, path: str, time_s: float | None) -> str | None:
        """Copy content/<rel> into the pack's media folder; None (with a warning) if it cannot be used."""
        if not isinstance(rel, str) or not rel:
            return None
        if re.match(r"^[a-z][a-z0-9+.-]*://", rel, re.I):
            self.warn(path, f"media at {rel} is on the web, not in the package: left out", time_s)
            return None
        pure = PurePosixPath(rel.split("#")[0])
        if pure.is_absolute() or ".." in pure.parts:
            self.warn(path, f"media path {rel!r} points outside the package's content folder: left out", time_s)
            return None
        entry = f"content/{pure.as_posix()}"
        if entry in self.media:
            return self.media[entry]
        info = self.pkg.info(entry)
        if info is None or info.is_dir():
            self.warn(path, f"media file {entry} is not in the package: left out", time_s)
            return None
        name = re.sub(r"[^A-Za-z0-9._-]", "_", pure.name) or "file"
        target = f"media/{name}"
        n = 1
        while target in self.media.values():
            n += 1
            target = f"media/{pure.stem}-{n}{pure.suffix}"
        (self.out / "media").mkdir(parents=True, exist_ok=True)
        self.total = copy_entry(self.pkg.zf, info, self.out / target, self.pkg.limits, self.total)
        self.media[entry] = target
        return target

    def dispatch(
        self, item: object, path: str, time_s: float | None = None, extra: Mapping[str, Any] | None = None
    ) -> list[Node]:
        """Map one `{library, params, metadata}` item."""
        if not isinstance(item, Mapping):
            self.warn(path, "not an H5P content item: left out", time_s)
            return []
        lib = _lib(item.get("library"))
        params = item.get("params")
        meta = item.get("metadata")
        handler = self._handlers.get(lib)
        self.where, self.when = path, time_s
        if handler is None:
            kind = meta.get("contentType") if isinstance(meta, Mapping) else None
            name = f"{lib} ({kind})" if isinstance(kind, str) and kind else lib or "an item with no library"
            self.warn(path, f"{name} has no equivalent in a lesson pack: left out", time_s)
            return []
        ctx = {"metadata": meta if isinstance(meta, Mapping) else {}, **(extra or {})}
        return handler(params if isinstance(params, Mapping) else {}, path, time_s, ctx)

    def question(
        self,
        qtype: str,
        prompt: str,
        answer: object,
        title: str | None,
        choices: Sequence[str] = (),
        time_limit_s: float = 30.0,
    ) -> Node:
        node: Node = {"id": self.new_id("q"), "kind": "question", "qtype": qtype}
        if title:
            node["title"] = self.text(title)
        node["prompt"] = self.text(prompt)
        if len(set(choices)) < len(choices):
            self.warn(self.where, f"question {prompt[:40]!r} has choices that read the same: check them", self.when)
        if choices:
            node["choices"] = [{"key": _KEYS[i], "text": self.text(c)} for i, c in enumerate(choices)]
        node["answer"] = answer
        node["time_limit_s"] = time_limit_s
        if qtype in ("single_choice", "true_false"):
            node["channels"] = ["spoken", "hand_poll", "teacher"]
        return node

    def slide(self, text: str | None, image: str | None, duration_s: float, title: str | None = None) -> Node:
        node: Node = {"id": self.new_id("slide"), "kind": "slide"}
        if title:
            node["title"] = self.text(title)
        if image:
            node["image"] = image
        if text:
            node["text"] = self.text(text)
        node["duration_s"] = duration_s
        return node

    def media_slide(self, params: Mapping[str, Any], path: str, time_s: float | None, prompt: str) -> list[Node]:
        """A question's picture, shown on a slide with the question text just before the question."""
        media = params.get("media")
        mtype = media.get("type") if isinstance(media, Mapping) else None
        if not isinstance(mtype, Mapping):
            return []
        lib = _lib(mtype.get("library"))
        mparams = _map(mtype, "params")
        if lib == "H5P.Image":
            file = mparams.get("file")
            if not isinstance(file, Mapping):
                return []  # the editor's empty image placeholder
            image = self.copy_media(file.get("path"), f"{path}.media.type.params.file", time_s)
            return [self.slide(prompt, image, 6.0)] if image else []
        if lib:
            sources = mparams.get("sources") or mparams.get("files")
            if sources:
                self.warn(f"{path}.media", f"the question's {lib} media is not shown (only images are)", time_s)
        return []

    # -- questions
    def multi_choice(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        prompt = html_to_text(params.get("question"))
        raw = _list(params, "answers")
        texts = [html_to_text(a.get("text")) if isinstance(a, Mapping) else "" for a in raw]
        correct = [_KEYS[i] for i, a in enumerate(raw[:26]) if isinstance(a, Mapping) and a.get("correct") is True]
        if not prompt:
            self.warn(path, "multiple choice question with no question text: left out", time_s)
            return []
        if len(raw) < 2 or len(raw) > 26:
            self.warn(
                path, f"multiple choice question with {len(raw)} answers (2-26 can be imported): left out", time_s
            )
            return []
        empty = [i + 1 for i, t in enumerate(texts) if not t]
        if empty:
            self.warn(path, f"multiple choice question whose answer(s) {empty} have no text: left out", time_s)
            return []
        if not correct:
            self.warn(
                path, "multiple choice question with no answer marked correct: left out (no key is guessed)", time_s
            )
            return []
        behaviour = _map(params, "behaviour")
        kind = behaviour.get("type", "auto")
        multi = kind == "multi" or (kind != "single" and len(correct) > 1)
        if kind == "single" and len(correct) > 1:
            self.warn(
                path, f"'single' question with {len(correct)} correct answers: imported as multiple choice", time_s
            )
            multi = True
        title = _title_of(ctx.get("metadata"))
        node = self.question(
            "multiple_choice" if multi else "single_choice",
            prompt,
            correct if multi else correct[0],
            title,
            texts,
        )
        return [*self.media_slide(params, path, time_s, prompt), node]

    def true_false(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        prompt = html_to_text(params.get("question"))
        correct = params.get("correct")
        if not prompt:
            self.warn(path, "true/false question with no question text: left out", time_s)
            return []
        if correct not in ("true", "false", True, False):
            self.warn(path, "true/false question with no correct answer set: left out (no key is guessed)", time_s)
            return []
        answer = correct in ("true", True)
        node = self.question("true_false", prompt, answer, _title_of(ctx.get("metadata")))
        return [*self.media_slide(params, path, time_s, prompt), node]

    def single_choice_set(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        """H5P's rule: the first alternative of each question is the correct one (shown shuffled)."""
        nodes: list[Node] = []
        raw = _list(params, "choices")
        for i, item in enumerate(raw):
            where = f"{path}.choices[{i}]"
            item = item if isinstance(item, Mapping) else {}
            prompt = html_to_text(item.get("question"))
            answers = [html_to_text(a) for a in _list(item, "answers") if isinstance(a, str)]
            if not prompt or len(answers) < 2 or not all(answers) or len(answers) > 26:
                self.warn(
                    where, "single choice question without a question text or 2-26 answers with text: left out", time_s
                )
                continue
            order = _shuffled(answers, prompt + "\0" + "\0".join(answers))
            shown = [answers[j] for j in order]
            nodes.append(self.question("single_choice", prompt, _KEYS[order.index(0)], None, shown))
        if not raw:
            self.warn(path, "single choice set with no questions: left out", time_s)
        return nodes

    def summary(self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]) -> list[Node]:
        """H5P's rule: the first statement of each set is the correct one (shown shuffled)."""
        intro = html_to_text(params.get("intro")) or "Choose the correct statement."
        raw = _list(params, "summaries")
        nodes: list[Node] = []
        for i, item in enumerate(raw):
            where = f"{path}.summaries[{i}]"
            item = item if isinstance(item, Mapping) else {}
            statements = [html_to_text(s) for s in _list(item, "summary") if isinstance(s, str)]
            if len(statements) < 2 or not all(statements) or len(statements) > 26:
                self.warn(where, "statement set without 2-26 statements with text: left out", time_s)
                continue
            order = _shuffled(statements, intro + "\0" + "\0".join(statements))
            shown = [statements[j] for j in order]
            prompt = intro if len(raw) == 1 else f"{intro} ({i + 1}/{len(raw)})"
            nodes.append(self.question("single_choice", prompt, _KEYS[order.index(0)], None, shown))
        if not raw:
            self.warn(path, "summary with no statement sets: left out", time_s)
        return nodes

    def blanks(self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]) -> list[Node]:
        intro = html_to_text(params.get("text"))
        raw = _list(params, "questions")
        behaviour = _map(params, "behaviour")
        nodes: list[Node] = []
        found = 0
        for i, item in enumerate(raw):
            paragraphs = html_to_text(item).split("\n")  # each blank is asked with its own paragraph only
            for prompt_part, answers, _tip in (b for para in paragraphs for b in parse_blanks(para)):
                found += 1
                if not answers:
                    self.warn(f"{path}.questions[{i}]", "a blank with no accepted answer: left out", time_s)
                    continue
                prompt = prompt_part
                numbers = {_number(a) for a in answers}
                value = numbers.pop() if len(numbers) == 1 else None
                if value is not None:
                    nodes.append(self.question("numeric", prompt, int(value) if value.is_integer() else value, None))
                else:
                    nodes.append(self.question("short_answer", prompt, answers, None))
        if not found:
            self.warn(path, "fill in the blanks with no *marked* blank: left out", time_s)
        elif any(n["qtype"] == "short_answer" for n in nodes) and behaviour.get("caseSensitive") is True:
            self.warn(path, "blanks are case-sensitive in H5P; spoken and typed answers here are not", time_s)
        if nodes and intro:  # the task, once, before its blanks (with the picture when there is one)
            nodes = [*(self.media_slide(params, path, time_s, intro) or [self.slide(intro, None, 6.0)]), *nodes]
        elif nodes:
            nodes = [*self.media_slide(params, path, time_s, intro), *nodes]
        return nodes

    def question_set(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        nodes: list[Node] = []
        intro = _map(params, "introPage")
        intro_text = html_to_text(intro.get("introduction")) if intro.get("showIntroPage") else ""
        title = html_to_text(intro.get("title")) if intro.get("showIntroPage") else ""
        if intro_text or title:
            nodes.append(self.slide(intro_text or title, None, 8.0, title or None))
        raw = _list(params, "questions")
        for i, item in enumerate(raw):
            nodes += self.dispatch(item, f"{path}.questions[{i}]", time_s)
        return nodes

    # -- slides
    def text_slide(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        """A text (or table) on slides: a long one on several, so that it stays readable across the room."""
        text = html_to_text(params.get("text"))
        if not text:
            self.warn(path, "text with nothing in it: left out", time_s)
            return []
        title = _title_of(ctx.get("metadata"))
        slides = []
        for part in split_text(text):
            words = len(part.split())
            duration = float(ctx.get("duration_s") or min(60.0, max(6.0, words / 2.5)))
            slides.append(self.slide(part, None, duration, title))
        return slides

    def image_slide(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        file = params.get("file")
        image = self.copy_media(file.get("path"), f"{path}.file", time_s) if isinstance(file, Mapping) else None
        alt = html_to_text(params.get("alt")) or None
        title = _title_of(ctx.get("metadata"))
        if image is None and alt is None:
            self.warn(path, "image with no picture in the package and no alternative text: left out", time_s)
            return []
        if image is None:
            self.warn(path, "image with no picture in the package: a slide with its alternative text instead", time_s)
        return [self.slide(None if image else alt, image, float(ctx.get("duration_s") or 8.0), title)]

    def column(self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]) -> list[Node]:
        nodes: list[Node] = []
        raw = _list(params, "content")
        for i, item in enumerate(raw):
            inner = item.get("content") if isinstance(item, Mapping) else None
            nodes += self.dispatch(inner, f"{path}.content[{i}].content", time_s)
        return nodes

    def video_item(
        self, params: Mapping[str, Any], path: str, time_s: float | None, ctx: Mapping[str, Any]
    ) -> list[Node]:
        """A plain video (inside a Column): the package's own file, or --video for a remote one."""
        sources = _list(params, "sources")
        first = sources[0] if sources and isinstance(sources[0], Mapping) else {}
        src = first.get("path")
        if isinstance(src, str) and re.match(r"^[a-z][a-z0-9+.-]*://", src, re.I):
            if self.video is None:
                self.warn(path, f"video at {src} is on the web: left out (pass --video FILE with a local copy)", time_s)
                return []
            rel: str | None = self.local_video()
        else:
            rel = self.copy_media(src, f"{path}.sources[0]", time_s)
        if rel is None:
            if not sources:
                self.warn(path, "video with no source: left out", time_s)
            return []
        node: Node = {"id": self.new_id("video"), "kind": "video"}
        title = _title_of(ctx.get("metadata"))
        if title:
            node["title"] = self.text(title)
        node["file"] = rel
        return [node]

    def local_video(self) -> str:
        """Copy --video into the pack (once)."""
        assert self.video is not None
        key = f"--video:{self.video}"
        if key not in self.media:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", self.video.name) or "video.mp4"
            (self.out / "media").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.video, self.out / "media" / name)
            self.media[key] = f"media/{name}"
        return self.media[key]


# ---- Interactive Video ------------------------------------------------------------------------------------------
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


def _interactive_video(b: _Builder, content: Mapping[str, Any], label: str) -> list[Node]:
    iv = _map(content, "interactiveVideo")
    video = _map(iv, "video")
    files = _list(video, "files")
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
        duration = probe_media(b.out / rel).duration_s
    except MediaProbeError as exc:
        raise H5PImportError(
            f"{label}: the video {rel} cannot be used: {exc}", hint="give another --video file"
        ) from None

    assets = _map(iv, "assets")
    cues: list[_Cue] = []
    raw = _list(assets, "interactions")
    for i, inter in enumerate(raw):
        path = f"interactiveVideo.assets.interactions[{i}]"
        if not isinstance(inter, Mapping):
            continue
        span = _map(inter, "duration")
        start = span.get("from")
        t = float(start) if isinstance(start, int | float) and not isinstance(start, bool) and start >= 0 else 0.0
        end = span.get("to")
        shown = float(end) - t if isinstance(end, int | float) and end > t else None
        action = inter.get("action")
        lib = _lib(action.get("library")) if isinstance(action, Mapping) else ""
        extra = {"duration_s": min(60.0, max(4.0, shown))} if shown else {}
        if lib == "H5P.Nil":
            text = html_to_text(inter.get("label"))
            if text:
                nodes = [b.slide(text, None, extra.get("duration_s", 6.0))]
            else:
                b.warn(path, "label with no text: left out", t)
                nodes = []
        elif lib == "H5P.GoToQuestion":
            nodes = _crossroads(b, _map(inter, "action"), path, t)
        else:
            nodes = b.dispatch(action, f"{path}.action", t, extra)
        if duration is not None and t >= duration:
            b.warn(path, f"at {clock(t)}, past the end of the video ({clock(duration)}): placed after the video", t)
            t = duration
        cue = _Cue(t, nodes, path=path)
        if any(n["kind"] == "question" for n in nodes):
            cue.correct_seek = _seek(inter.get("adaptivity"), "correct")
            cue.wrong_seek = _seek(inter.get("adaptivity"), "wrong")
        if nodes:
            cues.append(cue)
    summary = _map(iv, "summary")
    if isinstance(summary.get("task"), Mapping):
        nodes = b.dispatch(summary["task"], "interactiveVideo.summary.task", duration)
        if nodes:
            cues.append(
                _Cue(duration if duration is not None else float("inf"), nodes, path="interactiveVideo.summary.task")
            )

    # Cut points: every interaction time, every seek target, every bookmark.
    bookmarks: dict[float, str] = {}
    for i, mark in enumerate(_list(assets, "bookmarks")):
        if isinstance(mark, Mapping) and isinstance(mark.get("time"), int | float):
            bt = float(mark["time"])
            if duration is None or bt < duration:
                bookmarks[round(bt, 3)] = html_to_text(mark.get("label")) or f"Bookmark {i + 1}"
            else:
                b.warn(f"interactiveVideo.assets.bookmarks[{i}]", "bookmark past the end of the video: left out", bt)
    for i, screen in enumerate(_list(assets, "endscreens")):
        if isinstance(screen, Mapping) and isinstance(screen.get("time"), int | float):
            et = float(screen["time"])
            if duration is None or et < duration - 0.5:
                b.warn(
                    f"interactiveVideo.assets.endscreens[{i}]",
                    "end screen before the end of the video: the class summary comes at the end of the lesson instead",
                    et,
                )
    cuts = {round(c.time_s, 3) for c in cues} | set(bookmarks)
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
                cuts.add(round(seek, 3))
    inner = sorted(t for t in cuts if t > 0 and (duration is None or t < duration))
    bounds = [0.0, *inner]
    segments: list[Node] = []
    seg_at: dict[float, str] = {}
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
        seg_at[round(start, 3)] = node["id"]

    # Assemble: the cues at time t come before the segment that starts at t; a seek to t lands on the first.
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
            out.append(next(n for n in segments if n["id"] == seg_at[t]))
        if len(out) > placed:
            first_at[t] = out[placed]["id"]
    for n in out:
        if n["kind"] == "branch":
            for holder, key in [*((r, "goto") for r in n["rules"]), (n, "otherwise")]:
                target = holder[key]
                if target.startswith("@t:"):
                    holder[key] = first_at.get(float(target[3:]), "@next")
    return out


def _branch(b: _Builder, c: _Cue) -> Node:
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


def _prune_unreachable(b: _Builder, nodes: list[Node]) -> list[Node]:
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


def _crossroads(b: _Builder, action: Mapping[str, Any], path: str, t: float) -> list[Node]:
    """H5P.GoToQuestion: the learner picks a way; there is no answer key, and a lesson pack's question
    needs one, so no branch is made: the choices are shown on a slide and the teacher jumps from the console."""
    params = _map(action, "params")
    text = html_to_text(params.get("text"))
    choices = _list(params, "choices")
    lines = [text] if text else []
    for i, ch in enumerate(choices[:26]):
        if isinstance(ch, Mapping):
            goto = ch.get("goTo")
            where = f" (-> {clock(float(goto))})" if isinstance(goto, int | float) else ""
            lines.append(f"{_KEYS[i]}: {html_to_text(ch.get('text'))}{where}")
    b.warn(
        f"{path}.action",
        "crossroads (H5P.GoToQuestion) has no answer key, so no branch was made: its choices are shown on a slide",
        t,
    )
    return [b.slide("\n".join(lines), None, 10.0)] if lines else []


def _resolve_next(nodes: list[Node]) -> None:
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


# ---- entry point ------------------------------------------------------------------------------------------
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
    pkg = _open_package(path, limits)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        variant, code = _language(pkg.h5p)
        b = _Builder(pkg, out, variant, video)
        main = str(pkg.h5p["mainLibrary"])
        if code and variant is None:
            b.warn(
                "(h5p.json) language",
                f"language {code!r} has no variant in lesson packs (en, zh-Hans): texts kept as written",
            )
        if main == "H5P.InteractiveVideo":
            nodes = _interactive_video(b, pkg.content, pkg.label)
        elif main in b._handlers:
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
        _resolve_next(nodes)
        nodes = _prune_unreachable(b, nodes)
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

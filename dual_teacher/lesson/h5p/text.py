"""Text for an H5P import: HTML to plain text, slides of readable length, H5P's *blanks*, times as m:ss,
and the lesson.toml writer."""

from __future__ import annotations

import html.parser
import json
import re
from collections.abc import Mapping, Sequence

SLIDE_WORDS = 45  # words on one slide before the text goes on to the next


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


def as_number(text: str) -> float | None:
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

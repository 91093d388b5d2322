"""Inline SVG as plain strings: the one drawing kit of the HTML reports (the post-class report; the benchmark's).

Pure string generation, stdlib only, no script. Attributes are keyword arguments written in the order given:
a trailing underscore is dropped and other underscores become hyphens (`class_` -> `class`, `stroke_dasharray`
-> `stroke-dasharray`; `viewBox` stays as it is). Numbers: an int is written as it is, a float with one
decimal; strings are escaped, and so is the text of `text` and of every `title`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence


def num(value: float) -> str:
    """An int as it is, a float with one decimal (a tenth of a unit is finer than any screen or print needs)."""
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return num(value)
    return html.escape(str(value))


def attributes(**values: object) -> str:
    """` name="value"` for each keyword (see the module's naming rule); None leaves an attribute out."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{_value(v)}"' for name, v in values.items() if v is not None
    )


def element(tag: str, content: str | None = None, /, **attrs: object) -> str:
    """`<tag .../>` without content, else `<tag ...>content</tag>` (`content` is markup: escape text first)."""
    head = f"<{tag}{attributes(**attrs)}"
    return f"{head}/>" if content is None else f"{head}>{content}</{tag}>"


def title(text: str) -> str:
    """A tooltip (SVG's `<title>` child)."""
    return f"<title>{html.escape(text)}</title>"


def canvas(parts: Iterable[str], **attrs: object) -> str:
    """An `<svg>` element around `parts` (inline in HTML: give `viewBox`, and `role`/`aria_label` for readers)."""
    return f"<svg{attributes(**attrs)}>{''.join(parts)}</svg>"


def rect(x: float, y: float, width: float, height: float, *, tip: str | None = None, **attrs: object) -> str:
    return element("rect", None if tip is None else title(tip), x=x, y=y, width=width, height=height, **attrs)


def line(x1: float, y1: float, x2: float, y2: float, *, tip: str | None = None, **attrs: object) -> str:
    return element("line", None if tip is None else title(tip), x1=x1, y1=y1, x2=x2, y2=y2, **attrs)


def text(x: float, y: float, content: str, **attrs: object) -> str:
    return element("text", html.escape(content), x=x, y=y, **attrs)


def circle(cx: float, cy: float, r: float, **attrs: object) -> str:
    return element("circle", cx=cx, cy=cy, r=r, **attrs)


def polyline(points: Sequence[tuple[float, float]], **attrs: object) -> str:
    return element("polyline", points=" ".join(f"{num(x)},{num(y)}" for x, y in points), **attrs)


def linear(d0: float, d1: float, r0: float, r1: float) -> Callable[[float], float]:
    """The linear map of the domain [d0, d1] onto the range [r0, r1] (r1 < r0 for a y axis that grows upward)."""
    span = d1 - d0
    out = r1 - r0

    def scale(v: float) -> float:
        return r0 + (v - d0) / span * out

    return scale

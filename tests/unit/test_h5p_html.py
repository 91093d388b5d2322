"""H5P texts are HTML; the importer keeps only their text (stdlib html.parser), never markup or script."""

from __future__ import annotations

import pytest

from dual_teacher.lesson.h5p import clock, html_to_text

CASES = [
    ("plain", "Hello", "Hello"),
    ("paragraph", "<p>Hello&nbsp;<b>world</b></p>\n", "Hello world"),
    ("entities", "&#039;:ans&#039; is &lt;b&gt; &amp; more", "':ans' is <b> & more"),
    ("two paragraphs", "<p>One</p><p>Two</p>", "One\nTwo"),
    ("line break", "a<br>b<br/>c", "a\nb\nc"),
    ("list", "<ul>\n\t<li>first</li>\n\t<li>second<br>\n\t&nbsp;</li>\n</ul>", "• first\n• second"),
    (
        "table",
        "<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
        "A | B\n1 | 2",
    ),
    ("script dropped", "<p>Hi<script>alert('x')</script></p>", "Hi"),
    ("style dropped", "<style>p{color:red}</style>Text", "Text"),
    ("iframe dropped", '<iframe src="https://example.org">fallback</iframe>After', "After"),
    ("image dropped", '<img src="https://example.org/x.png" onerror="alert(1)">Caption', "Caption"),
    ("nested spans", "<p><span><span>Das <em>rechte Twix </em>will</span></span></p>", "Das rechte Twix will"),
    ("unclosed tags", "<p><b>bold <i>both", "bold both"),
    ("comment", "a<!-- hidden -->b", "ab"),
    ("control characters", "a\x00b\x07c", "abc"),
    ("whitespace", "  lots   of \n\n  space  ", "lots of space"),
    ("chinese", "<p>小明有&nbsp;3&nbsp;个苹果。</p>", "小明有 3 个苹果。"),
]


@pytest.mark.parametrize(("name", "html", "text"), CASES, ids=[c[0] for c in CASES])
def test_html_to_text(name: str, html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("value", [None, 3, ["<p>x</p>"], {"text": "x"}])
def test_non_text_gives_empty(value: object) -> None:
    assert html_to_text(value) == ""


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (66.017, "1:06"), (1.5, "0:01.5"), (None, "0:00"), (3600, "60:00")]
)
def test_clock(seconds: float | None, shown: str) -> None:
    assert clock(seconds) == shown

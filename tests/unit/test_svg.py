"""The SVG kit: attribute names and order, number formats, escaping, self-closing elements, the linear scale."""

from __future__ import annotations

import pytest

from dual_teacher.core import svg


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (-12, "-12"), (2.0, "2.0"), (0.25, "0.2"), (0.35, "0.3"), (1 / 3, "0.3"), (1234.56, "1234.6")],
)
def test_ints_as_they_are_floats_with_one_decimal(value: float, text: str) -> None:
    assert svg.num(value) == text


def test_attribute_names_order_escaping_and_leaving_out() -> None:
    assert svg.attributes(class_="a", viewBox="0 0 1 2", stroke_dasharray="3,2", aria_label='say "hi"', r=None) == (
        ' class="a" viewBox="0 0 1 2" stroke-dasharray="3,2" aria-label="say &quot;hi&quot;"'
    )
    assert svg.attributes(hidden=True, x=1.25) == ' hidden="true" x="1.2"'


@pytest.mark.parametrize(
    ("drawn", "markup"),
    [
        (svg.rect(1, 2.0, 3.25, 4, fill="#fff"), '<rect x="1" y="2.0" width="3.2" height="4" fill="#fff"/>'),
        (svg.rect(0, 0, 1, 1, tip="a < b"), '<rect x="0" y="0" width="1" height="1"><title>a &lt; b</title></rect>'),
        (svg.line(0, 1, 2, 3, stroke="#888"), '<line x1="0" y1="1" x2="2" y2="3" stroke="#888"/>'),
        (svg.text(5, 6.5, "Tom & Jerry", class_="axis"), '<text x="5" y="6.5" class="axis">Tom &amp; Jerry</text>'),
        (svg.circle(1.0, 2.0, 1.5, fill="red"), '<circle cx="1.0" cy="2.0" r="1.5" fill="red"/>'),
        (svg.polyline([(0.0, 1.0), (2.25, 3)], fill="none"), '<polyline points="0.0,1.0 2.2,3" fill="none"/>'),
        (svg.canvas(["<g/>", "<g/>"], role="img"), '<svg role="img"><g/><g/></svg>'),
        (svg.element("g", "<b/>", id="x"), '<g id="x"><b/></g>'),
    ],
)
def test_elements(drawn: str, markup: str) -> None:
    assert drawn == markup


def test_linear_maps_the_domain_onto_the_range_either_way_up() -> None:
    x = svg.linear(0, 100.0, 44, 900)
    assert (x(0), x(50.0), x(100.0)) == (44.0, 472.0, 900.0)
    y = svg.linear(0, 2.0, 106, 16)  # y grows upward: the range runs from the bottom to the top
    assert (y(0), y(1.0), y(2.0)) == (106.0, 61.0, 16.0)
    assert svg.linear(10, 20, 0, 1)(15) == 0.5

"""The hand-made perception annotation (benchmarks/annotations/perception.json) is well formed.

Every raised-hand point is also a person point, every point and dense region lies inside its image, scenes are
from the fixed list, and (where ../shared/data is present) the recorded sizes are the real image sizes and every
file of ground_truth.tsv has an entry.
"""

from __future__ import annotations

import csv
import json
from typing import Any

import pytest
from PIL import Image, ImageSequence

from tests.conftest import REPO, SHARED_DATA, needs_data

PATH = REPO / "benchmarks" / "annotations" / "perception.json"
SCENES = {"classroom_front", "cctv_ceiling", "from_behind", "low_resolution", "hard_negative", "other"}
KEYS = {"width", "height", "scene", "source", "people", "raised", "dense", "dense_people", "notes"}
OPTIONAL = {"ignore"}


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return doc


ENTRIES = sorted(_doc()["images"].items())


def test_top_level() -> None:
    doc = _doc()
    assert doc["schema_version"] == 1
    assert isinstance(doc["convention"], str) and len(doc["convention"]) > 40
    assert len(doc["images"]) >= 39


@pytest.mark.parametrize(("key", "entry"), ENTRIES, ids=[k for k, _ in ENTRIES])
def test_entry(key: str, entry: dict[str, Any]) -> None:
    assert key.startswith(("images/", "video/"))
    assert ("#" in key) == key.startswith("video/"), "GIF frames are keyed video/NAME.gif#K"
    assert KEYS <= set(entry) <= KEYS | OPTIONAL
    assert entry["scene"] in SCENES
    assert entry["source"] and "/" in entry["source"]
    w, h = entry["width"], entry["height"]
    for x, y in entry["people"]:
        assert 0 <= x < w and 0 <= y < h, (x, y)
    for x, y in entry["raised"]:
        assert any(abs(x - px) <= 2 and abs(y - py) <= 2 for px, py in entry["people"]), (x, y)
    for region in entry["dense"] + entry.get("ignore", []):
        x0, y0, x1, y1 = region
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, region
    for x, y in entry["people"]:
        inside = [r for r in entry["dense"] if r[0] <= x <= r[2] and r[1] <= y <= r[3]]
        assert not inside, f"person {(x, y)} lies in dense region {inside}: dense people are not in people"
    assert isinstance(entry["dense_people"], int) and entry["dense_people"] >= 0
    assert (entry["dense_people"] > 0) == bool(entry["dense"])
    assert len({tuple(p) for p in entry["people"]}) == len(entry["people"]), "a person marked twice"


def _size(key: str) -> tuple[int, int]:
    name, _, frame = key.partition("#")
    with Image.open(SHARED_DATA / name) as img:
        if frame:
            for i, f in enumerate(ImageSequence.Iterator(img)):
                if i == int(frame):
                    return f.size
            pytest.fail(f"{key}: no frame {frame}")
        return img.size


@needs_data(SHARED_DATA / "images")
def test_sizes_and_coverage() -> None:
    images = _doc()["images"]
    for key, entry in images.items():
        assert (entry["width"], entry["height"]) == _size(key), key
    with (SHARED_DATA / "images" / "ground_truth.tsv").open(encoding="utf-8", newline="") as f:
        files = [row["file"] for row in csv.DictReader(f, delimiter="\t")]
    for name in files:
        if name.startswith("images/"):
            assert name in images, f"{name} is not annotated"
        else:
            with Image.open(SHARED_DATA / name) as img:
                n = getattr(img, "n_frames", 1)
            assert all(f"{name}#{k}" in images for k in range(0, n, 10)), f"{name}: every 10th frame"

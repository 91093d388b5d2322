"""models/build/convert.py's parity comparison: an empty detection slot (MoveNet's unused person rows) is compared
by its score only; every row someone scores counts in full."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def convert() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dt_convert", REPO / "models" / "build" / "convert.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dt_convert"] = module
    spec.loader.exec_module(module)
    return module


def rows(score_a: float, score_b: float, junk: float) -> np.ndarray:
    out = np.zeros((1, 2, 5), np.float32)
    out[0, 0] = [0.2, 0.3, 0.4, 0.5, score_a]  # a person
    out[0, 1] = [junk, junk, junk, junk, score_b]  # an empty slot, or not
    return out


def test_an_empty_slot_counts_by_its_score_only(convert: ModuleType) -> None:
    image_set = convert.ImageSet(Path(), ["x"], ["0"], [])
    ref = [[{"out": rows(0.9, 0.001, 1.10)}]]
    onnx = [[{"out": rows(0.9, 0.002, 1.06)}]]
    empty = {"out": (4, 0.01)}
    assert convert.compare(ref, onnx, [image_set]).max_abs["out"] == pytest.approx(0.04, abs=1e-6)
    assert convert.compare(ref, onnx, [image_set], empty_rows=empty).max_abs["out"] == pytest.approx(0.001, abs=1e-6)
    scored = [[{"out": rows(0.9, 0.2, 1.06)}]]  # one side scores the slot: all of it is compared
    assert convert.compare(ref, scored, [image_set], empty_rows=empty).max_abs["out"] == pytest.approx(0.199, abs=1e-6)
    moved = [[{"out": rows(0.9, 0.001, 1.10) + np.array([0.05, 0, 0, 0, 0], np.float32)}]]  # a real row moved
    assert convert.compare(ref, moved, [image_set], empty_rows=empty).max_abs["out"] == pytest.approx(0.05, abs=1e-6)


def test_tied_detections_may_come_in_either_order(convert: ModuleType) -> None:
    image_set = convert.ImageSet(Path(), ["x"], ["0"], [])
    boxes = np.array([[[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.9, 0.9], [0.0, 0.0, 0.0, 0.0]]], np.float32)
    swapped = boxes[:, [1, 0, 2]]
    ranked = {"boxes": ("scores", 1e-4)}

    def diff(ref_scores: list[float], out_scores: list[float]) -> float:
        ref = [[{"boxes": boxes, "scores": np.array([ref_scores], np.float32)}]]
        out = [[{"boxes": swapped, "scores": np.array([out_scores], np.float32)}]]
        return float(convert.compare(ref, out, [image_set], ranked=ranked).max_abs["boxes"])

    assert diff([0.8, 0.8, 0.0], [0.8, 0.80001, 0.0]) == pytest.approx(0.0)  # a tie: the same detections
    assert diff([0.9, 0.8, 0.0], [0.9, 0.8, 0.0]) == pytest.approx(0.7, abs=1e-6)  # not tied: a real difference

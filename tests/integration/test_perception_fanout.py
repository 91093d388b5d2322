"""The pipeline on worker threads finds what it finds on one thread (same sessions, same frames)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.pipeline import RoomPerception
from dual_teacher.runtime.fanout_pool import ThreadFanout
from tests.conftest import SHARED_DATA, missing, needs_data

IMAGES = SHARED_DATA / "images"
VIDEO = SHARED_DATA / "video"
pytestmark = [
    pytest.mark.slow,
    needs_data(IMAGES, VIDEO),
]


@pytest.fixture(scope="module")
def models() -> PerceptionModels:
    try:
        return PerceptionModels.load(threads=1)
    except ModelLoadError as exc:
        missing(f"perception models not built ({exc.message}): run `dual-teacher models build`")


Summary = tuple[int, int | None, int | None, tuple[tuple[int, bool | None, tuple[float, float, float]], ...]]


def _summary(room: RoomPerception, frames: list[np.ndarray]) -> list[Summary]:
    out: list[Summary] = []
    for i, f in enumerate(frames):
        r = room.process(f, i / 15)
        out.append((r.count, r.count_low, r.count_high, tuple((p.track_id, p.raised, p.head) for p in r.people)))
    return out


def test_worker_threads_give_the_serial_result(models: PerceptionModels) -> None:
    with Image.open(VIDEO / "classroom_omz_smart_classroom_demo.gif") as gif:
        frames = []
        for i in range(0, min(gif.n_frames, 30), 2):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    with Image.open(IMAGES / "classroom_omz_raisinghand_5p_1raised.png") as img:
        still = np.asarray(img.convert("RGB"))
    serial = _summary(RoomPerception(models), frames)
    with ThreadFanout(2) as fan:
        parallel = _summary(RoomPerception(models, fanout=fan), frames)
        a = RoomPerception(models, fanout=fan).analyse_still(still)
    b = RoomPerception(models).analyse_still(still)
    assert parallel == serial
    assert max(s[0] for s in serial) >= 3  # the room's people were found at all
    assert [(p.track_id, p.raised, p.head) for p in a.people] == [(p.track_id, p.raised, p.head) for p in b.people]
    assert sum(1 for p in a.people if p.raised) == 1


def test_a_measured_band_sets_the_counts_bounds(models: PerceptionModels) -> None:
    import dataclasses

    from dual_teacher.perception.fusion import count_band
    from dual_teacher.perception.room_config import PerceptionConfig

    with Image.open(IMAGES / "classroom_omz_teacher_17p_0raised.png") as img:
        still = np.asarray(img.convert("RGB"))
    cues = RoomPerception(models, dataclasses.replace(PerceptionConfig(), count_band=None)).analyse_still(still)
    band = (-0.1, 0.3)
    banded = RoomPerception(models, dataclasses.replace(PerceptionConfig(), count_band=band)).analyse_still(still)
    assert banded.head_count == cues.head_count and banded.count == cues.count  # the same people and count
    assert (banded.count_low, banded.count_high) == count_band(banded.head_count, band)
    assert banded.count_low is not None and banded.count_low < banded.head_count < (banded.count_high or 0)

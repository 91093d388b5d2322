"""Stage health rows and the analytics switch (GatedInput)."""

from __future__ import annotations

import pytest

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.health import (
    GatedInput,
    StageHealth,
    analytics_indicator,
    camera_preview_source,
    is_simulated,
    stage_rows,
)
from dual_teacher.runtime.simulated import SimulatedClass


class _Stage:
    name = "pose"

    def __init__(self) -> None:
        self.seen: list[object] = []
        self.enabled: bool | None = None

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        self.seen.append(item)

    def poll(self, now: float) -> list[ev.Event]:
        return [ev.HandRaised(1, 0.5, 0.5, "perception")]

    def set_analytics_enabled(self, enabled: bool) -> None:
        self.enabled = enabled

    def health(self) -> StageHealth:
        return StageHealth("pose", provider="CPUExecutionProvider", fps=14.5, dropped=3)


class _Broken:
    name = "broken"

    def health(self) -> StageHealth:
        raise RuntimeError("no")


def test_gated_input_withholds_and_counts_while_paused() -> None:
    stage = _Stage()
    gated = GatedInput(stage)
    assert len(gated.poll(0.0)) == 1
    gated.set_analytics_enabled(False)
    assert stage.enabled is False and gated.poll(1.0) == [] and gated.withheld == 1
    gated.handle(cmd.PauseMedia(), 1.0)
    assert stage.seen == [cmd.PauseMedia()]  # commands still reach it
    assert gated.health().state == "off"
    gated.set_analytics_enabled(True)
    assert gated.health() == StageHealth("pose", provider="CPUExecutionProvider", fps=14.5, dropped=3)


def test_stage_rows_survive_a_broken_health_report() -> None:
    rows = stage_rows([_Stage(), _Broken(), SimulatedClass()])
    assert [r.stage for r in rows] == ["pose", "broken", "simulated-class"]
    assert rows[1].state == "failed" and "RuntimeError" in rows[1].detail
    assert rows[2].provider == "simulated" and is_simulated(SimulatedClass())


class _Cam:
    name = "perception"

    def latest_preview(self) -> None:
        return None


class _Speech:
    name = "speech"

    def __init__(self, sources: dict[str, object]) -> None:
        self.sources = sources


class _Sim:
    name = "simulated-class"


class _Other:
    name = "something"


@pytest.mark.parametrize(
    ("stages", "expect"),
    [
        ([], ""),
        ([_Sim()], "simulated"),
        ([_Cam()], "camera"),
        ([_Speech({"room": 1})], "microphone"),
        ([_Speech({"teacher": 1})], ""),  # only the lead teacher's stream audio: no analytics of the room
        ([_Cam(), _Speech({"room": 1, "teacher": 1})], "camera_microphone"),
        ([_Sim(), _Cam()], "camera"),  # a real sensor is named even in a demo
        ([_Other()], "analytics"),
    ],
)
def test_the_indicator_names_exactly_what_runs(stages: list[object], expect: str) -> None:
    assert analytics_indicator(stages) == expect
    assert analytics_indicator([GatedInput(s) for s in stages]) == expect  # type: ignore[arg-type]
    cams = [s for s in stages if isinstance(s, _Cam)]
    assert camera_preview_source([GatedInput(s) for s in stages]) is (cams[0] if cams else None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fps", "playing", "hidden", "state"),
    [
        (12.0, True, False, "ok"),
        (2.0, True, False, "degraded"),  # a playing video at 2 fps looks frozen
        (1.0, False, False, "ok"),  # a static card repaints only on changes
        (30.0, True, True, "failed"),  # the window is closed
    ],
)
def test_display_light(fps: float, playing: bool, hidden: bool, state: str) -> None:
    from dual_teacher.runtime.health import display_health

    assert display_health(fps, playing, hidden).state == state

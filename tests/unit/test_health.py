"""Stage health rows and the analytics switch (GatedInput)."""

from __future__ import annotations

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.health import GatedInput, StageHealth, is_simulated, stage_rows
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

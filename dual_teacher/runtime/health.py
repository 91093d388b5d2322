"""Stage health for the console, and the switch that pauses camera and microphone analytics.

A stage reports its health by having a `health()` method (pulled about once a second by the console; never
an event: these are high-rate numbers that are not stored). Stages that can stop their own capture have
`set_analytics_enabled(on)`; `GatedInput` wraps every input stage so that, while analytics are paused,
nothing it produces reaches the lesson, whether or not the stage itself can stop.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.runtime.session import ClassSession, InputStage

log = logging.getLogger(__name__)

HealthState = Literal["ok", "degraded", "failed", "off"]


@dataclasses.dataclass(frozen=True)
class StageHealth:
    """One row of the console's stage health: `provider` is the execution provider actually used (e.g.
    "CPUExecutionProvider"), `fps` frames (or chunks) handled per second, `dropped` items a bounded queue
    dropped, `level` the microphone level in [0, 1]."""

    stage: str
    state: HealthState = "ok"
    provider: str = ""
    fps: float | None = None
    dropped: int = 0
    level: float | None = None
    detail: str = ""


@runtime_checkable
class ReportsHealth(Protocol):
    def health(self) -> StageHealth: ...


@runtime_checkable
class AnalyticsSwitch(Protocol):
    def set_analytics_enabled(self, enabled: bool) -> None: ...


def analytics_indicator(stages: Sequence[object]) -> str:
    """What the classroom display's indicator names: exactly the sensors whose analytics run. "camera",
    "microphone", "camera_microphone", "simulated" (a simulated class only), "analytics" (a stage of unknown
    kind) or "" (none: e.g. only the lead teacher's stream audio for captions)."""
    camera = microphone = simulated = other = False
    for stage in stages:
        inner = getattr(stage, "stage", stage)
        if not getattr(inner, "gated", True):  # not analytics (the lead teacher's link): never on the indicator
            continue
        if is_simulated(inner):
            simulated = True
        elif callable(getattr(inner, "latest_preview", None)) or getattr(inner, "name", "") == "perception":
            camera = True
        elif isinstance(sources := getattr(inner, "sources", None), dict):
            microphone = microphone or "room" in sources
        else:
            other = True  # a stage of unknown kind: say that analytics run, without naming a sensor
    if other and not (camera or microphone):
        return "analytics"
    if camera and microphone:
        return "camera_microphone"
    if camera or microphone:
        return "camera" if camera else "microphone"
    return "simulated" if simulated else ""


def camera_preview_source(stages: Sequence[object]) -> object | None:
    """The stage that can show the console's camera set-up view what it analyses (`latest_preview`)."""
    for stage in stages:
        inner = getattr(stage, "stage", stage)
        if callable(getattr(inner, "latest_preview", None)):
            return inner
    return None


def is_simulated(stage: object) -> bool:
    inner = getattr(stage, "stage", stage)
    return bool(getattr(inner, "simulated", False)) or str(getattr(inner, "name", "")).startswith("simulated")


class GatedInput:
    """An input stage whose events are dropped (and counted) while analytics are paused."""

    def __init__(self, stage: InputStage) -> None:
        self.stage = stage
        self.name = stage.name
        self.enabled = True
        self.withheld = 0

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        self.stage.handle(item, now)

    def attach(self, session: ClassSession) -> None:
        attach = getattr(self.stage, "attach", None)
        if callable(attach):
            attach(session)

    def poll(self, now: float) -> list[ev.Event]:
        events = self.stage.poll(now)
        if self.enabled or not getattr(self.stage, "gated", True):  # e.g. the lead link: not analytics
            return events
        self.withheld += len(events)
        return []

    def set_analytics_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if isinstance(self.stage, AnalyticsSwitch):
            self.stage.set_analytics_enabled(enabled)

    def health(self) -> StageHealth:
        if isinstance(self.stage, ReportsHealth):
            row = self.stage.health()
        else:
            row = StageHealth(self.name, provider="simulated" if is_simulated(self.stage) else "")
        if self.enabled or not getattr(self.stage, "gated", True):
            return row
        return dataclasses.replace(row, state="off", detail="paused")


VIDEO_MIN_FPS = 5.0  # a playing video shown below this frame rate looks frozen to the class
STORE_BEHIND = 2000  # events waiting for the disk: the store is behind


def display_health(fps: float, playing_video: bool, hidden: bool = False) -> StageHealth:
    """The display's light: red when its window is closed, amber when a playing video is shown too slowly
    (a static card repaints only when something changes, so a low rate there is normal)."""
    if hidden:
        return StageHealth("display", "failed", fps=0.0, detail="closed")
    if playing_video and fps < VIDEO_MIN_FPS:
        return StageHealth("display", "degraded", fps=fps, detail="slow")
    return StageHealth("display", fps=fps)


def session_health(session: ClassSession) -> list[StageHealth]:
    """The session's own rows (lesson inbox, event store) and one per input stage."""
    errors = session.stats.stage_errors
    rows = [
        StageHealth(
            "lesson",
            "degraded" if errors else "ok",
            dropped=session.stats.inbox_dropped,
            detail=f"{errors} stage error(s)" if errors else "",
        )
    ]
    writer = session.writer_health()
    if writer is not None:
        failing = writer.failing_since is not None
        behind = writer.pending >= STORE_BEHIND
        detail = f"{writer.pending} waiting: {writer.last_error}" if failing else ""
        rows.append(
            StageHealth(
                "event store",
                "degraded" if failing or behind else "ok",
                dropped=writer.dropped,
                detail=detail or (f"{writer.pending} waiting" if behind else ""),
            )
        )
    now = session.clock.monotonic()
    for row in stage_rows(session.inputs):
        budget = session.budgets.get(row.stage)
        if budget is not None and budget.state != "ok":
            state: HealthState = "failed" if budget.state == "failed" else "degraded"
            row = dataclasses.replace(row, state=state, detail=budget.detail(now))
        rows.append(row)
    return rows


def stage_rows(stages: Sequence[object]) -> list[StageHealth]:
    rows = []
    for stage in stages:
        name = str(getattr(stage, "name", type(stage).__name__))
        try:
            if isinstance(stage, ReportsHealth):
                rows.append(stage.health())
            else:
                rows.append(StageHealth(name, provider="simulated" if is_simulated(stage) else ""))
        except Exception as exc:  # a broken health report must not break the console
            log.exception("health of %s failed", name)
            rows.append(StageHealth(name, "failed", detail=f"{type(exc).__name__}: {exc}"))
    return rows

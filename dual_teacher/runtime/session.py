"""The class session: runs a lesson pack against its inputs on a clock and records every event.

One thread (the caller's: the GUI thread or the headless loop) calls `tick()`. Other threads (devices,
the console) hand events in with `submit()`, which never blocks. Each tick: drain submitted events, poll
the input stages, feed everything to the lesson engine, then a `Tick`; the engine's facts go to the
event store and the bus, its commands to the display and to the input stages.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from dual_teacher import __version__
from dual_teacher.core import events as ev
from dual_teacher.core.bus import EventBus
from dual_teacher.core.clock import Clock
from dual_teacher.core.errors import StageFailed, StorageError
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.engagement.store import EventStore, free_bytes, session_values
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.engine import LessonEngine, LessonState
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.lesson.schema import VideoNode, text_in
from dual_teacher.runtime.store_writer import StoreWriter, WriterHealth
from dual_teacher.runtime.watchdog import FailureBudget, RestartPolicy

log = logging.getLogger(__name__)


class Display(Protocol):
    def present(self, command: cmd.Command, now: float) -> None: ...


class InputStage(Protocol):
    """Perception, speech or a simulation: sees the engine's outputs, produces events when polled."""

    name: str

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None: ...

    def poll(self, now: float) -> list[ev.Event]: ...


STORE_STAGE = "event store"


def unsaved_note(session: ClassSession) -> str:
    """What to tell the operator when a class closed with events its store could not take."""
    count, where = session.spilled
    if where is not None:
        return (
            f"warning: the disk that holds {session.store.path.parent} is full: {count} events of this class "
            f"were saved to {where} instead (nothing is lost); free space, then `dual-teacher data import {where}`"
        )
    return (
        f"warning: some events could not be written to {session.store.path} and no other folder took them "
        "(is every disk full?)"
    )


def new_session_id(wall: float) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(wall)) + "-" + secrets.token_hex(3)


@dataclasses.dataclass
class SessionStats:
    events_recorded: int = 0
    inbox_dropped: int = 0
    stage_errors: int = 0


class ClassSession:
    def __init__(
        self,
        pack: LoadedPack,
        store: EventStore,
        clock: Clock,
        display: Display | None = None,
        inputs: Sequence[InputStage] = (),
        lang: str = "en",
        mode: str = "headless",
        video_end: Literal["deadline", "media_event"] = "deadline",
        meta: dict[str, object] | None = None,
        restart_policy: RestartPolicy | None = None,
        session_id: str | None = None,
    ) -> None:
        """`session_id`: go on with a stored session (a display restarted after a freeze), else a new one."""
        self.pack = pack
        self.clock = clock
        self.display = display
        self.inputs = list(inputs)
        self.bus = EventBus()
        self.store = store
        durations = {n.id: pack.duration_of(n) for n in pack.manifest.nodes if isinstance(n, VideoNode)}
        self.engine = LessonEngine(pack.manifest, durations, lang=lang, video_end=video_end)
        self.state: LessonState = self.engine.initial()
        self.session_id = session_id or new_session_id(clock.wall())
        self.stats = SessionStats()
        self._inbox: DropOldestQueue[ev.Event] = DropOldestQueue(10_000)
        self._writer: StoreWriter | None = None
        self._mode = mode
        self._lang = lang
        self._meta = dict(meta or {})
        self._end_reason: str | None = None
        self._restart_policy = restart_policy or RestartPolicy()
        self.budgets: dict[str, FailureBudget] = {}  # the watchdog: one failure budget per stage
        self._store_alert: str | None = None
        self._spilled: tuple[int, Path | None] = (0, None)  # "full", "reserve" while the console shows a store alert
        for stage in self.inputs:  # a stage that reads the whole session (the lead link) says so with `attach`
            attach = getattr(stage, "attach", None)
            if callable(attach):
                attach(self)

    # ---- lifecycle ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Register the session in the store and start its writer (does not start the lesson)."""
        m = self.pack.manifest
        row = (
            self.session_id,
            m.id,
            text_in(m.title, self._lang),
            self.pack.label,
            self._mode,
            self.clock.wall(),
            __version__,
        )
        meta = {"language": self._lang, **self._meta}
        try:
            self.store.create_session(*row, meta=meta)
            pending_row = False
        except StorageError as exc:  # a full disk: the class goes on, the row is written when space returns
            log.error("%s", exc)
            pending_row = True
        self._writer = StoreWriter(self.store.path)
        if pending_row:
            self._writer.start_session(session_values(*row, meta=meta))

    def start(self) -> None:
        if self._writer is None:
            self.open()
        self.submit(ev.TeacherStarted())

    def close(self, timeout: float = 10.0) -> bool:
        """Flush and stop the writer; returns False if some events could not be written in time."""
        if self._writer is None:
            return True
        if self._store_alert == "full" and self._writer.flush(min(timeout, 3.0)):
            # the disk came back but the class ended before the held events were written (a fast simulated
            # clock can end a class within the writer's retry): they are in now, so the record says "resumed"
            self._watch_store(self.clock.monotonic())
        self._writer.end_session(self.session_id, self.clock.wall(), self._end_reason or "interrupted")
        ok = self._writer.close(timeout)
        self._spilled = (self._writer.spilled, self._writer.spilled_to)
        self._writer = None
        return ok

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event so far is in the store (for a report written while the windows stay open)."""
        return True if self._writer is None else self._writer.flush(timeout)

    @property
    def ended(self) -> bool:
        return self.state.status == "ended"

    # ---- events in ------------------------------------------------------------------------------------
    def submit(self, event: ev.Event) -> None:
        """Thread-safe, never blocks."""
        self._inbox.put_nowait(event)
        self.stats.inbox_dropped = self._inbox.dropped

    def tick(self) -> None:
        now = self.clock.monotonic()
        incoming = self._inbox.drain()
        for stage in self.inputs:
            budget = self.budget(stage.name)
            if not budget.may_run(now):
                continue  # waiting out its backoff, or given up
            if budget.state == "restarting":
                self._restart(stage)
            try:
                incoming.extend(stage.poll(now))
            except Exception as exc:  # a failing input must not stop the lesson
                log.exception("input stage %s failed", stage.name)
                self._stage_failed(stage.name, exc, now)
            else:
                budget.succeeded(now)
        for event in incoming:
            self._apply(event, now)
        self._apply(ev.Tick(), now)
        self._watch_store(now)

    def _watch_store(self, now: float) -> None:
        """One alert when recording pauses on a full disk (or runs on the reserve), one when it resumes."""
        health = self.writer_health()
        if health is None:
            return
        folder = self.store.path.parent
        if health.failing_since is not None and self._store_alert != "full":
            self._store_alert = "full"
            if health.disk_full:
                free = free_bytes(folder)
                text = (
                    f"Recording paused: disk full; the lesson goes on, {health.pending} events wait in memory; "
                    f"free space on {folder} ({0 if free is None else free // 1024} KB free)"
                )
            else:
                text = f"Recording paused: {health.last_error}; the lesson goes on, events wait in memory"
            self.record(ev.StageAlert(STORE_STAGE, text, "error"), now)
        elif health.failing_since is None and self._store_alert == "full" and health.pending == 0:
            self._store_alert = "reserve" if health.reserve_released else None
            self.record(ev.StageAlert(STORE_STAGE, "Recording resumed: every event was kept.", "info"), now)
        elif health.reserve_released and self._store_alert is None:
            self._store_alert = "reserve"
            text = f"The disk is almost full: recording goes on from a reserve; free space on {folder} after the class"
            self.record(ev.StageAlert(STORE_STAGE, text, "warning"), now)

    def record(self, event: ev.Event, now: float | None = None) -> None:
        """Store and publish an event that did not go through the engine (alerts, stage health)."""
        now = self.clock.monotonic() if now is None else now
        if event.store and self._writer is not None:
            self._writer.append(self.session_id, event, now, self.clock.wall())
            self.stats.events_recorded += 1
        if isinstance(event, ev.ClassEnded):
            self._end_reason = event.reason
        self.bus.publish(event)

    def _apply(self, event: ev.Event, now: float) -> None:
        self.record(event, now)
        self.state, outputs = self.engine.step(self.state, event, now)
        for item in outputs:
            if isinstance(item, ev.Event):
                self.record(item, now)
            elif self.display is not None:
                try:
                    self.display.present(item, now)
                except Exception as exc:  # the display must never take the lesson down
                    log.exception("display failed on %s", type(item).__name__)
                    self._stage_failed("display", exc, now)
            for stage in self.inputs:
                if not self.budget(stage.name).may_run(now):
                    continue
                try:
                    stage.handle(item, now)
                except Exception as exc:
                    log.exception("input stage %s failed", stage.name)
                    self._stage_failed(stage.name, exc, now)

    # ---- the watchdog -------------------------------------------------------------------------------------
    def budget(self, stage: str) -> FailureBudget:
        budget = self.budgets.get(stage)
        if budget is None:
            budget = self.budgets[stage] = FailureBudget(stage, self._restart_policy)
        return budget

    def _restart(self, stage: InputStage) -> None:
        restart = getattr(stage, "restart", None)
        if callable(restart):
            try:
                restart()
            except Exception:  # the next poll counts the failure
                log.exception("restarting %s failed", stage.name)

    def _stage_failed(self, stage: str, exc: Exception, now: float) -> None:
        """Count the failure against the stage's budget; alert when a streak starts and when it is given up
        (`StageFailed`), never per failure. The display is never given up: it keeps being shown the lesson."""
        self.stats.stage_errors += 1
        reason = f"{type(exc).__name__}: {exc}"
        budget = self.budget(stage)
        if budget.state == "failed":
            return
        try:
            verdict = budget.failed(now, reason)
        except StageFailed as failure:
            log.error("%s", failure.message)
            self.record(ev.StageAlert(stage, failure.message, "error"), now)
            return
        if stage == "display":
            budget.retry_at = None  # the display is shown every command regardless of its backoff
        if verdict.alert:
            self.record(ev.StageAlert(stage, f"{reason}; restarting", "warning"), now)

    # ---- running without a GUI --------------------------------------------------------------------------
    def run(self, tick_s: float = 0.1, max_lesson_s: float = 4 * 3600) -> None:
        """Start (if needed) and tick until the lesson ends; `clock.sleep` paces it (instant on FakeClock)."""
        if self.state.status == "ready":
            self.start()
        t0 = self.clock.monotonic()
        while not self.ended:
            self.tick()
            if self.clock.monotonic() - t0 > max_lesson_s:
                self.submit(ev.TeacherEndedClass())
                self.tick()
                break
            self.clock.sleep(tick_s)

    def writer_health(self) -> WriterHealth | None:
        return None if self._writer is None else self._writer.health()

    @property
    def spilled(self) -> tuple[int, Path | None]:
        """Events that could not go into the store by the end (a disk that stayed full) and where they went."""
        return self._spilled

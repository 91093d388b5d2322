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
from typing import Literal, Protocol

from dual_teacher import __version__
from dual_teacher.core import events as ev
from dual_teacher.core.bus import EventBus
from dual_teacher.core.clock import Clock
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.engagement.store import EventStore, StoreWriter, WriterHealth
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.engine import LessonEngine, LessonState
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.lesson.schema import VideoNode, text_in

log = logging.getLogger(__name__)


class Display(Protocol):
    def present(self, command: cmd.Command, now: float) -> None: ...


class InputStage(Protocol):
    """Perception, speech or a simulation: sees the engine's outputs, produces events when polled."""

    name: str

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None: ...

    def poll(self, now: float) -> list[ev.Event]: ...


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
    ) -> None:
        self.pack = pack
        self.clock = clock
        self.display = display
        self.inputs = list(inputs)
        self.bus = EventBus()
        self.store = store
        durations = {n.id: pack.duration_of(n) for n in pack.manifest.nodes if isinstance(n, VideoNode)}
        self.engine = LessonEngine(pack.manifest, durations, lang=lang, video_end=video_end)
        self.state: LessonState = self.engine.initial()
        self.session_id = new_session_id(clock.wall())
        self.stats = SessionStats()
        self._inbox: DropOldestQueue[ev.Event] = DropOldestQueue(10_000)
        self._writer: StoreWriter | None = None
        self._mode = mode
        self._lang = lang
        self._meta = dict(meta or {})
        self._end_reason: str | None = None
        for stage in self.inputs:  # a stage that reads the whole session (the lead link) says so with `attach`
            attach = getattr(stage, "attach", None)
            if callable(attach):
                attach(self)

    # ---- lifecycle ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Register the session in the store and start its writer (does not start the lesson)."""
        m = self.pack.manifest
        self.store.create_session(
            self.session_id,
            m.id,
            text_in(m.title, self._lang),
            self.pack.label,
            self._mode,
            self.clock.wall(),
            __version__,
            {"language": self._lang, **self._meta},
        )
        self._writer = StoreWriter(self.store.path)

    def start(self) -> None:
        if self._writer is None:
            self.open()
        self.submit(ev.TeacherStarted())

    def close(self, timeout: float = 10.0) -> bool:
        """Flush and stop the writer; returns False if some events could not be written in time."""
        if self._writer is None:
            return True
        self._writer.end_session(self.session_id, self.clock.wall(), self._end_reason or "interrupted")
        ok = self._writer.close(timeout)
        self._writer = None
        return ok

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
            try:
                incoming.extend(stage.poll(now))
            except Exception as exc:  # a failing input must not stop the lesson
                log.exception("input stage %s failed", stage.name)
                self._stage_failed(stage.name, exc, now)
        for event in incoming:
            self._apply(event, now)
        self._apply(ev.Tick(), now)

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
                try:
                    stage.handle(item, now)
                except Exception as exc:
                    log.exception("input stage %s failed", stage.name)
                    self._stage_failed(stage.name, exc, now)

    def _stage_failed(self, stage: str, exc: Exception, now: float) -> None:
        self.stats.stage_errors += 1
        self.record(ev.StageAlert(stage, f"{type(exc).__name__}: {exc}", "error"), now)

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

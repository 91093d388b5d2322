"""The classroom: one class session, the classroom display and the teacher console (QML), and the live stream.

Everything runs on the GUI thread, driven by one timer: tick the session (which polls the input stages and
steps the lesson), hand the bus's events to the view-models (the GUI-thread dispatcher), refresh the console.
The session's bus may be published from any thread; events reach the view-models only through a bounded
queue drained here. Video frames never pass through here at all: QML pulls them.

Which lead teacher is on air:
- no live URL: the AI lesson, from the start;
- a live URL: the display shows a calm welcome card while the stream connects; when frames flow, the live
  stream goes on air and the AI lesson waits (paused) at its start. When the stream is lost (no new frame for
  2 s, an error, or its end) the AI lesson takes over at the matching position of the planned timeline
  (`LessonTimeline.locate(seconds since the class started)`); the link keeps retrying with backoff and the
  console offers "back to live" when frames flow again. If the stream never comes up, the AI lesson starts.
Every switch is an event (`LiveStreamLost`, `SourceSwitched`, ...), stored with the class.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtQml import QQmlApplicationEngine, QQmlError
from PySide6.QtQuick import QQuickWindow

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.errors import DualTeacherError
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.engagement.store import EventStore, space_warning
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.lesson.schema import VideoNode, text_in
from dual_teacher.qt.camera import CameraSetupModel
from dual_teacher.qt.console import ConsoleModel
from dual_teacher.qt.display import DisplayModel
from dual_teacher.qt.frames import FrameSource
from dual_teacher.qt.live import LiveLink, OnAir
from dual_teacher.qt.media import make_player
from dual_teacher.qt.qt_app import FrameClock, ensure_app, prepare_app, software_rendering
from dual_teacher.resources import resource_dir
from dual_teacher.runtime.console_state import DISPLAY_WINDOW
from dual_teacher.runtime.freeze import GuiHeartbeat
from dual_teacher.runtime.health import (
    GatedInput,
    HealthState,
    StageHealth,
    analytics_indicator,
    camera_preview_source,
    display_health,
    is_simulated,
    session_health,
)
from dual_teacher.runtime.live_policy import LessonTimeline, LivePolicyConfig
from dual_teacher.runtime.session import STORE_STAGE, ClassSession, InputStage
from dual_teacher.runtime.supervisor import Position, format_beat, parse_resume

log = logging.getLogger(__name__)

TICK_MS = 50
CONSOLE_EVERY = 4  # console refresh every 4th tick (200 ms)
_LESSON_CONTROLS = (
    ev.TeacherPaused,
    ev.TeacherResumed,
    ev.TeacherWentNext,
    ev.TeacherWentBack,
    ev.TeacherReplayed,
    ev.TeacherSkippedQuestion,
    ev.TeacherExtendedTimer,
    ev.TeacherJumped,
)


class Classroom(QObject):
    def __init__(
        self,
        pack: LoadedPack,
        store: EventStore,
        inputs: Sequence[InputStage] = (),
        lang: str = "en",
        clock: Clock | None = None,
        live_url: str | None = None,
        live_config: LivePolicyConfig | None = None,
        camera_source: FrameSource | None = None,
        frame_painter: bool | None = None,
        meta: dict[str, object] | None = None,
        heartbeat_fd: int | None = None,
        resume: str | None = None,
    ) -> None:
        """`heartbeat_fd`: write a heartbeat line per tick there (for the supervisor, runtime/supervisor.py);
        `resume`: "SESSION:NODE:OFFSET", go on with that session from there (a restart after a freeze)."""
        self.app = ensure_app()
        super().__init__()
        self._translators = prepare_app(self.app, lang)
        self.pack = pack
        self.lang = lang
        self.clock = clock or RealClock()
        if frame_painter is None:
            frame_painter = software_rendering()
        self.gated = [GatedInput(s) for s in inputs]
        # The remote lead teacher's link (runtime.lead_link), if the class has one: the console can turn its
        # commands off; a "switch source" command from it goes through the same path as the console's button.
        self.lead = next((s for s in inputs if callable(getattr(s, "set_remote_control", None))), None)
        self._resume = parse_resume(resume) if resume else None
        self._heartbeat_fd = heartbeat_fd
        if heartbeat_fd is not None:
            os.set_blocking(heartbeat_fd, False)
        self._beat_node: str | None = None
        self._node_since = 0.0
        self.engine = QQmlApplicationEngine()
        self.engine.warnings.connect(self._on_qml_warnings)
        self.qml_warnings: list[str] = []
        # One player per role for the whole class, made by Qt (never by Python): see dual_teacher.qt.media.
        self.display = DisplayModel(
            pack,
            self.clock,
            self._submit,
            make_player(self.engine, self),
            lang=lang,
            frame_painter=frame_painter,
        )
        self.session = ClassSession(
            pack,
            store,
            self.clock,
            display=self.display,
            inputs=self.gated,
            lang=lang,
            mode="window",
            video_end="media_event",
            meta={"simulated_class": any(is_simulated(s) for s in inputs), "live": bool(live_url), **(meta or {})},
            session_id=self._resume.session_id if self._resume is not None else None,
        )
        durations = {n.id: pack.duration_of(n) for n in pack.manifest.nodes if isinstance(n, VideoNode)}
        self.timeline = LessonTimeline(pack.manifest, durations, lang)
        self.live = LiveLink(
            live_url or "", self.clock, make_player(self.engine, self, muted=True), live_config, parent=self
        )
        self.air = OnAir(self.session, self.display, self.live, self.timeline, pack.manifest.start_id)
        analytic = [s for s in inputs if getattr(s, "gated", True)]  # the lead link is no camera or microphone
        simulated = bool(analytic) and all(is_simulated(s) for s in analytic)
        self.console = ConsoleModel(self, text_in(pack.manifest.title, lang), simulated)
        if camera_source is None:  # the camera perception analyses: the set-up view shows that one
            preview = camera_preview_source(inputs)
            camera_source = preview if isinstance(preview, FrameSource) else None
        self.camera = CameraSetupModel(camera_source)
        self.analytics_on = True
        self.captions_on = True
        if self.lead is not None and hasattr(self.lead, "lesson_controls_allowed"):
            self.lead.lesson_controls_allowed = lambda: self.air.source == "lesson"
        self._started = False
        self._ended_handled = False
        self.on_ended: Callable[[], None] = lambda: None
        self.on_quit: Callable[[], None] = lambda: None  # the console was closed (the windowed run quits)
        self.display_hidden = False
        self.next_requested = False
        self._shutting_down = False
        self._display_screen: int | None = None
        self._display_fullscreen: bool | None = None
        self.display.set_indicator(analytics_indicator(inputs))
        self.console.set_analytics_kind(analytics_indicator(inputs))
        self._events: DropOldestQueue[ev.Event] = DropOldestQueue(10_000)
        self._unsubscribe = self.session.bus.subscribe(self._events.put_nowait)
        self.frames = FrameClock()
        self.tick_ms: collections.deque[float] = collections.deque(maxlen=4000)
        self.tick_gap_ms: collections.deque[float] = collections.deque(maxlen=4000)
        self._last_tick: float | None = None
        self._ticks = 0

        self._open_windows(store)

    def _open_windows(self, store: EventStore) -> None:
        """Both windows from ui/, the view-models they read, the tick timer and the GUI heartbeat."""
        ctx = self.engine.rootContext()
        ctx.setContextProperty("display", self.display)
        ctx.setContextProperty("console", self.console)
        ctx.setContextProperty("camera", self.camera)
        ctx.setContextProperty("live", self.live)
        ui = resource_dir("ui")
        self.display_window = self._load(ui / "Classroom.qml")
        self.console_window = self._load(ui / "Console.qml")
        self.display_window.frameSwapped.connect(self.frames.swapped, Qt.ConnectionType.QueuedConnection)
        self._ticker = QTimer(self)
        self._ticker.timeout.connect(self.tick)
        # A blocked GUI thread is caught from outside it (faulthandler's C thread) and its stacks written down.
        self.heartbeat = GuiHeartbeat(store.path.parent / "freezes.log")
        self._freeze_alerted_at = -1e9

    def _load(self, path: Path) -> QQuickWindow:
        before = len(self.engine.rootObjects())
        self.engine.load(str(path))
        roots = self.engine.rootObjects()
        if len(roots) <= before or not isinstance(roots[-1], QQuickWindow):
            detail = "; ".join(self.qml_warnings[-5:])
            raise DualTeacherError(f"the user interface could not load {path.name}: {detail}", hint="reinstall")
        return roots[-1]

    def _on_qml_warnings(self, warnings: list[QQmlError]) -> None:
        for w in warnings:
            text = w.toString()
            self.qml_warnings.append(text)
            log.warning("QML: %s", text)

    # ---- showing --------------------------------------------------------------------------------------------------
    def show(self, display_screen: int | None = None, fullscreen: bool | None = None) -> None:
        """The display goes full screen on `display_screen` (default: the second screen when there are two)."""
        self._display_screen, self._display_fullscreen = display_screen, fullscreen
        screens = QGuiApplication.screens()
        index = display_screen if display_screen is not None else (1 if len(screens) > 1 else None)
        if index is not None and 0 <= index < len(screens):
            self.display_window.setScreen(screens[index])
            self.display_window.setPosition(screens[index].geometry().topLeft())
            if fullscreen is None:
                fullscreen = True
        self.console_window.show()
        if fullscreen:
            self.display_window.showFullScreen()
        else:
            self.display_window.show()

    def run(self, auto_start: bool = True) -> None:
        """Start ticking (and the class, unless the console's Start button should do it)."""
        self._ticker.start(TICK_MS)
        self.heartbeat.start()
        if auto_start:
            self.start()

    # ---- controls (the console's slots come here) -----------------------------------------------------------------
    def _submit(self, event: ev.Event) -> None:
        self.session.submit(event)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self._resume is not None:
            self._start_resumed(self._resume)
        elif not self.live.configured:
            self.air.start_lesson()
        else:
            self.air.start_live()
        low = space_warning(self.session.store.path.parent)  # the pre-flight check, shown on the console
        if low is not None:
            self.session.record(ev.StageAlert(STORE_STAGE, low, "warning"))

    def _start_resumed(self, at: Position) -> None:
        """Go on with a session after the display was restarted: the same node, the video at the same offset."""
        self.air.start_lesson()
        now = self.clock.monotonic()
        self.display.arm_offset(at.node_id, at.offset_s)
        self.session.submit(ev.TeacherJumped(at.node_id))
        self.session.tick()
        self._beat_node, self._node_since = at.node_id, now - at.offset_s
        self.air.class_t0 = now - at.offset_s
        text = "The classroom display froze and was restarted; the lesson goes on from where it was."
        self.session.record(ev.StageAlert("display", text, "warning"))
        if self.live.configured:
            self.live.start()  # "back to live" is offered when the stream plays

    def _beat(self, now: float) -> None:
        """One heartbeat line for the supervisor: where the lesson is, so a restart can go on from there."""
        node = self.session.state.node_id or ""
        if node != self._beat_node:
            self._beat_node, self._node_since = node, now
        if self._heartbeat_fd is None:
            return
        line = format_beat(self.session.session_id, node, max(0.0, now - self._node_since), self.session.ended)
        try:
            os.write(self._heartbeat_fd, line)
        except BlockingIOError:
            pass  # the supervisor is slow to read: the next beat will do
        except OSError:
            self._heartbeat_fd = None  # the supervisor is gone

    def set_live_url(self, url: str) -> None:
        """Follow a live stream from now on (a class that started on the AI lesson: "back to live" is offered
        when it plays)."""
        if self.live.configured or not url:
            return
        self.live.url = url
        if self._started and not self.session.ended:
            self.live.start()

    def lesson_event(self, event: ev.Event) -> None:
        if self.air.source != "lesson" and isinstance(event, _LESSON_CONTROLS):
            return  # the live teacher leads; the AI lesson waits
        self.session.submit(event)

    def call_on_hand(self, track_id: int) -> None:
        self.session.submit(ev.TeacherCalledOnHand(track_id))

    def switch_source(self, source: str) -> None:
        self.air.switch(source)

    def set_remote_control(self, on: bool) -> None:
        set_remote = getattr(self.lead, "set_remote_control", None)
        if callable(set_remote):
            set_remote(on)  # the link records RemoteControlSet; the console follows that event

    def set_analytics(self, on: bool) -> None:
        if on == self.analytics_on:
            return
        self.analytics_on = on
        for stage in self.gated:
            stage.set_analytics_enabled(on)
        self.session.submit(ev.TeacherResumedAnalytics() if on else ev.TeacherPausedAnalytics())
        self.display.set_indicator(analytics_indicator(self.gated) if on else "")
        self.console.set_switches(self.analytics_on, self.captions_on)

    def set_captions(self, on: bool) -> None:
        self.captions_on = on
        self.display.set_captions(on)
        self.console.set_switches(self.analytics_on, self.captions_on)

    def end_class(self) -> None:
        self.session.submit(ev.TeacherEndedClass())

    # ---- the windows ------------------------------------------------------------------------------------------------
    def display_closed(self) -> None:
        """The classroom display's window was closed (by a click or a key): the class goes on, the console says
        so and offers to show it again."""
        if self.display_hidden or self._shutting_down or self.session.ended:
            return
        self.display_hidden = True
        self.session.record(ev.StageAlert(DISPLAY_WINDOW, "The classroom display window was closed.", "warning"))

    def show_display(self) -> None:
        """Show the classroom display again (the console's "Show the classroom display")."""
        screens = QGuiApplication.screens()
        index = self._display_screen if self._display_screen is not None else (1 if len(screens) > 1 else None)
        fullscreen = self._display_fullscreen
        if fullscreen is None:
            fullscreen = index is not None and 0 <= index < len(screens)
        self.display_window.showFullScreen() if fullscreen else self.display_window.show()
        self.display_window.raise_()
        self.display_window.requestActivate()
        if self.display_hidden:
            self.display_hidden = False
            self.session.record(ev.StageAlert(DISPLAY_WINDOW, "The classroom display is shown again.", "info"))

    def end_and_quit(self) -> None:
        """The teacher closed the console and confirmed: end the class (if on) and close both windows."""
        if self._started and not self.session.ended:
            self.end_class()
            self.session.tick()
        self.quit()

    def quit(self) -> None:
        self.on_quit()

    def next_lesson(self) -> None:
        """The console's "Start the next lesson" after the class ended: close these windows; the caller opens
        a fresh class (`next_requested`)."""
        if self.session.ended:
            self.next_requested = True
            self.quit()

    def ask_before_closing(self) -> bool:
        """Closing the console while a class is on asks first (ui/Console.qml)."""
        return self._started and not self.session.ended and not self._shutting_down

    def toggle_fullscreen(self) -> None:
        w = self.display_window
        w.showNormal() if w.visibility() == QQuickWindow.Visibility.FullScreen else w.showFullScreen()

    def on_air(self) -> str:
        return self.air.source

    def live_status(self) -> dict[str, Any]:
        return self.air.status()

    def health_rows(self) -> list[StageHealth]:
        rows = session_health(self.session)
        d = self.display
        on_air = self.air.source
        playing = d.mode == "video" and d.lessonReady and not d.paused and on_air == "lesson"
        rows.insert(0, display_health(self.frames.fps(), playing or on_air == "live", self.display_hidden))
        if self.live.configured:
            states: dict[str, HealthState] = {"up": "ok", "connecting": "degraded", "waiting": "failed"}
            state = states.get(self.live.state, "off")
            rows.insert(1, StageHealth("live stream", state, fps=self.live.fps(), detail=self.live.state))
        return rows

    # ---- the GUI loop ------------------------------------------------------------------------------------------------
    def tick(self) -> None:
        t0 = time.perf_counter()
        if self._last_tick is not None:
            self.tick_gap_ms.append((t0 - self._last_tick) * 1000)
        self._last_tick = t0
        blocked = self.heartbeat.beat()
        if blocked is not None and t0 - self._freeze_alerted_at >= 60.0:
            self._freeze_alerted_at = t0
            where = self.heartbeat.log_path
            text = f"The classroom display was blocked for {blocked:.1f} s and runs again; details in {where}"
            self.session.record(ev.StageAlert("display", text, "warning"))
        self.session.tick()
        now = self.clock.monotonic()
        self._beat(now)
        for event in self._events.drain():
            self.display.on_event(event)
            self.console.on_event(event, now)
            if isinstance(event, ev.LeadCommandReceived) and event.accepted and event.command == "switch_source":
                self.switch_source(event.detail)
        self._ticks += 1
        if self._ticks % CONSOLE_EVERY == 0 or self.session.ended:
            self.console.refresh(now)
        self.display.flush()
        if self.session.ended and not self._ended_handled:
            self._ended_handled = True
            self.live.stop()
            self.air.set("lesson")
            self.console.refresh(now)
            self.on_ended()
        self.tick_ms.append((time.perf_counter() - t0) * 1000)

    # ---- screenshots and closing -------------------------------------------------------------------------------------
    def grab(self, window: QQuickWindow) -> QImage:
        return window.grabWindow()

    def close(self) -> bool:
        """End the class if it is still on, stop everything and flush the event store."""
        self._shutting_down = True
        self._ticker.stop()
        self.heartbeat.stop()
        if self.started and not self.session.ended:
            self.session.submit(ev.TeacherEndedClass())
            self.session.tick()
        self.live.stop()
        self.camera.hide()
        self.display.stop()
        self._unsubscribe()
        for window in (self.display_window, self.console_window):
            window.close()
        # The QML engine goes first, now, while the view-models it binds to are still alive.
        shiboken6.delete(self.engine)
        for t in self._translators:
            self.app.removeTranslator(t)
        return self.session.close()

    @property
    def started(self) -> bool:
        return self._started

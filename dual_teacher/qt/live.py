"""The remote teacher's live stream in Qt: one long-lived `QMediaPlayer` (a new try changes only its source),
watched by `LiveLinkPolicy`. Players are never made or destroyed per try: see `dual_teacher.qt.media`.

A watchdog timer pulls the newest frame's timestamp from the video sink (no per-frame signal) and feeds the
policy with new frames, errors and the end of the stream; the policy decides when the stream is lost and
when to try again. `LiveLink` reports that with `on_up`, `on_down` and `on_retry` calls on the GUI thread.

`OnAir` is what the classroom does with those calls: which lead teacher is on air (the AI lesson, the live
stream, or "starting" while a stream connects), the switches between them and the events that record them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock
from dual_teacher.qt.media import set_muted
from dual_teacher.runtime.live_policy import (
    Connect,
    Disconnect,
    LessonTimeline,
    LinkAction,
    LinkDown,
    LinkUp,
    LiveLinkPolicy,
    LivePolicyConfig,
    Retrying,
)
from dual_teacher.runtime.session import ClassSession

if TYPE_CHECKING:
    from dual_teacher.qt.display import DisplayModel

log = logging.getLogger(__name__)


def redact(url: str) -> str:
    """The URL without credentials, query or fragment (what is stored in events)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def as_qurl(url: str) -> QUrl:
    return QUrl(url) if "://" in url else QUrl.fromLocalFile(url)


class LiveLink(QObject):
    def __init__(
        self,
        url: str,
        clock: Clock,
        player: QMediaPlayer,
        config: LivePolicyConfig | None = None,
        watch_ms: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url
        self.clock = clock
        self.policy = LiveLinkPolicy(config)
        self.player = player  # made by Qt, reused for every try
        self._connected = False
        self.on_up: Callable[[LinkUp], None] = lambda a: None
        self.on_down: Callable[[LinkDown], None] = lambda a: None
        self.on_retry: Callable[[Retrying], None] = lambda a: None
        self.last_error = ""
        self.frames = 0
        set_muted(player, True)
        player.errorOccurred.connect(self._on_error)
        player.mediaStatusChanged.connect(self._on_status)
        self._last_start: int | None = None
        self._watch = QTimer(self)
        self._watch.timeout.connect(self.watch)
        self._watch.setInterval(watch_ms)

    # ---- wiring ---------------------------------------------------------------------------------------------------
    @Slot(QObject)
    def attachOutput(self, output: QObject) -> None:
        self.player.setVideoOutput(output)

    def sink(self) -> QVideoSink | None:
        return self.player.videoSink() if self._connected else None

    def set_audible(self, on: bool) -> None:
        set_muted(self.player, not on)

    @property
    def state(self) -> str:
        return self.policy.state

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def interrupt(self) -> None:
        """Stop reading the stream without telling anyone, as when a cable is pulled: the watchdog finds out
        (the screenshot tour uses this to show a fallback without a network)."""
        self._disconnect()

    def start(self) -> None:
        if not self.configured:
            return
        self._watch.start()
        self._apply(self.policy.start(self.clock.monotonic()))

    def stop(self) -> None:
        self._watch.stop()
        self._apply(self.policy.stop())

    # ---- the watchdog -----------------------------------------------------------------------------------------------
    def watch(self) -> None:
        now = self.clock.monotonic()
        sink = self.sink()
        if sink is not None:
            frame = sink.videoFrame()
            if frame.isValid() and frame.startTime() != self._last_start:
                self._last_start = frame.startTime()
                self.frames += 1
                self._apply(self.policy.frame(now))
        self._apply(self.policy.tick(now))

    def _failed(self, reason: str) -> None:
        if not self._connected:
            return  # a late report from a try already dropped
        self.last_error = reason
        self._apply(self.policy.failed(self.clock.monotonic(), reason))

    # ---- carrying out the policy's actions -------------------------------------------------------------------------
    def _apply(self, actions: list[LinkAction]) -> None:
        for action in actions:
            if isinstance(action, Connect):
                self._connect()
            elif isinstance(action, Disconnect):
                self._disconnect()
            elif isinstance(action, LinkUp):
                self.on_up(action)
            elif isinstance(action, LinkDown):
                self.on_down(action)
            elif isinstance(action, Retrying):
                self.on_retry(action)

    def _connect(self) -> None:
        self._disconnect()
        self._connected = True
        self._last_start = None
        self.player.setSource(as_qurl(self.url))
        self.player.play()

    # Reports are checked against the player's state now: one queued from a try that was already dropped
    # (the player has a new source since) must not fail the new try.
    def _on_error(self, _error: QMediaPlayer.Error, message: str) -> None:
        if self.player.error() != QMediaPlayer.Error.NoError:
            self._failed(f"error: {message or 'stream error'}")

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status != self.player.mediaStatus() or self.player.source().isEmpty():
            return
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._failed("ended")
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._failed("error: not a playable stream")

    def _disconnect(self) -> None:
        if not self._connected:
            return
        self._connected = False
        # Clearing the source cancels a read stuck on a silent network without blocking the GUI thread; the
        # player itself stays for the next try.
        self.player.setSource(QUrl())

    def fps(self) -> float:
        return self.policy.fps(self.clock.monotonic())


class OnAir:
    """Which lead teacher is on air and the switches between them (see `dual_teacher.qt.classroom`)."""

    def __init__(
        self, session: ClassSession, display: DisplayModel, live: LiveLink, timeline: LessonTimeline, start_id: str
    ) -> None:
        self.session = session
        self.display = display
        self.live = live
        self.timeline = timeline
        self.clock = live.clock
        self.start_id = start_id
        self.source = "lesson"  # "lesson", "live" or "starting" (a stream connects; the lesson waits)
        self.live_available = False  # the stream plays while the AI lesson is on air: "back to live" is offered
        self.class_t0: float | None = None  # clock time the class started (the live lesson's timeline starts)
        live.on_up = self._live_up
        live.on_down = self._live_down
        live.on_retry = self._live_retry

    def set(self, source: str) -> None:
        self.source = source
        self.display.set_on_air(source)
        self.live.set_audible(source == "live")

    def start_live(self) -> None:
        """The class waits for the stream (the display shows the welcome card); the AI lesson starts if it fails."""
        self.session.open()
        self.set("starting")
        self.live.start()

    def start_lesson(self) -> None:
        self.session.start()
        self.class_t0 = self.clock.monotonic()
        self.set("lesson")
        self.session.tick()

    def switch(self, source: str) -> None:
        """The teacher's switch (the console's button, or a lead command)."""
        if source == self.source or self.session.ended or not self.live.configured:
            return
        if source == "live" and self.live_available:
            self.session.submit(ev.TeacherSwitchedSource("live"))
            self.go_live("teacher")
        elif source == "lesson" and self.source == "live":
            self.session.submit(ev.TeacherSwitchedSource("lesson"))
            self.fall_back("teacher", self.clock.monotonic())

    def status(self) -> dict[str, Any]:
        if not self.live.configured:
            return {"configured": False}
        now = self.clock.monotonic()
        retry = self.live.policy.retry_in(now)
        status: dict[str, Any] = {
            "configured": True,
            "state": self.live.state,
            "available": self.live_available,
            "retry_in": -1 if retry is None else int(retry + 0.999),
        }
        if self.source == "live" and self.class_t0 is not None:
            pos = self.timeline.locate(now - self.class_t0)
            status["position"] = pos.node_id if pos is not None else ""
        return status

    def _live_up(self, up: LinkUp) -> None:
        self.session.record(ev.LiveStreamConnected(redact(self.live.url), up.attempt))
        if self.source == "starting":
            self.session.start()
            self.session.submit(ev.TeacherPaused())
            self.session.tick()
            self.class_t0 = self.clock.monotonic()
            self.go_live("start")
        else:
            self.live_available = True

    def go_live(self, reason: str) -> None:
        if self.session.state.status == "running":
            self.session.submit(ev.TeacherPaused())
            self.session.tick()
        self.set("live")
        self.live_available = True
        self.session.record(ev.SourceSwitched("live", reason))

    def _live_down(self, down: LinkDown) -> None:
        self.live_available = False
        self.session.record(ev.LiveStreamLost(down.reason, round(down.silent_s, 3)))
        if self.source == "live":
            self.fall_back("fallback", down.last_frame_at or self.clock.monotonic())
        elif self.source == "starting":
            self.start_lesson()
            self.session.record(ev.SourceSwitched("lesson", "unavailable", self.start_id))

    def _live_retry(self, retry: Retrying) -> None:
        self.session.record(ev.LiveStreamRetried(retry.attempt, retry.delay_s))

    def fall_back(self, reason: str, at: float) -> None:
        """The AI lesson takes over where the live lesson was at clock time `at`."""
        t0 = self.class_t0 if self.class_t0 is not None else at
        pos = self.timeline.locate(at - t0)
        if pos is None:
            return
        self.display.arm_offset(pos.node_id, pos.offset_s)
        self.session.submit(ev.TeacherJumped(pos.node_id))
        self.session.tick()
        self.set("lesson")
        self.session.record(
            ev.SourceSwitched("lesson", reason, pos.node_id, pos.offset_s, round(pos.lesson_s, 3)),
        )

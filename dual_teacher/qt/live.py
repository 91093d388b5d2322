"""The remote teacher's live stream in Qt: one long-lived `QMediaPlayer` (a new try changes only its source),
watched by `LiveLinkPolicy`. Players are never made or destroyed per try: see `dual_teacher.qt.media`.

A watchdog timer pulls the newest frame's timestamp from the video sink (no per-frame signal) and feeds the
policy with new frames, errors and the end of the stream; the policy decides when the stream is lost and
when to try again. What happens next (the AI lesson takes over, "back to live" is offered) is the
classroom's business: it gets `on_up`, `on_down` and `on_retry` calls on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

from dual_teacher.core.clock import Clock
from dual_teacher.qt.media import set_muted
from dual_teacher.runtime.live import (
    Connect,
    Disconnect,
    LinkAction,
    LinkDown,
    LinkUp,
    LiveLinkPolicy,
    LivePolicyConfig,
    Retrying,
)

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

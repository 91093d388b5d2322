"""The remote teacher's live stream in Qt: a fresh `QMediaPlayer` per try, watched by `LiveLinkPolicy`.

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
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoSink

from dual_teacher.core.clock import Clock
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
        config: LivePolicyConfig | None = None,
        watch_ms: int = 100,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url
        self.clock = clock
        self.policy = LiveLinkPolicy(config)
        self.player: QMediaPlayer | None = None
        self.on_up: Callable[[LinkUp], None] = lambda a: None
        self.on_down: Callable[[LinkDown], None] = lambda a: None
        self.on_retry: Callable[[Retrying], None] = lambda a: None
        self.last_error = ""
        self.frames = 0
        self._output: QObject | None = None
        self._own_sink = QVideoSink(self)
        self._audio = QAudioOutput(self)
        self._audio.setMuted(True)
        self._last_start: int | None = None
        self._watch = QTimer(self)
        self._watch.timeout.connect(self.watch)
        self._watch.setInterval(watch_ms)

    # ---- wiring ---------------------------------------------------------------------------------------------------
    @Slot(QObject)
    def attachOutput(self, output: QObject) -> None:
        self._output = output
        if self.player is not None:
            self.player.setVideoOutput(output)

    def sink(self) -> QVideoSink | None:
        return self.player.videoSink() if self.player is not None else None

    def set_audible(self, on: bool) -> None:
        self._audio.setMuted(not on)

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

    def _failed(self, player: QMediaPlayer, reason: str) -> None:
        if player is not self.player:
            return  # a late report from a player already dropped
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
        player = QMediaPlayer(self)
        player.setAudioOutput(self._audio)
        if self._output is not None:
            player.setVideoOutput(self._output)
        else:
            player.setVideoSink(self._own_sink)
        player.errorOccurred.connect(lambda _e, msg, p=player: self._failed(p, f"error: {msg or 'stream error'}"))
        player.mediaStatusChanged.connect(lambda status, p=player: self._on_status(p, status))
        self.player = player
        self._last_start = None
        player.setSource(as_qurl(self.url))
        player.play()

    def _on_status(self, player: QMediaPlayer, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._failed(player, "ended")
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._failed(player, "error: not a playable stream")

    def _disconnect(self) -> None:
        player, self.player = self.player, None
        if player is None:
            return
        try:
            player.errorOccurred.disconnect()
            player.mediaStatusChanged.disconnect()
        except (RuntimeError, TypeError):
            log.debug("live player signals already disconnected")
        # Clearing the source cancels a read stuck on a silent network; deleting a player whose demuxer is
        # blocked would block the GUI thread (Qt 6.12's FFmpeg backend joins it in the destructor).
        player.setSource(QUrl())
        player.deleteLater()

    def fps(self) -> float:
        return self.policy.fps(self.clock.monotonic())

"""Media players made by Qt, not by Python: one long-lived player per role (the lesson, the live stream).

Why (a deadlock seen in about 1 of 30 runs, the classroom display frozen for good): an object constructed from
Python (`QMediaPlayer(self)`, `QAudioOutput(self)`, `QVideoSink(self)`) is a PySide wrapper subclass whose
virtual functions first ask Python whether they are overridden, which needs the GIL. Qt's FFmpeg media
plugin connects to, disconnects from and destroys objects around these on its own worker threads while it
holds Qt's signal-slot mutexes; when such a call lands in a Python-made object, the worker waits for the
GIL while holding a mutex, and the GUI thread (holding the GIL in `QMediaPlayer.play()`) waits for that
mutex. Creating and destroying a player (and its plugin objects) for every try of the live stream made
that race happen at every switch.

So the players, their audio outputs and their video sinks are created by the QML engine (plain C++
objects with no Python overrides, never reachable as Python from a media thread), created once per role
and reused: a new try of the live stream only changes the source. Their signals reach Python on the GUI
thread (the players live there; a report from another thread is queued by Qt).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtQml import QQmlComponent, QQmlEngine

from dual_teacher.core.errors import DualTeacherError

_PLAYER_QML = b"""
import QtQuick
import QtMultimedia
MediaPlayer {
    audioOutput: AudioOutput {}
}
"""


def make_player(engine: QQmlEngine, parent: QObject, muted: bool = False) -> QMediaPlayer:
    """A `QMediaPlayer` with its `QAudioOutput`, both made by Qt (see the module's note), owned by `parent`."""
    component = QQmlComponent(engine)
    component.setData(_PLAYER_QML, QUrl("qrc:/dual_teacher/player.qml"))
    made = component.create()
    if not isinstance(made, QMediaPlayer):
        detail = "; ".join(e.toString() for e in component.errors())
        raise DualTeacherError(f"Qt Multimedia could not make a media player: {detail}", hint="reinstall")
    made.setParent(parent)
    audio = made.audioOutput()
    if isinstance(audio, QAudioOutput):
        audio.setMuted(muted)
    return made


def set_muted(player: QMediaPlayer, muted: bool) -> None:
    audio = player.audioOutput()
    if isinstance(audio, QAudioOutput):
        audio.setMuted(muted)

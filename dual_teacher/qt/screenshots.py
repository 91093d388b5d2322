"""`dual-teacher demo --screenshots DIR`: a guided tour of a class, offscreen, saving PNGs of both windows.

The tour runs the real classroom (session, simulated class, display, console) and moves through the lesson
with the console's own controls, taking pictures at the moments that matter: a video segment with
captions, a question card, a hand poll with hands in the queue (and "I see your hand"), the live teacher,
the AI lesson after the live stream is cut (the fallback), the end-of-class summary, and the camera set-up
view. For the live part it plays the pack's first video as a stand-in for the remote teacher's stream and
then stops reading it, as a pulled cable would: the stall detection and the fallback are the real ones.
Frames are painted from the players' latest frames (`LatestFrame`), so video shows without a GPU or a display.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from dual_teacher.core import events as ev
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.lesson.schema import HandPollNode, QuestionNode, VideoNode
from dual_teacher.qt.frames import LatestFrame
from dual_teacher.runtime.live_policy import LivePolicyConfig
from dual_teacher.runtime.session import InputStage

if TYPE_CHECKING:
    from dual_teacher.qt.classroom import Classroom

log = logging.getLogger(__name__)

DISPLAY_SIZE = (1280, 720)
CONSOLE_SIZE = (1366, 768)


@dataclasses.dataclass
class Shot:
    name: str
    what: str
    files: list[str] = dataclasses.field(default_factory=list)
    waited_s: float = 0.0
    timed_out: bool = False


@dataclasses.dataclass
class _TourState:
    index: int = -1
    started: float = 0.0
    ready_at: float | None = None


@dataclasses.dataclass
class _Step:
    name: str
    what: str
    action: Callable[[], None]
    ready: Callable[[], bool]
    timeout_s: float
    settle_s: float = 0.5
    windows: tuple[str, ...] = ("display", "console")
    after: Callable[[], None] = lambda: None


def _tour_steps(room: Classroom, pack: LoadedPack) -> list[_Step]:
    """The moments of the tour this pack has (a question, a hand poll, a video for the live stand-in)."""
    nodes = pack.manifest.nodes
    question = next((n for n in nodes if isinstance(n, QuestionNode) and n.choices), None) or next(
        (n for n in nodes if isinstance(n, QuestionNode)), None
    )
    poll = next((n for n in nodes if isinstance(n, HandPollNode)), None)
    first_video = next((n for n in nodes if isinstance(n, VideoNode)), None)
    lesson_frame = room.display_window.findChild(LatestFrame, "lessonFrame")
    d, c = room.display, room.console

    def frame_shown() -> bool:
        return lesson_frame is None or bool(lesson_frame.property("hasFrame"))

    def jump(node_id: str) -> Callable[[], None]:
        return lambda: room.session.submit(ev.TeacherJumped(node_id))

    steps: list[_Step] = [
        _Step(
            "1-video-captions",
            "the AI lesson's first video segment playing, with its caption under it",
            lambda: None,
            lambda: d.mode == "video" and d.caption != "" and frame_shown() and d.player.position() > 2500,
            20.0,
        )
    ]
    if question is not None:
        steps.append(
            _Step(
                "2-question",
                "a question card with its choices, the countdown and the answers so far; tallies on the console",
                jump(question.id),
                lambda: d.mode == "question" and d.responses >= 4,
                12.0,
            )
        )
    if poll is not None:
        steps.append(
            _Step(
                "3-hand-poll",
                'a hand poll: hands counted, the ordered queue on the seat map, "I see your hand" after '
                '"Call on first hand"',
                jump(poll.id),
                lambda: d.mode == "poll" and d.handCount > 0 and len(c.hands) >= 3,
                12.0,
                settle_s=1.0,
                after=c.callFirstHand,
            )
        )
    if first_video is not None:
        stand_in = str(pack.media_path(first_video.file))
        steps += [
            _Step(
                "live-connect",
                "",
                lambda: room.set_live_url(stand_in),
                lambda: c.liveAvailable and not d.cueVisible,
                15.0,
                settle_s=0.0,
                windows=(),
            ),
            _Step(
                "4-live",
                "the remote teacher's live stream on the display (here: a stand-in file); the AI lesson waits",
                c.goLive,
                lambda: room.on_air() == "live",
                5.0,
                settle_s=1.5,
            ),
            _Step(
                "5-fallback",
                "the live stream was cut: the AI lesson took over at the matching position; the console says so",
                room.live.interrupt,
                lambda: room.on_air() == "lesson" and d.lessonReady,
                20.0,
                settle_s=1.5,
            ),
        ]
    steps += [
        _Step(
            "6-summary",
            "the end of the class: warm words and class-level results; the console's timeline is done",
            room.end_class,
            lambda: d.mode == "summary",
            8.0,
            settle_s=0.8,
        ),
        _Step(
            "7-camera-setup",
            "the console's opt-in camera set-up view (here: no camera found); never on the classroom display",
            room.camera.show,
            lambda: True,
            2.0,
            windows=("console",),
        ),
    ]
    return steps


def run_screenshots(
    pack: LoadedPack, store: EventStore, inputs: Sequence[InputStage], lang: str, out_dir: Path
) -> tuple[str, list[Shot]]:
    """Run the tour; returns the session id and the shots (also listed in `out_dir/shots.json`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from dual_teacher.qt.classroom import Classroom

    out_dir.mkdir(parents=True, exist_ok=True)
    room = Classroom(
        pack,
        store,
        inputs,
        lang=lang,
        live_config=LivePolicyConfig(backoff_s=(120.0,)),  # stay in the fallback state for the picture
        frame_painter=True,
        meta={"screenshots": True, "practice": "screenshots"},
    )
    room.display_window.resize(*DISPLAY_SIZE)
    room.console_window.resize(*CONSOLE_SIZE)
    steps = _tour_steps(room, pack)

    shots: list[Shot] = []
    tour = _TourState()

    def take(step: _Step, waited: float, timed_out: bool) -> None:
        if not step.windows:
            return
        shot = Shot(step.name, step.what, waited_s=round(waited, 2), timed_out=timed_out)
        for which in step.windows:
            window = room.display_window if which == "display" else room.console_window
            path = out_dir / f"{step.name}-{which}.png"
            room.grab(window).save(str(path))
            shot.files.append(str(path))
        shots.append(shot)
        if timed_out:
            log.warning("screenshot %s taken after waiting %.0f s for its moment", step.name, waited)

    def advance() -> None:
        tour.index += 1
        tour.started, tour.ready_at = time.monotonic(), None
        if tour.index >= len(steps):
            timer.stop()
            room.app.quit()
            return
        steps[tour.index].action()

    def poll_step() -> None:
        if tour.index < 0:
            advance()
            return
        step = steps[tour.index]
        now = time.monotonic()
        waited = now - tour.started
        timed_out = waited > step.timeout_s
        if tour.ready_at is None:
            if step.ready() or timed_out:
                step.after()
                tour.ready_at = now
            return
        if now - tour.ready_at >= step.settle_s:
            take(step, waited, timed_out)
            advance()

    timer = QTimer()
    timer.timeout.connect(poll_step)
    room.show(fullscreen=False)
    room.display_window.resize(*DISPLAY_SIZE)
    room.console_window.resize(*CONSOLE_SIZE)
    room.run(auto_start=True)
    timer.start(100)
    room.app.exec()
    room.close()
    index = [dataclasses.asdict(s) for s in shots]
    (out_dir / "shots.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return room.session.session_id, shots

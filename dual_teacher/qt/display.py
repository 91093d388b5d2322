"""The classroom display's view-model: implements the session's `Display` and plays the AI lesson's segments.

What QML reads (ui/Classroom.qml): the mode (welcome, video, slide, question, poll, timer, summary), the card's
texts and counts, the countdown, the caption line, the "I see your hand" cue, the analytics indicator and
which source is on air (the AI lesson or the remote teacher's live stream, whose player lives in `LiveLink`).
Students see only this: failures go to the console (as events), never to this screen.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.captions import CaptionTrack, load_captions
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.lesson.schema import text_in
from dual_teacher.qt.viewmodel import ViewModel, prop
from dual_teacher.speech.caption_safety import mask_unsafe_words

log = logging.getLogger(__name__)

CUE_S = 6.0
HANDOVER_S = 3.0
LIVE_CAPTION_S = 5.0


class DisplayModel(ViewModel):
    stageChanged = Signal()
    cardChanged = Signal()
    clockChanged = Signal()
    captionChanged = Signal()
    cueChanged = Signal()
    leadChanged = Signal()

    mode = prop(str, "mode", stageChanged)
    onAir = prop(str, "onAir", stageChanged)
    lessonTitle = prop(str, "lessonTitle", stageChanged)
    segmentTitle = prop(str, "segmentTitle", stageChanged)
    paused = prop(bool, "paused", stageChanged)
    lessonReady = prop(bool, "lessonReady", stageChanged)
    handover = prop(bool, "handover", stageChanged)
    framePainter = prop(bool, "framePainter", stageChanged)
    indicator = prop(str, "indicator", stageChanged)
    prompt = prop(str, "prompt", cardChanged)
    qtype = prop(str, "qtype", cardChanged)
    choices = prop(list, "choices", cardChanged)
    responses = prop(int, "responses", cardChanged)
    handCount = prop(int, "handCount", cardChanged)
    revealed = prop(bool, "revealed", cardChanged)
    correctKeys = prop(list, "correctKeys", cardChanged)
    correctCount = prop(int, "correctCount", cardChanged)
    slideImage = prop(str, "slideImage", cardChanged)
    summaryText = prop(str, "summaryText", cardChanged)
    summaryRows = prop(list, "summaryRows", cardChanged)
    answered = prop(int, "answered", cardChanged)
    headPeak = prop(int, "headPeak", cardChanged)
    secondsLeft = prop(int, "secondsLeft", clockChanged)
    totalSeconds = prop(int, "totalSeconds", clockChanged)
    caption = prop(str, "caption", captionChanged)
    captionsOn = prop(bool, "captionsOn", captionChanged)
    cueVisible = prop(bool, "cueVisible", cueChanged)
    # The remote lead teacher's ad-hoc card (a question or a hand poll), shown over the lesson for its time.
    leadCardVisible = prop(bool, "leadCardVisible", leadChanged)
    leadCardKind = prop(str, "leadCardKind", leadChanged)
    leadCardPrompt = prop(str, "leadCardPrompt", leadChanged)
    leadCardChoices = prop(list, "leadCardChoices", leadChanged)
    leadCardSecondsLeft = prop(int, "leadCardSecondsLeft", leadChanged)

    def __init__(
        self,
        pack: LoadedPack,
        clock: Clock,
        submit: Callable[[ev.Event], None],
        player: QMediaPlayer,
        lang: str = "en",
        frame_painter: bool = False,
        parent: QObject | None = None,
    ) -> None:
        """`player`: the lesson's one long-lived player, made by Qt (`dual_teacher.qt.media.make_player`)."""
        super().__init__(parent)
        self._pack = pack
        self._clock = clock
        self._submit = submit
        self._lang = lang
        self._deadline: float | None = None
        self._frozen_left: float | None = None
        self._video_node: str | None = None
        self._video_end_ms: int | None = None
        self._seek_ms = 0
        self._armed: tuple[str, float] | None = None
        self._track: CaptionTrack | None = None
        self._live_caption_until = 0.0
        self._cue_until = 0.0
        self._lead_card_until = 0.0
        self._handover_until = 0.0
        self._head_peak = 0
        self.last_command: cmd.Command | None = None
        self.lesson_ready_at: float | None = None
        self.on_air_at: float | None = None
        self._set(
            "stage",
            mode="welcome",
            onAir="lesson",
            lessonTitle=text_in(pack.manifest.title, lang),
            segmentTitle="",
            paused=False,
            lessonReady=False,
            handover=False,
            framePainter=frame_painter,
            indicator="",
        )
        self._clear_card()
        self._set("clock", secondsLeft=-1, totalSeconds=0)
        self._set("caption", caption="", captionsOn=True)
        self._set("cue", cueVisible=False)
        self._set(
            "lead",
            leadCardVisible=False,
            leadCardKind="",
            leadCardPrompt="",
            leadCardChoices=[],
            leadCardSecondsLeft=0,
        )

        self.player = player
        self.player.mediaStatusChanged.connect(self._on_media_status)
        self.player.positionChanged.connect(self._on_position)
        self.player.errorOccurred.connect(self._on_media_error)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(100)

    # ---- wiring from QML and the classroom ----------------------------------------------------------------------
    @Slot(QObject)
    def attachLessonOutput(self, output: QObject) -> None:
        self.player.setVideoOutput(output)

    def sink(self) -> QVideoSink | None:
        return self.player.videoSink()

    def set_on_air(self, source: str) -> None:
        """ "lesson", "live" or "starting" (the welcome card while the live stream connects). From live to a
        lesson video, the live stream's last picture stays up (`handover`) until the video shows a frame."""
        if source != self._v["onAir"]:
            now = self._clock.monotonic()
            self.on_air_at = now
            waiting = source == "lesson" and self._video_node is not None and not self._v["lessonReady"]
            self.lesson_ready_at = None if waiting else now
            if waiting and self._v["onAir"] == "live":
                self._handover_until = now + HANDOVER_S
                self._set("stage", handover=True)
        self._set("stage", onAir=source)
        if source == "live":
            self.player.pause()
        self.flush()

    def set_indicator(self, kind: str) -> None:
        """ "analytics" (camera/microphone analytics run), "simulated" (a simulated class) or "" (none)."""
        self._set("stage", indicator=kind)
        self.flush()

    def set_captions(self, on: bool) -> None:
        self._set("caption", captionsOn=on)
        self.flush()

    def arm_offset(self, node_id: str, offset_s: float) -> None:
        """The next `PlayVideo` of `node_id` starts `offset_s` into the segment (the AI lesson taking over)."""
        self._armed = (node_id, offset_s)

    # ---- Display protocol ----------------------------------------------------------------------------------------
    def present(self, command: cmd.Command, now: float) -> None:
        """Show `command` (`SHOWS` names the handler of each kind); the input stages' commands show nothing, and
        a command the display has no handler for is an error (a test checks that every command has one)."""
        self.last_command = command
        if type(command) in FOR_THE_INPUTS:
            return
        show = SHOWS.get(type(command))
        if show is None:
            raise TypeError(f"the classroom display has no handler for {type(command).__name__}")
        show(self, command, now)
        self.refresh()

    def _clear_card(self) -> None:
        self._set(
            "card",
            prompt="",
            qtype="",
            choices=[],
            responses=0,
            handCount=0,
            revealed=False,
            correctKeys=[],
            correctCount=0,
            slideImage="",
            summaryText="",
            summaryRows=[],
            answered=0,
            headPeak=0,
        )

    def _card(self, mode: str, now: float, deadline: float | None) -> None:
        self.player.pause()
        self._video_node = None
        self._track = None
        self._clear_card()
        self._set("stage", mode=mode, segmentTitle="", paused=False)
        self._set_deadline(deadline, now)

    def _set_deadline(self, deadline: float | None, now: float) -> None:
        self._deadline, self._frozen_left = deadline, None
        total = 0 if deadline is None else max(0, math.ceil(deadline - now))
        self._set("clock", totalSeconds=total)

    def _show_PlayVideo(self, c: cmd.PlayVideo, now: float) -> None:
        self._clear_card()
        self._set_deadline(None, now)
        offset = 0.0
        if self._armed is not None and self._armed[0] == c.node_id:
            offset = self._armed[1]
        self._armed = None
        self._video_node = c.node_id
        self._video_end_ms = None if c.end_s is None else int(c.end_s * 1000)
        self._seek_ms = int((c.start_s + offset) * 1000)
        path = self._pack.media_path(c.file)
        self._track = load_captions(path, self._lang)
        self._set("stage", mode="video", segmentTitle=c.title, paused=False, lessonReady=False)
        self.lesson_ready_at = None
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        if self._seek_ms > 0:
            self.player.setPosition(self._seek_ms)
        self.player.play()

    def _show_ShowSlide(self, c: cmd.ShowSlide, now: float) -> None:
        self._card("slide", now, c.deadline)
        image = QUrl.fromLocalFile(str(self._pack.media_path(c.image))).toString() if c.image else ""
        self._set("card", prompt=c.text, slideImage=image)

    def _show_ShowQuestion(self, c: cmd.ShowQuestion, now: float) -> None:
        self._card("question", now, c.deadline)
        choices = [{"key": k, "text": t} for k, t in c.choices]
        self._set("card", prompt=c.prompt, qtype=c.qtype, choices=choices)

    def _show_RevealAnswer(self, c: cmd.RevealAnswer, now: float) -> None:
        self._set(
            "card", revealed=True, correctKeys=list(c.correct), correctCount=c.correct_count, responses=c.responses
        )
        self._set_deadline(None, now)

    def _show_ShowHandPoll(self, c: cmd.ShowHandPoll, now: float) -> None:
        self._card("poll", now, c.deadline)
        self._set("card", prompt=c.prompt)

    def _show_UpdateCount(self, c: cmd.UpdateCount, now: float) -> None:
        if self._v["mode"] == "poll":
            self._set("card", handCount=c.responses)
        else:
            self._set("card", responses=c.responses)

    def _show_ShowTimer(self, c: cmd.ShowTimer, now: float) -> None:
        self._card("timer", now, c.deadline)
        self._set("card", prompt=c.label)

    def _show_ExtendDeadline(self, c: cmd.ExtendDeadline, now: float) -> None:
        self._deadline, self._frozen_left = c.deadline, None
        self._set("clock", totalSeconds=max(self._v["totalSeconds"], math.ceil(c.deadline - now)))

    def _show_PauseMedia(self, c: cmd.PauseMedia, now: float) -> None:
        self.player.pause()
        if self._deadline is not None:
            self._frozen_left = max(0.0, self._deadline - now)
        self._set("stage", paused=True)

    def _show_ResumeMedia(self, c: cmd.ResumeMedia, now: float) -> None:
        if self._video_node is not None and self._v["onAir"] != "live":
            self.player.play()
        self._frozen_left = None
        self._set("stage", paused=False)

    def _show_ShowSummary(self, c: cmd.ShowSummary, now: float) -> None:
        self._card("summary", now, None)
        rows = [
            {"title": q.title, "responses": q.responses, "correct": q.correct_count, "rate": q.correct_rate or 0.0}
            for q in c.questions
        ]
        answered = max((q.responses for q in c.questions), default=0)
        self._set("card", summaryText=c.text, summaryRows=rows, answered=answered, headPeak=self._head_peak)
        self._set("cue", cueVisible=False)

    # ---- events from the room (through the classroom's GUI-thread dispatcher) ---------------------------------
    def on_event(self, event: ev.Event) -> None:
        now = self._clock.monotonic()
        if isinstance(event, ev.CaptionUpdated):
            self._set("caption", caption=mask_unsafe_words(event.text))
            self._live_caption_until = now + LIVE_CAPTION_S
        elif isinstance(event, ev.TeacherCalledOnHand):
            self._cue_until = now + CUE_S
            self._set("cue", cueVisible=self._v["mode"] != "summary")
        elif isinstance(event, ev.HeadCountReported):
            self._head_peak = max(self._head_peak, event.count)
        elif isinstance(event, ev.LeadQuestionShown | ev.LeadHandPollRequested) and self._v["mode"] != "summary":
            self._lead_card_until = now + event.duration_s
            choices = event.choices if isinstance(event, ev.LeadQuestionShown) else ()
            self._set(
                "lead",
                leadCardVisible=True,
                leadCardKind="question" if isinstance(event, ev.LeadQuestionShown) else "hand_poll",
                leadCardPrompt=mask_unsafe_words(event.prompt),
                leadCardChoices=[mask_unsafe_words(c) for c in choices],
                leadCardSecondsLeft=math.ceil(event.duration_s),
            )

    # ---- time, media ----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        now = self._clock.monotonic()
        left: float | None = self._frozen_left
        if left is None and self._deadline is not None:
            left = max(0.0, self._deadline - now)
        self._set("clock", secondsLeft=-1 if left is None else math.ceil(left - 1e-6))
        if now >= self._cue_until:
            self._set("cue", cueVisible=False)
        if self._v["leadCardVisible"]:
            left = self._lead_card_until - now
            self._set("lead", leadCardVisible=left > 0, leadCardSecondsLeft=max(0, math.ceil(left - 1e-6)))
        if now >= self._handover_until:
            self._set("stage", handover=False)
        if now >= self._live_caption_until:
            text = ""
            if self._track is not None and self._v["mode"] == "video" and self._v["onAir"] == "lesson":
                text = self._track.at(self.player.position() / 1000)
            self._set("caption", caption=text)
        self.flush()

    def _ready(self) -> None:
        if not self._v["lessonReady"]:
            if self.lesson_ready_at is None:
                self.lesson_ready_at = self._clock.monotonic()
            self._set("stage", lessonReady=True, handover=False)
            self.flush()

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._seek_ms > 0:
            self.player.setPosition(self._seek_ms)
        elif status == QMediaPlayer.MediaStatus.BufferedMedia and self._video_node is not None:
            self._ready()
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and self._video_node is not None:
            node, self._video_node = self._video_node, None
            self._submit(ev.MediaEnded(node))

    def _on_position(self, position_ms: int) -> None:
        if self._video_node is None:
            return
        if position_ms > self._seek_ms + 50:
            self._ready()
        if self._video_end_ms is not None and position_ms >= self._video_end_ms:
            node, self._video_node = self._video_node, None
            self.player.pause()
            self._submit(ev.MediaEnded(node))

    def _on_media_error(self, error: QMediaPlayer.Error, message: str) -> None:
        log.warning("lesson media error %s: %s", error, message)
        if self._video_node is not None:
            node, self._video_node = self._video_node, None
            self._submit(ev.MediaFailed(node, message or str(error)))

    def stop(self) -> None:
        self._timer.stop()
        self.player.setSource(QUrl())


_C = TypeVar("_C", bound=cmd.Command)
_Show = Callable[[DisplayModel, Any, float], None]


def _shows(kind: type[_C], show: Callable[[DisplayModel, _C, float], None]) -> tuple[type[cmd.Command], _Show]:
    """A command class and its handler (typed together: the handler must take that class)."""
    return kind, show


# What the classroom display does with each command of the lesson engine.
SHOWS: dict[type[cmd.Command], _Show] = dict(
    [
        _shows(cmd.PlayVideo, DisplayModel._show_PlayVideo),
        _shows(cmd.ShowSlide, DisplayModel._show_ShowSlide),
        _shows(cmd.ShowQuestion, DisplayModel._show_ShowQuestion),
        _shows(cmd.RevealAnswer, DisplayModel._show_RevealAnswer),
        _shows(cmd.ShowHandPoll, DisplayModel._show_ShowHandPoll),
        _shows(cmd.UpdateCount, DisplayModel._show_UpdateCount),
        _shows(cmd.ShowTimer, DisplayModel._show_ShowTimer),
        _shows(cmd.ExtendDeadline, DisplayModel._show_ExtendDeadline),
        _shows(cmd.PauseMedia, DisplayModel._show_PauseMedia),
        _shows(cmd.ResumeMedia, DisplayModel._show_ResumeMedia),
        _shows(cmd.ShowSummary, DisplayModel._show_ShowSummary),
    ]
)
# Commands for perception and speech (count hands, listen for answers): nothing to show.
FOR_THE_INPUTS: frozenset[type[cmd.Command]] = frozenset(
    {cmd.OpenPoll, cmd.ClosePoll, cmd.ListenForAnswer, cmd.StopListening}
)

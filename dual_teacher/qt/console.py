"""The teacher console's view-model (ui/Console.qml).

It reads the session's state (pulled on the GUI loop) and the room's events (handed over by the
classroom's GUI-thread dispatcher): head count, the ordered queue of raised hands with seat positions, the
tallies, attention over time, captions, the lesson timeline, alerts and stage health. Its slots are the
console's controls; they go through `Controls` (the classroom), which turns them into events.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices

from dual_teacher.core import events as ev
from dual_teacher.lesson.schema import BranchNode, HandPollNode, QuestionNode, text_in
from dual_teacher.qt.viewmodel import ViewModel, prop
from dual_teacher.runtime import console_state as cs
from dual_teacher.runtime.console_state import clock_text
from dual_teacher.runtime.health import StageHealth
from dual_teacher.runtime.live_policy import LessonTimeline
from dual_teacher.runtime.session import ClassSession


class Controls(Protocol):
    """What the console asks of the classroom."""

    session: ClassSession
    timeline: LessonTimeline

    def start(self) -> None: ...
    def lesson_event(self, event: ev.Event) -> None: ...
    def call_on_hand(self, track_id: int) -> None: ...
    def switch_source(self, source: str) -> None: ...
    def set_analytics(self, on: bool) -> None: ...
    def set_captions(self, on: bool) -> None: ...
    def set_remote_control(self, on: bool) -> None: ...
    def end_class(self) -> None: ...
    def toggle_fullscreen(self) -> None: ...
    def on_air(self) -> str: ...
    def live_status(self) -> dict[str, Any]: ...
    def health_rows(self) -> list[StageHealth]: ...
    def display_closed(self) -> None: ...
    def show_display(self) -> None: ...
    def end_and_quit(self) -> None: ...
    def quit(self) -> None: ...
    def ask_before_closing(self) -> bool: ...
    def next_lesson(self) -> None: ...


class ConsoleModel(ViewModel):
    statusChanged = Signal()
    endChanged = Signal()
    roomChanged = Signal()
    answersChanged = Signal()
    timelineChanged = Signal()
    alertsChanged = Signal()
    healthChanged = Signal()
    captionsChanged = Signal()
    clockChanged = Signal()
    handsChanged = Signal()

    status = prop(str, "status", statusChanged)
    onAir = prop(str, "onAir", statusChanged)
    lessonTitle = prop(str, "lessonTitle", statusChanged)
    elapsed = prop(str, "elapsed", clockChanged)
    nodeTitle = prop(str, "nodeTitle", statusChanged)
    nodeKind = prop(str, "nodeKind", statusChanged)
    phase = prop(str, "phase", statusChanged)
    secondsLeft = prop(int, "secondsLeft", clockChanged)
    liveConfigured = prop(bool, "liveConfigured", statusChanged)
    liveState = prop(str, "liveState", statusChanged)
    liveAvailable = prop(bool, "liveAvailable", statusChanged)
    retryIn = prop(int, "retryIn", clockChanged)
    analyticsOn = prop(bool, "analyticsOn", statusChanged)
    captionsOn = prop(bool, "captionsOn", statusChanged)
    simulated = prop(bool, "simulated", statusChanged)
    analyticsKind = prop(str, "analyticsKind", statusChanged)  # what runs, as on the display's indicator
    leadLinked = prop(bool, "leadLinked", statusChanged)
    remoteControl = prop(bool, "remoteControl", statusChanged)
    headCount = prop(int, "headCount", roomChanged)
    headCountApprox = prop(bool, "headCountApprox", roomChanged)  # a camera's count: an estimate ("about N")
    handsUp = prop(int, "handsUp", roomChanged)  # what the display shows during a hand poll, else the queue
    hands = prop(list, "hands", handsChanged)
    attention = prop(float, "attention", roomChanged)
    attentionFaces = prop(int, "attentionFaces", roomChanged)
    attentionHistory = prop(list, "attentionHistory", roomChanged)
    talk = prop(dict, "talk", roomChanged)
    question = prop(dict, "question", answersChanged)
    results = prop(list, "results", answersChanged)
    timeline = prop(list, "timeline", timelineChanged)
    alerts = prop(list, "alerts", alertsChanged)
    health = prop(list, "health", healthChanged)
    transcript = prop(list, "transcript", captionsChanged)
    partial = prop(str, "partial", captionsChanged)
    reportPath = prop(str, "reportPath", endChanged)  # the post-class report, once written ("" before)
    reportNote = prop(str, "reportNote", endChanged)  # why there is no report, in plain words

    def __init__(self, controls: Controls, lesson_title: str, simulated: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._c = controls
        self._state = cs.ConsoleState(store_folder=str(controls.session.store.path.parent))
        self._last_health = -10.0
        self._set(
            "status",
            status="ready",
            onAir="lesson",
            lessonTitle=lesson_title,
            nodeTitle="",
            nodeKind="",
            phase="",
            liveConfigured=False,
            liveState="",
            liveAvailable=False,
            analyticsOn=True,
            leadLinked=False,
            remoteControl=True,
            captionsOn=True,
            simulated=simulated,
            analyticsKind="",
        )
        self._set("clock", elapsed="0:00", secondsLeft=-1, retryIn=-1)
        self._set("hands", hands=[])
        self._set(
            "room",
            headCount=-1,
            headCountApprox=False,
            handsUp=0,
            attention=-1.0,
            attentionFaces=0,
            attentionHistory=[],
            talk={},
        )
        self._set("answers", question={}, results=[])
        self._set("timeline", timeline=[])
        self._set("alerts", alerts=[])
        self._set("health", health=[])
        self._set("captions", transcript=[], partial="")
        self._set("end", reportPath="", reportNote="")

    # ---- controls -----------------------------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._c.start()

    @Slot()
    def togglePause(self) -> None:
        status = self._c.session.state.status
        if status == "running":
            self._c.lesson_event(ev.TeacherPaused())
        elif status == "paused":
            self._c.lesson_event(ev.TeacherResumed())

    @Slot()
    def next(self) -> None:
        """Next part; before the class, a presenter clicker's "next" starts it."""
        if self._c.session.state.status == "ready":
            self._c.start()
        else:
            self._c.lesson_event(ev.TeacherWentNext())

    @Slot()
    def back(self) -> None:
        self._c.lesson_event(ev.TeacherWentBack())

    @Slot()
    def replay(self) -> None:
        self._c.lesson_event(ev.TeacherReplayed())

    @Slot()
    def skipQuestion(self) -> None:
        self._c.lesson_event(ev.TeacherSkippedQuestion())

    @Slot()
    def extendTimer(self) -> None:
        self._c.lesson_event(ev.TeacherExtendedTimer(15.0))

    @Slot(str)
    def addAnswer(self, key: str) -> None:
        self._c.lesson_event(ev.TeacherEnteredAnswer(key, 1, "add"))

    @Slot(str)
    def removeAnswer(self, key: str) -> None:
        current = self._tally_counts().get(key, 0)
        if current > 0:
            self._c.lesson_event(ev.TeacherEnteredAnswer(key, current - 1, "set"))

    @Slot(str, int)
    def setAnswer(self, key: str, count: int) -> None:
        self._c.lesson_event(ev.TeacherEnteredAnswer(key, max(0, count), "set"))

    @Slot(str)
    def enterAnswer(self, text: str) -> None:
        if text.strip():
            self._c.lesson_event(ev.TeacherEnteredAnswer(text.strip(), 1, "add"))

    @Slot()
    def callFirstHand(self) -> None:
        track_id = cs.first_waiting(self._state)
        if track_id is not None:
            self._c.call_on_hand(track_id)

    @Slot()
    def goLive(self) -> None:
        self._c.switch_source("live")

    @Slot()
    def goLesson(self) -> None:
        self._c.switch_source("lesson")

    @Slot()
    def toggleAnalytics(self) -> None:
        self._c.set_analytics(not self._v["analyticsOn"])

    @Slot()
    def toggleRemoteControl(self) -> None:
        self._c.set_remote_control(not self._v["remoteControl"])

    @Slot()
    def toggleCaptions(self) -> None:
        self._c.set_captions(not self._v["captionsOn"])

    @Slot()
    def endClass(self) -> None:
        self._c.end_class()

    @Slot()
    def toggleFullScreen(self) -> None:
        self._c.toggle_fullscreen()

    # ---- the end of the class ---------------------------------------------------------------------------------------
    def set_report(self, path: str, note: str = "") -> None:
        self._set("end", reportPath=path, reportNote=note)
        self.flush()

    @Slot()
    def openReport(self) -> None:
        if self._v["reportPath"]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._v["reportPath"]))

    @Slot()
    def nextLesson(self) -> None:
        self._c.next_lesson()

    # ---- the windows (their QML close handlers call these) -------------------------------------------------------
    @Slot()
    def displayClosed(self) -> None:
        self._c.display_closed()

    @Slot()
    def showDisplay(self) -> None:
        self._c.show_display()

    @Slot()
    def endClassAndClose(self) -> None:
        self._c.end_and_quit()

    @Slot()
    def closeConsole(self) -> None:
        self._c.quit()

    @Slot(result=bool)
    def askBeforeClosing(self) -> bool:
        return self._c.ask_before_closing()

    @Slot(int)
    def dismissAlert(self, alert_id: int) -> None:
        self._show(cs.dismiss(self._state, alert_id))
        self.flush()

    # ---- events from the room and the lesson (runtime.console_state reduces them) -------------------------------
    def on_event(self, e: ev.Event, now: float) -> None:
        self._show(cs.reduce(self._state, e, now))

    def _show(self, new: cs.ConsoleState) -> None:
        old, self._state = self._state, new
        if new.head_count != old.head_count or new.head_count_approx != old.head_count_approx:
            self._set("room", headCount=new.head_count, headCountApprox=new.head_count_approx)
        if new.attention_history is not old.attention_history:
            history = list(new.attention_history)
            self._set("room", attention=new.attention, attentionFaces=new.attention_faces, attentionHistory=history)
        if new.hands is not old.hands:
            hands = [
                {"order": i + 1, "trackId": h.track_id, "x": h.x, "y": h.y, "called": h.called}
                for i, h in enumerate(new.hands)
            ]
            self._set("hands", hands=hands)
        if new.transcript is not old.transcript or new.partial != old.partial:
            self._set("captions", transcript=list(new.transcript), partial=new.partial)
        if new.results is not old.results:
            results = [
                {
                    "id": x.node_id,
                    "title": self._title(x.node_id),
                    "responses": x.responses,
                    "correct": x.correct,
                    "rate": x.rate,
                }
                for x in new.results
            ]
            self._set("answers", results=results)
        if new.alerts is not old.alerts:
            self._set("alerts", alerts=[self._alert_row(a) for a in new.alerts])
        if new.lead_linked != old.lead_linked or new.remote_control != old.remote_control:
            self._set("status", leadLinked=new.lead_linked, remoteControl=new.remote_control)

    def _alert_row(self, a: cs.Alert) -> dict[str, Any]:
        row = {"id": a.id, "kind": a.kind, "severity": a.severity, "time": a.time, **dict(a.args)}
        if a.node_id is not None:
            row["node"] = self._title(a.node_id) if a.node_id else ""
        return row

    def _title(self, node_id: str) -> str:
        engine = self._c.session.engine
        try:
            return engine.title(engine.node(node_id))
        except KeyError:
            return node_id

    # ---- pulled every GUI tick ------------------------------------------------------------------------------------
    def _tally_counts(self) -> dict[str, int]:
        s = self._c.session.state
        tally = s.results.get(s.node_id or "")
        return dict(tally.counts) if tally is not None else {}

    def refresh(self, now: float) -> None:
        c = self._c
        session = c.session
        s = session.state
        engine = session.engine
        node = engine.node(s.node_id) if s.node_id is not None else None
        left = -1
        if s.status == "paused" and s.remaining is not None:
            left = int(s.remaining + 0.999)
        elif s.deadline is not None and node is not None and node.kind != "video":
            left = max(0, int(s.deadline - now + 0.999))
        live = c.live_status()
        if c.on_air() == "live":  # the live teacher leads: show where the plan says they are
            planned = c.timeline.entry(str(live.get("position") or ""))
            node = engine.node(planned.node_id) if planned is not None else None
            left = -1
        self._set(
            "status",
            status=s.status,
            onAir=c.on_air(),
            nodeTitle=engine.title(node) if node is not None and s.status != "ended" else "",
            nodeKind=node.kind if node is not None else "",
            phase=s.phase,
            liveConfigured=bool(live.get("configured")),
            liveState=str(live.get("state", "")),
            liveAvailable=bool(live.get("available")),
        )
        self._set(
            "clock",
            elapsed=self._state.elapsed(now),
            secondsLeft=left,
            retryIn=int(live.get("retry_in", -1)),
        )
        self._refresh_question(node, s.phase)
        self._refresh_timeline(now)
        self._set("room", talk=cs.talk_last_minute(self._state, now), handsUp=self._hands_up(node))
        if now - self._last_health >= 1.0:
            self._last_health = now
            self._set("health", health=[self._health_row(r) for r in c.health_rows()])
        self.flush()

    def set_analytics_kind(self, kind: str) -> None:
        self._set("status", analyticsKind=kind)
        self.flush()

    def set_switches(self, analytics: bool, captions: bool) -> None:
        self._set("status", analyticsOn=analytics, captionsOn=captions)
        self.flush()

    def _hands_up(self, node: object) -> int:
        """One count for both windows: during a hand poll the poll's count (what the display shows, from the
        lesson's tally), otherwise the hands in the queue."""
        if isinstance(node, HandPollNode) and self._c.on_air() == "lesson":
            tally = self._c.session.state.results.get(node.id)
            return tally.hands if tally is not None else 0
        return len(self._state.hands)

    def _refresh_question(self, node: object, phase: str) -> None:
        if not isinstance(node, QuestionNode):
            self._set("answers", question={})
            return
        engine = self._c.session.engine
        counts = self._tally_counts()
        correct = set(node.correct_keys())
        rows = [
            {
                "key": ch.key,
                "text": text_in(ch.text, engine.lang),
                "count": counts.get(ch.key, 0),
                "correct": ch.key in correct,
            }
            for ch in node.choices
        ]
        if node.qtype == "true_false":
            rows = [
                {"key": k, "text": k, "count": counts.get(k, 0), "correct": k in correct} for k in ("true", "false")
            ]
        others = [
            {"key": k, "text": k, "count": v, "correct": k in correct}
            for k, v in counts.items()
            if k not in {r["key"] for r in rows}
        ]
        total = sum(counts.values())
        right = sum(v for k, v in counts.items() if engine.is_correct(node, k))
        self._set(
            "answers",
            question={
                "id": node.id,
                "title": engine.title(node),
                "prompt": text_in(node.prompt, engine.lang),
                "qtype": node.qtype,
                "open": phase == "asking",
                "rows": rows + others,
                "responses": total,
                "correctCount": right,
                "answer": ", ".join(sorted(correct)),
            },
        )

    def _refresh_timeline(self, now: float) -> None:
        """Every node in file order (branches left out); nodes off the main line (detours) have no planned time.
        While live, the current row is the live lesson's planned position."""
        c = self._c
        s = c.session.state
        engine = c.session.engine
        history = set(s.history)
        current = s.node_id
        if c.on_air() == "live":
            current = str(c.live_status().get("position") or current or "")
        planned = {e.node_id: e for e in c.timeline.entries}
        rows = []
        for node in engine.pack.nodes:
            if isinstance(node, BranchNode):
                continue
            entry = planned.get(node.id)
            state = "current" if node.id == current else "done" if node.id in history else "next"
            rows.append(
                {
                    "id": node.id,
                    "title": engine.title(node) if node.title is not None else "",
                    "kind": node.kind,
                    "start": clock_text(entry.start_s) if entry is not None else "",
                    "state": state,
                    "detour": entry is None,
                }
            )
        self._set("timeline", timeline=rows)

    @staticmethod
    def _health_row(r: StageHealth) -> dict[str, Any]:
        return {
            "stage": r.stage,
            "state": r.state,
            "provider": r.provider,
            "fps": -1.0 if r.fps is None else round(r.fps, 1),
            "dropped": r.dropped,
            "level": -1.0 if r.level is None else r.level,
            "detail": r.detail,
        }

"""`dual-teacher pack preview PACK`: the classroom display of a pack, with a small control strip, for designers.

One window: the real classroom display (ui/Classroom.qml through `Classroom`, a simulated class answering)
above a strip to play from any node, step back and forth, pause, and reload. The pack folder is polled:
when lesson.toml or a media file changes the pack is validated again; a valid pack replaces the one on
screen at the same node, an invalid one leaves it there (paused) and lists each problem as FILE:LINE in
the strip. Nothing goes to the user's event store: the preview's sessions live in a temporary folder.

`--screenshots DIR` shows every node in turn offscreen and saves `NN-<node>.png` of the display
(branches show nothing of their own and are listed as skipped in `nodes.json`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dual_teacher.core import events as ev
from dual_teacher.core.errors import DualTeacherError
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import MANIFEST, LoadedPack, validate_pack
from dual_teacher.lesson.schema import BranchNode, EndNode, Node, text_in
from dual_teacher.qt.classroom import Classroom
from dual_teacher.qt.frames import LatestFrame
from dual_teacher.qt.qt_app import ensure_app
from dual_teacher.runtime.simulated import SimulatedClass

DISPLAY_SIZE = (1280, 720)
POLL_MS = 500
MAX_WATCHED = 2000
_MODES = {"video": "video", "slide": "slide", "question": "question", "hand_poll": "poll", "timer": "timer"}


def folder_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every file in the pack folder (at most MAX_WATCHED), or of the pack's .zip:
    what a reload watches."""
    out: list[tuple[str, int, int]] = []
    if folder.is_file():
        st = folder.stat()
        return ((folder.name, st.st_mtime_ns, st.st_size),)
    for path in sorted(folder.rglob("*"))[:MAX_WATCHED]:
        try:
            st = path.stat()
        except OSError:
            continue
        if path.is_file():
            out.append((str(path.relative_to(folder)), st.st_mtime_ns, st.st_size))
    return tuple(out)


def node_label(node: Node, lang: str) -> str:
    title = text_in(node.title, lang)
    return f"{node.id} ({node.kind})" + (f": {title}" if title else "")


class _Strip(QWidget):
    """The control strip: node list, transport buttons, status, and the pack's problems when it has some."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes = QComboBox()
        self.nodes.setMinimumWidth(320)
        self.play = QPushButton("Play from here")
        self.back = QPushButton("◀ Back")
        self.next = QPushButton("Next ▶")
        self.pause = QPushButton("Pause")
        self.reload = QPushButton("Reload")
        self.status = QLabel("")
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(160)
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.problems.setFont(font)
        self.problems.setStyleSheet("QPlainTextEdit { color: #b00020; }")
        self.problems.hide()
        row = QHBoxLayout()
        for w in (self.nodes, self.play, self.back, self.next, self.pause, self.reload):
            row.addWidget(w)
        row.addWidget(self.status, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.addLayout(row)
        box.addWidget(self.problems)

    def show_problems(self, problems: list[str]) -> None:
        self.problems.setPlainText("\n".join(problems))
        self.problems.setVisible(bool(problems))


class PackPreview(QObject):
    """Runs a pack on the classroom display; reloads it when its files change."""

    def __init__(self, pack_path: Path, lang: str = "en", start_node: str | None = None, embed: bool = True) -> None:
        self.app = ensure_app()
        super().__init__()
        self.path = pack_path
        self.lang = lang
        self.start_node = start_node
        self.embed = embed
        self._tmp = tempfile.TemporaryDirectory(prefix="dual-teacher-preview-")
        self.store = EventStore(Path(self._tmp.name) / "preview.sqlite")
        self.room: Classroom | None = None
        self.pack: LoadedPack | None = None
        self.problems: list[str] = []
        self.reloads = 0
        self._signature = folder_signature(pack_path) if pack_path.exists() else ()
        self.window = QWidget()
        self.window.setWindowTitle(f"dual-teacher preview: {pack_path}")
        self._layout = QVBoxLayout(self.window)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._container: QWidget | None = None
        self.strip = _Strip()
        self._layout.addWidget(self.strip)
        self.strip.play.clicked.connect(lambda: self.jump(self.strip.nodes.currentData()))
        self.strip.back.clicked.connect(lambda: self._control(ev.TeacherWentBack()))
        self.strip.next.clicked.connect(lambda: self._control(ev.TeacherWentNext()))
        self.strip.pause.clicked.connect(self.toggle_pause)
        self.strip.reload.clicked.connect(lambda: self.reload())
        self._poll = QTimer(self)
        self._poll.timeout.connect(self.check_files)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._update_status)

    # ---- loading --------------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.reload()
        self._poll.start(POLL_MS)
        self._status_timer.start(250)

    def check_files(self) -> bool:
        """Reload when a file of the pack changed since the last look; True if it did."""
        signature = folder_signature(self.path) if self.path.exists() else ()
        if signature == self._signature:
            return False
        self._signature = signature
        self.reload()
        return True

    def reload(self, at: str | None = None) -> None:
        """Validate the pack again; when valid, show it from `at` (default: the node on screen now)."""
        self.reloads += 1
        pack, problems = validate_pack(self.path)
        if pack is None:
            self.problems = [str(p) for p in problems]
            self.strip.show_problems(self.problems)
            self.strip.status.setText(f"{len(problems)} problem(s) in {self.path.name}: fix and save, it reloads")
            if self.room is not None and self.room.session.state.status == "running":
                self.room.session.submit(ev.TeacherPaused())
            return
        self.problems = []
        self.strip.show_problems([])
        at = at or self.current_node() or self.start_node
        self._close_room()
        self.pack = pack
        room = Classroom(pack, self.store, [SimulatedClass(seed=self.reloads)], lang=self.lang)
        room.display_window.resize(*DISPLAY_SIZE)
        self.room = room
        self._place_display(room)
        self.strip.nodes.clear()
        for node in pack.manifest.nodes:
            self.strip.nodes.addItem(node_label(node, self.lang), node.id)
        room.run(auto_start=True)
        if at is not None and at != pack.manifest.start_id:
            self.jump(at)

    def _place_display(self, room: Classroom) -> None:
        if not self.embed:
            room.display_window.show()
            return
        container = QWidget.createWindowContainer(room.display_window, self.window)
        container.setMinimumSize(640, 360)
        if self._container is not None:
            self._layout.replaceWidget(self._container, container)
            self._container.deleteLater()
        else:
            self._layout.insertWidget(0, container, 1)
        self._container = container

    def _close_room(self) -> None:
        if self.room is not None:
            self.room.close()
            self.room = None
        if self.pack is not None:
            self.pack.close()
            self.pack = None

    def close(self) -> None:
        self._poll.stop()
        self._status_timer.stop()
        self._close_room()
        self.window.close()
        self.store.close()
        self._tmp.cleanup()

    # ---- controls ----------------------------------------------------------------------------------------------------
    def current_node(self) -> str | None:
        return self.room.session.state.node_id if self.room is not None else None

    def jump(self, node_id: object) -> None:
        if self.room is None or not isinstance(node_id, str):
            return
        if self.room.session.ended:  # an end node closed the class: start a fresh one there
            self.reload(node_id)
            return
        self.room.session.submit(ev.TeacherJumped(node_id))
        self.room.session.tick()

    def _control(self, event: ev.Event) -> None:
        if self.room is not None and not self.room.session.ended:
            self.room.session.submit(event)

    def toggle_pause(self) -> None:
        if self.room is None:
            return
        paused = self.room.session.state.status == "paused"
        self._control(ev.TeacherResumed() if paused else ev.TeacherPaused())

    def _update_status(self) -> None:
        if self.room is None or self.problems:
            return
        state = self.room.session.state
        self.strip.pause.setText("Resume" if state.status == "paused" else "Pause")
        n = len(self.room.pack.manifest.nodes)
        self.strip.status.setText(f"{self.path.name}: {n} nodes, at {state.node_id or '-'} ({state.status})")


# ---- every node, offscreen ------------------------------------------------------------------------------------------
@dataclasses.dataclass
class NodeShot:
    node_id: str
    kind: str
    file: str | None  # None: nothing of its own to show (a branch)
    waited_s: float = 0.0
    timed_out: bool = False


def _wait(app: QGuiApplication, ready: Callable[[], bool], timeout_s: float, settle_s: float) -> tuple[float, bool]:
    t0 = time.monotonic()
    while not ready():
        if time.monotonic() - t0 > timeout_s:
            break
        app.processEvents()
        time.sleep(0.01)
    timed_out = not ready()
    t1 = time.monotonic()
    while time.monotonic() - t1 < settle_s:
        app.processEvents()
        time.sleep(0.01)
    return time.monotonic() - t0, timed_out


def screenshot_nodes(pack_path: Path, out_dir: Path, lang: str = "en") -> list[NodeShot]:
    """Show each node of the pack on the display offscreen and save a PNG of it; raises DualTeacherError
    (listing every problem) for a pack that does not validate."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    pack, problems = validate_pack(pack_path)
    if pack is None:
        raise DualTeacherError(
            f"{pack_path}/{MANIFEST}: {len(problems)} problem(s), no screenshots taken:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint=f"fix each line (or run `dual-teacher pack preview {pack_path}` to see them change as you edit)",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.TemporaryDirectory(prefix="dual-teacher-preview-")
    store = EventStore(Path(tmp.name) / "preview.sqlite")
    room = Classroom(pack, store, [SimulatedClass()], lang=lang)
    shots: list[NodeShot] = []
    try:
        room.display_window.resize(*DISPLAY_SIZE)
        room.display_window.show()
        room.run(auto_start=True)
        app = room.app
        frame = room.display_window.findChild(LatestFrame, "lessonFrame")
        d = room.display
        nodes = pack.manifest.nodes
        ordered = [n for n in nodes if not isinstance(n, EndNode)] + [n for n in nodes if isinstance(n, EndNode)][:1]
        width = len(str(len(ordered)))
        for i, node in enumerate(ordered, start=1):
            if isinstance(node, BranchNode):
                shots.append(NodeShot(node.id, node.kind, None))
                continue
            want = _MODES.get(node.kind, "summary")
            room.session.submit(ev.TeacherJumped(node.id))
            room.session.tick()

            def ready(want: str = want, node_id: str = node.id) -> bool:
                if d.mode != want or (want != "summary" and room.session.state.node_id != node_id):
                    return False
                return want != "video" or frame is None or bool(frame.property("hasFrame"))

            settle = 1.0 if node.kind in ("video", "question") else 0.5
            waited, timed_out = _wait(app, ready, 8.0, settle)
            path = out_dir / f"{i:0{width}d}-{node.id}.png"
            room.grab(room.display_window).save(str(path))
            shots.append(NodeShot(node.id, node.kind, str(path), round(waited, 2), timed_out))
    finally:
        room.close()
        pack.close()
        store.close()
        tmp.cleanup()
    index = [dataclasses.asdict(s) for s in shots]
    (out_dir / "nodes.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return shots


def run_preview(pack_path: Path, lang: str = "en", start_node: str | None = None) -> int:
    """Open the preview window until it is closed."""
    preview = PackPreview(pack_path, lang, start_node)
    preview.window.resize(DISPLAY_SIZE[0], DISPLAY_SIZE[1] + 80)
    preview.start()
    preview.window.show()
    code = preview.app.exec()
    preview.close()
    return int(code)

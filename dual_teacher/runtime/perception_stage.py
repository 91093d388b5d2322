"""PerceptionStage: the classroom camera as an input of the class session, on its own thread.

```
camera-<name> thread --LatestSlot (depth 1, newest wins, drops counted)--> perception thread
    RoomPerception.process (detect / track / landmarks / faces) -> RoomSignals.on_frame
    --events: DropOldestQueue(1000)--> poll() on the session's thread
```
- `handle()` sees the engine's commands and facts: `OpenPoll` starts reporting `HandCountReported` (at once
  and on every change) until `ClosePoll`; `ClassStarted` starts a new lesson (track ids from 1 again).
- The camera is retried by its capture thread; the stage turns its losses and returns into `StageAlert`s
  (stage "camera"), so the console shows them while the lesson goes on.
- A frame that fails to process is counted and reported (`StageAlert`, rate-limited); the stage keeps going.
- `health()` for the console: the execution provider really used, analysed frames/s, frames dropped
  (camera slot + event queue), people in view, camera state.
- `latest_preview()` is the console's camera set-up view (`FrameSource`): the newest analysed frame and the
  poses found in it. It lives in memory only; no frame is written anywhere.

It lives in `runtime` (not `perception`) because it owns a thread and reads lesson commands.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.queues import DropOldestQueue
from dual_teacher.lesson import commands as cmd
from dual_teacher.media.camera import CameraSource, CameraState, Frame
from dual_teacher.perception.pipeline import RoomPerception
from dual_teacher.perception.results import FrameResult, preview_poses
from dual_teacher.perception.signals import RoomSignals, SignalsConfig
from dual_teacher.runtime.health import HealthState, StageHealth

log = logging.getLogger(__name__)

Pose = Sequence[tuple[float, float, float]]


@dataclasses.dataclass(frozen=True)
class FrameRecord:
    """Timing of one analysed frame (monotonic seconds), for health and benchmarks."""

    index: int
    captured: float
    started: float
    done: float
    people: int
    raised: int
    events: tuple[ev.Event, ...]


class PerceptionStage:
    """InputStage for the classroom camera (see the module docstring). `start()` starts camera and thread."""

    name = "perception"

    def __init__(
        self,
        camera: CameraSource,
        room: RoomPerception,
        signals: SignalsConfig | None = None,
        clock: Clock | None = None,
        event_queue: int = 1000,
        keep_records: int = 0,
    ) -> None:
        self.camera = camera
        self.room = room
        self.clock = clock or RealClock()
        self.signals = RoomSignals(signals)
        self._outbox: DropOldestQueue[ev.Event] = DropOldestQueue(event_queue)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._enabled = True
        self._reset_pending = False
        self._preview: tuple[npt.NDArray[np.uint8], list[list[tuple[float, float, float]]]] | None = None
        self._done_times: collections.deque[float] = collections.deque(maxlen=30)
        self._camera_state: CameraState = "idle"
        self._people = 0
        self.frames = 0
        self.errors = 0
        self.records: collections.deque[FrameRecord] = collections.deque(maxlen=max(1, keep_records))
        self._keep = keep_records > 0

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.camera.start()
        self._thread = threading.Thread(target=self._main, name="perception", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the thread, then the camera (reverse start order); False if one did not stop in time."""
        self._stop.set()
        ok = True
        if self._thread is not None:
            self._thread.join(timeout)
            ok = not self._thread.is_alive()
        self.camera.stop()
        return self.camera.join(timeout) and ok

    # ---- InputStage --------------------------------------------------------------------------------------
    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        if isinstance(item, cmd.OpenPoll):
            with self._lock:
                for e in self.signals.open_poll(item.node_id, tuple(item.choices)):
                    self._outbox.put_nowait(e)
        elif isinstance(item, cmd.ClosePoll):
            with self._lock:
                self.signals.close_poll(item.node_id)
        elif isinstance(item, ev.ClassStarted):
            with self._lock:
                self._reset_pending = True

    def poll(self, now: float) -> list[ev.Event]:
        return self._outbox.drain()

    def set_analytics_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._enabled = enabled
            if not enabled:
                self._preview = None

    # ---- console ---------------------------------------------------------------------------------------------
    def health(self) -> StageHealth:
        status = self.camera.status()
        with self._lock:
            times = list(self._done_times)
            enabled = self._enabled
            people = self._people
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
        providers = self.room.models.providers_in_use()
        fell_back = self.room.models.fell_back()
        state: HealthState
        if not enabled:
            state = "off"
        elif status.state in ("retrying", "ended") or self.errors or fell_back:
            state = "degraded"
        else:
            state = "ok"
        detail = f"camera {status.state}; {people} in view; hands up {self.signals.hands_up}"
        if status.last_error and status.state != "streaming":
            detail += f"; {status.last_error}"
        if fell_back:
            detail += "; execution provider fell back"
        if self.errors:
            detail += f"; {self.errors} frame error(s)"
        return StageHealth(
            self.name,
            state,
            provider=",".join(providers),
            fps=fps,
            dropped=status.dropped + self._outbox.dropped,
            detail=detail,
        )

    def latest_preview(self) -> tuple[npt.NDArray[np.uint8], Sequence[Pose]] | None:
        with self._lock:
            return self._preview

    def raise_order(self) -> list[int]:
        """Track ids with a hand up, first raised first (the console's queue)."""
        with self._lock:
            return self.signals.queue.order()

    def info(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self.health()), "frames": self.frames, "errors": self.errors}

    # ---- the thread --------------------------------------------------------------------------------------------
    def _main(self) -> None:
        while not self._stop.is_set():
            frame = self.camera.slot.take(timeout=0.2)
            self._watch_camera()
            if frame is None:
                continue
            with self._lock:
                enabled = self._enabled
                reset = self._reset_pending
                self._reset_pending = False
            if reset:
                self.room.reset()
                with self._lock:
                    self.signals.reset()
            if not enabled:
                continue
            self._analyse(frame)

    def _analyse(self, frame: Frame) -> None:
        started = self.clock.monotonic()
        try:
            result = self.room.process(frame.image, started)
        except Exception as exc:  # one bad frame must not end the stage
            log.exception("perception failed on frame %d", frame.index)
            self.errors += 1
            if self.errors <= 5 or self.errors % 100 == 0:
                self._outbox.put_nowait(ev.StageAlert("perception", f"{type(exc).__name__}: {exc}", "error"))
            return
        done = self.clock.monotonic()
        with self._lock:
            events = self.signals.on_frame(result, done)
            for e in events:
                self._outbox.put_nowait(e)
            self._preview = (frame.image, preview_poses(result))
            self._done_times.append(done)
            self._people = result.head_count
        self.frames += 1
        if self._keep:
            self.records.append(self._record(frame, result, started, done, events))

    @staticmethod
    def _record(frame: Frame, result: FrameResult, started: float, done: float, events: list[ev.Event]) -> FrameRecord:
        return FrameRecord(
            frame.index, frame.captured, started, done, result.head_count, result.raised_count, tuple(events)
        )

    def _watch_camera(self) -> None:
        state = self.camera.status().state
        if state == self._camera_state:
            return
        previous, self._camera_state = self._camera_state, state
        status = self.camera.status()
        if state == "retrying":
            self._outbox.put_nowait(
                ev.StageAlert("camera", f"camera {status.source} lost ({status.last_error}); retrying", "warning")
            )
        elif state == "streaming" and previous == "retrying":
            self._outbox.put_nowait(ev.StageAlert("camera", f"camera {status.source} is back", "info"))
        elif state == "ended" and previous != "ended" and status.last_error:
            self._outbox.put_nowait(
                ev.StageAlert("camera", f"camera {status.source} gave up: {status.last_error}", "error")
            )

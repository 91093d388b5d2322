"""SpeechStage: the session's speech input (captions, spoken answers, speech activity) on its own threads.

```
room mic / teacher stream --AudioSource queue (drop oldest, counted)--> speech-vad-<source> thread
    --final jobs: DropOldestQueue(16) / partial jobs: LatestSlot (newest wins)--> speech-asr thread
    --events: DropOldestQueue(1000)--> poll() on the session's thread
```
- `handle()` sees the engine's commands: `ListenForAnswer` opens listening on the room microphone until
  `StopListening` (or the question closes). Outside that the room audio is only measured for activity.
- Finals go before partials, so an answer never waits behind caption work; a partial for an utterance
  that has already ended is skipped.
- Every queue is bounded and its drops are in `health()`. A failing transcription is counted and
  reported as a `StageAlert`; the stage keeps going.

It lives in `runtime` (not `speech`) because it reads lesson commands and owns threads (see
ARCHITECTURE.md: threads only in runtime/ and media/; speech and lesson are independent layers).
Privacy: no audio and no room transcript leaves the stage; AnswerHeard carries the matched answer only.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dual_teacher.core import events as ev
from dual_teacher.core.clock import Clock, RealClock
from dual_teacher.core.queues import DropOldestQueue, LatestSlot
from dual_teacher.lesson import commands as cmd
from dual_teacher.media.audio import AudioSource
from dual_teacher.runtime.health import StageHealth
from dual_teacher.speech.answer_space import TextScorer
from dual_teacher.speech.answers import AnswerRequest
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber, Transcriber
from dual_teacher.speech.channel import AsrJob, ChannelConfig, SourceName
from dual_teacher.speech.echo import TeacherEcho
from dual_teacher.speech.front_end import ChannelFrontEnd
from dual_teacher.speech.pipeline import ChannelBackEnd
from dual_teacher.speech.routing import Channel, ChannelPlan
from dual_teacher.speech.vad import SileroVad

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SpeechConfig:
    teacher: ChannelConfig = dataclasses.field(default_factory=ChannelConfig.teacher)
    room: ChannelConfig = dataclasses.field(default_factory=ChannelConfig.room)
    cpu_threads: int = 2
    final_queue: int = 16
    event_queue: int = 1000

    @classmethod
    def from_plan(cls, plan: Mapping[Channel, ChannelPlan], **kwargs: Any) -> SpeechConfig:
        """Channels speaking the planned languages on the planned models (`speech.routing.plan_channels`)."""
        room, teacher = plan["room"], plan["teacher"]
        return cls(
            teacher=ChannelConfig.teacher(teacher.language, teacher.model),
            room=ChannelConfig.room(room.language, room.model),
            **kwargs,
        )


@dataclasses.dataclass(frozen=True)
class JobRecord:
    """Timing of one transcription (monotonic seconds), for health and benchmarks. No text for the room."""

    source: SourceName
    utterance: int
    final: bool
    audio_s: float
    audio_end: float  # stream seconds
    speech_end: float  # stream seconds
    queued: float
    started: float
    done: float
    events: tuple[ev.Event, ...]
    text: str | None
    decoded: float = 0.0  # when the decode ended (then: answer matching and rescoring until `done`)
    reused: bool = False  # a speculative final had decoded and judged this audio already


@dataclasses.dataclass(frozen=True)
class SpeechHealth:
    audio_dropped: dict[str, int]
    final_jobs_dropped: int
    partials_superseded: int
    partials_skipped_stale: int
    events_dropped: int
    transcriptions: int
    errors: int
    utterances: dict[str, int]
    listening: str | None
    channels: dict[str, str]


class SpeechStage:
    """InputStage for speech (see the module docstring). `start()` loads models and starts the threads."""

    name = "speech"

    def __init__(
        self,
        room: AudioSource | None = None,
        teacher: AudioSource | None = None,
        config: SpeechConfig | None = None,
        transcribers: dict[str, Transcriber] | None = None,
        vad_factory: Callable[[], SileroVad] = SileroVad,
        clock: Clock | None = None,
        keep_records: int = 0,
        record_teacher_text: bool = True,
        warm_up: bool = True,
        captions: Callable[[cmd.PlayVideo], Sequence[tuple[float, str]]] | None = None,
    ) -> None:
        """`captions`: (seconds after the video starts, text) of each caption cue of a lesson video the display
        is about to play (the room microphone hears them: they are never a student's answer)."""
        self.config = config or SpeechConfig()
        self.clock = clock or RealClock()
        self.sources: dict[SourceName, AudioSource] = {}
        if teacher is not None:
            self.sources["teacher"] = teacher
        if room is not None:
            self.sources["room"] = room
        self._channels = {"teacher": self.config.teacher, "room": self.config.room}
        self._transcribers: dict[str, Transcriber] = dict(transcribers or {})
        self._vad_factory = vad_factory
        self._front: dict[SourceName, ChannelFrontEnd] = {}
        self._back: dict[SourceName, ChannelBackEnd] = {}
        self._finals: DropOldestQueue[tuple[AsrJob, float]] = DropOldestQueue(self.config.final_queue)
        self._partial: LatestSlot[tuple[AsrJob, float]] = LatestSlot()
        self._outbox: DropOldestQueue[ev.Event] = DropOldestQueue(self.config.event_queue)
        self._work = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._request: AnswerRequest | None = None
        self._busy = 0
        self.records: collections.deque[JobRecord] = collections.deque(maxlen=max(1, keep_records))
        self._keep_records = keep_records > 0
        self._record_teacher_text = record_teacher_text
        self._warm_up = warm_up
        self.transcriptions = 0
        self.errors = 0
        self.stale_skipped = 0
        self._captions = captions
        self._echo = TeacherEcho()

    # ---- lifecycle -------------------------------------------------------------------------------------
    def transcriber_for(self, source: SourceName) -> Transcriber:
        """The channel's transcriber: one per (model, language), shared by channels that agree.
        `transcribers` given to the constructor may be keyed "model/language" or just by language."""
        channel = self._channels[source]
        language, model = channel.language, channel.model_name
        for key in (f"{model}/{language}", language):
            found = self._transcribers.get(key)
            if found is not None and found.options.language == language:
                return found
        options = AsrConfig.for_language(language, model=model, cpu_threads=self.config.cpu_threads)
        transcriber = FasterWhisperTranscriber(options)
        self._transcribers[f"{model}/{language}"] = transcriber
        return transcriber

    def channel_models(self) -> dict[str, str]:
        """Which model serves which channel, e.g. {"room": "base/zh"} (the channels with a source)."""
        return {s: f"{self._channels[s].model_name}/{self._channels[s].language}" for s in self.sources}

    def start(self) -> None:
        """Load the VAD and the Whisper models (warmed up), then start sources and threads."""
        for source in self.sources:
            transcriber = self.transcriber_for(source)
            warm = getattr(transcriber, "warmup", None)
            if self._warm_up and callable(warm):
                warm()
            self._front[source] = ChannelFrontEnd(self._channels[source], self._vad_factory())
            self._back[source] = ChannelBackEnd(self._channels[source])
        asr = threading.Thread(target=self._asr_main, name="speech-asr", daemon=True)
        asr.start()
        self._threads.append(asr)
        for source, audio in self.sources.items():
            t = threading.Thread(
                target=self._front_main, args=(source, audio), name=f"speech-vad-{source}", daemon=True
            )
            t.start()
            self._threads.append(t)
            audio.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop sources and threads, joined in reverse start order; False if one did not stop in time."""
        for audio in self.sources.values():
            audio.stop()
        self._stop.set()
        self._work.set()
        ok = True
        for audio in reversed(list(self.sources.values())):
            ok = audio.join(timeout) and ok
        for t in reversed(self._threads):
            t.join(timeout)
            ok = ok and not t.is_alive()
        return ok

    def idle(self) -> bool:
        """True when every source has finished and all its audio has been transcribed (replays, tests)."""
        with self._lock:
            busy = self._busy
        return (
            all(s.finished and not len(s.queue) for s in self.sources.values())
            and not any(t.is_alive() for t in self._threads if t.name.startswith("speech-vad"))
            and not len(self._finals)
            and busy == 0
        )

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return self.idle()

    # ---- InputStage ----------------------------------------------------------------------------------------
    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        if isinstance(item, cmd.ListenForAnswer):
            language = self._channels["room"].language
            with self._lock:
                self._request = AnswerRequest(
                    item.node_id, item.qtype, tuple(item.choices), tuple(item.space), language
                )
        elif isinstance(item, cmd.PlayVideo) and self._captions is not None:
            try:
                lines = self._captions(item)
            except Exception:  # captions are a help for the echo gate, never a reason to fail
                log.exception("captions for %s", item.file)
                lines = []
            now_m = self.clock.monotonic()
            with self._lock:
                for at, line in lines:
                    self._echo.add(line, now_m + at)
        elif isinstance(item, cmd.StopListening | ev.QuestionClosed):
            with self._lock:
                if self._request is not None and self._request.node_id == item.node_id:
                    self._request = None
        elif isinstance(item, ev.ClassEnded):
            with self._lock:
                self._request = None

    def poll(self, now: float) -> list[ev.Event]:
        return self._outbox.drain()

    @property
    def listening(self) -> AnswerRequest | None:
        with self._lock:
            return self._request

    def health(self) -> StageHealth:
        """The console's system-panel row: which model serves which channel, drops, errors."""
        h = self.speech_health()
        dropped = sum(h.audio_dropped.values()) + h.final_jobs_dropped + h.events_dropped
        channels = ", ".join(f"{s} {m}" for s, m in self.channel_models().items())
        detail = f"{h.transcriptions} transcribed"
        if h.listening:
            detail += f", listening for {h.listening}"
        if h.errors:
            detail += f", {h.errors} error(s)"
        return StageHealth(
            "speech", "degraded" if h.errors else "ok", provider=channels, dropped=dropped, detail=detail
        )

    def speech_health(self) -> SpeechHealth:
        return SpeechHealth(
            audio_dropped={name: s.dropped for name, s in self.sources.items()},
            final_jobs_dropped=self._finals.dropped,
            partials_superseded=self._partial.dropped,
            partials_skipped_stale=self.stale_skipped,
            events_dropped=self._outbox.dropped,
            transcriptions=self.transcriptions,
            errors=self.errors,
            utterances={name: f.utterances for name, f in self._front.items()},
            listening=None if self.listening is None else self.listening.node_id,
            channels=self.channel_models(),
        )

    # ---- threads ---------------------------------------------------------------------------------------------
    def _front_main(self, source: SourceName, audio: AudioSource) -> None:
        front = self._front[source]
        last_end = 0.0
        while not self._stop.is_set():
            chunk = audio.queue.get(timeout=0.1)
            if chunk is None:
                if audio.finished and not len(audio.queue):
                    jobs, events = front.flush(last_end, self.listening)
                    self._dispatch(jobs, events)
                    return
                continue
            try:
                jobs, events = front.feed(chunk, self.listening)
            except Exception as exc:  # keep listening: one bad chunk must not end the stage
                log.exception("speech VAD (%s) failed", source)
                self._fail(f"VAD ({source})", exc)
                continue
            last_end = chunk.end
            self._dispatch(jobs, events)

    def _dispatch(self, jobs: list[AsrJob], events: list[ev.Event]) -> None:
        for e in events:
            self._outbox.put_nowait(e)
        now = self.clock.monotonic()
        for job in jobs:
            if job.final:
                with self._lock:
                    self._finals.put_nowait((job, now))
            else:
                self._partial.put((job, now))
            self._work.set()

    def _next_job(self) -> tuple[AsrJob, float] | None:
        with self._lock:
            item = self._finals.get(timeout=0)
            if item is not None:
                self._busy += 1
                return item
        item = self._partial.take(timeout=0)
        if item is not None:
            with self._lock:
                self._busy += 1
        return item

    def _asr_main(self) -> None:
        while not self._stop.is_set():
            item = self._next_job()
            if item is None:
                self._work.wait(0.1)
                self._work.clear()
                continue
            try:
                self._run_job(*item)
            finally:
                with self._lock:
                    self._busy -= 1

    def _run_job(self, job: AsrJob, queued: float) -> None:
        back = self._back[job.source]
        if back.is_stale(job):
            self.stale_skipped += 1
            return
        if job.speculative and not self._front[job.source].speculation_live(job):
            return  # speech went on after the pause: the final will cover other audio
        started = self.clock.monotonic()
        try:
            transcript, reused = back.transcribe(job, self.transcriber_for(job.source))
        except Exception as exc:  # a failing decode is reported; the next utterance is tried again
            log.exception("speech ASR (%s) failed", job.source)
            self._fail(f"ASR ({job.source})", exc)
            return
        self.transcriptions += not reused
        decoded = self.clock.monotonic()
        if job.source == "teacher" and transcript.text:
            with self._lock:
                self._echo.add(transcript.text, self.clock.monotonic())
        scorer = None
        if job.source == "room" and job.final:
            found = self.transcriber_for("room")
            scorer = found if isinstance(found, TextScorer) else None
        try:
            with self._lock:
                echo = copy.deepcopy(self._echo) if job.source == "room" else None
            if job.speculative:  # judged ahead (unless speech resumed meanwhile), published by its final
                if self._front[job.source].speculation_live(job):
                    back.speculate(job, transcript, self.clock.monotonic(), scorer, echo)
                return
            events = back.on_transcript(job, transcript, self.clock.monotonic(), scorer, echo)
        except Exception as exc:  # rescoring failed: the stage keeps going
            log.exception("speech answer (%s) failed", job.source)
            self._fail(f"answer ({job.source})", exc)
            return
        done = self.clock.monotonic()
        if job.source == "room" and events:
            with self._lock:  # the question may have closed while we were transcribing
                open_node = None if self._request is None else self._request.node_id
            if job.request is not None and open_node != job.request.node_id:
                events = []
        for e in events:
            self._outbox.put_nowait(e)
        if self._keep_records:
            text = transcript.text if (job.source == "teacher" and self._record_teacher_text) else None
            self.records.append(
                JobRecord(
                    job.source,
                    job.utterance,
                    job.final,
                    len(job.audio) / 16_000,
                    job.audio_end,
                    job.speech_end,
                    queued,
                    started,
                    done,
                    tuple(events),
                    text,
                    decoded,
                    reused,
                )
            )

    def _fail(self, where: str, exc: Exception) -> None:
        self.errors += 1
        if self.errors <= 5 or self.errors % 100 == 0:
            self._outbox.put_nowait(ev.StageAlert("speech", f"{where}: {type(exc).__name__}: {exc}", "error"))

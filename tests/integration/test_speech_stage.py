"""SpeechStage with real models and real recordings: spoken answers reach the lesson engine, the lead
teacher gets captions, the room is measured but not transcribed unless a question is open, silence stays
silent. Audio files are replayed as fast as the stage takes them (pace="backpressure")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.loader import load_pack
from dual_teacher.media.audio import ArraySource, AudioFileSource
from dual_teacher.runtime.session import ClassSession
from dual_teacher.runtime.speech_stage import SpeechStage
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber, Transcriber
from tests.conftest import SHARED_DATA
from tests.conftest import needs_data as _needs_data

SPEECH = SHARED_DATA / "speech"
needs_data = _needs_data(SPEECH / "references.tsv")
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")

PACK = """
schema_version = 1
id = "counting"
title = "Counting on"
start = "q"

[[nodes]]
id = "q"
kind = "question"
qtype = "numeric"
prompt = "What number comes after sixteen?"
answer = 17
time_limit_s = 60
channels = ["spoken", "teacher"]

[[nodes]]
id = "end"
kind = "end"
"""


@pytest.fixture(scope="module")
def transcribers() -> dict[str, Transcriber]:
    t = FasterWhisperTranscriber(AsrConfig.for_language("en"))
    t.load()
    return {"en": t}


@pytest.fixture
def stages() -> Iterator[list[SpeechStage]]:
    made: list[SpeechStage] = []
    yield made
    for stage in made:
        stage.stop()


def _file(name: str, source: str) -> AudioFileSource:
    return AudioFileSource(SPEECH / name, name=source, pace="backpressure")


def _speech_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("speech-", "audio-"))]


@needs_data
def test_a_spoken_answer_reaches_the_lesson_engine(
    tmp_path: Path, transcribers: dict[str, Transcriber], stages: list[SpeechStage]
) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "lesson.toml").write_text(PACK, encoding="utf-8")
    pack = load_pack(tmp_path / "pack")
    store = EventStore(tmp_path / "events.sqlite")
    clock = FakeClock()
    # a Mandarin-first child (speechocean762) reads "one seven" while the question is open
    stage = SpeechStage(
        room=_file("en_so762_001110040_one_seven.wav", "room"), transcribers=transcribers, warm_up=False
    )
    stages.append(stage)
    session = ClassSession(pack, store, clock, inputs=[stage])
    session.start()
    session.tick()
    assert stage.listening is not None and stage.listening.node_id == "q"
    assert stage.listening.space == (("17", "17"),)
    stage.start()
    assert stage.wait_idle(60)
    session.tick()
    assert session.state.results["q"].counts == {"17": 1}
    assert session.state.results["q"].correct_count == 1
    session.submit(ev.TeacherSkippedQuestion())
    for _ in range(200):
        if session.ended:
            break
        clock.advance(1.0)
        session.tick()
    assert session.close()
    assert stage.stop()
    stored = list(store.events(session.session_id))
    heard = [e.payload for e in stored if e.type == "AnswerHeard"]
    assert heard == [{"answer": "17", "confidence": heard[0]["confidence"], "source": "speech"}]
    assert 0 < heard[0]["confidence"] <= 1
    assert [e.payload["source"] for e in stored if e.type == "SpeechActivity"] == ["room"]
    assert not any(e.type == "CaptionUpdated" for e in stored)  # room speech is never captioned or stored
    closed = [e.payload for e in stored if e.type == "QuestionClosed"]
    assert closed[0]["responses"] == 1 and closed[0]["correct_count"] == 1
    assert _speech_threads() == []
    pack.close()


@needs_data
def test_the_lead_teacher_gets_partial_then_final_captions(
    transcribers: dict[str, Transcriber], stages: list[SpeechStage]
) -> None:
    stage = SpeechStage(teacher=_file("en_jfk.flac", "teacher"), transcribers=transcribers, warm_up=False)
    stages.append(stage)
    stage.start()
    assert {"speech-asr", "speech-vad-teacher", "audio-teacher"} <= set(_speech_threads())
    assert stage.wait_idle(90)
    events = stage.poll(0.0)
    captions = [e for e in events if isinstance(e, ev.CaptionUpdated)]
    finals = [c for c in captions if c.final]
    partials = [c for c in captions if not c.final]
    assert partials, "no partial captions"
    assert all(c.text.startswith(c.stable) for c in captions)
    assert all(f.stable == f.text and f.language == "en" for f in finals)
    words = " ".join(f.text for f in finals).casefold()
    for phrase in ("fellow americans", "ask not", "your country can do for you", "what you can do for your country"):
        assert phrase in words.replace(",", "").replace(".", "").replace("!", ""), words
    activity = [e for e in events if isinstance(e, ev.SpeechActivity)]
    assert {a.source for a in activity} == {"teacher"}
    assert 5.0 < sum(a.seconds for a in activity) < 11.0
    health = stage.speech_health()
    assert health.errors == 0 and health.audio_dropped == {"teacher": 0} and health.final_jobs_dropped == 0
    assert not any(isinstance(e, ev.AnswerHeard) for e in events)


@needs_data
def test_the_room_is_measured_but_not_transcribed_when_no_question_is_open(
    transcribers: dict[str, Transcriber], stages: list[SpeechStage]
) -> None:
    stage = SpeechStage(room=_file("en_ps_goforward.wav", "room"), transcribers=transcribers, warm_up=False)
    stages.append(stage)
    stage.start()
    assert stage.wait_idle(30)
    events = stage.poll(0.0)
    assert [type(e) for e in events] == [ev.SpeechActivity]
    assert stage.transcriptions == 0


@needs_data
def test_listening_stops_when_the_question_closes(transcribers: dict[str, Transcriber]) -> None:
    stage = SpeechStage(room=_file("en_ps_goforward.wav", "room"), transcribers=transcribers, warm_up=False)
    stage.handle(cmd.ListenForAnswer("q1", "numeric", ()), 0.0)
    assert stage.listening is not None
    stage.handle(cmd.StopListening("other"), 1.0)
    assert stage.listening is not None
    stage.handle(cmd.StopListening("q1"), 2.0)
    assert stage.listening is None
    stage.handle(cmd.ListenForAnswer("q2", "numeric", ()), 3.0)
    stage.handle(ev.QuestionClosed("q2", "time_up", 0, 0, None), 4.0)
    assert stage.listening is None


def test_silence_and_room_noise_stay_silent(transcribers: dict[str, Transcriber], stages: list[SpeechStage]) -> None:
    rng = np.random.default_rng(3)
    n = 16_000 * 20
    noise = np.cumsum(rng.normal(size=n)).astype(np.float32)
    noise -= np.convolve(noise, np.ones(400) / 400, "same").astype(np.float32)
    noise *= 0.003 / noise.std()
    silence = np.zeros(n, np.float32)
    stage = SpeechStage(
        room=ArraySource(noise, name="room", pace="backpressure"),
        teacher=ArraySource(silence, name="teacher", pace="backpressure"),
        transcribers=transcribers,
        warm_up=False,
    )
    stages.append(stage)
    stage.handle(cmd.ListenForAnswer("q", "short_answer", ()), 0.0)
    stage.start()
    assert stage.wait_idle(30)
    assert stage.poll(0.0) == []
    assert stage.transcriptions == 0
    assert stage.stop()
    assert _speech_threads() == []


@needs_data
def test_a_sentence_with_a_number_in_it_is_not_an_answer(
    transcribers: dict[str, Transcriber], stages: list[SpeechStage]
) -> None:
    """ "go forward ten meters" said in the room during a numeric question is an instruction, not the answer 10:
    the free text has no answer form and the answer space (10 and its neighbours) scores far below it."""
    stage = SpeechStage(room=_file("en_ps_goforward.wav", "room"), transcribers=transcribers, warm_up=False)
    stages.append(stage)
    stage.handle(cmd.ListenForAnswer("q", "numeric", (), (("10", "10"),)), 0.0)
    stage.start()
    assert stage.wait_idle(60)
    assert not [e for e in stage.poll(0.0) if isinstance(e, ev.AnswerHeard)]
    assert stage.transcriptions == 1


@needs_data
def test_the_lead_teachers_own_words_never_count_as_an_answer(
    transcribers: dict[str, Transcriber], stages: list[SpeechStage]
) -> None:
    """The room microphone hears the lesson video: its captions are known, so "the answer is ..." from the
    teacher's narration is not a student answer, while the same clip with no such narration counts."""
    heard: dict[bool, list[ev.AnswerHeard]] = {}
    for playing in (False, True):
        stage = SpeechStage(
            room=_file("en_so762_001110040_one_seven.wav", "room"),
            transcribers=transcribers,
            warm_up=False,
            captions=lambda item: [(0.5, "Count with me: fifteen, sixteen... one seven! The answer is seventeen.")],
        )
        stages.append(stage)
        if playing:
            stage.handle(cmd.PlayVideo("intro", "intro.mp4", 0.0, None), 0.0)
        stage.handle(cmd.ListenForAnswer("q", "numeric", (), (("17", "17"),)), 0.0)
        stage.start()
        assert stage.wait_idle(60)
        heard[playing] = [e for e in stage.poll(0.0) if isinstance(e, ev.AnswerHeard)]
        assert stage.stop()
    assert [e.answer for e in heard[False]] == ["17"]
    assert heard[True] == []

"""A Mandarin lesson's language reaches speech: the room channel of a zh-Hans pack runs the multilingual
Whisper base model in Mandarin (real model, real Mandarin recording), and the spoken answer arrives in
Simplified characters through the same session path as a class."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.config import AppConfig
from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson.loader import load_pack
from dual_teacher.media.audio import AudioFileSource
from dual_teacher.runtime.devices import speech_plan
from dual_teacher.runtime.session import ClassSession
from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage
from dual_teacher.speech.asr import FasterWhisperTranscriber
from dual_teacher.speech.text import is_cjk
from tests.conftest import SHARED_DATA, needs_data

SPEECH = SHARED_DATA / "speech"
pytestmark = needs_data(SPEECH / "references.tsv")
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")

PACK = """
schema_version = 1
id = "idioms"
language = "zh-Hans"
title = { zh-Hans = "成语", en = "Idioms" }
start = "q"

[[nodes]]
id = "q"
kind = "question"
qtype = "short_answer"
prompt = { zh-Hans = "搬起石头砸谁的脚？", en = "Whose foot does the stone fall on?" }
answer = ["砸自己的脚", "自己的脚"]
time_limit_s = 60
channels = ["spoken", "teacher"]

[[nodes]]
id = "end"
kind = "end"
"""


def test_a_mandarin_lessons_room_channel_runs_the_multilingual_model_in_mandarin(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "lesson.toml").write_text(PACK, encoding="utf-8")
    pack = load_pack(tmp_path / "pack")
    plan = speech_plan(AppConfig(), pack.manifest.language, None)
    room = AudioFileSource(SPEECH / "zh_sr_za_ziji_de_jiao.flac", name="room", pace="backpressure")
    stage = SpeechStage(room=room, config=SpeechConfig.from_plan(plan), warm_up=False)
    transcriber = stage.transcriber_for("room")
    assert isinstance(transcriber, FasterWhisperTranscriber)
    assert (transcriber.options.model, transcriber.options.language) == ("base", "zh")
    assert stage.health().provider == "room base/zh"  # what the console's system panel shows
    store = EventStore(tmp_path / "events.sqlite")
    clock = FakeClock()
    session = ClassSession(pack, store, clock, inputs=[stage])
    try:
        session.start()
        session.tick()
        assert stage.listening is not None and stage.listening.node_id == "q"
        stage.start()
        assert stage.wait_idle(120)
        session.tick()
        counts = session.state.results["q"].counts
        assert sum(counts.values()) == 1, counts
        (answer,) = counts
        assert "自己" in answer and all(is_cjk(ch) for ch in answer), answer  # Mandarin, Simplified characters
    finally:
        stage.stop()
        session.submit(ev.TeacherSkippedQuestion())
        for _ in range(100):
            if session.ended:
                break
            clock.advance(1.0)
            session.tick()
        session.close()
        pack.close()

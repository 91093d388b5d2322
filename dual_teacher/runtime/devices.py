"""Open the classroom's real inputs (camera -> perception, microphone / stream audio -> speech) as stages.

The hardware profile that really works on this machine (probed at start-up) decides execution providers,
threads, the model variant and camera defaults. A device that cannot be opened is reported and left out:
the class always starts, with whatever works.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from dual_teacher.config import AppConfig
from dual_teacher.core.errors import DualTeacherError
from dual_teacher.hardware.probe import probe_profiles
from dual_teacher.lesson.captions import load_captions
from dual_teacher.lesson.commands import PlayVideo
from dual_teacher.lesson.loader import LoadedPack
from dual_teacher.speech.routing import Channel, ChannelPlan, plan_channels

log = logging.getLogger(__name__)


@dataclasses.dataclass
class DeviceStages:
    stages: list[Any]
    notes: list[str]
    profile: str
    closers: list[Callable[[], None]] = dataclasses.field(default_factory=list)  # after the stages stop

    def stop(self) -> None:
        for stage in reversed(self.stages):
            try:
                stage.stop()
            except DualTeacherError as exc:
                log.warning("stopping %s: %s", getattr(stage, "name", stage), exc)
        for close in self.closers:
            close()


def speech_plan(config: AppConfig, pack_language: str, cli_lang: str | None = None) -> dict[Channel, ChannelPlan]:
    """Each speech channel's model and language for a class of this pack (see `speech.routing`): the config's
    `[speech]` keys, then --lang (or the config's `language` when set in the file), then the pack's language."""
    display = cli_lang if cli_lang is not None else (config.language if "language" in config.model_fields_set else None)
    sp = config.speech
    return plan_channels(pack_language, display, sp.room_language, sp.teacher_language, sp.room_model, sp.teacher_model)


def pack_captions(pack: LoadedPack, lang: str) -> Callable[[PlayVideo], list[tuple[float, str]]]:
    """(seconds after the video starts, text) of each caption cue of a pack video, for the speech stage's
    echo gate (the room microphone hears the lesson video: its words are never a student's answer)."""

    def lookup(item: PlayVideo) -> list[tuple[float, str]]:
        out: list[tuple[float, str]] = []
        for language in dict.fromkeys((lang, "en", "zh-Hans")):
            track = load_captions(pack.media_path(item.file), language)
            if track is not None:
                end = item.end_s if item.end_s is not None else float("inf")
                out += [(c.start_s - item.start_s, c.text) for c in track.cues if item.start_s <= c.start_s < end]
        return list(dict.fromkeys(out))  # a language-less sidecar is found once per language

    return lookup


def open_device_stages(
    camera: str | None,
    microphone: str | None,
    teacher_audio: str | None,
    plan: Mapping[Channel, ChannelPlan] | None = None,
    captions: Callable[[PlayVideo], list[tuple[float, str]]] | None = None,
) -> DeviceStages:
    """Start a PerceptionStage for `camera` and a SpeechStage for `microphone` / `teacher_audio` (any may be None).
    `plan`: each speech channel's model and language (`speech_plan`); None: English on both. `captions`: the
    lesson videos' caption cues (`pack_captions`)."""
    choice, _ = probe_profiles()
    profile = choice.profile
    notes = [f"hardware profile: {profile.name}"]
    notes += [f"  not {name}: {why}" for name, why in choice.passed_over if not why.startswith("needs")]
    stages: list[Any] = []
    closers: list[Callable[[], None]] = []
    if camera is not None:
        try:
            from dual_teacher.media.camera import open_camera
            from dual_teacher.perception.model_set import PerceptionModels
            from dual_teacher.perception.pipeline import RoomPerception
            from dual_teacher.runtime.fanout_pool import ThreadFanout, region_threads
            from dual_teacher.runtime.perception_stage import PerceptionStage

            providers = profile.ort_providers()
            threads, workers = region_threads(profile.threads, [p for p, _ in providers])
            models = PerceptionModels.load(
                threads=threads, providers=providers, variant=profile.model_variant, frame_threads=profile.threads
            )
            cam = open_camera(camera, fps=profile.camera.fps, width=profile.camera.width, height=profile.camera.height)
            fanout = ThreadFanout(workers, name="perception-regions")
            stage = PerceptionStage(cam, RoomPerception(models, fanout=fanout))
            closers.append(fanout.close)
            stage.start()
            stages.append(stage)
            notes.append(f"camera {camera}: analysing on {', '.join(models.providers_in_use())}")
        except DualTeacherError as exc:
            notes.append(f"camera {camera} not used: {exc}")
    if microphone is not None or teacher_audio is not None:
        try:
            from dual_teacher.media.audio import AvStreamSource, MicrophoneSource
            from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage

            room = None
            if microphone is not None:
                room = MicrophoneSource(None if microphone in ("", "default") else _device(microphone))
            teacher = AvStreamSource(teacher_audio) if teacher_audio else None
            channels = plan if plan is not None else plan_channels("en")
            speech = SpeechStage(room=room, teacher=teacher, config=SpeechConfig.from_plan(channels), captions=captions)
            speech.start()
            stages.append(speech)
            notes.append(
                "speech: listening"
                + (" to the room microphone" if room else "")
                + (" and the lead teacher's stream" if teacher else "")
            )
            notes += [f"  {channels[c].describe()}" for c in ("room", "teacher") if c in speech.sources]
        except DualTeacherError as exc:
            notes.append(f"speech not used: {exc}")
    return DeviceStages(stages, notes, profile.name, closers)


def _device(spec: str) -> int | str:
    return int(spec) if spec.isdigit() else spec

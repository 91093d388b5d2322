"""Open the classroom's real inputs (camera -> perception, microphone / stream audio -> speech) as stages.

The hardware profile that really works on this machine (probed at start-up) decides execution providers,
threads, the model variant and camera defaults. A device that cannot be opened is reported and left out:
the class always starts, with whatever works.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from dual_teacher.core.errors import DualTeacherError
from dual_teacher.runtime.doctor import probe_profiles

log = logging.getLogger(__name__)


@dataclasses.dataclass
class DeviceStages:
    stages: list[Any]
    notes: list[str]
    profile: str

    def stop(self) -> None:
        for stage in reversed(self.stages):
            try:
                stage.stop()
            except DualTeacherError as exc:
                log.warning("stopping %s: %s", getattr(stage, "name", stage), exc)


def open_device_stages(camera: str | None, microphone: str | None, teacher_audio: str | None) -> DeviceStages:
    """Start a PerceptionStage for `camera` and a SpeechStage for `microphone` / `teacher_audio` (any may be None)."""
    choice, _ = probe_profiles()
    profile = choice.profile
    notes = [f"hardware profile: {profile.name}"]
    notes += [f"  not {name}: {why}" for name, why in choice.passed_over if not why.startswith("needs")]
    stages: list[Any] = []
    if camera is not None:
        try:
            from dual_teacher.media.camera import open_camera
            from dual_teacher.perception.pipeline import PerceptionModels, RoomPerception
            from dual_teacher.runtime.perception_stage import PerceptionStage

            models = PerceptionModels.load(
                threads=profile.threads,
                providers=profile.ort_providers(),
                variant=profile.model_variant,
            )
            cam = open_camera(camera, fps=profile.camera.fps, width=profile.camera.width, height=profile.camera.height)
            stage = PerceptionStage(cam, RoomPerception(models))
            stage.start()
            stages.append(stage)
            notes.append(f"camera {camera}: analysing on {', '.join(models.providers_in_use())}")
        except DualTeacherError as exc:
            notes.append(f"camera {camera} not used: {exc}")
    if microphone is not None or teacher_audio is not None:
        try:
            from dual_teacher.media.audio import AvStreamSource, MicrophoneSource
            from dual_teacher.runtime.speech_stage import SpeechStage

            room = None
            if microphone is not None:
                room = MicrophoneSource(None if microphone in ("", "default") else _device(microphone))
            teacher = AvStreamSource(teacher_audio) if teacher_audio else None
            speech = SpeechStage(room=room, teacher=teacher)
            speech.start()
            stages.append(speech)
            notes.append(
                "speech: listening"
                + (" to the room microphone" if room else "")
                + (" and the lead teacher's stream" if teacher else "")
            )
        except DualTeacherError as exc:
            notes.append(f"speech not used: {exc}")
    return DeviceStages(stages, notes, profile.name)


def _device(spec: str) -> int | str:
    return int(spec) if spec.isdigit() else spec

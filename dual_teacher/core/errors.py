"""One error tree, grouped by who can fix the problem."""

from __future__ import annotations


class DualTeacherError(Exception):
    """Base of every error this runtime raises on purpose. `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class ConfigError(DualTeacherError):
    """The operator's configuration is wrong."""


class LessonPackError(DualTeacherError):
    """A lesson pack is broken; the lesson designer can fix it. `problems` lists every finding."""

    def __init__(self, message: str, problems: list[str] | None = None, hint: str = "") -> None:
        super().__init__(message, hint)
        self.problems = list(problems or [])


class ModelLoadError(DualTeacherError):
    """A model file is missing, stale or cannot be loaded."""


class DeviceUnavailable(DualTeacherError):
    """A camera, microphone, display or accelerator is not there; fall back or tell the operator."""


class StageFailed(DualTeacherError):
    """A runtime stage failed more often than its restart budget allows."""


class StorageError(DualTeacherError):
    """The event store cannot be written (disk full, read-only, corrupt)."""

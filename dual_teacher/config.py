"""Application configuration (TOML) and where the runtime keeps its files."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dual_teacher.core.errors import ConfigError

APP_NAME = "dual-teacher"
HOME_ENV = "DUAL_TEACHER_HOME"
CACHE_ENV = "DUAL_TEACHER_CACHE"


class XapiConfig(BaseModel):
    """`[xapi]`: forwarding xAPI statements to the school's Learning Record Store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str | None = Field(
        None,
        pattern=r"^https?://",
        description="xAPI base URL of the LRS (statements go to <endpoint>/statements); unset: they wait in the outbox",
    )
    username: str | None = Field(None, description="HTTP Basic auth user for the LRS")
    password: str | None = Field(None, description="HTTP Basic auth password (or env DUAL_TEACHER_XAPI_PASSWORD)")
    base_iri: str = Field(
        "urn:dual-teacher", min_length=4, description="Root of activity ids and of the anonymous accounts' home page"
    )
    interval_s: float = Field(5.0, gt=0, le=3600, description="How often a running class forwards new statements")
    include_demo: bool = Field(
        False, description="Also forward demo and screenshot runs (left out by default: they are not real classes)"
    )


class LeadConfig(BaseModel):
    """`[lead]`: the link to the remote lead teacher's server (`dual-teacher lead serve`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(
        None, pattern=r"^(https?|wss?)://", description="The lead server's base URL; unset: no link (the default)"
    )
    token: str | None = Field(None, description="This classroom's token from `dual-teacher lead add-classroom`")
    ca_file: Path | None = Field(
        None, description="PEM certificate(s) to trust for an https/wss lead server with a private authority"
    )
    remote_control: bool = Field(
        True, description="Let the lead teacher's commands act (off: they are only shown on the console)"
    )


SpeechLanguage = Literal["en", "zh-Hans"]
WhisperModelName = Literal["tiny.en", "base"]


class SpeechSettings(BaseModel):
    """`[speech]`: which language each speech channel hears (default: from the lesson pack and --lang)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    room_language: SpeechLanguage | None = Field(
        None, description="Language the students answer in (default: --lang / language if set, else the pack's)"
    )
    teacher_language: SpeechLanguage | None = Field(
        None, description="Language of the lead teacher's audio, for captions (default: the pack's language)"
    )
    room_model: WhisperModelName | None = Field(
        None, description="Whisper model for the room (default: tiny.en for English, base for Mandarin)"
    )
    teacher_model: WhisperModelName | None = Field(
        None, description="Whisper model for the lead teacher (default: tiny.en for English, base for Mandarin)"
    )


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(1, description="Format version of the config file")
    data_dir: Path | None = Field(
        None, description="Where the event store and reports live (default: the user data folder)"
    )
    language: Literal["en", "zh-Hans"] = Field("en", description="Language of the display and the console")
    class_size: int | None = Field(None, ge=1, le=200, description="Students on the roster (for attendance)")
    analytics: bool = Field(True, description="Run camera and microphone analytics (shown on the display)")
    whisper_model_dir: Path | None = Field(
        None, description="A CTranslate2 Whisper folder to use instead of the packaged models"
    )
    retention_days: int = Field(
        140, ge=0, description="Sessions older than this are deleted at start-up (140: one school term; 0: keep all)"
    )
    export_private_data: bool = Field(
        False, description="Let student free-text answers (and any raw media) into reports and xAPI exports"
    )
    xapi: XapiConfig = Field(default_factory=XapiConfig, description="Learning Record Store forwarding")
    lead: LeadConfig = Field(default_factory=LeadConfig, description="The remote lead teacher's link")
    speech: SpeechSettings = Field(default_factory=SpeechSettings, description="Speech channels' languages and models")


def default_data_dir() -> Path:
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env) / "config.toml"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> AppConfig:
    """Read the config file; a missing file means defaults. Errors name the file and the key."""
    path = path or default_config_file()
    if not path.exists():
        return AppConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return AppConfig.model_validate(raw)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix the file or delete it to use the defaults") from exc
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines), hint="fix these keys or delete the file to use the defaults") from exc


def data_dir(config: AppConfig) -> Path:
    return config.data_dir or default_data_dir()


def store_path(config: AppConfig) -> Path:
    return data_dir(config) / "events.sqlite"


def cache_dir() -> Path:
    """Built models and the converter's build environment (safe to delete: `models build` remakes them)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def models_cache_dir() -> Path:
    return cache_dir() / "models"

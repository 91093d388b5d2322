"""Reading an .h5p archive: h5p.json, content/content.json and the media they reference (checked like a
lesson pack), the import's error and warning types, and small typed getters over content.json."""

from __future__ import annotations

import dataclasses
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dual_teacher.core.errors import LessonPackError
from dual_teacher.lesson.archive import ArchiveLimits, UnsafeArchive, check_zip, read_entry
from dual_teacher.lesson.h5p.text import clock, html_to_text

CONTENT_JSON = "content/content.json"
MAX_JSON_BYTES = 32 * 1024 * 1024
KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
Node = dict[str, Any]


class H5PImportError(LessonPackError):
    """The package is refused; `problems` says why, `warnings` what was left out before that."""

    def __init__(
        self, message: str, problems: list[str] | None = None, hint: str = "", warnings: Sequence[H5PWarning] = ()
    ):
        super().__init__(message, problems, hint)
        self.warnings = list(warnings)


@dataclasses.dataclass(frozen=True)
class H5PWarning:
    """Something that was not imported (or imported differently): where it is in content.json and why."""

    path: str  # JSON path inside content/content.json, e.g. interactiveVideo.assets.interactions[13]
    message: str
    time_s: float | None = None  # time in the Interactive Video, where it has one

    def __str__(self) -> str:
        at = f" (at {clock(self.time_s)})" if self.time_s is not None else ""
        return f"{CONTENT_JSON}: {self.path or '(top level)'}{at}: {self.message}"


@dataclasses.dataclass(frozen=True)
class ImportResult:
    pack_dir: Path
    pack_id: str
    main_library: str
    node_kinds: Mapping[str, int]  # kind -> number of nodes made
    questions: tuple[str, ...]  # ids of the question nodes
    warnings: tuple[H5PWarning, ...]

    @property
    def nodes(self) -> int:
        return sum(self.node_kinds.values())


# ---- the package ----------------------------------------------------------------------------------------------------
def _is_content(name: str) -> bool:
    return name == "h5p.json" or name.startswith("content/")


@dataclasses.dataclass
class Package:
    zf: zipfile.ZipFile
    label: str
    limits: ArchiveLimits
    h5p: dict[str, Any]
    content: dict[str, Any]

    def info(self, name: str) -> zipfile.ZipInfo | None:
        try:
            return self.zf.getinfo(name)
        except KeyError:
            return None


def _json_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, what: str) -> Any:
    data = read_entry(zf, info, MAX_JSON_BYTES)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise H5PImportError(
            f"{label}: {info.filename} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint=f"the {what} is damaged: export the content again from the H5P editor",
        ) from None
    except json.JSONDecodeError as exc:
        raise H5PImportError(
            f"{label}: {info.filename}:{exc.lineno}: {what} is not valid JSON ({exc.msg}, column {exc.colno})",
            hint=f"the {what} is damaged: export the content again from the H5P editor",
        ) from None


def open_package(path: Path, limits: ArchiveLimits) -> Package:
    label = str(path)
    if not path.is_file():
        raise H5PImportError(f"{label}: no such file", hint="give the path of an .h5p file")
    if not zipfile.is_zipfile(path):
        raise H5PImportError(f"{label}: not an H5P package (an .h5p is a zip file)", hint="give an .h5p file")
    zf = zipfile.ZipFile(path)
    try:
        check_zip(zf, limits, is_content=_is_content)
        h5p_info = zf.getinfo("h5p.json") if "h5p.json" in zf.namelist() else None
        if h5p_info is None:
            raise H5PImportError(f"{label}: h5p.json is missing: not an H5P package", hint="give an .h5p file")
        h5p = _json_entry(zf, h5p_info, label, "package description h5p.json")
        if not isinstance(h5p, dict) or not isinstance(h5p.get("mainLibrary"), str):
            raise H5PImportError(f"{label}: h5p.json names no mainLibrary", hint="export the content again")
        # The libraries' own descriptions and translations: H5P refuses a package with a broken one, so do we.
        for info in zf.infolist():
            name = info.filename
            if not _is_content(name) and name.endswith(".json") and not info.is_dir():
                _json_entry(zf, info, label, "library file")
        content_info = zf.getinfo(CONTENT_JSON) if CONTENT_JSON in zf.namelist() else None
        if content_info is None:
            raise H5PImportError(f"{label}: {CONTENT_JSON} is missing", hint="export the content again")
        content = _json_entry(zf, content_info, label, "content")
        if not isinstance(content, dict):
            raise H5PImportError(f"{label}: {CONTENT_JSON} is not a JSON object", hint="export the content again")
    except UnsafeArchive as exc:
        zf.close()
        raise H5PImportError(
            f"{label}: unsafe archive, not imported",
            [f"{entry}: {msg}" for entry, msg in exc.problems],
            hint="only import packages from a source you trust; re-export it from the H5P editor",
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        zf.close()
        raise H5PImportError(f"{label}: cannot read the archive ({exc})", hint="the file is damaged") from None
    except BaseException:
        zf.close()
        raise
    return Package(zf, label, limits, h5p, content)


def language_of(h5p: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text variant key or None for plain strings, the language code as given)."""
    for key in ("language", "defaultLanguage"):
        code = h5p.get(key)
        if not isinstance(code, str) or code.lower() in ("", "und"):
            continue
        low = code.lower().replace("_", "-")
        if low in ("en",) or low.startswith("en-"):
            return "en", code
        if low in ("zh", "zh-hans", "zh-cn", "zh-sg"):
            return "zh-Hans", code
        return None, code
    return None, None


def field_map(obj: object, key: str) -> Mapping[str, Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def field_list(obj: object, key: str) -> list[Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, list) else []


def library_name(value: object) -> str:
    """Machine name of a library string such as 'H5P.MultiChoice 1.14'."""
    return value.split(" ")[0] if isinstance(value, str) else ""


def title_of(meta: object) -> str | None:
    title = meta.get("title") if isinstance(meta, Mapping) else None
    if not isinstance(title, str) or not title.strip() or title.startswith("Untitled"):
        return None
    return html_to_text(title) or None

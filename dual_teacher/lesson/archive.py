"""Open a lesson pack from a folder or a .zip, refusing unsafe archives.

A zip is checked entry by entry before anything is written, then extracted (never with
`extractall`) into a fresh temporary folder, counting the bytes really inflated.
"""

from __future__ import annotations

import dataclasses
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath


@dataclasses.dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 2000
    max_entry_bytes: int = 2 * 1024**3
    max_total_bytes: int = 4 * 1024**3
    max_ratio: float = 100.0  # uncompressed / compressed, checked for entries above ratio_min_bytes
    ratio_min_bytes: int = 1024 * 1024
    # Archives that carry their player's own files (an .h5p holds the H5P libraries' JS/CSS) count those
    # apart from the content: see check_zip's `is_content`.
    max_other_entries: int = 20000


class UnsafeArchive(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{entry}: {msg}" for entry, msg in problems))
        self.problems = problems  # (entry name, message)


def _entry_problems(info: zipfile.ZipInfo, limits: ArchiveLimits) -> list[str]:
    problems = []
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or pure.is_absolute() or (len(name) > 1 and name[1] == ":"):
        problems.append("absolute path in archive (must be relative to the pack)")
    if ".." in pure.parts:
        problems.append("path with '..' escapes the pack folder")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        problems.append("symbolic link in archive (links are not allowed in lesson packs)")
    elif mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and stat.S_IFMT(mode):
        problems.append("special file in archive (only plain files and folders are allowed)")
    if info.file_size > limits.max_entry_bytes:
        problems.append(f"entry is {info.file_size} bytes, over the {limits.max_entry_bytes}-byte limit")
    if info.file_size > limits.ratio_min_bytes and info.compress_size > 0:
        ratio = info.file_size / info.compress_size
        if ratio > limits.max_ratio:
            problems.append(f"compression ratio {ratio:.0f}:1 is over {limits.max_ratio:.0f}:1 (zip bomb?)")
    if info.flag_bits & 0x1:
        problems.append("encrypted entry (packs must not be encrypted)")
    return problems


def check_zip(zf: zipfile.ZipFile, limits: ArchiveLimits, is_content: Callable[[str], bool] | None = None) -> None:
    """Refuse unsafe entries. With `is_content`, only the entries it accepts count against `max_entries`;
    the others (e.g. an .h5p's library files) count against `max_other_entries`. Every entry is checked."""
    infos = zf.infolist()
    problems: list[tuple[str, str]] = []
    content = [i for i in infos if is_content(i.filename)] if is_content is not None else infos
    others = len(infos) - len(content)
    if len(content) > limits.max_entries:
        what = "content entries" if is_content is not None else "entries"
        problems.append(("archive", f"{len(content)} {what}, over the limit of {limits.max_entries}"))
    if others > limits.max_other_entries:
        problems.append(("archive", f"{others} library entries, over the limit of {limits.max_other_entries}"))
    total = 0
    for info in infos[: limits.max_entries + limits.max_other_entries + 1]:
        total += info.file_size
        problems.extend((info.filename, msg) for msg in _entry_problems(info, limits))
    if total > limits.max_total_bytes:
        problems.append(("archive", f"unpacks to {total} bytes, over the limit of {limits.max_total_bytes}"))
    if problems:
        raise UnsafeArchive(problems)


def copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ArchiveLimits, total: int = 0) -> int:
    """Inflate one checked entry to `target`, counting the bytes really written; returns the new running
    total. Raises UnsafeArchive when the entry inflates past its declared size or the limits."""
    written = 0
    with zf.open(info) as src, target.open("wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            total += len(chunk)
            if written > info.file_size or written > limits.max_entry_bytes:
                raise UnsafeArchive([(info.filename, "inflates past its declared size")])
            if total > limits.max_total_bytes:
                raise UnsafeArchive([("archive", "unpacks past the total size limit")])
            out.write(chunk)
    return total


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """The bytes of one checked entry, refusing more than `max_bytes` (whatever the header declares)."""
    if info.file_size > max_bytes:
        raise UnsafeArchive([(info.filename, f"{info.file_size} bytes, over the {max_bytes}-byte limit for it")])
    with zf.open(info) as src:
        data = src.read(max_bytes + 1)
    if len(data) > max_bytes or len(data) > info.file_size:
        raise UnsafeArchive([(info.filename, "inflates past its declared size")])
    return data


def extract_zip(archive: Path, limits: ArchiveLimits) -> tuple[Path, tempfile.TemporaryDirectory[str]]:
    """Check and extract `archive` into a new temporary folder; returns (pack root, handle)."""
    tmp = tempfile.TemporaryDirectory(prefix="dual-teacher-pack-")
    dest = Path(tmp.name).resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            check_zip(zf, limits)
            total = 0
            for info in zf.infolist():
                target = (dest / info.filename).resolve()
                if not target.is_relative_to(dest):
                    raise UnsafeArchive([(info.filename, "path escapes the pack folder")])
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                total = copy_entry(zf, info, target, limits, total)
    except BaseException:
        tmp.cleanup()
        raise
    return _single_top_folder(dest), tmp


def _single_top_folder(dest: Path) -> Path:
    """Accept zips made of a folder: if lesson.toml sits one level down, use that folder."""
    if (dest / "lesson.toml").exists():
        return dest
    children = [p for p in dest.iterdir() if p.name != "__MACOSX"]
    if len(children) == 1 and children[0].is_dir() and (children[0] / "lesson.toml").exists():
        return children[0]
    return dest


def zip_folder(folder: Path, archive: Path) -> Path:
    """Write `folder` as a pack archive (used by `pack build` and the tests)."""
    base = archive.with_suffix("")
    made = shutil.make_archive(str(base), "zip", root_dir=folder)
    return Path(made)

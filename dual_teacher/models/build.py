"""`dual-teacher models build`: prepare the converter's own pinned environment and run it.

tf2onnx + tensorflow-cpu cannot share the runtime environment (protobuf and numpy pins clash), so the
converter (`models/build/convert.py`) runs in a separate venv inside the model cache, created once from
`models/build/requirements.txt`. The converter is itself cached: models whose inputs did not change are
skipped, so a second build does nothing. Parity is checked on real photos from ../shared/data/images when
that folder exists, else on frames of the demo lesson's videos (the report says which).
"""

from __future__ import annotations

import hashlib
import subprocess
import venv
from collections.abc import Callable, Sequence
from pathlib import Path

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.registry import ModelRegistry, manifest_path
from dual_teacher.resources import demo_pack_dir, resource_dir, shared_data_dir

Progress = Callable[[str], None]


def _requirements() -> Path:
    return resource_dir("models") / "build" / "requirements.txt"


def _converter() -> Path:
    return resource_dir("models") / "build" / "convert.py"


def build_env(cache_root: Path, progress: Progress) -> Path:
    """The converter venv's python, created or updated when the pinned requirements change."""
    req = _requirements()
    if not req.is_file():
        raise ModelLoadError(f"{req} is missing", hint="reinstall dual-teacher")
    want = hashlib.sha256(req.read_bytes()).hexdigest()
    env = cache_root / "buildenv"
    py = env / "bin" / "python"
    stamp = env / ".requirements.sha256"
    if py.exists() and stamp.is_file() and stamp.read_text().strip() == want:
        return py
    progress(f"preparing the converter environment in {env} (tensorflow-cpu, tf2onnx; once)")
    if not py.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
    cmd = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModelLoadError(
            f"could not install the converter environment:\n{done.stderr[-2000:]}",
            hint="check the network connection to the package index, then run `dual-teacher models build` again",
        )
    stamp.write_text(want + "\n")
    return py


def parity_images(cache_root: Path, progress: Progress) -> tuple[list[Path], str]:
    """Folders of real images for parity checks, and a note saying what they are."""
    shared = shared_data_dir()
    if shared is not None and (shared / "images").is_dir():
        return [shared / "images"], f"real photos from {shared / 'images'}"
    frames = cache_root / "parity-frames"
    media = demo_pack_dir() / "media"
    if not any(frames.glob("*.png")):
        videos = sorted(media.glob("*.mp4"))
        if not videos:
            raise ModelLoadError(
                "no images for the parity check",
                hint="put ../shared/data beside the checkout or render the demo media first",
            )
        from dual_teacher.media.frames import save_video_frames

        frames.mkdir(parents=True, exist_ok=True)
        for video in videos:
            save_video_frames(video, frames, every_s=10.0, limit=2)
    progress("no ../shared/data/images here: checking parity on frames of the demo videos")
    return [frames], f"frames of the demo lesson videos ({frames})"


def run_build(registry: ModelRegistry, progress: Progress, only: Sequence[str] = (), force: bool = False) -> int:
    """Build every model (or `only` some); returns the converter's exit code."""
    cache = registry.cache
    cache.mkdir(parents=True, exist_ok=True)
    py = build_env(cache.parent, progress)
    images, note = parity_images(cache.parent, progress)
    cmd = [
        str(py),
        str(_converter()),
        "--manifest",
        str(manifest_path()),
        "--out",
        str(cache),
        "--report",
        str(registry.report_path),
        "--wheel-cache",
        str(cache.parent / "wheels"),
    ]
    for folder in images:
        cmd += ["--images", str(folder)]
    for name in only:
        cmd += ["--only", name]
    if force:
        cmd.append("--force")
    progress(f"parity images: {note}")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout or []:
        progress(line.rstrip())
    code = proc.wait()
    for name in registry.whisper_names():
        try:
            path = registry.whisper_dir(name, verify=True)
            progress(f"whisper {name}: ok ({path})")
        except ModelLoadError as exc:
            progress(f"whisper {name}: not available: {exc}")
    return code

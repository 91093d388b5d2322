"""Silero VAD v6 (ONNX, MIT), as bundled with faster-whisper: found on disk, run through `OnnxRunner`.

The model takes a batch of 576-sample rows (64 samples of context + a 512-sample window at 16 kHz) and the
LSTM state `h`, `c` (1, 1, 128); the rows of one call are consecutive windows of one stream. It returns one
speech probability per row and the new state.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.runner import OnnxRunner

SILERO_FILE = "silero_vad_v6.onnx"


def silero_vad_path() -> Path:
    """The ONNX file shipped in faster-whisper's assets (found without importing faster_whisper)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the Silero VAD model comes with faster-whisper, which is not installed",
            hint="pip install 'dual-teacher[speech]'",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / SILERO_FILE
    if not path.is_file():
        raise ModelLoadError(f"{path} is missing", hint="reinstall faster-whisper==1.2.1")
    return path


def load_silero_vad(threads: int = 1) -> OnnxRunner:
    """A warmed-up CPU runner for the VAD (it needs one thread: 30 s of audio in ~30 ms)."""
    runner = OnnxRunner(silero_vad_path(), ("CPUExecutionProvider",), threads=threads, name="silero_vad_v6")
    runner.warmup(1)
    return runner

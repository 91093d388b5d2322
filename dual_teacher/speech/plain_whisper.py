"""faster-whisper used the plain way (the speech-level half of the benchmarks' "plain library" peer).

`PlainWhisper.transcribe` calls `WhisperModel.transcribe` with faster-whisper's own defaults (beam 5, the full
30 s encoder window, conditioning on previous text, no VAD) on the same model folder, device, compute type
and threads as ours, and consumes the segment generator (that is where the decoding happens). It stays in
`speech` because faster_whisper is imported only here (import-linter); the timing and the scoring are the
callers' (`bench/peer_scenario.py`, `benchmarks/eval_asr.py`). Nothing is downloaded: faster_whisper is imported
through `asr.whisper_model_class`, with the model hub switched off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dual_teacher.core.errors import ModelLoadError
from dual_teacher.speech.asr import whisper_model_class


def cuda_devices() -> int:
    """CUDA devices CTranslate2 can use (0 without a GPU or without a CUDA build)."""
    try:
        import ctranslate2
    except ImportError:
        return 0
    try:
        return int(ctranslate2.get_cuda_device_count())
    except (RuntimeError, OSError):
        return 0


class PlainWhisper:
    """faster-whisper's `WhisperModel` with its default transcription settings. Load once, one thread."""

    def __init__(self, model_dir: Path, device: str = "cpu", compute_type: str = "int8", cpu_threads: int = 2) -> None:
        self.model_dir = model_dir
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self._model: Any = None

    def load(self) -> None:
        if self._model is not None:
            return
        WhisperModel = whisper_model_class()
        try:
            self._model = WhisperModel(
                str(self.model_dir),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelLoadError(f"cannot load Whisper from {self.model_dir}: {exc}") from exc

    def transcribe(self, audio: np.ndarray, language: str = "en", **options: Any) -> str:
        """The text of one utterance (16 kHz mono float32). `options` go to `WhisperModel.transcribe` as given
        (e.g. beam_size=5, condition_on_previous_text=False)."""
        self.load()
        segments, _info = self._model.transcribe(np.asarray(audio, np.float32), language=language, **options)
        return " ".join(s.text.strip() for s in segments).strip()

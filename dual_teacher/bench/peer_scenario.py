"""The peers of `dual-teacher bench`: MediaPipe's own pose pipelines on the same frames (peers.py runs them in
their own venv, made at set-up) and faster-whisper's plain `transcribe` on the same utterances, as ratios.
A peer that is not set up is reported as skipped with the reason; nothing is installed during a run."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dual_teacher.bench.accuracy import words
from dual_teacher.bench.figures import word_error_counts
from dual_teacher.bench.peers import peer_python, run_mediapipe
from dual_teacher.bench.results import OPTIONAL, Latency, Skipped, to_json
from dual_teacher.bench.setup import Rig
from dual_teacher.bench.single_stream import SingleStreamPerception
from dual_teacher.core.errors import ModelLoadError
from dual_teacher.core.stats import median
from dual_teacher.speech.plain_whisper import PlainWhisper

MEDIAPIPE_NOTE = (
    "same frames at the camera resolution; MediaPipe loops each stream's first frame (its runner takes one frame "
    "per scene) in tracking/VIDEO mode, pinned to the profile's thread count of CPUs; ours: the SingleStream "
    "figures of the same streams (a video stream's frames in order), measured earlier in the run (on a busy "
    "machine the load may differ between the two)"
)
WHISPER_NOTE = (
    "peer: WhisperModel.transcribe with faster-whisper's defaults (beam 5, 30 s window, conditioning on previous "
    "text, no VAD); ours: FasterWhisperTranscriber (beam 5, 15 s encoder window, hallucination filters); same "
    "model, device, compute type and threads, same utterances"
)


def _num(x: float) -> float:
    return round(float(x), 3)


PEER_PIPELINES = ("legacy_pose", "tasks_pose_landmarker")


def perception_peer_rows(ours: Mapping[str, Mapping[str, Any]], peer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per scene: our p50 and people found beside each MediaPipe pipeline's, with ratios.

    `speedup` = peer p50 / our p50 (above 1: we are faster); `per_person_speedup` divides each p50 by the
    people that pipeline found first (the legacy pose finds one person at most)."""
    rows = []
    for scene, mine in ours.items():
        row: dict[str, Any] = {"scene": scene, "ours_p50_ms": mine.get("p50_ms"), "ours_people": mine.get("people")}
        for kind in PEER_PIPELINES:
            results = peer.get(kind)
            theirs = results.get(scene) if isinstance(results, Mapping) else None
            if not isinstance(theirs, Mapping) or not theirs.get("p50_ms"):
                continue
            row[f"{kind}_p50_ms"] = _num(theirs["p50_ms"])
            row[f"{kind}_people"] = theirs.get("people_found")
            our_p50 = mine.get("p50_ms")
            if our_p50:
                row[f"speedup_vs_{kind}"] = _num(theirs["p50_ms"] / our_p50)
                mine_pp = our_p50 / max(int(mine.get("people") or 0), 1)
                theirs_pp = theirs["p50_ms"] / max(int(theirs.get("people_found") or 0), 1)
                row[f"per_person_speedup_vs_{kind}"] = _num(theirs_pp / mine_pp)
        rows.append(row)
    return rows


def median_of(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
    m = median([float(r[key]) for r in rows if isinstance(r.get(key), int | float)])
    return None if m is None else _num(m)


@dataclasses.dataclass(frozen=True)
class MediapipePeer:
    version: str | None
    cpus: int | None
    num_poses: int | None
    rows: tuple[Mapping[str, Any], ...]
    note: str
    legacy_pose_skipped: str | None = dataclasses.field(default=None, metadata=OPTIONAL)
    median_speedup_vs_legacy_pose: float | None = None
    median_per_person_speedup_vs_legacy_pose: float | None = None
    tasks_pose_landmarker_skipped: str | None = dataclasses.field(default=None, metadata=OPTIONAL)
    median_speedup_vs_tasks_pose_landmarker: float | None = None
    median_per_person_speedup_vs_tasks_pose_landmarker: float | None = None


@dataclasses.dataclass(frozen=True)
class WhisperPeer:
    utterances: int
    ours_p50_ms: float | None
    peer_p50_ms: float | None
    speedup: float | None
    ours_wer: float | None
    peer_wer: float | None
    words: int
    note: str


@dataclasses.dataclass(frozen=True)
class Peers:
    mediapipe: MediapipePeer | Skipped | None = dataclasses.field(default=None, metadata=OPTIONAL)
    faster_whisper: WhisperPeer | Skipped | None = dataclasses.field(default=None, metadata=OPTIONAL)


def mediapipe_peer(rig: Rig, single: SingleStreamPerception | None) -> MediapipePeer | Skipped:
    """MediaPipe on the first frame of each stream the SingleStream scenario measured, beside our figures."""
    python, why = peer_python()
    if python is None:
        return Skipped(why)
    ours = {name: to_json(scene) for name, scene in single.per_stream.items()} if single is not None else {}
    if not ours:
        return Skipped("no SingleStream perception figures to compare with")
    frames = {s.name: s.frames[0] for s in rig.streams if s.name in ours}
    peer = run_mediapipe(python, frames, rig.budget.peer_s, rig.profile.threads)
    if "skipped" in peer:
        return Skipped(str(peer["skipped"]))
    rows = perception_peer_rows(ours, peer)
    figures: dict[str, Any] = {}
    for kind in PEER_PIPELINES:
        if isinstance(peer.get(kind), dict) and "skipped" in peer[kind]:
            figures[f"{kind}_skipped"] = peer[kind]["skipped"]
        figures[f"median_speedup_vs_{kind}"] = median_of(rows, f"speedup_vs_{kind}")
        figures[f"median_per_person_speedup_vs_{kind}"] = median_of(rows, f"per_person_speedup_vs_{kind}")
    return MediapipePeer(
        version=peer.get("mediapipe"),
        cpus=peer.get("cpus"),
        num_poses=peer.get("tasks_num_poses"),
        rows=tuple(rows),
        note=MEDIAPIPE_NOTE,
        **figures,
    )


def whisper_peer(rig: Rig) -> WhisperPeer | Skipped:
    """faster-whisper's plain `transcribe` and ours on the same utterances: time and word errors."""
    ours_asr = rig.transcriber
    opts = ours_asr.options
    plain = PlainWhisper(ours_asr.model_dir, ours_asr.backend()["device"], opts.compute_type, opts.cpu_threads)
    try:
        plain.load()
    except ModelLoadError as exc:
        return Skipped(exc.message)
    clips = rig.clips[: max(1, rig.budget.peer_clips)]
    ours_s, peer_s = [], []
    n_words = ours_err = peer_err = 0
    for k, clip in enumerate(clips):
        t0 = time.perf_counter()
        text = plain.transcribe(clip.audio, opts.language)
        peer_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mine = ours_asr.transcribe(clip.audio).text
        ours_s.append(time.perf_counter() - t0)
        if clip.truth:
            truth = words(clip.truth)
            n_words += len(truth)
            ours_err += word_error_counts(truth, words(mine))
            peer_err += word_error_counts(truth, words(text))
        rig.progress.update(0.6 + 0.4 * (k + 1) / len(clips), f"{k + 1}/{len(clips)} utterances")
    ours_p50 = Latency.of(ours_s).p50_ms
    peer_p50 = Latency.of(peer_s).p50_ms
    return WhisperPeer(
        utterances=len(clips),
        ours_p50_ms=ours_p50,
        peer_p50_ms=peer_p50,
        speedup=round(peer_p50 / ours_p50, 3) if ours_p50 and peer_p50 else None,
        ours_wer=round(ours_err / n_words, 4) if n_words else None,
        peer_wer=round(peer_err / n_words, 4) if n_words else None,
        words=n_words,
        note=WHISPER_NOTE,
    )

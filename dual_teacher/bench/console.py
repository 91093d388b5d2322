"""What `dual-teacher bench` prints when a run ends, and its exit status (the CLI only prints these)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dual_teacher.bench.peer_scenario import MediapipePeer, WhisperPeer
from dual_teacher.bench.report import SUMMARY_COLUMNS, summary_rows
from dual_teacher.bench.results import Skipped, to_json
from dual_teacher.bench.run import BenchResult
from dual_teacher.core.table import table_text


def summary_table(result: Mapping[str, Any]) -> str:
    """The console table of a result's JSON (the same rows as the report's summary)."""
    return table_text(summary_rows(result), SUMMARY_COLUMNS)


def summary_text(result: BenchResult, json_path: Path, html_path: Path) -> str:
    """The lines printed after a run: what ran, the table, the peers, the verdict and the files."""
    lines: list[str] = []
    setup = result.setup_record
    if setup is not None:
        prov = setup.providers
        lines.append(
            f"profile {prov.profile_used} (asked {prov.profile_requested}); providers "
            f"{', '.join(prov.used_first) or '?'}; mode {result.mode}; {result.wall_s} s"
        )
        lines += [f"fallback: {reason}" for reason in prov.fallback_reasons]
    else:
        lines.append(f"profile ? (asked ?); providers ?; mode {result.mode}; {result.wall_s} s")
    text = "\n".join(lines) + "\n" + summary_table(to_json(result))
    lines = []
    for name, peer in (("mediapipe", result.peers.mediapipe), ("faster_whisper", result.peers.faster_whisper)):
        if isinstance(peer, Skipped):
            lines.append(f"peer {name}: skipped: {peer.skipped}")
    mp = result.peers.mediapipe
    if isinstance(mp, MediapipePeer) and mp.median_speedup_vs_tasks_pose_landmarker is not None:
        lines.append(
            f"vs MediaPipe Tasks PoseLandmarker: {mp.median_speedup_vs_tasks_pose_landmarker}x per frame, "
            f"{mp.median_per_person_speedup_vs_tasks_pose_landmarker}x per person (median of scenes)"
        )
    fw = result.peers.faster_whisper
    if isinstance(fw, WhisperPeer) and fw.speedup is not None:
        lines.append(f"vs faster-whisper transcribe: {fw.speedup}x (WER ours {fw.ours_wer}, peer {fw.peer_wer})")
    lines.append("VALID" if result.valid else "INVALID: " + "; ".join(result.invalid_reasons))
    if result.partial:
        lines.append(f"PARTIAL: interrupted in {result.interrupted_in}")
    lines += [f"results: {json_path}", f"report: {html_path}"]
    return text + "\n".join(lines) + "\n"


def exit_code(result: BenchResult) -> int:
    """130 for a run Ctrl-C cut short, 1 for a run the accuracy gate marked invalid, else 0."""
    if result.partial:
        return 130
    return 0 if result.valid else 1

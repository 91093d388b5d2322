"""Smoke runs of the speech benchmark scripts with a tiny budget, so they cannot rot (no figures checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA, needs_data

pytestmark = [
    pytest.mark.slow,
    needs_data(SHARED_DATA / "speech" / "references.tsv"),
]
pytest.importorskip("faster_whisper", reason="the speech extra is not installed")


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_eval_asr_quick(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    proc = _run("eval_asr.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"en", "zh", "hallucinated_words", "hallucination", "loops", "per_clip", "fingerprint"} <= set(data)
    assert data["en"]["clips"] >= 1 and isinstance(data["en"]["wer"], float)
    assert data["zh"]["clips"] >= 1 and isinstance(data["zh"]["cer"], float)
    assert isinstance(data["hallucinated_words"], int)
    assert {"platform", "cpu_count", "python", "packages"} <= set(data["fingerprint"])
    assert "WER en" in proc.stdout and "->" in proc.stdout


def test_bench_asr_quick(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = _run("bench_asr.py", "--out", str(out), "--quick", "--data", str(SHARED_DATA))
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"summary", "goals", "trials", "config", "fingerprint"} <= set(data)
    assert {"alone/2s/answer", "alone/2s/caption", "alone/2s/baseline"} <= set(data["summary"])
    for row in data["summary"].values():
        assert {"final_latency", "rtf"} <= set(row)
    assert {"answer_final_latency_p90_s", "caption_lag_shown_p90_s"} <= set(data["goals"])
    assert "RTF" in proc.stdout


def test_bench_answers_quick(tmp_path: Path) -> None:
    out = tmp_path / "answers.json"
    proc = _run("bench_answers.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"summary", "trials", "config", "fingerprint"} <= set(data)
    for lang in ("en", "zh"):
        row = data["summary"][lang]
        assert {"accuracy", "false_answers", "latency_p50_s", "latency_p90_s", "answer_clips"} <= set(row)
        assert row["answer_clips"] >= 1 and row["non_answer_clips"] >= 1
    assert {t["kind"] for t in data["trials"]} == {"answer", "non_answer"}
    for t in data["trials"]:  # an answer heard says where its time went, the parts adding up to the latency
        if t["latency_s"] is not None:
            parts = t["latency_parts"]
            assert set(parts) == {"hangover_s", "wait_s", "decode_s", "answer_s"}
            assert min(parts["wait_s"], parts["decode_s"], parts["answer_s"]) >= 0
            assert abs(sum(parts.values()) - t["latency_s"]) < 0.01
    assert "false/non-answers" in proc.stdout


def test_eval_asr_reports_parity_with_the_plain_library(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    proc = _run("eval_asr.py", "--data", str(SHARED_DATA), "--out", str(out), "--quick", "--no-zh")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    parity = data["parity"]
    assert parity["clips"] == data["en"]["clips"] >= 1
    assert {"clip", "ours", "plain", "delta", "worse"} <= set(parity["rows"][0])
    assert isinstance(data["en"]["plain_wer"], float)
    assert "parity with the plain library" in proc.stdout


def test_asr_stretches_on_the_keyword_clip(tmp_path: Path) -> None:
    out = tmp_path / "stretches.json"
    proc = _run("asr_stretches.py", "--data", str(SHARED_DATA), "--out", str(out), "--only", "porcupine_porcupine")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"clips", "words_without_speech", "more_stretches_than_reference_words", "machine"} <= set(data)
    (clip,) = data["clips"]
    assert clip["stretches"] and all(s < e for s, e in clip["stretches"])
    assert len(clip["stretch_texts"]) in (0, len(clip["stretches"]))
    assert "words from clips with no voiced stretch" in proc.stdout

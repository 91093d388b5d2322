"""The HTML report, the console output and the JSON of a `dual-teacher bench` result (the edge where the typed
result becomes dicts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from dual_teacher.bench.budget import budget_for
from dual_teacher.bench.console import exit_code, summary_table, summary_text
from dual_teacher.bench.peer_scenario import Peers, WhisperPeer
from dual_teacher.bench.report import histogram_svg, lines_svg, nice_ticks, render, summary_rows
from dual_teacher.bench.results import Latency, Skipped, Usage, to_json
from dual_teacher.bench.run import BenchResult, Scenarios, write_result
from dual_teacher.bench.single_stream import SceneFigures, SingleStreamPerception
from tests.unit.test_bench_compare import _result


def test_nice_ticks_cover_the_range() -> None:
    assert nice_ticks(0, 12.5, 4) == [0, 5, 10, 15]
    ticks = nice_ticks(480, 660)
    assert ticks[0] <= 480 and ticks[-1] >= 660


def test_svgs_are_well_formed() -> None:
    ET.fromstring(histogram_svg([1.0, 2.0, 2.5, 10.0], "lat <&>"))
    ET.fromstring(histogram_svg([5.0], "one"))
    ET.fromstring(lines_svg([("fps", [[0, 1.0], [1, 2.0], [2, None]])], "t", bands=[("a", 0.0, 1.0)]))
    assert "no samples" in histogram_svg([], "empty")
    assert "no samples" in lines_svg([("x", [])], "empty")


def test_render_a_partial_result() -> None:
    result = _result(100.0, 10.0, partial=True, interrupted_in="Classroom", valid=False, invalid_reasons=["gate"])
    result["scenarios"]["single_stream"]["perception"]["samples_ms"] = [90.0, 100.0, 120.0]
    result["scenarios"]["single_stream"]["perception"]["interrupted"] = True
    page = render(result)
    assert "PARTIAL (interrupted in Classroom)" in page and "INVALID" in page
    assert page.count("<svg") >= 1
    rows = summary_rows(result)
    assert rows[0]["scenario"] == "SingleStream perception (interrupted)"
    assert render({}).startswith("<!doctype html>")


USAGE = Usage(wall_s=1.5, cpu_percent=180.0, peak_rss_mb=900.0, peak_gpu_mem_mb=None)


def _single(interrupted: bool = False) -> SingleStreamPerception:
    return SingleStreamPerception(
        latency=Latency.of([0.1, 0.2]),
        frames_per_s=6.667,
        per_stream={"room": SceneFigures(2, 150.0, 5)},
        threads=2,
        samples_ms=(100.0, 200.0),
        how="test",
        usage=USAGE,
        interrupted=interrupted,
    )


def _bench_result(**changes: Any) -> BenchResult:
    fields: dict[str, Any] = {
        "schema_version": 1,
        "kind": "dual-teacher-bench",
        "mode": "quick",
        "partial": False,
        "interrupted_in": None,
        "valid": True,
        "invalid_reasons": (),
        "budget": budget_for("quick"),
        "scenarios": Scenarios(single_stream_perception=_single()),
        "peers": Peers(
            mediapipe=Skipped("no venv"), faster_whisper=WhisperPeer(2, 100.0, 250.0, 2.5, 0.0, 0.1, 10, "n")
        ),
        "machine": {"cpu": "x", "cpu_count": 2},
    }
    fields.update(changes)
    return BenchResult(**fields)


def test_result_json_keeps_its_keys() -> None:
    data = to_json(_bench_result())
    assert list(data)[:3] == ["schema_version", "kind", "mode"]
    assert "accuracy" not in data and "error" not in data and "providers" not in data  # not run: left out
    part = data["scenarios"]["single_stream"]["perception"]
    assert set(part) == {
        "latency", "frames_per_s", "per_stream", "threads", "samples_ms", "how",
        "wall_s", "cpu_percent", "peak_rss_mb", "peak_gpu_mem_mb",
    }  # fmt: skip
    assert part["per_stream"] == {"room": {"n": 2, "p50_ms": 150.0, "people": 5}}
    assert part["latency"]["p50_ms"] == 150.0 and part["samples_ms"] == [100.0, 200.0]
    assert data["peers"]["mediapipe"] == {"skipped": "no venv"} and data["peers"]["faster_whisper"]["speedup"] == 2.5
    assert data["budget"]["mode"] == "quick"
    cut = to_json(_bench_result(scenarios=Scenarios(single_stream_perception=_single(interrupted=True))))
    assert cut["scenarios"]["single_stream"]["perception"]["interrupted"] is True


def test_console_summary_and_exit_code(tmp_path: Path) -> None:
    result = _bench_result()
    text = summary_text(result, tmp_path / "r.json", tmp_path / "r.html")
    assert "SingleStream perception" in text and "peer mediapipe: skipped: no venv" in text
    assert "vs faster-whisper transcribe: 2.5x" in text and "VALID" in text and f"report: {tmp_path / 'r.html'}" in text
    assert exit_code(result) == 0
    assert exit_code(_bench_result(valid=False, invalid_reasons=("gate",))) == 1
    assert exit_code(_bench_result(partial=True, interrupted_in="Classroom")) == 130
    assert "INVALID: gate" in summary_text(_bench_result(valid=False, invalid_reasons=("gate",)), tmp_path, tmp_path)


def test_summary_table_rows_line_up() -> None:
    lines = summary_table(to_json(_bench_result())).splitlines()
    assert lines[0].split() == [
        "scenario",
        "n",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "throughput",
        "unit",
        "cpu_%",
        "peak_rss_mb",
    ]
    assert lines[2].startswith("SingleStream perception") and " 150 " in lines[2] and "6.67" in lines[2]


def test_write_result_writes_json_and_html(tmp_path: Path) -> None:
    json_path, html_path = write_result(_bench_result(), tmp_path / "out" / "r.json")
    assert json_path.read_text(encoding="utf-8").startswith("{") and '"schema_version": 1' in json_path.read_text()
    assert html_path.read_text(encoding="utf-8").startswith("<!doctype html>")

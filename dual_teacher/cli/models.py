"""`dual-teacher models build | verify | list`: the on-device models."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dual_teacher.inference.registry import ModelRegistry


def _registry() -> ModelRegistry:
    from dual_teacher.inference.registry import ModelRegistry

    return ModelRegistry()


def cmd_models_build(args: argparse.Namespace) -> int:
    import time

    from dual_teacher.models.build import run_build

    t0 = time.monotonic()
    registry = _registry()
    code = run_build(registry, lambda line: print(line, flush=True), only=args.only or (), force=args.force)
    if code != 0:
        print(f"models build FAILED (exit {code}); nothing that failed its parity check is used", file=sys.stderr)
        return 1
    print(f"models build done in {time.monotonic() - t0:.1f} s; report: {registry.report_path}")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    from dual_teacher.models.verify import verify_models

    findings = verify_models(_registry())
    bad = [f for f in findings if not f.ok]
    for f in findings:
        print(f"{'ok  ' if f.ok else 'FAIL'} {f.model:<34} {f.variant:<6} {f.message}")
    if bad:
        print(
            f"{len(bad)} problem(s): run `dual-teacher models build` to rebuild (add --force to redo all)",
            file=sys.stderr,
        )
        return 1
    print("all models verified")
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    registry = _registry()
    print(f"model cache: {registry.cache}")
    print("parity: worst output's max |ONNX - TFLite| as a multiple of its allowed difference (<= 1 passes)")
    print(f"{'model':<34} {'variant':<7} {'state':<8} {'size':>8} {'parity':>9}  source")
    for spec in registry.manifest.models:
        for v in registry.variants(spec.name, check_hashes=False):
            size = "-" if v.size_bytes is None else f"{v.size_bytes / 1e6:.1f}MB"
            diff = "-" if v.parity_ratio is None else f"{v.parity_ratio:.2f}x"
            flag = " (over tolerance)" if v.over_tolerance else ""
            src = f"{spec.source.package}=={spec.source.version}" if v.variant == "fp32" else ""
            print(f"{spec.name:<34} {v.variant:<7} {v.state:<8} {size:>8} {diff:>9}  {src}{flag}")
    from dual_teacher.core.errors import ModelLoadError

    for name in registry.whisper_names():
        w = next(x for x in registry.manifest.whisper if x.name == name)
        try:
            path = registry.whisper_dir(name, assemble=False)
            nbytes = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
            state, where = "ok", f"{nbytes / 1e6:.0f}MB"
        except ModelLoadError as exc:
            state, where = ("not built" if "not assembled" in str(exc) else "missing"), "-"
        print(f"{'whisper ' + name:<34} {'ct2':<7} {state:<8} {where:>8} {'':>9}  {', '.join(w.packages)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = sub.add_parser("models", help="build, verify and list the on-device models").add_subparsers(
        dest="models_command", required=True, metavar="MODELS_COMMAND"
    )
    mbuild = models.add_parser("build", help="convert and verify the models (cached; a second run does nothing)")
    mbuild.add_argument("--only", action="append", metavar="NAME", help="build only this model (repeatable)")
    mbuild.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    mbuild.set_defaults(func=cmd_models_build)
    mverify = models.add_parser("verify", help="re-check hashes and parity; exit 1 on a corrupt or stale file")
    mverify.set_defaults(func=cmd_models_verify)
    mlist = models.add_parser("list", help="every model, its source, size, state and variants")
    mlist.set_defaults(func=cmd_models_list)

"""`dual-teacher bench [compare A B | setup-peers]`: the vendor benchmark of this machine."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def cmd_bench_setup_peers(args: argparse.Namespace) -> int:
    """Set-up step: the peers' own environments, from pinned lists (benchmark runs never install anything)."""
    from dual_teacher.bench.peers import setup_peers

    python, how = setup_peers(force=args.force)
    if python is None:
        print(f"MediaPipe peer: not set up: {how}", file=sys.stderr)
        return 1
    print(f"MediaPipe peer: {how} ({python})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import time

    from dual_teacher.bench.budget import Mode
    from dual_teacher.bench.console import exit_code, summary_text
    from dual_teacher.bench.monitor import Progress
    from dual_teacher.bench.run import BenchOptions, run_bench

    if getattr(args, "bench_command", None) == "compare":
        return cmd_bench_compare(args)
    if getattr(args, "bench_command", None) == "setup-peers":
        return cmd_bench_setup_peers(args)
    mode: Mode = "quick" if args.quick else "full" if args.full else "default"
    out = Path(args.out) if args.out else Path("results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    options = BenchOptions(
        out=out,
        mode=mode,
        profile=args.profile,
        budget_s=args.budget_s,
        cameras=args.cameras,
        peers=args.peers == "auto",
        data=Path(args.data) if args.data else None,
    )
    progress = Progress(enabled=not args.no_progress)
    result, json_path, html_path = run_bench(options, progress)
    progress.close()
    print(summary_text(result, json_path, html_path), end="")
    return exit_code(result)


def cmd_bench_compare(args: argparse.Namespace) -> int:
    from dual_teacher.bench.compare import format_compare

    data = []
    for name in (args.a, args.b):
        try:
            data.append(json.loads(Path(name).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"cannot read {name}: {exc}", file=sys.stderr)
            return 2
    print(format_compare(data[0], data[1], args.a, args.b), end="")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser(
        "bench",
        help="benchmark this machine (MLPerf-style scenarios, accuracy gate, peers); `bench compare A B`",
        description="Runs SingleStream, MultiStream, Offline and Classroom scenarios on real classroom frames and "
        "speech, checks accuracy against the CPU fp32 reference, runs the MediaPipe and faster-whisper peers, "
        "and writes FILE.json plus an HTML report beside it. Ctrl-C writes partial results.",
    )
    bench.add_argument("--profile", help="hardware profile to use (default: the best that works here)")
    length = bench.add_mutually_exclusive_group()
    length.add_argument("--quick", action="store_true", help="about a minute on a 2-core CPU")
    length.add_argument("--full", action="store_true", help="MLPerf-like minimums: >= 600 s per scenario")
    bench.add_argument("--budget-s", type=float, help="seconds per scenario (overrides the mode's; smoke tests)")
    bench.add_argument("--cameras", type=int, default=2, help="simulated cameras in MultiStream / Offline (default 2)")
    bench.add_argument(
        "--peers", choices=["auto", "skip"], default="auto", help="run the MediaPipe/faster-whisper peers"
    )
    bench.add_argument("--data", help="evaluation data folder (default ../shared/data or $DUAL_TEACHER_SHARED_DATA)")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    bench.add_argument("--out", help="results JSON (default results/bench-<time>.json); the .html goes beside it")
    bench.set_defaults(func=cmd_bench)
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND")
    bcompare = bench_sub.add_parser("compare", help="ratios of every metric of two results (B / A)")
    bcompare.add_argument("a", help="results JSON A (the baseline)")
    bcompare.add_argument("b", help="results JSON B")
    bcompare.set_defaults(func=cmd_bench)
    bsetup = bench_sub.add_parser(
        "setup-peers", help="make the MediaPipe peer's venv from its pinned list (a set-up step; runs never install)"
    )
    bsetup.add_argument("--force", action="store_true", help="make it again even if it exists")
    bsetup.set_defaults(func=cmd_bench)

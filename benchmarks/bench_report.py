"""How long the post-class report of a long class takes: a synthetic session in a temporary event store.

    python benchmarks/bench_report.py --out results/report.json [--minutes 45] [--runs 5]

The session has realistic rates for a class with a camera and a microphone: a head count every 2 s, the
attention share every second, speech activity every 5 s (lead teacher and room), 10 questions with ~15
spoken answers each, hands raised and lowered at every question and now and then in between. Timed: the
whole `write_report` (read the events from SQLite, compute the metrics, write HTML, JSON and 3 CSV files),
and its parts, p50/p90 over `--runs` runs (after one warm-up run). The goal is under 5 s for 45 minutes.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

from _common import write_json

from dual_teacher.core import events as ev
from dual_teacher.core.stats import percentiles_ms
from dual_teacher.core.table import print_table
from dual_teacher.engagement import report as rp
from dual_teacher.engagement.store import EventStore
from dual_teacher.runtime.store_writer import StoreWriter

SESSION = "bench-45min"
CLASS_SIZE = 40


def synthesise(db: Path, minutes: float, seed: int = 1) -> int:
    """Write one synthetic session of `minutes` lesson time; returns the number of events."""
    rng = random.Random(seed)
    store = EventStore(db)
    store.create_session(
        SESSION,
        "bench-pack",
        "Benchmark lesson",
        str(db),
        "bench",
        1_800_000_000.0,
        "bench",
        {"roster_size": CLASS_SIZE},
    )
    store.close()
    writer = StoreWriter(db, batch_window_s=0.01)
    items: list[tuple[float, ev.Event]] = []
    duration = minutes * 60.0
    items.append((0.0, ev.TeacherStarted()))
    items.append((0.0, ev.ClassStarted("bench-pack", "Benchmark lesson", 32)))
    n_questions = 10
    block = duration / n_questions
    present = CLASS_SIZE - 3
    seats = {t: (rng.random(), rng.random()) for t in range(1, CLASS_SIZE + 1)}
    for q in range(n_questions):
        start = q * block
        items.append((start, ev.NodeEntered(f"video-{q}", "video", f"Part {q + 1}")))
        asked = start + block * 0.7
        items.append((asked, ev.NodeEntered(f"q{q}", "question", f"Question {q + 1}")))
        items.append(
            (asked, ev.QuestionAsked(f"q{q}", "single_choice", f"Question {q + 1}?", ("A", "B", "C"), ("B",), 30.0))
        )
        answers = [rng.choice("AABBBBC") for _ in range(15)]
        for i, a in enumerate(answers):
            items.append((asked + 2 + i, ev.AnswerHeard(a, 0.9, "speech")))
        tally = {k: answers.count(k) for k in "ABC"}
        items.append((asked + 30, ev.QuestionClosed(f"q{q}", "time_up", 15, tally["B"], tally["B"] / 15, tally)))
        for track in rng.sample(range(1, CLASS_SIZE + 1), 12):
            up = asked + rng.uniform(1, 10)
            items.append((up, ev.HandRaised(track, *seats[track])))
            items.append((up + rng.uniform(3, 12), ev.HandLowered(track)))
        for _ in range(3):
            track = rng.randint(1, CLASS_SIZE)
            up = start + rng.uniform(0, block * 0.6)
            items.append((up, ev.HandRaised(track, *seats[track])))
            items.append((up + rng.uniform(3, 8), ev.HandLowered(track)))
    t = 0.0
    while t < duration:
        if int(t) % 2 == 0:
            items.append((t, ev.HeadCountReported(present - rng.choice((0, 0, 1, 2)))))
        items.append((t, ev.AttentionMeasured(round(rng.uniform(0.5, 0.95), 3), present - rng.randint(0, 3))))
        if int(t) % 5 == 0:
            items.append((t, ev.SpeechActivity("teacher", rng.uniform(2.0, 4.5))))
            items.append((t, ev.SpeechActivity("room", rng.uniform(0.0, 1.5))))
        t += 1.0
    items.append((duration, ev.ClassEnded("completed")))
    items.sort(key=lambda item: item[0])
    for mono, event in items:
        writer.append(SESSION, event, mono, 1_800_000_000.0 + mono)
    writer.end_session(SESSION, 1_800_000_000.0 + duration, "completed")
    if not writer.close(timeout=120):
        raise RuntimeError("the synthetic events could not be written")
    return len(items)


def measure(db: Path, out_dir: Path, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in ("load", "build", "html", "json", "csv", "write_report")}
    for i in range(runs + 1):  # the first run warms caches and is not counted
        store = EventStore(db)
        try:
            row = store.session(SESSION)
            assert row is not None
            t0 = time.perf_counter()
            events = store.events(row.id)
            t1 = time.perf_counter()
            report = rp.build_report(row, events)
            t2 = time.perf_counter()
            rp.render_html(report, tz=UTC)
            t3 = time.perf_counter()
            rp.report_json(report)
            t4 = time.perf_counter()
            rp.report_csv(report)
            t5 = time.perf_counter()
            rp.write_report(store, SESSION, out_dir)
            t6 = time.perf_counter()
        finally:
            store.close()
        if i == 0:
            continue
        for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            times[key].append(dt)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    parser.add_argument("--minutes", type=float, default=45.0, help="lesson length to synthesise (default 45)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        db = Path(tmp) / "events.sqlite"
        t0 = time.perf_counter()
        n_events = synthesise(db, args.minutes)
        synth_s = time.perf_counter() - t0
        times = measure(db, Path(tmp) / "report", max(1, args.runs))
        html_bytes = (Path(tmp) / "report" / "report.html").stat().st_size
    rows: list[dict[str, Any]] = [{"stage": k, **percentiles_ms(v)} for k, v in times.items()]
    print(
        f"{args.minutes:g}-minute synthetic class: {n_events} events (written in {synth_s:.1f} s), HTML {html_bytes} B"
    )
    print_table(rows, ["stage", "n", "p50_ms", "p90_ms", "p99_ms"])
    total_p50 = next(r["p50_ms"] for r in rows if r["stage"] == "write_report")
    print(f"report p50: {total_p50 / 1000:.3f} s (goal: under 5 s for a 45-minute class)")
    write_json(
        args.out,
        {
            "benchmark": "report",
            "lesson_minutes": args.minutes,
            "events": n_events,
            "html_bytes": html_bytes,
            "runs": max(1, args.runs),
            "stages": rows,
            "write_report_p50_s": total_p50 / 1000,
            "goal_s": 5.0,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

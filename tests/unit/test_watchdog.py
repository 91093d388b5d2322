"""The per-stage watchdog: failure budget, backoff and giving up as a pure function of time (tables), and a
session whose stage fails every tick for an hour: two alerts, not 36,000."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.core import events as ev
from dual_teacher.core.clock import FakeClock
from dual_teacher.core.errors import StageFailed
from dual_teacher.engagement.store import EventStore
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.loader import load_pack
from dual_teacher.runtime.health import session_health
from dual_teacher.runtime.session import ClassSession
from dual_teacher.runtime.watchdog import FailureBudget, RestartPolicy

POLICY = RestartPolicy(max_failures=3, window_s=10.0, backoff_s=(1.0, 2.0, 4.0), healthy_after_s=5.0)


@pytest.mark.parametrize(
    ("failures", "expect"),
    [
        # one failure: retry after the first backoff, alert (a new streak)
        ([0.0], [("retry", 1.0, True)]),
        # back-to-back failures back off 1, 2 s; the third within 10 s gives up
        ([0.0, 1.0, 3.0], [("retry", 1.0, True), ("retry", 3.0, False), ("give_up", None, False)]),
        # spread out beyond the window: never given up; a quiet spell of 5 s starts a new streak (alert again)
        (
            [0.0, 6.0, 12.0, 18.0],
            [("retry", 1.0, True), ("retry", 7.0, True), ("retry", 13.0, True), ("retry", 19.0, True)],
        ),
        # two quick ones, then a third 11 s after the first: only 2 in the window, so a retry
        ([0.0, 1.0, 11.0], [("retry", 1.0, True), ("retry", 3.0, False), ("retry", 12.0, True)]),
    ],
)
def test_failure_budget_table(failures: list[float], expect: list[tuple[str, float | None, bool]]) -> None:
    budget = FailureBudget("camera", POLICY)
    got: list[tuple[str, float | None, bool]] = []
    for t in failures:
        try:
            v = budget.failed(t, "boom")
            got.append(("retry", v.retry_at, v.alert))
        except StageFailed:
            got.append(("give_up", None, False))
    assert got == expect


@pytest.mark.parametrize(
    ("now", "may_run"),
    [(0.5, False), (0.99, False), (1.0, True), (5.0, True)],
)
def test_backoff_holds_the_stage_until_its_retry_time(now: float, may_run: bool) -> None:
    budget = FailureBudget("camera", POLICY)
    budget.failed(0.0)
    assert budget.may_run(now) is may_run
    assert budget.state == "restarting"


def test_given_up_for_good_and_a_success_after_backoff_clears_restarting() -> None:
    budget = FailureBudget("mic", POLICY)
    budget.failed(0.0)
    budget.succeeded(0.5)  # still in its backoff: not yet proven
    assert budget.state == "restarting"
    budget.succeeded(1.2)
    assert budget.state == "ok" and budget.may_run(1.2)
    budget.failed(2.0)
    with pytest.raises(StageFailed):
        budget.failed(6.0)
    assert budget.state == "failed" and not budget.may_run(1e9)
    assert budget.is_restarting_too_fast(6.0) and not budget.is_restarting_too_fast(100.0)
    with pytest.raises(StageFailed):  # still refuses, cheaply; the session stores no second alert
        budget.failed(7.0)


class Broken:
    """An input stage whose poll fails every tick (a camera driver gone bad)."""

    name = "camera"

    def __init__(self) -> None:
        self.polls = 0
        self.restarts = 0

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        pass

    def poll(self, now: float) -> list[ev.Event]:
        self.polls += 1
        raise OSError("camera read failed")

    def restart(self) -> None:
        self.restarts += 1


def test_a_stage_failing_every_tick_for_an_hour_gives_two_alerts_and_the_lesson_goes_on(
    demo_pack_dir: Path, tmp_path: Path
) -> None:
    pack = load_pack(demo_pack_dir)
    store = EventStore(tmp_path / "e.sqlite")
    clock = FakeClock()
    broken = Broken()
    session = ClassSession(pack, store, clock, inputs=[broken])
    seen: list[ev.Event] = []
    session.bus.subscribe(seen.append)
    session.start()
    for _ in range(36_000):  # one hour of 0.1 s ticks
        session.tick()
        clock.advance(0.1)
    alerts = [e for e in seen if isinstance(e, ev.StageAlert) and e.stage == "camera"]
    assert [a.severity for a in alerts] == ["warning", "error"]  # restarting; then given up (StageFailed)
    assert "stopped after 5 failures" in alerts[1].message
    assert broken.polls == 5 and broken.restarts == 4  # backed off, restarted, then left alone
    row = next(r for r in session_health(session) if r.stage == "camera")
    assert row.state == "failed" and "stopped" in row.detail
    assert session.ended  # the lesson itself ran to its end meanwhile
    assert session.close()
    stored = [e for e in store.events(session.session_id) if e.type == "StageAlert"]
    assert len(stored) == 2
    pack.close()
    store.close()

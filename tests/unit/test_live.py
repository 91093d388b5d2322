"""The live stream's policy (lost / retry / back) and the position mapping, on a fake timeline."""

from __future__ import annotations

import pytest

from dual_teacher.lesson.loader import load_pack
from dual_teacher.lesson.schema import LessonPack, VideoNode
from dual_teacher.runtime.live_policy import (
    Connect,
    Disconnect,
    LessonTimeline,
    LinkDown,
    LinkUp,
    LiveLinkPolicy,
    LivePolicyConfig,
    Retrying,
)

CFG = LivePolicyConfig(stall_s=2.0, connect_timeout_s=6.0, confirm_s=1.0, backoff_s=(1.0, 2.0, 4.0))


def _frames(p: LiveLinkPolicy, start: float, end: float, every: float = 0.1) -> list[object]:
    out: list[object] = []
    t = start
    while t <= end + 1e-9:
        out += p.frame(t)
        out += p.tick(t)
        t = round(t + every, 6)
    return out


def test_first_connection_is_up_after_frames_flow_for_confirm_s() -> None:
    p = LiveLinkPolicy(CFG)
    assert p.start(0.0) == [Connect(0)]
    out = _frames(p, 0.5, 1.4)
    assert out == []
    assert _frames(p, 1.5, 1.5) == [LinkUp(0)] and p.state == "up"


@pytest.mark.parametrize(
    ("how", "reason"),
    [("silence", "stalled"), ("error", "error: boom"), ("ended", "ended")],
)
def test_a_lost_stream_disconnects_then_retries_with_backoff(how: str, reason: str) -> None:
    p = LiveLinkPolicy(CFG)
    p.start(0.0)
    _frames(p, 0.1, 3.0)
    assert p.state == "up"
    if how == "silence":
        assert p.tick(4.9) == []
        out = p.tick(5.0)
    else:
        out = p.failed(3.2, reason)
    assert isinstance(out[0], Disconnect) and isinstance(out[1], LinkDown)
    down = out[1]
    assert down.reason == reason and down.was_up and down.last_frame_at == pytest.approx(3.0)
    now = 5.0 if how == "silence" else 3.2
    assert p.state == "waiting" and p.retry_in(now) == pytest.approx(1.0)
    assert p.tick(now + 1.0) == [Connect(1), Retrying(1, 1.0)]
    # the try fails at once (connection refused): the next wait is longer
    assert p.failed(now + 1.1, "error: refused") == [Disconnect()]
    assert p.retry_in(now + 1.1) == pytest.approx(2.0)
    assert p.tick(now + 3.1) == [Connect(2), Retrying(2, 2.0)]
    # a try with no picture at all fails after connect_timeout_s
    assert p.tick(now + 9.2) == [Disconnect()] and p.retry_in(now + 9.2) == pytest.approx(4.0)
    assert p.tick(now + 13.2) == [Connect(3), Retrying(3, 4.0)]
    assert p.failed(now + 13.3, "error") == [Disconnect()] and p.retry_in(now + 13.3) == pytest.approx(4.0)


def test_the_stream_coming_back_is_up_again_and_resets_the_backoff() -> None:
    p = LiveLinkPolicy(CFG)
    p.start(0.0)
    _frames(p, 0.1, 2.0)
    p.failed(2.0, "ended")
    p.tick(3.0)
    out = _frames(p, 3.2, 4.3)
    assert LinkUp(1) in out and p.state == "up" and p.failures == 0
    p.failed(5.0, "ended")
    assert p.retry_in(5.0) == pytest.approx(1.0)


def test_a_first_try_that_fails_says_so_once_so_the_ai_lesson_can_start() -> None:
    p = LiveLinkPolicy(CFG)
    p.start(0.0)
    out = p.failed(0.2, "error: refused")
    assert out == [Disconnect(), LinkDown("error: refused", 0.0, None, was_up=False)]
    p.tick(1.2)
    assert p.failed(1.3, "error: refused") == [Disconnect()]  # later tries fail quietly


def test_frames_after_a_disconnect_are_ignored_and_stop_is_final() -> None:
    p = LiveLinkPolicy(CFG)
    p.start(0.0)
    _frames(p, 0.1, 2.0)
    p.failed(2.0, "ended")
    assert p.frame(2.05) == [] and p.state == "waiting"
    assert p.stop() == [] and p.tick(100.0) == []


def test_fps_counts_recent_frames() -> None:
    p = LiveLinkPolicy(CFG)
    p.start(0.0)
    _frames(p, 0.0, 4.0, every=0.1)
    assert p.fps(4.0) == pytest.approx(10.0, abs=0.6)


# ---- the position mapping ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_timeline(demo_pack_dir) -> LessonTimeline:  # type: ignore[no-untyped-def]
    pack = load_pack(demo_pack_dir)
    durations = {n.id: pack.duration_of(n) for n in pack.manifest.nodes if isinstance(n, VideoNode)}
    timeline = LessonTimeline(pack.manifest, durations, "en")
    pack.close()
    return timeline


def test_main_line_skips_the_remedial_detour(demo_timeline: LessonTimeline) -> None:
    ids = [e.node_id for e in demo_timeline.entries]
    assert ids == ["intro", "counting-on", "q1", "make-ten", "poll-ten", "q2", "practice", "wrap-up", "end"]
    q1 = demo_timeline.entry("q1")
    assert q1 is not None and q1.duration_s == 24.0  # time limit 20 + reveal 4


@pytest.mark.parametrize(
    ("at", "node", "offset"),
    [
        (0.0, "intro", 0.0),
        (1.0, "intro", 0.0),  # under snap_s: from the start of the segment
        (8.0, "intro", 8.0),
        (-5.0, "intro", 0.0),
        (10_000.0, "wrap-up", None),  # past the end: the last segment, never the end card
    ],
)
def test_locate(demo_timeline: LessonTimeline, at: float, node: str, offset: float | None) -> None:
    pos = demo_timeline.locate(at)
    assert pos is not None and pos.node_id == node
    if offset is not None:
        assert pos.offset_s == pytest.approx(offset)


def test_locate_inside_a_question_starts_it_fresh(demo_timeline: LessonTimeline) -> None:
    q1 = demo_timeline.entry("q1")
    assert q1 is not None
    pos = demo_timeline.locate(q1.start_s + 10)
    assert pos is not None and pos.node_id == "q1" and pos.offset_s == 0.0


def test_a_branch_with_no_merge_point_follows_otherwise() -> None:
    pack = LessonPack.model_validate(
        {
            "schema_version": 1,
            "id": "t",
            "title": "t",
            "nodes": [
                {"id": "q", "kind": "question", "qtype": "true_false", "prompt": "?", "answer": True},
                {
                    "id": "b",
                    "kind": "branch",
                    "source": "q",
                    "rules": [{"on": "correct_rate", "at_least": 0.5, "goto": "yes"}],
                    "otherwise": "no",
                },
                {"id": "yes", "kind": "timer", "label": "yes", "duration_s": 5, "next": "end"},
                {"id": "no", "kind": "timer", "label": "no", "duration_s": 7, "next": "end"},
                {"id": "end", "kind": "end"},
            ],
        }
    )
    ids = [e.node_id for e in LessonTimeline(pack).entries]
    assert ids == ["q", "no", "end"]

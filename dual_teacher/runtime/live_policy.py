"""The remote teacher's live stream: when to call it lost, when to try again, where the AI lesson takes over.

Two pure pieces, driven by whoever plays the stream (the Qt classroom) with `now` from its clock:

- `LiveLinkPolicy` watches one stream through what the player reports (a new frame, an error, the end) and
  the passing of time. A stream that shows no new frame for `stall_s` while up, reports an error or ends is
  lost; the policy then disconnects and tries again after a backoff (1, 2, 4, 8, 15, 15 ... s). A try counts
  as a success only after frames have flowed for `confirm_s`; a try with no picture after
  `connect_timeout_s` has failed.
- `LessonTimeline` is the position mapping: the live lesson is taken to follow the lesson pack's planned
  timeline (each node's planned length, the main line through branches) from the moment the class started,
  so `locate(seconds since the start)` names the node, and the offset into it, where the AI lesson picks up.

Neither reads a clock or touches the network: the same inputs give the same actions, on any clock.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Literal

from dual_teacher.core.backoff import Backoff
from dual_teacher.lesson.schema import (
    BranchNode,
    HandPollNode,
    LessonPack,
    Node,
    QuestionNode,
    SlideNode,
    TimerNode,
    VideoNode,
    successors,
    text_in,
)

# ---- the link ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Connect:
    """Open the stream (a fresh player)."""

    attempt: int


@dataclasses.dataclass(frozen=True)
class Disconnect:
    """Stop and drop the player."""


@dataclasses.dataclass(frozen=True)
class LinkUp:
    """Frames have flowed for `confirm_s`: the stream can be shown."""

    attempt: int


@dataclasses.dataclass(frozen=True)
class LinkDown:
    """The stream is lost (`was_up`) or the first try failed (`was_up` False). `last_frame_at`: clock time of
    its last frame (None when it never showed one)."""

    reason: str
    silent_s: float
    last_frame_at: float | None
    was_up: bool


@dataclasses.dataclass(frozen=True)
class Retrying:
    attempt: int
    delay_s: float


LinkAction = Connect | Disconnect | LinkUp | LinkDown | Retrying
LinkState = Literal["idle", "connecting", "up", "waiting", "stopped"]


@dataclasses.dataclass(frozen=True)
class LivePolicyConfig:
    stall_s: float = 2.0
    connect_timeout_s: float = 6.0
    confirm_s: float = 1.0
    backoff_s: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)


class LiveLinkPolicy:
    """State of one live stream; every method takes `now` and returns the actions to carry out, in order."""

    def __init__(self, config: LivePolicyConfig | None = None) -> None:
        self.config = config or LivePolicyConfig()
        self._backoff = Backoff.stepped(self.config.backoff_s)
        self.state: LinkState = "idle"
        self.attempt = 0
        self.failures = 0  # consecutive failed tries since the stream was last up
        self.ever_up = False
        self.retry_at: float | None = None
        self.last_frame_at: float | None = None
        self._connect_started = 0.0
        self._flowing_since: float | None = None
        self._delay = 0.0
        self._recent: deque[float] = deque(maxlen=64)

    # ---- inputs ----------------------------------------------------------------------------------------------
    def start(self, now: float) -> list[LinkAction]:
        if self.state != "idle":
            return []
        return self._connect(now, 0)

    def stop(self) -> list[LinkAction]:
        was = self.state
        self.state = "stopped"
        self.retry_at = None
        return [Disconnect()] if was in ("connecting", "up") else []

    def frame(self, now: float) -> list[LinkAction]:
        """The player showed a new frame."""
        if self.state not in ("connecting", "up"):
            return []
        self.last_frame_at = now
        self._recent.append(now)
        if self._flowing_since is None:
            self._flowing_since = now
        return self._maybe_up(now)

    def failed(self, now: float, reason: str) -> list[LinkAction]:
        """The player reported an error or the end of the stream."""
        if self.state == "up":
            return self._lose(now, reason)
        if self.state == "connecting":
            return self._try_failed(now, reason)
        return []

    def tick(self, now: float) -> list[LinkAction]:
        if self.state == "up" and self.last_frame_at is not None and now - self.last_frame_at >= self.config.stall_s:
            return self._lose(now, "stalled")
        if self.state == "connecting":
            if self._flowing_since is None:
                if now - self._connect_started >= self.config.connect_timeout_s:
                    return self._try_failed(now, "no picture")
                return []
            if self.last_frame_at is not None and now - self.last_frame_at >= self.config.stall_s:
                return self._try_failed(now, "stalled")
            return self._maybe_up(now)
        if self.state == "waiting" and self.retry_at is not None and now >= self.retry_at:
            delay = self._delay
            return [*self._connect(now, self.attempt + 1), Retrying(self.attempt, delay)]
        return []

    # ---- what the console shows --------------------------------------------------------------------------------
    def fps(self, now: float, window_s: float = 2.0) -> float:
        recent = [t for t in self._recent if now - t <= window_s]
        return len(recent) / window_s if self.state in ("connecting", "up") else 0.0

    def retry_in(self, now: float) -> float | None:
        return None if self.retry_at is None or self.state != "waiting" else max(0.0, self.retry_at - now)

    # ---- transitions -----------------------------------------------------------------------------------------------
    def _connect(self, now: float, attempt: int) -> list[LinkAction]:
        self.state = "connecting"
        self.attempt = attempt
        self.retry_at = None
        self._connect_started = now
        self._flowing_since = None
        return [Connect(attempt)]

    def _maybe_up(self, now: float) -> list[LinkAction]:
        if self.state != "connecting" or self._flowing_since is None:
            return []
        if now - self._flowing_since < self.config.confirm_s:
            return []
        self.state = "up"
        self.ever_up = True
        self.failures = 0
        return [LinkUp(self.attempt)]

    def _silent(self, now: float) -> float:
        return 0.0 if self.last_frame_at is None else max(0.0, now - self.last_frame_at)

    def _schedule(self, now: float) -> None:
        self.failures += 1
        self._delay = self._backoff.delay(self.failures)
        self.state = "waiting"
        self.retry_at = now + self._delay

    def _lose(self, now: float, reason: str) -> list[LinkAction]:
        down = LinkDown(reason, self._silent(now), self.last_frame_at, was_up=True)
        self._schedule(now)
        return [Disconnect(), down]

    def _try_failed(self, now: float, reason: str) -> list[LinkAction]:
        first = not self.ever_up and self.attempt == 0
        silent = self._silent(now)
        self._schedule(now)
        out: list[LinkAction] = [Disconnect()]
        if first:
            out.append(LinkDown(reason, silent, self.last_frame_at, was_up=False))
        return out


# ---- the position mapping ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    node_id: str
    kind: str
    title: str
    start_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclasses.dataclass(frozen=True)
class Position:
    """Where the AI lesson takes over: `offset_s` into `node_id` (only videos start part-way)."""

    node_id: str
    offset_s: float
    lesson_s: float


def planned_length(node: Node, durations: Mapping[str, float | None]) -> float:
    """The planned length of a node in seconds (videos: their media; questions: time limit + reveal)."""
    if isinstance(node, VideoNode):
        return float(durations.get(node.id) or 0.0)
    if isinstance(node, SlideNode | HandPollNode | TimerNode):
        return float(node.duration_s)
    if isinstance(node, QuestionNode):
        return float(node.time_limit_s + node.reveal_s)
    return 0.0


class LessonTimeline:
    """The pack's main line with planned start times. At a branch the main line is the target that every other
    target leads back to (a remedial detour is left out); with none, the branch's `otherwise`."""

    def __init__(self, pack: LessonPack, durations: Mapping[str, float | None] | None = None, lang: str = "en") -> None:
        self.pack = pack
        self.durations = dict(durations or {})
        self._index = {n.id: i for i, n in enumerate(pack.nodes)}
        entries: list[TimelineEntry] = []
        seen: set[str] = set()
        node_id: str | None = pack.start_id
        t = 0.0
        while node_id is not None and node_id not in seen and node_id in self._index:
            seen.add(node_id)
            node = pack.nodes[self._index[node_id]]
            if isinstance(node, BranchNode):
                node_id = self._main_target(node)
                continue
            length = planned_length(node, self.durations)
            title = text_in(node.title, lang) or node.id
            entries.append(TimelineEntry(node.id, node.kind, title, t, length))
            t += length
            ways = successors(pack.nodes, self._index[node_id])
            node_id = ways[0][1] if ways else None
        self.entries: tuple[TimelineEntry, ...] = tuple(entries)

    @property
    def total_s(self) -> float:
        return self.entries[-1].end_s if self.entries else 0.0

    def _reaches(self, src: str, dst: str) -> bool:
        todo, seen = [src], set()
        while todo:
            cur = todo.pop()
            if cur == dst:
                return True
            if cur in seen or cur not in self._index:
                continue
            seen.add(cur)
            todo.extend(t for _, t in successors(self.pack.nodes, self._index[cur]))
        return False

    def _main_target(self, node: BranchNode) -> str:
        targets = list(dict.fromkeys([*(r.goto for r in node.rules), node.otherwise]))
        for cand in targets:
            if all(other == cand or self._reaches(other, cand) for other in targets):
                return cand
        return node.otherwise

    def entry(self, node_id: str) -> TimelineEntry | None:
        return next((e for e in self.entries if e.node_id == node_id), None)

    def locate(self, lesson_s: float, snap_s: float = 1.5, tail_s: float = 1.0) -> Position | None:
        """The node (and offset into a video) planned at `lesson_s` seconds after the start. Offsets under
        `snap_s` start the segment from its beginning; past the end, the last node before the end node."""
        content = [e for e in self.entries if e.kind != "end"] or list(self.entries)
        if not content:
            return None
        lesson_s = max(0.0, lesson_s)
        chosen = content[0]
        for e in content:
            if e.start_s <= lesson_s:
                chosen = e
        offset = 0.0
        if chosen.kind == "video" and chosen.duration_s > 0:
            offset = min(lesson_s - chosen.start_s, max(0.0, chosen.duration_s - tail_s))
            if offset < snap_s:
                offset = 0.0
        return Position(chosen.node_id, round(offset, 3), lesson_s)

    def current(self, history: Sequence[str]) -> TimelineEntry | None:
        """The last visited node that is on the main line."""
        for node_id in reversed(history):
            e = self.entry(node_id)
            if e is not None:
                return e
        return None

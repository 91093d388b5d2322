"""A simulated class: answers questions and raises hands so a lesson can run with no camera or microphone.

Every event it produces carries source="simulated", so stored sessions and reports say so. Responses are
drawn from a seeded generator: the same seed gives the same class, on any clock and at any speed.
With `room_signals` it also plays the room that a camera would see (`_SimulatedRoom`): head counts every 2 s,
the share of faces toward the display every second, anonymous hands raised and lowered.
"""

from __future__ import annotations

import dataclasses
import math
import random

from dual_teacher.core import events as ev
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.schema import format_number


@dataclasses.dataclass(frozen=True)
class _Scheduled:
    at: float
    node_id: str
    event: ev.Event


class SimulatedClass:
    """`class_size` students; each answers correctly with probability `skill` (varied per question)."""

    name = "simulated-class"

    def __init__(self, class_size: int = 24, skill: float = 0.65, seed: int = 7, room_signals: bool = True) -> None:
        self.class_size = class_size
        self.skill = skill
        self._rng = random.Random(seed)
        self._pending: list[_Scheduled] = []
        self._shown: cmd.ShowQuestion | None = None
        # The room has its own generator so that answers stay what they were for a given seed.
        self._room = _SimulatedRoom(class_size, random.Random(f"room-{seed}")) if room_signals else None

    def handle(self, item: cmd.Command | ev.Event, now: float) -> None:
        """Sees the engine's commands and facts: a question is answered once both card and key are known."""
        if isinstance(item, cmd.ShowQuestion):
            self._shown = item
        elif isinstance(item, ev.QuestionAsked) and self._shown is not None and self._shown.node_id == item.node_id:
            self._answer(self._shown, item.correct, now)
        elif isinstance(item, cmd.ShowHandPoll):
            self._raise_hands(item, now)
        elif isinstance(item, cmd.StopListening | cmd.ClosePoll):
            self._pending = [p for p in self._pending if p.node_id != item.node_id]
        if self._room is not None:
            counts = [(p.at, p.event) for p in self._pending if isinstance(p.event, ev.HandCountReported)]
            self._room.handle(item, now, counts)

    def poll(self, now: float) -> list[ev.Event]:
        due = [p for p in self._pending if p.at <= now]
        self._pending = [p for p in self._pending if p.at > now]
        out = [p.event for p in sorted(due, key=lambda p: p.at)]
        if self._room is not None:
            out += self._room.poll(now)
        return out

    def _answer(self, q: cmd.ShowQuestion, correct: tuple[str, ...], now: float) -> None:
        window = max(1.0, min(12.0, (q.deadline - now) * 0.6))
        skill = min(0.98, max(0.05, self._rng.gauss(self.skill, 0.15)))
        keys = [k for k, _ in q.choices]
        answers = [self._one_answer(q, keys, correct, skill) for _ in range(self.class_size)]
        if "hand_poll" in q.channels and keys:
            for i, key in enumerate(keys):
                count = sum(1 for a in answers if a == key)
                at = now + window * (i + 1) / (len(keys) + 1)
                self._pending.append(_Scheduled(at, q.node_id, ev.HandCountReported(count, key, source="simulated")))
            return
        if "spoken" in q.channels or "teacher" in q.channels:
            speakers = self._rng.sample(range(self.class_size), k=max(1, int(self.class_size * 0.6)))
            for j in speakers:
                at = now + self._rng.uniform(1.0, window)
                self._pending.append(_Scheduled(at, q.node_id, ev.AnswerHeard(answers[j], 0.9, source="simulated")))

    def _one_answer(self, q: cmd.ShowQuestion, keys: list[str], correct: tuple[str, ...], skill: float) -> str:
        right = self._rng.random() < skill
        if q.qtype == "numeric":
            value = float(correct[0])
            return format_number(value if right else value + self._rng.choice([-2, -1, 1, 2]))
        if q.qtype == "true_false":
            truth = correct[0]
            return truth if right else ("false" if truth == "true" else "true")
        if q.qtype == "multiple_choice":
            return ",".join(correct) if right else self._rng.choice(keys)
        if q.qtype == "short_answer":
            return correct[0] if right else "?"
        wrong = [k for k in keys if k not in correct] or keys
        return correct[0] if right else self._rng.choice(wrong)

    def _raise_hands(self, p: cmd.ShowHandPoll, now: float) -> None:
        target = int(self.class_size * min(1.0, max(0.0, self._rng.gauss(self.skill, 0.15))))
        span = max(0.5, (p.deadline - now) * 0.5)
        for i in range(1, 5):
            count = round(target * i / 4)
            event = ev.HandCountReported(count, None, "simulated")
            self._pending.append(_Scheduled(now + span * i / 4, p.node_id, event))


# Attention level the simulated room drifts toward, by what the display shows (a practice timer: heads down).
_ATTENTION = {"video": 0.78, "slide": 0.74, "question": 0.86, "hand_poll": 0.84, "timer": 0.45, "summary": 0.8}


class _SimulatedRoom:
    """What a camera would report about a class: plausible, seeded, class-level signals.

    A few students are absent; the head count misses one or two now and then (occlusion); attention drifts
    toward a level set by the activity and sags slowly over the lesson; hands go up when a question or poll
    opens (as many as the simulated poll counts, when there is one) and now and then during teaching.
    Seats are a grid; track ids are anonymous numbers for this lesson only.
    """

    HEAD_EVERY_S = 2.0
    ATTENTION_EVERY_S = 1.0

    def __init__(self, class_size: int, rng: random.Random) -> None:
        self._rng = rng
        n = max(1, class_size)
        cols = max(1, math.ceil(math.sqrt(n * 1.5)))
        rows = math.ceil(n / cols)
        seats = [((i % cols + 0.5) / cols, (i // cols + 0.5) / rows) for i in range(n)]
        present = [i for i in range(n) if rng.random() > 0.06] or [0]
        ids = rng.sample(range(1, 10 * n + 1), n)
        self._students = [(ids[i], round(seats[i][0], 3), round(seats[i][1], 3)) for i in present]
        self._activity = "slide"
        self._t0: float | None = None
        self._next_head = 0.0
        self._next_attention = 0.0
        self._next_spontaneous = 0.0
        self._level = 0.75
        self._up: dict[int, float] = {}  # track id -> when it goes down (raised or about to be)
        self._visible: set[int] = set()  # tracks whose HandRaised went out and HandLowered not yet
        self._question: cmd.ShowQuestion | None = None
        self._queue: list[tuple[float, int, ev.Event]] = []
        self._order = 0

    def _schedule(self, at: float, event: ev.Event) -> None:
        self._order += 1
        self._queue.append((at, self._order, event))

    def _raise(self, at: float, count: int, down_at: float | None = None) -> None:
        free = [s for s in self._students if s[0] not in self._up]
        for track, x, y in self._rng.sample(free, k=min(count, len(free))):
            down = down_at if down_at is not None else at + self._rng.uniform(3.0, 10.0)
            self._up[track] = down
            self._schedule(at, ev.HandRaised(track, x, y, source="simulated"))
            self._schedule(down, ev.HandLowered(track, source="simulated"))

    def _lower_all(self, at: float) -> None:
        """Every hand goes down at `at`; raises not shown yet are called off."""
        self._queue = [q for q in self._queue if not isinstance(q[2], ev.HandRaised | ev.HandLowered)]
        self._up = dict.fromkeys(self._visible, at)
        for track in sorted(self._visible):
            self._schedule(at, ev.HandLowered(track, source="simulated"))

    def handle(
        self, item: cmd.Command | ev.Event, now: float, poll_counts: list[tuple[float, ev.HandCountReported]]
    ) -> None:
        if self._t0 is None:
            self._t0 = now
        if isinstance(item, cmd.PlayVideo):
            self._activity = "video"
        elif isinstance(item, cmd.ShowSlide):
            self._activity = "slide"
        elif isinstance(item, cmd.ShowTimer):
            self._activity = "timer"
        elif isinstance(item, cmd.ShowSummary):
            self._activity = "summary"
        elif isinstance(item, cmd.ShowQuestion):
            self._activity = "question"
            self._question = item
            self._lower_all(now)
        elif isinstance(item, cmd.ShowHandPoll):
            self._activity = "hand_poll"
            self._lower_all(now)
            mine = sorted((at, e.count) for at, e in poll_counts if at >= now)
            if mine:
                self._raise(mine[0][0], mine[-1][1], down_at=item.deadline)  # the poll's hands stay up
        elif isinstance(item, ev.QuestionAsked) and self._question is not None:
            q, self._question = self._question, None
            mine = sorted((at, e.count) for at, e in poll_counts if at >= now)
            if mine:  # a hand poll per choice: that choice's hands stay up until the next choice is polled
                for (at, count), nxt in zip(mine, [*mine[1:], (q.deadline, 0)], strict=True):
                    self._raise(at, count, down_at=nxt[0])
            else:  # volunteers put a hand up to answer
                volunteers = round(len(self._students) * min(0.8, max(0.05, self._rng.gauss(0.35, 0.1))))
                window = max(1.0, min(8.0, q.deadline - now))
                for _ in range(volunteers):
                    self._raise(now + self._rng.uniform(0.5, window), 1)
        elif isinstance(item, cmd.StopListening | cmd.ClosePoll):
            self._lower_all(now)

    def poll(self, now: float) -> list[ev.Event]:
        if self._t0 is None:
            self._t0 = now
        out: list[ev.Event] = []
        while now >= self._next_head:
            missed = self._rng.choice((0, 0, 0, 1, 1, 2))
            out.append(ev.HeadCountReported(max(0, len(self._students) - missed), source="simulated"))
            self._next_head = max(self._next_head + self.HEAD_EVERY_S, now - self.HEAD_EVERY_S)
        while now >= self._next_attention:
            sag = 0.12 * min(1.0, (now - self._t0) / 2400.0)
            target = _ATTENTION.get(self._activity, 0.75) - sag
            self._level = 0.8 * self._level + 0.2 * target + self._rng.gauss(0.0, 0.03)
            faces = max(0, len(self._students) - self._rng.choice((0, 1, 1, 2, 3)))
            share = round(min(1.0, max(0.0, self._level)), 3)
            out.append(ev.AttentionMeasured(share, faces, source="simulated"))
            self._next_attention = max(self._next_attention + self.ATTENTION_EVERY_S, now - self.ATTENTION_EVERY_S)
        if self._activity in ("video", "slide") and now >= self._next_spontaneous:
            if self._next_spontaneous > 0:
                self._raise(now, 1)
            self._next_spontaneous = now + self._rng.expovariate(1 / 90.0)
        due = sorted(q for q in self._queue if q[0] <= now)
        self._queue = [q for q in self._queue if q[0] > now]
        for _, _, event in due:
            if isinstance(event, ev.HandLowered):
                self._up.pop(event.track_id, None)
                self._visible.discard(event.track_id)
            elif isinstance(event, ev.HandRaised):
                self._visible.add(event.track_id)
            out.append(event)
        return out

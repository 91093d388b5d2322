"""A simulated class: answers questions and raises hands so a lesson can run with no camera or microphone.

Every event it produces carries source="simulated", so stored sessions and reports say so. Responses are
drawn from a seeded generator: the same seed gives the same class, on any clock and at any speed.
"""

from __future__ import annotations

import dataclasses
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

    def __init__(self, class_size: int = 24, skill: float = 0.65, seed: int = 7) -> None:
        self.class_size = class_size
        self.skill = skill
        self._rng = random.Random(seed)
        self._pending: list[_Scheduled] = []
        self._shown: cmd.ShowQuestion | None = None

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

    def poll(self, now: float) -> list[ev.Event]:
        due = [p for p in self._pending if p.at <= now]
        self._pending = [p for p in self._pending if p.at > now]
        return [p.event for p in sorted(due, key=lambda p: p.at)]

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

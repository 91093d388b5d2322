"""Is a hand raised? A geometric rule on one person's pose, and N-of-M hysteresis over time.

The rule (`raised_hand`) looks at each arm in frame pixels (y grows downward). Lengths are in units of the
person's `scale`: the shoulder width, or 1.6 x the nose-to-mid-shoulder distance when the shoulders are seen
edge-on, whichever is larger, so the thresholds do not change with the distance to the camera.

A hand counts as raised when all of these hold:
1. **Hand high**: the hand (the higher of wrist and index-finger point) is at or above mouth level (at head
   height) with the wrist at or above its shoulder, or the wrist is at least `above_shoulder` x scale above
   its shoulder. This is the data's definition: "a hand at or above head height or an arm clearly raised
   above the shoulder". (A wrist below the shoulder with a "hand" at head height is usually someone else's
   hand in front of this person.)
2. **Arm points up**: from the shoulder to the wrist the arm rises at least `min_rise` x its sideways
   reach (about 27 deg above horizontal). A hand at head height far out to the side is a swing, a reach or a
   point, not a raise (the batter in the evaluation data).
3. **Forearm up**: the wrist is above its elbow by `forearm_up` x scale. A raised hand is held up by the
   forearm; a hand hanging or resting lower than the elbow is not raised.
4. **Seen**: the wrist, elbow and shoulder of that arm are visible (visibility >= `min_visibility`), so an
   arm the model only guesses (outside the frame, behind a neighbour) never counts.

Hard negatives (the hand is up but it is not a raised hand):
- **Hand on the head** (scratching, holding or resting the head): the hand is within `head_touch` x the head
  size of the head's centre line horizontally and not clearly above the top of the head (by `clear_top` x
  head size), at or above eye level. A raised hand stands clear of the head, beside it with a gap or well
  above it.
- **Phone at the ear** (or a hand covering the ear, or the chin resting on a hand): the same "touching the
  head" test with the hand between eye and chin level: holding something to the head, not asking to speak.
- **Teacher writing on the board**: the person is not facing the camera, i.e. the nose is not visible, or
  no eye is visible, or the nose lies outside the span of the ears (a profile). Students asking to speak
  face the front of the room, where the camera and the display are; someone writing on the board has their
  back or side to the class. The classroom camera looks at the students, so this also rejects anyone else
  seen from behind (reaching past a neighbour, a high-five seen from behind).

`RaiseHysteresis` turns per-frame answers into HandRaised/HandLowered decisions: a track goes up when at
least `up_n` of its last `window` observations were raised AND its current run of raised observations has
lasted `min_up_s`; it goes down when at most `down_n` of the last `window` were raised for `min_down_s`.
A frame where the person's landmarks were not refreshed (round-robin) is not an observation.
"""

from __future__ import annotations

import collections
import dataclasses
import math

from dual_teacher.perception.models import (
    LEFT_EAR,
    LEFT_ELBOW,
    LEFT_EYE,
    LEFT_INDEX,
    LEFT_SHOULDER,
    LEFT_WRIST,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    NOSE,
    RIGHT_EAR,
    RIGHT_ELBOW,
    RIGHT_EYE,
    RIGHT_INDEX,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
    PoseLandmarks,
)


@dataclasses.dataclass(frozen=True)
class RaiseRule:
    above_shoulder: float = 0.8
    min_rise: float = 0.5
    forearm_up: float = 0.25
    min_visibility: float = 0.6
    head_touch: float = 0.6
    clear_top: float = 0.25
    facing_visibility: float = 0.5
    require_facing: bool = True  # the "facing the camera" test (the pipeline applies it in the teacher zone only)


@dataclasses.dataclass(frozen=True)
class ArmVerdict:
    side: str
    raised: bool
    reason: str  # "raised" or why not


def _scale(lm: PoseLandmarks) -> float:
    shoulders = math.dist(lm.xy(LEFT_SHOULDER), lm.xy(RIGHT_SHOULDER))
    mid = (
        (lm.xy(LEFT_SHOULDER)[0] + lm.xy(RIGHT_SHOULDER)[0]) / 2,
        (lm.xy(LEFT_SHOULDER)[1] + lm.xy(RIGHT_SHOULDER)[1]) / 2,
    )
    neck = math.dist(lm.xy(NOSE), mid)
    return max(shoulders, 1.6 * neck, 1e-6)


def head_geometry(lm: PoseLandmarks) -> tuple[tuple[float, float], float, float]:
    """Head centre, head size (ear to ear, or 2.5 x eye to mouth) and the y of the top of the head."""
    ears = math.dist(lm.xy(LEFT_EAR), lm.xy(RIGHT_EAR))
    eye_y = (lm.xy(LEFT_EYE)[1] + lm.xy(RIGHT_EYE)[1]) / 2
    mouth_y = (lm.xy(MOUTH_LEFT)[1] + lm.xy(MOUTH_RIGHT)[1]) / 2
    size = max(ears, 2.5 * abs(mouth_y - eye_y), 1e-6)
    cx = (lm.xy(LEFT_EAR)[0] + lm.xy(RIGHT_EAR)[0] + lm.xy(NOSE)[0]) / 3
    cy = (lm.xy(LEFT_EAR)[1] + lm.xy(RIGHT_EAR)[1] + 2 * eye_y) / 4
    top = eye_y - 0.75 * size
    return (cx, cy), size, top


def facing_camera(lm: PoseLandmarks, threshold: float = 0.5) -> bool:
    """The face is toward the camera: nose and an eye visible, nose between the ears (not a profile)."""
    if not lm.visible(NOSE, threshold):
        return False
    if not (lm.visible(LEFT_EYE, threshold) or lm.visible(RIGHT_EYE, threshold)):
        return False
    lx, rx, nx = lm.xy(LEFT_EAR)[0], lm.xy(RIGHT_EAR)[0], lm.xy(NOSE)[0]
    lo, hi = min(lx, rx), max(lx, rx)
    margin = 0.1 * (hi - lo)
    return lo - margin <= nx <= hi + margin


def arm_verdicts(lm: PoseLandmarks, rule: RaiseRule | None = None) -> list[ArmVerdict]:
    rule = rule or RaiseRule()
    scale = _scale(lm)
    (hx, _), head, top = head_geometry(lm)
    eye_y = (lm.xy(LEFT_EYE)[1] + lm.xy(RIGHT_EYE)[1]) / 2
    mouth_y = (lm.xy(MOUTH_LEFT)[1] + lm.xy(MOUTH_RIGHT)[1]) / 2
    facing = facing_camera(lm, rule.facing_visibility)
    out = []
    for side, sh, el, wr, ix in (
        ("left", LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, LEFT_INDEX),
        ("right", RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST, RIGHT_INDEX),
    ):
        if not all(lm.visible(i, rule.min_visibility) for i in (sh, el, wr)):
            out.append(ArmVerdict(side, False, "arm not seen"))
            continue
        wx, wy = lm.xy(wr)
        sx, sy = lm.xy(sh)
        hand = min((lm.xy(wr), lm.xy(ix)), key=lambda p: p[1])
        high = (hand[1] <= mouth_y and wy <= sy) or wy <= sy - rule.above_shoulder * scale
        if not high:
            out.append(ArmVerdict(side, False, "hand low"))
            continue
        if sy - wy < rule.min_rise * abs(wx - sx):
            out.append(ArmVerdict(side, False, "arm out to the side"))
            continue
        if wy > lm.xy(el)[1] - rule.forearm_up * scale:
            out.append(ArmVerdict(side, False, "forearm not up"))
            continue
        touching = abs(hand[0] - hx) < rule.head_touch * head and hand[1] > top - rule.clear_top * head
        if touching:
            out.append(ArmVerdict(side, False, "hand on the head" if hand[1] < eye_y else "hand at the ear"))
            continue
        if rule.require_facing and not facing:
            out.append(ArmVerdict(side, False, "not facing the camera"))
            continue
        out.append(ArmVerdict(side, True, "raised"))
    return out


def raised_arms(
    lm: PoseLandmarks, rule: RaiseRule | None = None
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """(wrist, shoulder) in frame pixels of each arm the rule calls raised."""
    arms = {"left": (LEFT_WRIST, LEFT_SHOULDER), "right": (RIGHT_WRIST, RIGHT_SHOULDER)}
    return [(lm.xy(arms[v.side][0]), lm.xy(arms[v.side][1])) for v in arm_verdicts(lm, rule) if v.raised]


def raised_hand(lm: PoseLandmarks, rule: RaiseRule | None = None) -> bool:
    return any(v.raised for v in arm_verdicts(lm, rule))


def raised_hand_position(lm: PoseLandmarks) -> tuple[float, float]:
    """Where the person sits (frame px): the mid-shoulder point, the seat position events carry."""
    (lx, ly), (rx, ry) = lm.xy(LEFT_SHOULDER), lm.xy(RIGHT_SHOULDER)
    return (lx + rx) / 2, (ly + ry) / 2


# ---- hysteresis -------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HysteresisConfig:
    window: int = 5  # M: the last M observations
    up_n: int = 3  # N of M raised -> up
    down_n: int = 1  # at most this many of M raised -> down
    min_up_s: float = 0.3  # the raised run must last this long
    min_down_s: float = 0.4  # and a lowered run this long
    # the window also holds every observation of the last window_s seconds: at 15-30 frames/s five frames
    # span less than min_up_s, and a hand could never go up (the ratios up_n / window and down_n / window
    # then apply to the longer window)
    window_s: float = 0.8


@dataclasses.dataclass
class _TrackRaise:
    history: collections.deque[tuple[float, bool]]
    up: bool = False


class RaiseHysteresis:
    """Per-track up/down state from per-frame observations (pure logic; `now` is passed in).

    Up: >= `up_n` of the last `window` observations raised, the earliest of those raised ones at least
    `min_up_s` ago. Down: <= `down_n` raised in the window, the earliest lowered one in it `min_down_s` ago.
    The window is the last `window` observations or the last `window_s` seconds, whichever holds more, with
    the same ratios (so the rule means the same at 5 and at 30 frames/s).
    """

    def __init__(self, config: HysteresisConfig | None = None) -> None:
        self.config = config or HysteresisConfig()
        self._tracks: dict[int, _TrackRaise] = {}

    def reset(self) -> None:
        self._tracks.clear()

    def up_tracks(self) -> list[int]:
        return [tid for tid, t in self._tracks.items() if t.up]

    def observe(self, track_id: int, raised: bool, now: float) -> str | None:
        """Record one observation; returns "raised" or "lowered" when the state flips, else None."""
        c = self.config
        t = self._tracks.get(track_id)
        if t is None:
            t = self._tracks[track_id] = _TrackRaise(collections.deque(maxlen=max(c.window, 256)))
        t.history.append((now, raised))
        while len(t.history) > c.window and now - t.history[0][0] > c.window_s:
            t.history.popleft()
        ups = [at for at, r in t.history if r]
        downs = [at for at, r in t.history if not r]
        n = len(t.history)
        if not t.up and len(ups) >= c.up_n and len(ups) * c.window >= c.up_n * n and now - ups[0] >= c.min_up_s:
            t.up = True
            return "raised"
        if t.up and len(ups) * c.window <= c.down_n * n and downs and now - downs[0] >= c.min_down_s:
            t.up = False
            return "lowered"
        return None

    def forget(self, track_id: int) -> bool:
        """The track ended; returns True if its hand was up (the caller reports it lowered)."""
        t = self._tracks.pop(track_id, None)
        return bool(t and t.up)

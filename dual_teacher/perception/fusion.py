"""People from independent cues, counted once; raised hands from the pose and from palms above a head.

Pure logic over what the models found (no model runs here, no clock):

- **Heads.** Every cue gives head points: a pose person (the centre of its head landmarks, size from the
  head box or the shoulders), a face from the full-range face detector (box centre and side) and a body
  from MoveNet MultiPose (`body_cue.py`: head keypoints, else above the shoulders; no face needed). A face
  or body within `match_radius` x the larger head size of a pose head is the same person (the pose keeps
  it); an unmatched one is a person the pose missed (heads down, seen from above or from behind, small or
  half hidden) and is counted. Two lone heads closer than that are one (overlapping tiles, or a face and
  a body of the same person).
- **Count with an uncertainty.** `count` is the union. `low` is the number of people at least two cues
  agree on, or that one cue sees with a high score; `high` is `count` plus the faces found at a lower score
  that were not counted (with `FusionConfig.weak_plausible`, only those that pass the tests a lone face passes,
  `plausible_lone`). The console says "about N" when `low < high`. `estimate(weight)` is the count
  reported: the people counted plus `weight` x those weak faces (the share of them that are people: heads
  turned down or away, small or blurred; chosen by leave-one-source-out, `PerceptionConfig.count_weak_weight`).
  With `PerceptionConfig.count_band`, the bounds reported are instead the range measured errors put the true
  count in (`count_band`: relative errors fitted on other rooms, `benchmarks/calibrate_count.py`): cues that
  agree can still all miss the same hidden heads, and then only a measured band says how far off they are.
- **Palms.** A palm (the palm detector run on the region above and beside each head) belongs to the head
  below it that is nearest: its centre must be above the top of that head (`palm_above` x head size above
  the head centre) and horizontally within `palm_reach` x head size. A person with a palm of their own held
  up has a raised hand even where the pose missed the arm (or found no pose at all). With `palm_head_veto`,
  a palm whose centre lies on another head (within that fraction of its size of its centre, both ways) is
  nobody's raise: the palm detector firing on a face, or a hand at someone's face.

The evaluation (benchmarks/eval_perception.py) matches these head points to annotated ones.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence


@dataclasses.dataclass(frozen=True)
class HeadCue:
    """One head found by one cue: centre and size in frame pixels, the cue's score, and for a pose person
    the track id and the pose rule's raise verdict (None: not judged this frame)."""

    x: float
    y: float
    size: float
    score: float
    source: str  # "pose", "face" or "body"
    track_id: int | None = None
    pose_raised: bool | None = None


@dataclasses.dataclass(frozen=True)
class Palm:
    x: float
    y: float
    size: float
    score: float


@dataclasses.dataclass(frozen=True)
class FusedPerson:
    x: float
    y: float
    size: float
    sources: tuple[str, ...]
    track_id: int | None
    raised: bool | None
    raised_by: tuple[str, ...]  # which cues said "raised" ("pose", "palm", "body")
    score: float = 0.0  # the surest cue's score


@dataclasses.dataclass(frozen=True)
class FusionConfig:
    match_radius: float = 0.8  # x the larger head size: same person
    sure_score: float = 0.85  # one cue this sure counts towards `low` on its own
    palm_above: float = 1.0  # palm centre at least this x head size above the head centre: clear of its top
    palm_reach: float = 1.6  # and within this x head size sideways
    palm_max_rise: float = 3.0  # and not more than this x head size above (someone else's hand)
    use_palm: bool = True
    # a palm on another person's head (centre within this x that head's size of the head centre, both ways: 0.5 is
    # the head's own box) is nobody's raise; None: no veto. Chosen by leave-one-source-out over none / 0.35 / 0.5
    # / 0.75 (benchmarks/tune_perception.py --grid palms: a veto in all 16 folds; raised precision 0.62 -> 0.68,
    # recall unchanged, 47 frames, 44 raised)
    palm_head_veto: float | None = 0.5
    # weak faces widen the count only where they pass `plausible_lone`'s tests. Off: leave-one-source-out kept it
    # out (`tune_perception.py --grid count`: it helps the count of 3 sources and harms 4; one source carries it)
    weak_plausible: bool = False


@dataclasses.dataclass(frozen=True)
class FusedRoom:
    people: tuple[FusedPerson, ...]
    count: int
    low: int
    high: int

    @property
    def raised_count(self) -> int:
        return sum(1 for p in self.people if p.raised)

    @property
    def uncertain(self) -> bool:
        return self.low < self.high

    def weak_share(self, weight: float) -> int:
        """`weight` (0..1) x the weak faces not counted, rounded half up: the people among them."""
        return math.floor(weight * (self.high - self.count) + 0.5)

    def estimate(self, weight: float) -> int:
        """The count to report: the people counted plus their `weak_share`; always within `count` .. `high`."""
        return self.count + self.weak_share(weight)


def count_band(estimate: int, band: tuple[float, float]) -> tuple[int, int]:
    """The range the true count lies in for a count reported as `estimate`, from `band`: the relative errors
    (true - reported) / reported the counts of other rooms fell within (lower <= 0 <= upper; measured,
    `benchmarks/calibrate_count.py`). Rounded half up, so small counts stay exact where the band is narrow."""
    lower, upper = min(band[0], 0.0), max(band[1], 0.0)
    return math.floor(estimate * (1.0 + lower) + 0.5), math.floor(estimate * (1.0 + upper) + 0.5)


def _near(a: HeadCue | FusedPerson, b: HeadCue, radius: float) -> bool:
    return math.dist((a.x, a.y), (b.x, b.y)) < radius * max(a.size, b.size)


def merge_heads(pose: Sequence[HeadCue], faces: Sequence[HeadCue], config: FusionConfig) -> list[list[HeadCue]]:
    """Groups of cues on one person: each pose head first, then every lone head (`faces`: faces and bodies)
    joins the nearest pose group within reach (greedy, nearest pairs first), else a lone group within reach,
    else starts its own."""
    groups: list[list[HeadCue]] = [[p] for p in pose]
    pairs = sorted(
        (math.dist((g[0].x, g[0].y), (f.x, f.y)), gi, fi)
        for fi, f in enumerate(faces)
        for gi, g in enumerate(groups)
        if _near(g[0], f, config.match_radius)
    )
    taken_faces: set[int] = set()
    taken_groups: set[int] = set()
    for _, gi, fi in pairs:
        if fi in taken_faces or gi in taken_groups:
            continue
        groups[gi].append(faces[fi])
        taken_faces.add(fi)
        taken_groups.add(gi)
    for fi in sorted(range(len(faces)), key=lambda i: -faces[i].score):
        if fi in taken_faces:
            continue
        f = faces[fi]
        near = [g for g in groups if g[0].source != "pose" and _near(g[0], f, config.match_radius)]
        if near:
            near[0].append(f)
        else:
            groups.append([f])
    return groups


def _median_size(people: Sequence[FusedPerson]) -> float:
    sizes = sorted(p.size for p in people)
    return sizes[len(sizes) // 2]


def nested_in(head: tuple[float, float, float], other: tuple[float, float, float]) -> bool:
    """A head (x, y, size) inside another person's body (below their head within 4 head sizes, within 1.2 head
    sizes sideways) and smaller than their head: a part of them (hands held together, a forearm, an object held
    in front of them); a person in the row in front, nearer the camera, has a larger head, not a smaller one."""
    x, y, size = head
    ox, oy, osize = other
    return size < osize and 0.5 < (y - oy) / osize < 4.0 and abs(x - ox) < 1.2 * osize


def implausible_head(
    f: HeadCue | FusedPerson, people: Sequence[FusedPerson], median: float, min_relative: float = 0.25
) -> bool:
    """Whether the head `f` is not a person's (see `plausible_lone`): smaller than `min_relative` x the room's
    `median` head, or `nested_in` someone else's body of `people`."""
    if f.size < min_relative * median:
        return True
    return any(o is not f and nested_in((f.x, f.y, f.size), (o.x, o.y, o.size)) for o in people)


def plausible_lone(
    people: Sequence[FusedPerson],
    source: str = "face",
    min_relative: float = 0.25,
    whole: Collection[tuple[float, float]] = (),
) -> list[FusedPerson]:
    """The people only one cue (`source`: "face" or "body") found, less the heads that are not a person's:
    - a head inside someone else's body and smaller than their head (`nested_in`) is a hand or an object held
      in front of them;
    - a head smaller than `min_relative` x the median head of the room is a poster or a pattern (perspective
      makes the back row smaller, but not four times smaller than the typical head).
    Heads at a point of `whole` (people a person box of their own confirms, `person_boxes.boxed`) are whole
    people, not a part of someone: the first test does not apply to them."""
    if not people:
        return []
    median = _median_size(people)
    out = []
    for f in people:
        if f.sources != (source,):
            continue
        if (f.x, f.y) in whole:
            if f.size >= min_relative * median:
                out.append(f)
        elif not implausible_head(f, people, median, min_relative):
            out.append(f)
    return out


def assign_palms(heads: Sequence[tuple[float, float, float]], palms: Sequence[Palm], config: FusionConfig) -> list[int]:
    """For each head (x, y, size), how many palms are held up above it (each palm goes to one head)."""
    out = [0] * len(heads)
    veto = config.palm_head_veto
    for palm in palms:
        if veto is not None and any(
            abs(palm.x - hx) <= veto * size and abs(palm.y - hy) <= veto * size for hx, hy, size in heads
        ):
            continue
        best: tuple[float, int] | None = None
        for i, (hx, hy, size) in enumerate(heads):
            rise = (hy - palm.y) / size
            if rise < config.palm_above or rise > config.palm_max_rise:
                continue
            if abs(palm.x - hx) > config.palm_reach * size:
                continue
            d = math.dist((palm.x, palm.y), (hx, hy)) / size
            if best is None or d < best[0]:
                best = (d, i)
        if best is not None:
            out[best[1]] += 1
    return out


def fuse(
    pose: Sequence[HeadCue],
    faces: Sequence[HeadCue],
    palms: Sequence[Palm] = (),
    weak_faces: Sequence[HeadCue] = (),
    config: FusionConfig | None = None,
) -> FusedRoom:
    """The people of one frame from every cue (see the module docstring)."""
    c = config or FusionConfig()
    groups = merge_heads(pose, faces, c)
    lead = [g[0] for g in groups]
    palm_counts = assign_palms([(h.x, h.y, h.size) for h in lead], palms, c) if c.use_palm else [0] * len(lead)
    people: list[FusedPerson] = []
    low = 0
    for g, head, n_palms in zip(groups, lead, palm_counts, strict=True):
        sources = tuple(dict.fromkeys(h.source for h in g))
        by: list[str] = []
        if head.pose_raised:
            by.append(head.source)  # the cue's own arm verdict: "pose" (landmarks) or "body" (MoveNet)
        if n_palms:
            by.append("palm")
        raised: bool | None = bool(by) if (head.pose_raised is not None or head.source != "pose") else None
        if raised is None and by:
            raised = True
        score = max(h.score for h in g)
        people.append(FusedPerson(head.x, head.y, head.size, sources, head.track_id, raised, tuple(by), score))
        if len(sources) > 1 or score >= c.sure_score:
            low += 1
    median = _median_size(people) if people else 0.0
    extra = 0
    for w in weak_faces:
        if any(_near(p, w, c.match_radius) for p in people):
            continue
        if c.weak_plausible and implausible_head(w, people, median):
            continue  # a hand, a bag or a pattern in front of someone, or far too small
        extra += 1
    return FusedRoom(tuple(people), len(people), low, len(people) + extra)

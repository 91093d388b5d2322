"""Scoring perception against annotated head points (pure logic, used by benchmarks/eval_perception.py).

An annotation (benchmarks/annotations/perception.json) marks a head point for every visible person and for
every person with a raised hand, and boxes regions too dense to mark person by person. A prediction is a
head point with a size (the head's side in pixels) and a raised flag.

Matching is one to one, nearest pairs first: a predicted head and an annotated point match when they are
closer than `radius` x the predicted head size (at least `min_radius_px`). Then
- people: true positives = matched annotated people; predictions inside a dense region are not scored
  (the people there are not marked one by one); recall = TP / annotated, precision = TP / scored predictions;
- `ignore` boxes (a picture in the picture: a real depiction, but not the room) are neither right nor wrong;
- raised hands: the same matching between the predicted raised people and the annotated raised points
  (dense regions included: raised hands are marked everywhere); a person found with the hand down is a miss,
  a raised hand on the wrong person is a false positive, so errors can no longer cancel out as the per-image
  `min(found, true)` count did.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from dual_teacher.perception.fusion import FusionConfig
from dual_teacher.perception.handraise import HysteresisConfig, RaiseRule
from dual_teacher.perception.room_config import PerceptionConfig
from dual_teacher.perception.signals import SignalsConfig
from dual_teacher.perception.tiling import TilingConfig

Point = tuple[float, float]
VARIANTS = ("before", "faces", "all", "bodies-unfiltered", "sizes", "bodies", "boxes", "centerface", "veto", "count")


def variant_config(spec: str) -> PerceptionConfig:
    """A variant's settings: `name` or `name+field=value+...`, the named pipeline with some of its
    `PerceptionConfig` fields changed, for comparing budgets on the live path (e.g. `count+bodies_per_frame=1`;
    values in JSON: numbers, true, false, null, or a bare word for a text field; each of its default's type);
    `fusion.field=value` changes a field of its `FusionConfig` (e.g. `count+fusion.palm_head_veto=0.6`)."""
    name, *changes = spec.split("+")
    config = named_variant(name)
    fusion = [c.removeprefix("fusion.") for c in changes if c.startswith("fusion.")]
    own = [c for c in changes if not c.startswith("fusion.")]
    config = dataclasses.replace(config, fusion=_changed(config.fusion, fusion, spec, ()))
    return _changed(config, own, spec, (FusionConfig, RaiseRule, TilingConfig))


def signals_variant(spec: str) -> SignalsConfig:
    """Live-path event settings to replay a clip's frames through: `default` or `default+field=value+...` with
    fields of `SignalsConfig` or of its `HysteresisConfig` (e.g. `default+up_n=2`, `default+seat_merge=false`;
    values as in `variant_config`)."""
    name, *changes = spec.split("+")
    if name != "default":
        raise ValueError(f"{spec!r}: a signals variant starts with 'default'")
    config = SignalsConfig()
    hysteresis_fields = {f.name for f in dataclasses.fields(HysteresisConfig)}
    own = [c for c in changes if c.partition("=")[0] not in hysteresis_fields]
    hysteresis = _changed(config.hysteresis, [c for c in changes if c not in own], spec, ())
    return dataclasses.replace(_changed(config, own, spec, (HysteresisConfig,)), hysteresis=hysteresis)


_C = TypeVar("_C", PerceptionConfig, SignalsConfig, HysteresisConfig, FusionConfig)


def _changed(config: _C, changes: Sequence[str], spec: str, fixed: tuple[type, ...]) -> _C:
    """`config` with the `field=value` changes, each value of a type its field's annotation allows (null only
    where it allows None); a field of a type in `fixed` (or a tuple) cannot be changed."""
    fields = {f.name for f in dataclasses.fields(config)}
    hints = typing.get_type_hints(type(config))
    updates: dict[str, Any] = {}
    for change in changes:
        key, sep, raw = change.partition("=")
        if not sep or key not in fields:
            kind = type(config).__name__
            raise ValueError(f"{change!r} in {spec!r}: write field=value with a field of {kind}")
        kinds = tuple(typing.get_origin(k) or k for k in typing.get_args(hints[key]) or (hints[key],))
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            if str not in kinds:
                raise ValueError(f"{change!r} in {spec!r}: the value must be a number, true, false or null") from e
            value = raw
        number = type(value) is int and float in kinds and int not in kinds  # 1 for a float field
        if not (type(value) in kinds or number) or any(k is tuple or k in fixed for k in kinds):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise ValueError(f"{change!r} in {spec!r}: {key} takes {names}" + (" (not here)" if tuple in kinds else ""))
        updates[key] = float(value) if number else value
    return dataclasses.replace(config, **updates)


def named_variant(name: str) -> PerceptionConfig:
    """The pipelines the benchmarks compare, each adding one step: `before` (the pose pipeline with the old
    settings: MediaPipe's 1.25 landmark region, no face or palm cue, the "facing the camera" test for
    everyone), `faces` (+ people from the face detector), `all` (+ the palm cue, facing test only in a teacher
    zone: every cue but the bodies), `bodies-unfiltered` (+ people from MoveNet MultiPose, `body_cue.py`),
    `sizes` (+ people far smaller than the frame's typical head not counted, `people.small_outliers`) and
    `bodies` (+ a still keeps the landmarks the upper body is best seen in, `people.landmark_quality`),
    `boxes` (+ SSDLite person boxes confirmed by MoveNet, `person_boxes.py`), `centerface` (+ the face count's
    faces from CenterFace over the whole frame instead of BlazeFace over face tiles), `veto` (+ a palm on
    another person's head is nobody's raise, `FusionConfig.palm_head_veto`) and `count` (the default: + the
    count reported adds the weak faces no cue explains, `fusion.FusedRoom.estimate`). Every variant before
    `centerface` counts faces with BlazeFace, every variant before `veto` gives a palm on someone's head to the
    head below it, and every variant before `count` reports the people listed, as they did."""
    listed = dataclasses.replace(PerceptionConfig(), count_weak_weight=0.0)
    unvetoed = dataclasses.replace(listed, fusion=dataclasses.replace(listed.fusion, palm_head_veto=None))
    default = dataclasses.replace(unvetoed, face_model="blazeface")
    sizes = dataclasses.replace(default, quality_by_visibility=False, keep_best_pass=False, box_cue=False)
    unfiltered = dataclasses.replace(sizes, min_head_fraction=None)
    base = dataclasses.replace(unfiltered, body_cue=False)
    if name == "before":
        return dataclasses.replace(
            base,
            roi_scale=1.25,
            face_count=False,
            palm_cue=False,
            teacher_zone=(0.0, 0.0, 1.0, 1.0),
            drop_nested=False,
            roi_from_detections=False,
        )
    if name == "faces":
        return dataclasses.replace(base, palm_cue=False)
    if name == "all":
        return base
    if name == "bodies-unfiltered":
        return unfiltered
    if name == "sizes":
        return sizes
    if name == "bodies":
        return dataclasses.replace(default, box_cue=False)
    if name == "boxes":
        return default
    if name == "centerface":
        return unvetoed
    if name == "veto":
        return listed
    if name == "count":
        return PerceptionConfig()
    raise ValueError(f"unknown variant {name!r}: choose from {', '.join(VARIANTS)}")


@dataclasses.dataclass(frozen=True)
class PredictedHead:
    x: float
    y: float
    size: float
    raised: bool


@dataclasses.dataclass(frozen=True)
class Annotation:
    people: tuple[Point, ...]
    raised: tuple[Point, ...]
    dense: tuple[tuple[float, float, float, float], ...] = ()
    dense_people: int = 0
    scene: str = "other"
    source: str = ""
    ignore: tuple[tuple[float, float, float, float], ...] = ()  # no real person there (a picture in the picture)

    @property
    def total_people(self) -> int:
        return len(self.people) + self.dense_people

    @staticmethod
    def from_json(entry: Mapping[str, Any]) -> Annotation:
        return Annotation(
            tuple((float(p[0]), float(p[1])) for p in entry.get("people", [])),
            tuple((float(p[0]), float(p[1])) for p in entry.get("raised", [])),
            tuple((float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in entry.get("dense", [])),
            int(entry.get("dense_people", 0)),
            str(entry.get("scene", "other")),
            str(entry.get("source", "")),
            tuple((float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in entry.get("ignore", [])),
        )


@dataclasses.dataclass(frozen=True)
class MatchCounts:
    tp: int
    fp: int
    fn: int

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)


def in_any(point: Point, boxes: Iterable[tuple[float, float, float, float]]) -> bool:
    return any(b[0] <= point[0] <= b[2] and b[1] <= point[1] <= b[3] for b in boxes)


def match(
    predicted: Sequence[PredictedHead], truth: Sequence[Point], radius: float = 0.9, min_radius_px: float = 6.0
) -> list[tuple[int, int]]:
    """(predicted index, truth index) pairs, nearest first, each side used once."""
    pairs = []
    for i, p in enumerate(predicted):
        reach = max(radius * p.size, min_radius_px)
        for j, t in enumerate(truth):
            d = math.dist((p.x, p.y), t)
            if d < reach:
                pairs.append((d / reach, i, j))
    pairs.sort()
    used_p: set[int] = set()
    used_t: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        out.append((i, j))
    return out


def score_people(predicted: Sequence[PredictedHead], ann: Annotation) -> MatchCounts:
    scored = [p for p in predicted if not in_any((p.x, p.y), ann.dense + ann.ignore)]
    tp = len(match(scored, ann.people))
    return MatchCounts(tp, len(scored) - tp, len(ann.people) - tp)


def score_raised(predicted: Sequence[PredictedHead], ann: Annotation) -> MatchCounts:
    up = [p for p in predicted if p.raised and not in_any((p.x, p.y), ann.ignore)]
    tp = len(match(up, ann.raised))
    return MatchCounts(tp, len(up) - tp, len(ann.raised) - tp)

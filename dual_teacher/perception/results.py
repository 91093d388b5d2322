"""What perception says about one frame: the people in it (`PersonResult`) and the frame (`FrameResult`)."""

from __future__ import annotations

import dataclasses

from dual_teacher.perception.models import PoseLandmarks


@dataclasses.dataclass(frozen=True)
class PersonResult:
    """One tracked person in one frame. `seat` is the mid-shoulder point (the head centre for a person only
    a face was found for) normalised to the frame (0..1); `raised` is None when neither the person's
    landmarks nor their palm region were looked at this frame (round-robin). `head` is the head centre and
    size in frame pixels; `sources` the cues that found the person ("pose", "face", "body"); `raised_by` the cues
    that said the hand is up ("pose", "palm")."""

    track_id: int
    seat: tuple[float, float]
    raised: bool | None
    landmarks: PoseLandmarks | None
    fresh: bool
    head: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sources: tuple[str, ...] = ("pose",)
    raised_by: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class FrameResult:
    index: int
    now: float
    width: int
    height: int
    people: tuple[PersonResult, ...]
    faces: tuple[tuple[int, float | None], ...]  # (track id, yaw in degrees or None: no face found)
    ended: tuple[int, ...]  # tracks that ended this frame
    regions: int
    landmark_runs: int
    timings: dict[str, float]
    count_low: int | None = None  # the count's uncertainty (see perception.fusion); None: exact
    count_high: int | None = None
    count_estimate: int | None = None  # the count reported (`fusion.FusedRoom.estimate`); None: `count`

    @property
    def count(self) -> int:
        """The people in `people` (each with a head point and a seat)."""
        return len(self.people)

    @property
    def head_count(self) -> int:
        """The count to report: the people found plus the share of the weak faces that are people
        (`fusion.FusedRoom.weak_share`)."""
        return self.count if self.count_estimate is None else self.count_estimate

    @property
    def uncertain(self) -> bool:
        return self.count_low is not None and self.count_high is not None and self.count_low < self.count_high

    @property
    def raised_count(self) -> int:
        return sum(1 for p in self.people if p.raised)


def preview_poses(result: FrameResult) -> list[list[tuple[float, float, float]]]:
    """Poses normalised to the frame for the console's camera set-up overlay (33 body points)."""
    out = []
    for p in result.people:
        if p.landmarks is None:
            continue
        pts = p.landmarks.points[:33]
        vis = p.landmarks.visibility[:33]
        out.append(
            [
                (float(x) / result.width, float(y) / result.height, float(v))
                for (x, y, _), v in zip(pts, vis, strict=True)
            ]
        )
    return out

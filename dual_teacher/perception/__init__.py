"""Pose, hands and face: tiling, tracking, hand-raise detection, head count, attention."""

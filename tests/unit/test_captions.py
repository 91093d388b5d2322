"""WebVTT captions beside a video."""

from __future__ import annotations

from pathlib import Path

import pytest

from dual_teacher.lesson.captions import CaptionTrack, Cue, format_vtt, load_captions, parse_vtt, sidecar_for

VTT = """WEBVTT

NOTE written by hand

1
00:00:00.500 --> 00:00:02.000 align:center
Hello, <b>everyone</b>!

00:02.000 --> 00:04.250
Today we add
small numbers.

broken --> cue
nothing

00:00:09.000 --> 00:00:08.000
backwards
"""


def test_parse_keeps_good_cues_and_drops_broken_ones() -> None:
    cues = parse_vtt(VTT)
    assert cues == [Cue(0.5, 2.0, "Hello, everyone!"), Cue(2.0, 4.25, "Today we add small numbers.")]


@pytest.mark.parametrize(
    ("t", "text"), [(0.0, ""), (0.5, "Hello, everyone!"), (2.0, "Today we add small numbers."), (5.0, "")]
)
def test_track_at(t: float, text: str) -> None:
    assert CaptionTrack(parse_vtt(VTT)).at(t) == text


def test_round_trip_and_sidecar_lookup(tmp_path: Path) -> None:
    video = tmp_path / "intro.mp4"
    video.write_bytes(b"")
    assert sidecar_for(video, "en") is None and load_captions(video, "en") is None
    (tmp_path / "intro.vtt").write_text(format_vtt(parse_vtt(VTT)), encoding="utf-8")
    (tmp_path / "intro.zh-Hans.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n大家好\n", encoding="utf-8")
    assert sidecar_for(video, "en") == tmp_path / "intro.vtt"
    assert sidecar_for(video, "zh-Hans") == tmp_path / "intro.zh-Hans.vtt"
    track = load_captions(video, "en")
    assert track is not None and track.at(1.0) == "Hello, everyone!"
    zh = load_captions(video, "zh-Hans")
    assert zh is not None and zh.at(0.5) == "大家好"


def test_the_demo_pack_has_captions_for_every_video(demo_pack_dir: Path) -> None:
    for video in sorted((demo_pack_dir / "media").glob("*.mp4")):
        track = load_captions(video, "en")
        assert track is not None and len(track.cues) >= 2, video.name

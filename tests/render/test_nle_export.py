"""Exports for editors load back with OpenTimelineIO and reproduce the clip's edit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from ai_video.errors import ConfigError
from ai_video.render.nle_export import EXPORT_FORMATS, timeline_text, write_exports
from ai_video.types import (
    AudioPlan,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    OutputPreset,
    TimeSpan,
)

FPS = 30.0
SOURCE_SIZE = (1920, 1080)
CROP = (
    CropKeyframe(0.0, 100, 0, 606, 1080),
    CropKeyframe(3.0, 700, 0, 606, 1080),
    CropKeyframe(8.5, 1200, 0, 606, 1080),
)


def _plan(source: Path, removed: tuple[TimeSpan, ...]) -> EditPlan:
    return EditPlan(
        source=source,
        span=TimeSpan(10.0, 22.0),
        preset=OutputPreset("tiktok", 1080, 1920, FPS),
        crop=CropPath(CROP),
        captions=CaptionTrack((), "tiktok"),
        audio=AudioPlan(-14.0, -1.5, 128, 48_000),
        removed=removed,
    )


def _cuts(timeline: otio.schema.Timeline) -> list[tuple[float, float, float]]:
    """(source in, source out, record in) of every video cut, seconds."""
    track = timeline.video_tracks()[0]
    return [
        (
            c.source_range.start_time.to_seconds(),
            c.source_range.end_time_exclusive().to_seconds(),
            c.range_in_parent().start_time.to_seconds(),
        )
        for c in track.find_clips()
    ]


def _expected(plan: EditPlan) -> list[tuple[float, float, float]]:
    out, record = [], 0.0
    for kept in plan.kept_spans():
        out.append((kept.start_s, kept.end_s, record))
        record += kept.duration_s
    return out


def _close(got: list[tuple[float, ...]], want: list[tuple[float, ...]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, abs=1.01 / FPS)


REMOVED = (TimeSpan(12.0, 12.5), TimeSpan(18.0, 19.2))


@pytest.mark.parametrize("removed", [(), REMOVED], ids=["plain", "with-cuts"])
def test_exports_load_back_with_cut_list(tmp_path: Path, removed: tuple[TimeSpan, ...]) -> None:
    source = tmp_path / "talk.mp4"
    plan = _plan(source, removed)
    paths = write_exports(plan, ["otio", "fcpxml", "edl"], tmp_path / "clip_01", SOURCE_SIZE, 60.0)
    assert [p.name for p in paths] == ["clip_01.otio", "clip_01.fcpxml", "clip_01.edl"]
    want = _expected(plan)
    assert len(want) == len(removed) + 1

    native = otio.adapters.read_from_file(str(paths[0]))
    _close(_cuts(native), want)
    for track in native.tracks:
        for cut in track.find_clips():
            assert cut.media_reference.target_url == source.absolute().as_uri()

    fcpx = otio.adapters.read_from_file(str(paths[1]), adapter_name="fcpx_xml")
    _close(_cuts(fcpx), want)

    edl = otio.adapters.read_from_file(str(paths[2]), adapter_name="cmx_3600", rate=FPS)
    _close(_cuts(edl), want)
    total = sum(k.duration_s for k in plan.kept_spans())
    assert edl.duration().to_seconds() == pytest.approx(total, abs=1.01 / FPS)


def test_otio_carries_crop_keyframes_per_cut(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "talk.mp4", REMOVED)
    (path,) = write_exports(plan, ["otio"], tmp_path / "clip_01", SOURCE_SIZE, 60.0)
    timeline = otio.adapters.read_from_file(str(path))
    removed = [list(r) for r in timeline.metadata["ai_video"]["removed"]]
    assert removed == [[12.0, 12.5], [18.0, 19.2]]
    for cut in timeline.video_tracks()[0].find_clips():
        src_in = cut.source_range.start_time.to_seconds()
        src_out = cut.source_range.end_time_exclusive().to_seconds()
        for t, x, _y, w, h in cut.metadata["ai_video"]["crop"]:
            assert src_in - 1e-6 <= t < src_out
            # the rectangle matches the plan's crop path at that source time
            k = plan.crop.at(t - plan.span.start_s + 1e-6)
            assert (x, w, h) == (k.x, k.w, k.h)
    # each cut opens with the rectangle in force, then every switch inside it (source time)
    seen = [
        (round(float(k[0]), 3), int(k[1]))
        for cut in timeline.video_tracks()[0].find_clips()
        for k in cut.metadata["ai_video"]["crop"]
    ]
    assert seen == [(10.0, 100), (12.5, 100), (13.0, 700), (19.2, 1200)]


def test_fcpxml_is_structurally_valid_with_crop_keyframes(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "talk.mp4", REMOVED)
    (path,) = write_exports(plan, ["fcpxml"], tmp_path / "clip_01", SOURCE_SIZE, 60.0)
    root = ET.parse(path).getroot()
    assert root.tag == "fcpxml" and root.get("version")
    ids = {e.get("id") for e in root.find("resources")}  # type: ignore[union-attr]
    for element in root.iter():
        if element.get("ref") is not None:
            assert element.get("ref") in ids
        if element.get("format") is not None:
            assert element.get("format") in ids
    (sequence,) = root.iter("sequence")
    spine = sequence.find("spine")
    assert spine is not None
    clips = list(spine)
    offset = Fraction(0)
    for clip in clips:  # spine clips are contiguous and fill the sequence
        assert _t(clip.get("offset")) == offset
        offset += _t(clip.get("duration"))
    assert offset == _t(sequence.get("duration"))
    # the crop path as trim-rect keyframes: the left edge follows the crop x in percent
    lefts: dict[Fraction, float] = {}
    for clip in clips:
        crop = clip.find("adjust-crop/trim-rect/param[@name='left']/keyframeAnimation")
        assert crop is not None
        for key in crop:
            lefts[_t(key.get("time"))] = float(key.get("value", "nan"))
    for kf in CROP[1:]:
        t = Fraction(kf.t_s + 10.0)
        if any(r.start_s <= t < r.end_s for r in REMOVED):
            continue
        assert lefts[t] == pytest.approx(100.0 * kf.x / SOURCE_SIZE[0], abs=1e-3)


def test_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "talk.mp4", ())
    from ai_video.render.nle_export import clip_timeline

    with pytest.raises(ConfigError):
        timeline_text(clip_timeline(plan, "x", SOURCE_SIZE, 60.0), "aaf")
    assert set(EXPORT_FORMATS) == {"otio", "fcpxml", "edl"}


def _t(value: str | None) -> Fraction:
    assert value is not None and value.endswith("s")
    return Fraction(value[:-1])

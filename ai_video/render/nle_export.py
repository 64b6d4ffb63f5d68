"""A clip's edit for real editors: OpenTimelineIO, Final Cut Pro X XML and CMX 3600 EDL.

Built from the same :class:`EditPlan` that rendered the clip: one cut per kept segment of
the clip's span (removed spans, e.g. fillers and pauses, become the gaps between cuts), on a
video and an audio track, each cut pointing at the original source file at its source in/out.
The crop path travels as metadata on every cut (``ai_video.crop``: ``[t_s, x, y, w, h]`` in
source time and source pixels) and, in FCPXML, as native ``adjust-crop`` trim-rect keyframes
(percent of the source frame, FCP X's unit). EDL has no field for either; captions go next to
the exports as SRT (written by ``render.export``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from ai_video.errors import ConfigError
from ai_video.media.files import write_atomic
from ai_video.types import CropKeyframe, EditPlan, TimeSpan

EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "otio": ("otio_json", ".otio"),
    "fcpxml": ("fcpx_xml", ".fcpxml"),
    "edl": ("cmx_3600", ".edl"),
}
"""Export name -> (OpenTimelineIO adapter, file suffix)."""

METADATA_KEY = "ai_video"


def clip_timeline(
    plan: EditPlan, name: str, source_size: tuple[int, int], source_duration_s: float
) -> otio.schema.Timeline:
    """The clip's edit as a timeline: one cut per kept segment on a video and an audio track."""
    fps = plan.preset.fps
    timeline = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, fps))
    timeline.metadata[METADATA_KEY] = {
        "span": [plan.span.start_s, plan.span.end_s],
        "removed": [[r.start_s, r.end_s] for r in plan.removed],
        "output": [plan.preset.width_px, plan.preset.height_px, fps],
        "source_size": list(source_size),
    }
    kinds = [otio.schema.TrackKind.Video] + ([otio.schema.TrackKind.Audio] * plan.has_audio)
    for kind in kinds:
        track = otio.schema.Track(name="V1" if kind == otio.schema.TrackKind.Video else "A1")
        track.kind = kind
        for index, segment in enumerate(plan.kept_spans(), start=1):
            track.append(_cut(plan, f"{name}_{index:02d}", segment, source_duration_s))
        timeline.tracks.append(track)
    return timeline


def _cut(
    plan: EditPlan, name: str, segment: TimeSpan, source_duration_s: float
) -> otio.schema.Clip:
    """One cut: the source file from ``segment.start_s`` to ``segment.end_s`` (source time)."""
    fps = plan.preset.fps
    start = round(segment.start_s * fps)
    frames = max(1, round(segment.end_s * fps) - start)
    reference = otio.schema.ExternalReference(
        target_url=Path(plan.source).absolute().as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, fps),
            otio.opentime.RationalTime(round(source_duration_s * fps), fps),
        ),
    )
    clip = otio.schema.Clip(
        name=name,
        media_reference=reference,
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(frames, fps)
        ),
    )
    clip.metadata[METADATA_KEY] = {"crop": _crop_in_segment(plan, segment)}
    return clip


def _crop_in_segment(plan: EditPlan, segment: TimeSpan) -> list[list[float]]:
    """Crop keyframes in force during ``segment``, as ``[t_s, x, y, w, h]`` in source time."""
    offset = plan.span.start_s
    keys = [k for k in plan.crop.keyframes if k.t_s + offset < segment.end_s]
    inside = [k for k in keys if k.t_s + offset > segment.start_s]
    first = plan.crop.at(segment.start_s - offset)
    out = [[round(segment.start_s, 6), first.x, first.y, first.w, first.h]]
    out += [[round(k.t_s + offset, 6), k.x, k.y, k.w, k.h] for k in inside]
    return out


def timeline_text(timeline: otio.schema.Timeline, fmt: str) -> str:
    """The timeline in export format ``fmt`` (``otio``, ``fcpxml`` or ``edl``)."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    adapter, _ = EXPORT_FORMATS[fmt]
    if fmt == "edl":
        video_only = otio.schema.Timeline(name=timeline.name)
        video_only.tracks.append(timeline.video_tracks()[0].clone())
        return str(otio.adapters.write_to_string(video_only, adapter_name=adapter))
    text = str(otio.adapters.write_to_string(timeline, adapter_name=adapter))
    return _add_fcpx_crop(text, timeline) if fmt == "fcpxml" else text


def write_exports(
    plan: EditPlan,
    formats: Sequence[str],
    base_path: Path,
    source_size: tuple[int, int],
    source_duration_s: float,
) -> list[Path]:
    """Write ``BASE.<suffix>`` for every format in ``formats``; returns the written paths."""
    base_path = Path(base_path)
    timeline = clip_timeline(plan, base_path.stem, source_size, source_duration_s)
    written: list[Path] = []
    for fmt in formats:
        text = timeline_text(timeline, fmt)
        path = base_path.with_suffix(EXPORT_FORMATS[fmt][1])
        write_atomic(path, text.encode("utf-8"))
        written.append(path)
    return written


# --------------------------------------------------------------------------- FCPXML crop


def _add_fcpx_crop(xml_text: str, timeline: otio.schema.Timeline) -> str:
    """Give every clip on the FCPXML spine an ``adjust-crop`` with trim-rect keyframes."""
    root = ET.fromstring(xml_text)
    meta = timeline.metadata[METADATA_KEY]
    width, height = (int(v) for v in meta["source_size"])
    cuts = {c.name: c for c in timeline.video_tracks()[0].find_clips()}
    for spine in root.iter("spine"):
        for element in spine:
            cut = cuts.get(str(element.get("name")))
            if cut is not None and element.tag in {"asset-clip", "clip"}:
                element.append(_adjust_crop(cut, width, height))
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + body + "\n"


def _adjust_crop(cut: otio.schema.Clip, width: int, height: int) -> ET.Element:
    """``<adjust-crop mode="trim">`` whose trim-rect edges are keyframed per crop rectangle."""
    keys = [CropKeyframe(t, int(x), int(y), int(w), int(h)) for t, x, y, w, h in _crop(cut)]
    source_in = cut.source_range.start_time
    frame = 1 / Fraction(source_in.rate).limit_denominator(1001)
    crop = ET.Element("adjust-crop", {"mode": "trim"})
    rect = ET.SubElement(crop, "trim-rect")
    edges = {
        "left": [100.0 * k.x / width for k in keys],
        "right": [100.0 * (width - k.x - k.w) / width for k in keys],
        "top": [100.0 * k.y / height for k in keys],
        "bottom": [100.0 * (height - k.y - k.h) / height for k in keys],
    }
    for edge, values in edges.items():
        rect.set(edge, f"{values[0]:.4f}")
        param = ET.SubElement(rect, "param", {"name": edge, "value": f"{values[0]:.4f}"})
        animation = ET.SubElement(param, "keyframeAnimation")
        previous: float | None = None
        for key, value in zip(keys, values, strict=True):
            at = max(Fraction(key.t_s).limit_denominator(100_000), _seconds(source_in))
            if previous is not None:  # hold the old edge until one frame before the switch
                _keyframe(animation, at - frame, previous)
            _keyframe(animation, at, value)
            previous = value
    return crop


def _keyframe(animation: ET.Element, at: Fraction, value: float) -> None:
    """One linear keyframe of a trim-rect edge."""
    attrs = {"time": _fcpx_time(at), "value": f"{value:.4f}", "interp": "linear"}
    ET.SubElement(animation, "keyframe", attrs)


def _crop(cut: otio.schema.Clip) -> list[list[float]]:
    """The ``[t_s, x, y, w, h]`` crop keyframes stored on a cut."""
    return [list(map(float, k)) for k in cut.metadata[METADATA_KEY]["crop"]]


def _seconds(time: otio.opentime.RationalTime) -> Fraction:
    """A RationalTime as exact seconds."""
    return Fraction(round(time.value), 1) / Fraction(time.rate).limit_denominator(1001)


def _fcpx_time(value: Fraction) -> str:
    """FCP X time notation: ``N/Ds`` or ``Ns``."""
    return (
        f"{value.numerator}s"
        if value.denominator == 1
        else f"{value.numerator}/{value.denominator}s"
    )

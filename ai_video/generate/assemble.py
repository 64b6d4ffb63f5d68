"""From narrated scenes to a timeline: frame-aligned scene spans, one narration track, plans.

Scene ``i`` lasts its narration plus ``scene_pause_s``, rounded up to whole frames, and the
scenes follow each other without gaps; each narration starts at its scene's first frame.
Because the same spans cut the video (scene files of exact frame counts) and place the
audio (samples at the same instants), scene boundaries and narration boundaries coincide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ai_video.config import CaptionStyle
from ai_video.edit.captions import styled_caption_track
from ai_video.errors import InputError
from ai_video.generate.align import WordAlignment
from ai_video.generate.script import Scene
from ai_video.generate.tts import SceneNarration
from ai_video.generate.visuals import VisualChoice
from ai_video.types import (
    CaptionLine,
    CaptionTrack,
    CaptionWord,
    OutputPreset,
    ScenePlan,
    TimeSpan,
    Word,
    frame_to_s,
    s_to_frame_ceil,
)


def lay_out_scenes(
    narrations: Sequence[SceneNarration], fps: float, scene_pause_s: float
) -> tuple[TimeSpan, ...]:
    """Consecutive frame-aligned spans, each long enough for its narration and pause."""
    spans: list[TimeSpan] = []
    frame = 0
    for narration in narrations:
        frames = max(1, s_to_frame_ceil(narration.duration_s + scene_pause_s, fps))
        spans.append(TimeSpan(frame_to_s(frame, fps), frame_to_s(frame + frames, fps)))
        frame += frames
    return tuple(spans)


def narration_track(
    narrations: Sequence[SceneNarration], spans: Sequence[TimeSpan]
) -> tuple[npt.NDArray[np.float32], int]:
    """All narrations on one track, each starting at its scene's first sample."""
    if not narrations:
        raise InputError("no narration to assemble")
    rates = {n.sample_rate_hz for n in narrations}
    if len(rates) != 1:
        raise InputError(f"scene narrations differ in sample rate: {sorted(rates)}")
    rate = rates.pop()
    track = np.zeros(round(spans[-1].end_s * rate), dtype=np.float32)
    for narration, span in zip(narrations, spans, strict=True):
        start = round(span.start_s * rate)
        room = round(span.end_s * rate) - start
        samples = narration.samples[:room]
        track[start : start + len(samples)] = samples
    return track, rate


def timeline_words(
    alignments: Sequence[WordAlignment], spans: Sequence[TimeSpan]
) -> tuple[tuple[Word, ...], ...]:
    """Each scene's timed words moved from scene time to the short's timeline."""
    return tuple(
        tuple(
            Word(w.text, w.start_s + span.start_s, w.end_s + span.start_s, w.probability)
            for w in alignment.words
        )
        for alignment, span in zip(alignments, spans, strict=True)
    )


def scene_captions(
    words: Sequence[Word], span: TimeSpan, style: CaptionStyle, style_name: str
) -> CaptionTrack:
    """Caption lines of one scene, in scene time."""
    return styled_caption_track(words, span, style_name, style)


def plan_scenes(
    scenes: Sequence[Scene],
    spans: Sequence[TimeSpan],
    choices: Sequence[VisualChoice],
    captions: Sequence[CaptionTrack],
    preset: OutputPreset,
) -> tuple[ScenePlan, ...]:
    """One render plan per scene: its span, visual and captions."""
    return tuple(
        ScenePlan(
            index=scene.index,
            span=span,
            visual_kind=choice.kind,
            visual=choice.path,
            title=scene.title or choice.label,
            preset=preset,
            captions=track,
        )
        for scene, span, choice, track in zip(scenes, spans, choices, captions, strict=True)
    )


def short_captions(tracks: Sequence[CaptionTrack], spans: Sequence[TimeSpan]) -> CaptionTrack:
    """The scenes' caption lines on the short's timeline (what the .srt next to it holds)."""
    lines: list[CaptionLine] = []
    for track, span in zip(tracks, spans, strict=True):
        for line in track.lines:
            moved = tuple(
                CaptionWord(w.text, w.start_s + span.start_s, w.end_s + span.start_s)
                for w in line.words
            )
            lines.append(CaptionLine(moved))
    style_name = tracks[0].style_name if tracks else "default"
    return CaptionTrack(lines=tuple(lines), style_name=style_name)

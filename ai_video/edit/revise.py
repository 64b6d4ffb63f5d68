"""A user's fix to a finished clip, applied to its EditPlan: trim, caption words, style.

Start and end move to the nearest gap between words (a cut never lands inside a word); the
crop path is shifted with the start; clean-up cuts outside the new span are dropped; caption
words can be corrected by their index in the clip. The caption look itself comes with the
settings the clip is re-rendered with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from ai_video.config import CaptionStyle
from ai_video.edit.captions import build_caption_track
from ai_video.edit.cleanup import retime_words
from ai_video.edit.cutaways import retimed_cutaways
from ai_video.errors import PlanError
from ai_video.types import (
    CaptionLine,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    TimeSpan,
    Transcript,
    Word,
)


@dataclass(frozen=True)
class ClipEdit:
    """What the user changed: new bounds (source time) and caption word fixes by index."""

    start_s: float | None = None
    end_s: float | None = None
    words: Mapping[int, str] = field(default_factory=dict)


def snap_to_gap(t_s: float, words: Sequence[Word]) -> float:
    """``t_s`` moved to the middle of the nearest gap between words (unchanged in a gap)."""
    ordered = sorted(words, key=lambda w: w.start_s)
    inside = [w for w in ordered if w.start_s < t_s < w.end_s]
    if not inside:
        return t_s
    gaps = [(a.end_s + b.start_s) / 2 for a, b in pairwise(ordered)]
    gaps += [ordered[0].start_s, ordered[-1].end_s]
    return min(gaps, key=lambda g: abs(g - t_s))


def revise_plan(
    plan: EditPlan, edit: ClipEdit, transcript: Transcript, style: CaptionStyle
) -> EditPlan:
    """The plan with ``edit`` applied; raises PlanError when the new span is empty."""
    words = transcript.words
    start = snap_to_gap(edit.start_s, words) if edit.start_s is not None else plan.span.start_s
    end = snap_to_gap(edit.end_s, words) if edit.end_s is not None else plan.span.end_s
    if end - start <= 0:
        raise PlanError(f"edited clip {start:.3f}-{end:.3f} s is empty")
    span = TimeSpan(start, end)
    removed = tuple(r for r in plan.removed if span.start_s <= r.start_s and r.end_s <= end)
    crop = _shifted_crop(plan.crop, start - plan.span.start_s, span.duration_s)
    timed = retime_words(transcript.words_in(span), span, removed)
    cut_len = span.duration_s - sum(r.duration_s for r in removed)
    track = build_caption_track(
        timed, TimeSpan(span.start_s, span.start_s + cut_len), plan.captions.style_name,
        style.min_words_per_line, style.max_words_per_line,
        break_pause_s=style.line_break_pause_s, max_chars=style.max_chars_per_line,
    )  # fmt: skip
    if edit.words:
        track = _corrected(track, edit.words)
    revised = replace(plan, span=span, removed=removed, crop=crop, captions=track)
    return retimed_cutaways(revised)  # b-roll follows the trim (issue 14)


def _shifted_crop(crop: CropPath, shift_s: float, duration_s: float) -> CropPath:
    """The crop path in the new clip time: starts at 0 with the rectangle then in force."""
    first = crop.at(max(0.0, shift_s))
    keys = [CropKeyframe(0.0, first.x, first.y, first.w, first.h)]
    for k in crop.keyframes:
        t = k.t_s - shift_s
        if 0.0 < t < duration_s:
            keys.append(replace(k, t_s=t))
    return CropPath(tuple(keys))


def _corrected(track: CaptionTrack, fixes: Mapping[int, str]) -> CaptionTrack:
    """The caption track with the words at the given clip indices replaced."""
    index, lines = 0, []
    for line in track.lines:
        words = []
        for word in line.words:
            text = fixes.get(index, word.text).strip() or word.text
            words.append(replace(word, text=text))
            index += 1
        lines.append(CaptionLine(tuple(words)))
    unknown = [i for i in fixes if not 0 <= i < index]
    if unknown:
        raise PlanError(f"caption word index {unknown[0]} out of range (0..{index - 1})")
    return CaptionTrack(tuple(lines), track.style_name)

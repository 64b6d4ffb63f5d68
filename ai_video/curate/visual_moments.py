"""Moments of videos without speech (music, gameplay, sport, b-roll): cut on shot boundaries.

Candidates are runs of whole shots that fit the clip length range; a shot longer than the
longest clip is also cut into windows of the target length (those cuts are not on a
boundary, which the coherence group says). Each candidate is scored with the same groups as
speech clips:

- hook: picture and sound activity in the opening seconds;
- coherence: share of the two cuts that fall on shot boundaries, times the length fit;
- value: share of the clip's frames moving more than the video's median frame;
- delivery: mean loudness of the sound, from ``cfg.loudness_floor_db`` (0) to
  ``cfg.loudness_full_db`` (1); absent without audio;
- visual: mean motion over ``cfg.motion_full_scale``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai_video.config import MomentsConfig
from ai_video.curate.breakdown import assemble_score, mean_of
from ai_video.curate.distinct import select_distinct
from ai_video.types import (
    Candidate,
    FloatArray,
    Moment,
    MomentsResult,
    ScoredCandidate,
    SocialCopy,
    SpeechActivity,
    TimeSpan,
    Topic,
    VisualAnalysis,
)

_OPENING_S = 3.0
_EPS_S = 1e-6


def shot_bounds(visual: VisualAnalysis, media_duration_s: float) -> list[float]:
    """Cut times: 0, every shot start after the first, and the end of the media."""
    starts = [s.span.start_s for s in visual.shots[1:] if 0 < s.span.start_s < media_duration_s]
    return [0.0, *starts, media_duration_s]


def visual_spans(
    bounds: Sequence[float], limits_s: tuple[float, float], target_s: float
) -> list[tuple[TimeSpan, int]]:
    """Candidate spans with how many of their two cuts lie on a shot boundary."""
    min_s, max_s = limits_s
    found: list[tuple[TimeSpan, int]] = []
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            length = bounds[j] - bounds[i]
            if length > max_s + _EPS_S:
                break
            if length >= min_s - _EPS_S:
                found.append((TimeSpan(bounds[i], bounds[j]), 2))
        shot_len = bounds[i + 1] - bounds[i]
        if shot_len > max_s + _EPS_S:
            window = min(max(target_s, min_s), max_s)
            t = bounds[i]
            while t + window <= bounds[i + 1] + _EPS_S:
                on_bounds = int(abs(t - bounds[i]) < _EPS_S) + int(
                    abs(t + window - bounds[i + 1]) < _EPS_S
                )
                found.append((TimeSpan(t, t + window), on_bounds))
                t += window / 2
    return found


def _mean_in(times: FloatArray, values: FloatArray, span: TimeSpan) -> float | None:
    mask = (times >= span.start_s) & (times < span.end_s)
    return float(values[mask].mean()) if mask.any() else None


def _scale(value: float | None, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    return float(np.clip((value - lo) / max(hi - lo, 1e-9), 0.0, 1.0))


def _clock(t_s: float) -> str:
    return f"{int(t_s // 60)}:{int(t_s % 60):02d}"


@dataclass(frozen=True)
class _Signals:
    """What the scoring of one span reads: picture motion, loudness, shot bounds."""

    frame_times: FloatArray
    motion: FloatArray
    busy: FloatArray
    hop_times: FloatArray
    loudness: FloatArray
    bounds: list[float]


def _signals(
    visual: VisualAnalysis, speech: SpeechActivity | None, bounds: list[float]
) -> _Signals:
    motion = np.asarray(visual.motion, dtype=np.float64)
    busy = (motion > float(np.median(motion))) if len(motion) else np.zeros(0, dtype=bool)
    return _Signals(
        frame_times=np.arange(len(motion), dtype=np.float64) / visual.fps,
        motion=motion,
        busy=busy.astype(np.float64),
        hop_times=speech.times_s() if speech is not None else np.zeros(0),
        loudness=speech.loudness_db if speech is not None else np.zeros(0),
        bounds=bounds,
    )


def _span_moment(
    span: TimeSpan,
    on_bounds: int,
    sig: _Signals,
    cfg: MomentsConfig,
    fit_range: tuple[float, float, float],
) -> Moment:
    """One scored, titled no-speech clip; ``fit_range`` is ``(min_s, max_s, target_s)``."""
    lo_s, hi_s, target_s = fit_range
    opening = TimeSpan(span.start_s, min(span.end_s, span.start_s + _OPENING_S))
    full_db = (cfg.loudness_floor_db, cfg.loudness_full_db)
    fit = 1.0 - abs(span.duration_s - target_s) / max(hi_s - lo_s, 1e-6)
    shots_in = sum(1 for b in sig.bounds[1:-1] if span.start_s < b < span.end_s) + 1
    values = {
        "hook": mean_of(
            _scale(_mean_in(sig.frame_times, sig.motion, opening), 0.0, cfg.motion_full_scale),
            _scale(_mean_in(sig.hop_times, sig.loudness, opening), *full_db),
        ),
        "coherence": (on_bounds / 2) * float(np.clip(fit, 0.0, 1.0)),
        "value": _mean_in(sig.frame_times, sig.busy, span),
        "delivery": _scale(_mean_in(sig.hop_times, sig.loudness, span), *full_db),
        "visual": _scale(_mean_in(sig.frame_times, sig.motion, span), 0.0, cfg.motion_full_scale),
    }
    evidence = {
        "hook": f"activity in the first {opening.duration_s:.0f} s",
        "coherence": f"{on_bounds} of 2 cuts on shot boundaries; {shots_in} shot(s)",
        "value": "share of frames with more motion than the video's median",
        "delivery": "mean loudness of the soundtrack",
        "visual": "mean picture motion",
    }
    score_100, groups, clip_score = assemble_score(values, evidence, cfg.group_weights)
    candidate = Candidate(span=span, first_sentence=-1, last_sentence=-1, text="", hook_text="")
    copy = SocialCopy(
        title=f"Highlight {_clock(span.start_s)}–{_clock(span.end_s)}",
        description=f"{shots_in} shot(s), {span.duration_s:.0f} s, no speech",
        hashtags=("#Highlights", "#NoTalking", "#Shorts"),
    )
    first_topic = int(np.searchsorted(sig.bounds, span.start_s + _EPS_S, side="right")) - 1
    last_topic = int(np.searchsorted(sig.bounds, span.end_s - _EPS_S, side="right")) - 1
    topics = tuple(range(first_topic, last_topic + 1))
    return Moment(ScoredCandidate(candidate, clip_score), score_100, groups, copy, topics)


def find_visual_moments(
    visual: VisualAnalysis | None,
    speech: SpeechActivity | None,
    media_duration_s: float,
    limits_s: tuple[float, float],
    cfg: MomentsConfig,
    max_clips: int,
    target_s: float,
    has_speech: bool = False,
) -> MomentsResult:
    """Clips of a video without usable speech, cut on shot boundaries (module docstring)."""
    if visual is None or visual.frame_count == 0:
        if has_speech:
            return MomentsResult(
                (), (), f"no run of whole sentences fits {limits_s[0]:g}-{limits_s[1]:g} s"
            )
        return MomentsResult((), (), "no speech and no picture to choose clips from")
    bounds = shot_bounds(visual, media_duration_s)
    sig = _signals(visual, speech, bounds)
    topics = tuple(
        Topic(i, TimeSpan(a, b), -1, -1, (), ("shot",) if i else ())
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    )
    fit_range = (limits_s[0], limits_s[1], target_s)
    scored = [
        _span_moment(span, on_bounds, sig, cfg, fit_range)
        for span, on_bounds in visual_spans(bounds, limits_s, target_s)
    ]
    chosen = select_distinct(
        [m.clip.candidate.span for m in scored],
        ["" for _ in scored],
        np.array([m.score_100 for m in scored], dtype=np.float64),
        max_clips,
        cfg,
    )
    message = "speech too short for a clip; clips were cut on shots" if has_speech else None
    return MomentsResult(tuple(scored[i] for i in chosen), topics, message)

"""Choosing clips: sentences -> candidates -> features -> score -> non-overlapping top-K."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ai_video.config import CurateConfig, PlatformPreset
from ai_video.curate.candidates import find_candidates
from ai_video.curate.features import build_features
from ai_video.curate.moments import find_moments
from ai_video.curate.score import score_candidates
from ai_video.curate.select import select_clips
from ai_video.errors import InputError
from ai_video.types import FaceTrack, ScoredCandidate, SpeechActivity, Transcript

if TYPE_CHECKING:
    from ai_video.analyze.embed import TextEmbedder

__all__ = ["candidate_features", "curate", "find_moments"]


def candidate_features(
    transcript: Transcript,
    speech: SpeechActivity | None,
    faces: FaceTrack | None,
    media_duration_s: float,
    preset: PlatformPreset,
    min_s: float,
    max_s: float,
    cfg: CurateConfig,
    embedder: TextEmbedder | None,
) -> pl.DataFrame:
    """The feature table of every candidate (see :mod:`ai_video.curate.features`)."""
    candidates = find_candidates(transcript, min_s, max_s, cfg, media_duration_s)
    similarity = None
    if cfg.prompt:
        if embedder is None:
            raise InputError("curate.prompt is set but no text embedder was loaded to match it")
        similarity = embedder.similarity(cfg.prompt, [c.text for c in candidates])
    return build_features(
        candidates, speech, faces, (min_s, max_s, preset.target_clip_s), cfg, similarity
    )


def curate(
    transcript: Transcript,
    speech: SpeechActivity | None,
    faces: FaceTrack | None,
    media_duration_s: float,
    preset: PlatformPreset,
    min_s: float,
    max_s: float,
    cfg: CurateConfig,
    embedder: TextEmbedder | None,
) -> list[ScoredCandidate]:
    """The clips to make, best first: scored, non-overlapping, at most ``cfg.max_clips``."""
    table = candidate_features(
        transcript, speech, faces, media_duration_s, preset, min_s, max_s, cfg, embedder
    )
    scored = score_candidates(table, cfg.weights)
    return select_clips(scored, cfg.max_clips, cfg.min_score)

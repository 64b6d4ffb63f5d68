"""Candidate clips: runs of whole sentences, cut in the silences between words.

Between two sentences lies a boundary. It is usable as a cut when the pause there is at
least ``cfg.min_gap_s`` long (the start and end of the media are always usable). A clip keeps
up to ``cfg.edge_pad_s`` of silence around its words, but never more than half of the pause it
shares with its neighbour, so clips on either side of one pause never overlap. To reach the
shortest clip length a clip may take up to ``cfg.max_extra_pad_s`` more silence per edge,
stopping ``cfg.cut_margin_s`` short of the nearest word.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai_video.config import CurateConfig
from ai_video.curate.sentences import split_sentences
from ai_video.errors import ConfigError
from ai_video.types import Candidate, Sentence, TimeSpan, Transcript, Word

_EPS_S = 1e-9


@dataclass(frozen=True, slots=True)
class _Boundary:
    """Where cuts may go in the pause before sentence ``index`` (after the previous one)."""

    usable: bool
    start_floor_s: float
    """Earliest start, with normal padding, of a clip that begins after this pause."""
    start_ext_floor_s: float
    """Earliest start when extending to reach the shortest clip length."""
    end_ceil_s: float
    """Latest end, with normal padding, of a clip that ends before this pause."""
    end_ext_ceil_s: float
    """Latest end when extending to reach the shortest clip length."""


def _boundaries(
    sentences: Sequence[Sentence], cfg: CurateConfig, media_duration_s: float
) -> list[_Boundary]:
    """The ``len(sentences) + 1`` pauses around and between the sentences."""
    bounds = [_Boundary(True, 0.0, 0.0, 0.0, 0.0)]
    for prev, nxt in itertools.pairwise(sentences):
        prev_end, next_start = prev.words[-1].end_s, nxt.words[0].start_s
        gap_s = next_start - prev_end
        margin_s = min(cfg.cut_margin_s, gap_s / 4)
        middle_s = min(max((prev_end + next_start) / 2, 0.0), media_duration_s)
        bounds.append(
            _Boundary(
                usable=gap_s >= cfg.min_gap_s,
                start_floor_s=middle_s,
                start_ext_floor_s=min(max(prev_end + margin_s, 0.0), media_duration_s),
                end_ceil_s=middle_s,
                end_ext_ceil_s=min(max(next_start - margin_s, 0.0), media_duration_s),
            )
        )
    bounds.append(
        _Boundary(True, media_duration_s, media_duration_s, media_duration_s, media_duration_s)
    )
    return bounds


def _fit_span(
    first_start_s: float,
    last_end_s: float,
    before: _Boundary,
    after: _Boundary,
    limits: tuple[float, float],
    cfg: CurateConfig,
) -> TimeSpan | None:
    """The padded cut span for the words ``[first_start_s, last_end_s]``, None if none fits."""
    min_s, max_s = limits
    start_s = max(before.start_floor_s, first_start_s - cfg.edge_pad_s)
    end_s = min(after.end_ceil_s, last_end_s + cfg.edge_pad_s)
    excess_s = (end_s - start_s) - max_s
    if excess_s > 0:
        pad_before = max(0.0, first_start_s - start_s)
        pad_after = max(0.0, end_s - last_end_s)
        trim_before = min(pad_before, excess_s / 2)
        trim_after = min(pad_after, excess_s - trim_before)
        trim_before = min(pad_before, excess_s - trim_after)
        start_s, end_s = start_s + trim_before, end_s - trim_after
    need_s = min_s - (end_s - start_s)
    if need_s > 0:
        room_before = max(0.0, min(cfg.max_extra_pad_s, start_s - before.start_ext_floor_s))
        room_after = max(0.0, min(cfg.max_extra_pad_s, after.end_ext_ceil_s - end_s))
        if room_before + room_after + _EPS_S < need_s:
            return None
        take_before = min(room_before, need_s / 2)
        take_after = min(room_after, need_s - take_before)
        take_before = min(room_before, need_s - take_after)
        start_s, end_s = start_s - take_before, end_s + take_after
    if end_s - start_s > max_s + _EPS_S:
        return None
    return TimeSpan(start_s, end_s)


def candidates_from_sentences(
    sentences: Sequence[Sentence],
    min_s: float,
    max_s: float,
    cfg: CurateConfig,
    media_duration_s: float,
    *,
    may_start: Sequence[bool] | None = None,
    may_end: Sequence[bool] | None = None,
    segment_of: Sequence[int] | None = None,
    max_segments: int = 1,
) -> list[Candidate]:
    """Every run of consecutive whole sentences whose cut span fits ``[min_s, max_s]``.

    Optional per-sentence rules: a run starts only at a sentence with ``may_start`` true, ends
    only at one with ``may_end`` true, and touches at most ``max_segments`` consecutive
    segments (topics) of ``segment_of``.
    """
    if min_s <= 0 or max_s < min_s:
        raise ConfigError(f"invalid clip length range: min {min_s} s, max {max_s} s")
    bounds = _boundaries(sentences, cfg, media_duration_s)
    found: list[Candidate] = []
    for first in range(len(sentences)):
        if not bounds[first].usable or (may_start is not None and not may_start[first]):
            continue
        first_start_s = sentences[first].words[0].start_s
        for last in range(first, len(sentences)):
            last_end_s = sentences[last].words[-1].end_s
            if last_end_s - first_start_s > max_s:
                break
            if segment_of is not None and segment_of[last] - segment_of[first] >= max_segments:
                break
            if not bounds[last + 1].usable or (may_end is not None and not may_end[last]):
                continue
            span = _fit_span(
                first_start_s, last_end_s, bounds[first], bounds[last + 1], (min_s, max_s), cfg
            )
            if span is None:
                continue
            run = sentences[first : last + 1]
            found.append(
                Candidate(
                    span=span,
                    first_sentence=sentences[first].index,
                    last_sentence=sentences[last].index,
                    text=" ".join(s.text for s in run),
                    hook_text=run[0].text,
                )
            )
    return found


def find_candidates(
    transcript: Transcript,
    min_s: float,
    max_s: float,
    cfg: CurateConfig,
    media_duration_s: float,
) -> list[Candidate]:
    """Split the transcript into sentences and list every clip of whole sentences that fits."""
    sentences = split_sentences(transcript.words, min(cfg.max_sentence_s, max_s))
    return candidates_from_sentences(sentences, min_s, max_s, cfg, media_duration_s)


def cut_is_in_gap(span: TimeSpan, words: Sequence[Word]) -> bool:
    """Whether neither end of ``span`` falls strictly inside a word."""
    if not words:
        return True
    starts = np.fromiter((w.start_s for w in words), dtype=np.float64, count=len(words))
    ends = np.fromiter((w.end_s for w in words), dtype=np.float64, count=len(words))
    cuts = np.array([span.start_s, span.end_s])
    inside = (starts[None, :] < cuts[:, None] - _EPS_S) & (cuts[:, None] + _EPS_S < ends[None, :])
    return not bool(inside.any())

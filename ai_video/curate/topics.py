"""Topic segmentation: TextTiling depth over sentence vectors plus boundary evidence.

Each gap between two sentences gets a boundary strength, the sum of:

- ``cfg.topic_depth_weight`` x the TextTiling depth score (Hearst 1997): the cosine of the
  mean vectors of ``cfg.topic_window_sentences`` sentences on each side, subtracted from the
  highest similarity reached climbing left and right from the gap;
- ``cfg.speaker_weight`` when a voice-turn change lies in the gap (within
  ``cfg.evidence_tolerance_s`` of it);
- ``cfg.pause_weight`` when the pause is at least ``cfg.topic_pause_s``;
- ``cfg.shot_weight`` when a shot cut lies in the gap.

A gap at or above ``cfg.boundary_threshold`` is a topic boundary. A boundary that only the
text supports must lie ``cfg.min_topic_sentences`` sentences from any stronger one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ai_video.config import MomentsConfig
from ai_video.curate.text_vectors import unit_rows
from ai_video.types import FloatArray, Sentence, TimeSpan, Topic

KeywordFn = Callable[[str, int], list[str]]
"""Keyword extractor handed to :func:`segment_topics`: (text, count) -> keywords."""


@dataclass(frozen=True)
class GapEvidence:
    """Boundary evidence of every gap; row ``g`` is the gap before sentence ``g + 1``."""

    depth: FloatArray
    speaker: npt.NDArray[np.bool_]
    pause: npt.NDArray[np.bool_]
    shot: npt.NDArray[np.bool_]

    def strength(self, cfg: MomentsConfig) -> FloatArray:
        """The summed, weighted evidence of each gap."""
        total: FloatArray = (
            cfg.topic_depth_weight * self.depth
            + cfg.speaker_weight * self.speaker
            + cfg.pause_weight * self.pause
            + cfg.shot_weight * self.shot
        )
        return total

    def reasons(self, gap: int, cfg: MomentsConfig) -> tuple[str, ...]:
        """Names of the evidence present at ``gap`` (text: depth over half the threshold)."""
        text_depth = cfg.topic_depth_weight * self.depth[gap]
        named = (
            ("text", text_depth >= cfg.boundary_threshold / 2),
            ("speaker", self.speaker[gap]),
            ("pause", self.pause[gap]),
            ("shot", self.shot[gap]),
        )
        return tuple(name for name, present in named if present)


def depth_scores(vectors: FloatArray, window: int) -> FloatArray:
    """TextTiling depth score of each of the ``n - 1`` gaps between ``n`` sentence vectors."""
    n = vectors.shape[0]
    if n < 2:
        return np.zeros(0, dtype=np.float64)
    sims = np.empty(n - 1, dtype=np.float64)
    for g in range(1, n):
        left = unit_rows(vectors[max(0, g - window) : g].mean(axis=0, keepdims=True))
        right = unit_rows(vectors[g : g + window].mean(axis=0, keepdims=True))
        sims[g - 1] = float((left @ right.T)[0, 0])
    depth = np.zeros(n - 1, dtype=np.float64)
    for g in range(n - 1):
        left_peak = sims[g]
        for k in range(g - 1, -1, -1):
            if sims[k] < left_peak:
                break
            left_peak = sims[k]
        right_peak = sims[g]
        for k in range(g + 1, n - 1):
            if sims[k] < right_peak:
                break
            right_peak = sims[k]
        depth[g] = (left_peak - sims[g]) + (right_peak - sims[g])
    return depth


def _times_in_gaps(
    sentences: Sequence[Sentence], times_s: Sequence[float], tolerance_s: float
) -> npt.NDArray[np.bool_]:
    """Per gap, whether any of ``times_s`` lies in it (widened by ``tolerance_s``)."""
    hits = np.zeros(max(len(sentences) - 1, 0), dtype=bool)
    if not times_s:
        return hits
    times = np.sort(np.asarray(times_s, dtype=np.float64))
    for g in range(len(sentences) - 1):
        lo = sentences[g].words[-1].end_s - tolerance_s
        hi = sentences[g + 1].words[0].start_s + tolerance_s
        i = int(np.searchsorted(times, lo, side="left"))
        hits[g] = i < len(times) and times[i] <= hi
    return hits


def gap_evidence(
    sentences: Sequence[Sentence],
    vectors: FloatArray,
    cfg: MomentsConfig,
    speaker_changes_s: Sequence[float] = (),
    shot_cuts_s: Sequence[float] = (),
) -> GapEvidence:
    """The boundary evidence of every gap between consecutive sentences."""
    pauses = np.array(
        [b.words[0].start_s - a.words[-1].end_s for a, b in itertools.pairwise(sentences)],
        dtype=np.float64,
    )
    return GapEvidence(
        depth=depth_scores(vectors, cfg.topic_window_sentences),
        speaker=_times_in_gaps(sentences, speaker_changes_s, cfg.evidence_tolerance_s),
        pause=pauses >= cfg.topic_pause_s,
        shot=_times_in_gaps(sentences, shot_cuts_s, cfg.evidence_tolerance_s),
    )


def choose_boundaries(evidence: GapEvidence, cfg: MomentsConfig) -> list[int]:
    """Indices of the sentences that open a new topic, in time order."""
    strength = evidence.strength(cfg)
    order = np.argsort(-strength, kind="mergesort")
    chosen: list[int] = []
    for gap in order:
        if strength[gap] < cfg.boundary_threshold:
            break
        text_only = not (evidence.speaker[gap] or evidence.pause[gap] or evidence.shot[gap])
        opener = int(gap) + 1
        if text_only and any(abs(opener - c) < cfg.min_topic_sentences for c in chosen):
            continue
        chosen.append(opener)
    return sorted(chosen)


def segment_topics(
    sentences: Sequence[Sentence],
    vectors: FloatArray,
    cfg: MomentsConfig,
    keywords_of: KeywordFn,
    speaker_changes_s: Sequence[float] = (),
    shot_cuts_s: Sequence[float] = (),
) -> tuple[list[Topic], list[int]]:
    """The topic table and each sentence's topic index."""
    if not sentences:
        return [], []
    evidence = gap_evidence(sentences, vectors, cfg, speaker_changes_s, shot_cuts_s)
    openers = [0, *choose_boundaries(evidence, cfg), len(sentences)]
    topics: list[Topic] = []
    topic_of: list[int] = []
    for index, (first, end) in enumerate(itertools.pairwise(openers)):
        run = sentences[first:end]
        text = " ".join(s.text for s in run)
        topics.append(
            Topic(
                index=index,
                span=TimeSpan(run[0].words[0].start_s, run[-1].words[-1].end_s),
                first_sentence=run[0].index,
                last_sentence=run[-1].index,
                keywords=tuple(keywords_of(text, cfg.topic_keywords)),
                evidence=evidence.reasons(first - 1, cfg) if first > 0 else (),
            )
        )
        topic_of.extend([index] * len(run))
    return topics, topic_of

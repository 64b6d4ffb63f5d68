"""The right moments: trusted sentences -> topics -> candidates inside topics -> quality and
prompt relevance -> distinct clips with a readable score and social copy.

:func:`find_moments` is the entry point (the clip job's curate stage). It takes what the
clip job passes in: voice-turn change times (diarization), shot cuts, the visual analysis
(for videos without speech), and several prompts. Without speech it hands over to
:mod:`ai_video.curate.visual_moments`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ai_video.config import CurateConfig, MomentsConfig, PlatformPreset
from ai_video.curate.breakdown import assemble_score, mean_of
from ai_video.curate.candidates import candidates_from_sentences
from ai_video.curate.distinct import select_distinct
from ai_video.curate.features import build_features
from ai_video.curate.prompt_search import sentence_relevance, split_prompts
from ai_video.curate.sentence_units import SentenceUnits, sentence_units
from ai_video.curate.social_copy import keyphrases, social_copy
from ai_video.curate.text_vectors import text_vectors, unit_rows
from ai_video.curate.topics import segment_topics
from ai_video.curate.visual_moments import find_visual_moments
from ai_video.types import (
    Candidate,
    FaceTrack,
    FloatArray,
    Moment,
    MomentsResult,
    ScoredCandidate,
    SpeechActivity,
    Topic,
    Transcript,
    VisualAnalysis,
)

if TYPE_CHECKING:
    from ai_video.analyze.embed import SentenceEmbedder

__all__ = ["find_moments"]


@dataclass(frozen=True)
class _Pool:
    """Every candidate of a transcript with what ranking and selection need."""

    candidates: list[Candidate]
    rows: list[dict[str, Any]]
    quality: FloatArray
    vectors: FloatArray
    topic_of: list[int]
    topics: list[Topic]
    units: SentenceUnits
    sentence_vectors: FloatArray


def _quality_values(
    row: dict[str, Any], spans: bool, cfg: MomentsConfig
) -> dict[str, float | None]:
    coherence = mean_of(row.get("completeness"), row.get("duration_fit"))
    if coherence is not None and spans:
        coherence *= cfg.spanning_coherence
    return {
        "hook": row.get("hook"),
        "coherence": coherence,
        "value": row.get("speech_density"),
        "delivery": row.get("energy_dynamics"),
        "visual": row.get("face_presence"),
    }


def _candidate_pool(
    transcript: Transcript,
    speech: SpeechActivity | None,
    faces: FaceTrack | None,
    media_duration_s: float,
    limits: tuple[float, float, float],
    cfgs: tuple[CurateConfig, MomentsConfig],
    embedder: SentenceEmbedder | None,
    evidence: tuple[Sequence[float], Sequence[float]],
) -> _Pool | None:
    curate_cfg, cfg = cfgs
    min_s, max_s, target_s = limits
    max_sentence_s = min(curate_cfg.max_sentence_s, max_s)
    units = sentence_units(transcript.words, cfg, max_sentence_s, evidence[0])
    if not units.sentences:
        return None
    texts = [s.text for s in units.sentences]
    vectors = text_vectors(texts, embedder)
    language = transcript.language or "en"
    topics, topic_of = segment_topics(
        units.sentences,
        vectors,
        cfg,
        lambda text, count: keyphrases(text, count, language),
        speaker_changes_s=evidence[0],
        shot_cuts_s=evidence[1],
    )
    candidates = _whole_sentence_runs(units, topic_of, (min_s, max_s), cfgs, media_duration_s)
    table = build_features(candidates, speech, faces, (min_s, max_s, target_s), curate_cfg)
    rows = list(table.iter_rows(named=True))
    quality = np.array(
        [
            assemble_score(
                _quality_values(r, topic_of[c.first_sentence] != topic_of[c.last_sentence], cfg),
                {},
                cfg.group_weights,
            )[2].total
            for r, c in zip(rows, candidates, strict=True)
        ],
        dtype=np.float64,
    )
    clip_vectors = np.zeros((len(candidates), vectors.shape[1]), dtype=np.float64)
    for i, c in enumerate(candidates):
        clip_vectors[i] = vectors[c.first_sentence : c.last_sentence + 1].sum(axis=0)
    return _Pool(
        candidates, rows, quality, unit_rows(clip_vectors), topic_of, topics, units, vectors
    )


def _whole_sentence_runs(
    units: SentenceUnits,
    topic_of: Sequence[int],
    limits_s: tuple[float, float],
    cfgs: tuple[CurateConfig, MomentsConfig],
    media_duration_s: float,
) -> list[Candidate]:
    """Runs of whole sentence units inside a topic; when no whole sentence is short enough,
    long sentences cut at their pauses."""
    curate_cfg, cfg = cfgs
    spanning = 2 if cfg.allow_spanning else 1
    candidates = candidates_from_sentences(
        units.sentences,
        *limits_s,
        curate_cfg,
        media_duration_s,
        may_start=units.opens,
        may_end=units.closes,
        segment_of=topic_of,
        max_segments=spanning,
    )
    if candidates:
        return candidates
    return candidates_from_sentences(
        units.sentences, *limits_s, curate_cfg, media_duration_s,
        segment_of=topic_of, max_segments=spanning,
    )  # fmt: skip


def _moment(
    pool: _Pool, index: int, cfg: MomentsConfig, language: str, relevance: tuple[float, str] | None
) -> Moment:
    candidate = pool.candidates[index]
    row = pool.rows[index]
    first_topic = pool.topic_of[candidate.first_sentence]
    last_topic = pool.topic_of[candidate.last_sentence]
    topics = tuple(range(first_topic, last_topic + 1))
    values = _quality_values(row, len(topics) > 1, cfg)
    sentences = [
        s.text for s in pool.units.sentences[candidate.first_sentence : candidate.last_sentence + 1]
    ]
    copy = social_copy(sentences, cfg, language)
    keywords = [k for t in topics for k in pool.topics[t].keywords]
    evidence = {
        "hook": f"opens with: {candidate.hook_text}",
        "coherence": f"whole sentences inside topic {'+'.join(map(str, topics))} "
        f"({', '.join(keywords[:4])}){'; spans two topics' if len(topics) > 1 else ''}",
        "value": f"{row['word_count']} words in {row['duration_s']:.1f} s "
        f"({row['words_per_s']:.1f}/s); key points: {', '.join(h[1:] for h in copy.hashtags)}",
        "delivery": "loudness varies with emphasis"
        if (values["delivery"] or 0) >= 0.5
        else "even, steady delivery",
        "visual": f"a face on screen {100 * (values['visual'] or 0):.0f}% of the time",
    }
    if relevance is not None:
        values["relevance"] = relevance[0]
        evidence["relevance"] = f"best match ({relevance[0]:.2f}): {relevance[1]}"
    score_100, groups, clip_score = assemble_score(values, evidence, cfg.group_weights)
    return Moment(
        clip=ScoredCandidate(candidate=candidate, score=clip_score),
        score_100=score_100,
        groups=groups,
        copy=copy,
        topics=topics,
        relevance=None if relevance is None else relevance[0],
    )


def _best_seed_per_candidate(
    candidates: Sequence[Candidate], seeds: Sequence[int], relevance: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Per candidate, the relevance of the best seed sentence it holds (-1: none) and which."""
    best = np.full(len(candidates), -1.0)
    best_sentence = np.zeros(len(candidates), dtype=np.int64)
    for i, c in enumerate(candidates):
        held = [s for s in seeds if c.first_sentence <= s <= c.last_sentence]
        if held:
            top = max(held, key=lambda s: relevance[s])
            best[i], best_sentence[i] = relevance[top], top
    return best, best_sentence


def _prompt_moments(
    pool: _Pool,
    prompt: str,
    max_clips: int,
    cfg: MomentsConfig,
    language: str,
    embedder: SentenceEmbedder | None,
) -> tuple[list[Moment], str | None]:
    """The clips for one prompt, or none and the reason."""
    texts = [s.text for s in pool.units.sentences]
    vectors = pool.sentence_vectors if embedder is not None else None
    relevance = sentence_relevance(prompt, texts, vectors, embedder, cfg, pool.topic_of)
    seeds = [
        int(i)
        for i in np.argsort(-relevance, kind="mergesort")[: cfg.prompt_seed_sentences]
        if relevance[i] >= cfg.relevance_threshold
    ]
    top_sentence = int(np.argmax(relevance))
    if not seeds:
        return [], (
            f"nothing in this video matches '{prompt}' (best relevance "
            f"{relevance[top_sentence]:.2f}, below {cfg.relevance_threshold:.2f})"
        )
    best, best_sentence = _best_seed_per_candidate(pool.candidates, seeds, relevance)
    eligible = np.flatnonzero(best >= cfg.relevance_threshold)
    if eligible.size == 0:
        at_s = pool.units.sentences[top_sentence].span.start_s
        return [], (
            f"'{prompt}' matches what is said at {at_s:.1f} s (relevance "
            f"{relevance[top_sentence]:.2f}) but no clip of whole sentences fits the length "
            "range there"
        )
    order = cfg.relevance_order_weight * best + (1 - cfg.relevance_order_weight) * pool.quality
    chosen = select_distinct(
        [pool.candidates[i].span for i in eligible],
        [pool.candidates[i].text for i in eligible],
        order[eligible],
        max_clips,
        cfg,
        pool.vectors[eligible],
    )
    out = []
    for k in chosen:
        i = int(eligible[k])
        hit = (float(best[i]), texts[int(best_sentence[i])])
        out.append(replace(_moment(pool, i, cfg, language, hit), prompt=prompt))
    return out, None


def find_moments(
    transcript: Transcript,
    speech: SpeechActivity | None,
    visual: VisualAnalysis | None,
    media_duration_s: float,
    preset: PlatformPreset,
    limits_s: tuple[float, float],
    cfgs: tuple[CurateConfig, MomentsConfig],
    embedder: SentenceEmbedder | None,
    *,
    speaker_changes_s: Sequence[float] = (),
    prompts: str | Sequence[str] | None = None,
) -> MomentsResult:
    """The clips to make and the topic table (see the module docstring).

    ``limits_s`` is the clip length range; ``prompts`` (a list, or ``;``-separated) default
    to ``curate.prompt``. Clips per prompt are at most ``curate.max_clips`` each; when no
    prompt matches, the result has no clips and says so in ``message``.
    """
    curate_cfg, cfg = cfgs
    min_s, max_s = limits_s
    shots = [s.span.start_s for s in visual.shots[1:]] if visual is not None else []
    faces = visual.faces if visual is not None else None
    pool = _candidate_pool(
        transcript,
        speech,
        faces,
        media_duration_s,
        (min_s, max_s, preset.target_clip_s),
        cfgs,
        embedder,
        (speaker_changes_s, shots),
    )
    wanted = split_prompts(prompts if prompts is not None else curate_cfg.prompt)
    if pool is None or not pool.candidates:
        return find_visual_moments(
            visual,
            speech,
            media_duration_s,
            limits_s,
            cfg,
            curate_cfg.max_clips,
            preset.target_clip_s,
            has_speech=pool is not None,
        )
    language = transcript.language or "en"
    if not wanted:
        chosen = select_distinct(
            [c.span for c in pool.candidates],
            [c.text for c in pool.candidates],
            pool.quality,
            curate_cfg.max_clips,
            cfg,
            pool.vectors,
        )
        moments = [_moment(pool, i, cfg, language, None) for i in chosen]
        return MomentsResult(tuple(moments), tuple(pool.topics))
    return _moments_for_prompts(pool, wanted, curate_cfg.max_clips, cfg, language, embedder)


def _moments_for_prompts(
    pool: _Pool,
    prompts: Sequence[str],
    max_clips: int,
    cfg: MomentsConfig,
    language: str,
    embedder: SentenceEmbedder | None,
) -> MomentsResult:
    """Up to ``max_clips`` clips per prompt, and why a prompt got none."""
    found: list[Moment] = []
    reasons: list[str] = []
    for prompt in prompts:
        per_prompt, reason = _prompt_moments(pool, prompt, max_clips, cfg, language, embedder)
        found.extend(per_prompt)
        if reason is not None:
            reasons.append(reason)
    message = "; ".join(reasons) + "; no clips were made for it" if reasons else None
    return MomentsResult(tuple(found), tuple(pool.topics), message)

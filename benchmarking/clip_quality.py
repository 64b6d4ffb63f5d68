"""Quality figures of a clip job's own output: clip edges vs words and sentences, and
reframing (share of analysed frames whose crop holds the main face), per clip."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ai_video.types import CropPath, EditPlan, Transcript
from benchmarking.evaluate.boundaries import boundary_score
from benchmarking.evaluate.reframe import Rect, face_hold_share, inside_fraction

if TYPE_CHECKING:
    from benchmarking.clip import AbResult, JobRun

QUALITY_NOTE = (
    "Edges in word gaps: share of clip starts/ends that cut no word of the job's transcript "
    "(50 ms tolerance). On sentences: first/last whole word starts/ends a sentence (sentences "
    "split at . ? !). Face held: share of analysed frames inside the clip with a main face "
    "whose crop holds >= 90 % of that face box. The references here are the job's own "
    "transcript and face track, so these figures judge the cutting and framing decisions, "
    "not ASR or face detection (see captions, faces and quality suites for those)."
)


def sentences(transcript: Transcript) -> list[tuple[float, float]]:
    """(start_s, end_s) of each sentence: words up to one ending in . ? or !."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    words = transcript.words
    for i, word in enumerate(words):
        start = word.start_s if start is None else start
        if word.text.strip().endswith((".", "?", "!")) or i == len(words) - 1:
            spans.append((start, word.end_s))
            start = None
    return spans


def _crops_at(plan: EditPlan, clip_t: float, frame: Rect) -> list[Rect]:
    """Every crop window shown at clip time ``clip_t`` (the full frame for a ``fit`` layout)."""
    paths: list[CropPath] = [plan.crop]
    if plan.layout is not None and plan.layout.segments:
        segment = next(
            (s for s in plan.layout.segments if s.span.start_s <= clip_t < s.span.end_s),
            plan.layout.segments[-1],
        )
        if segment.layout == "fit":
            return [frame]
        paths = list(segment.crops)
        clip_t -= segment.span.start_s
    return [(float(k.x), float(k.y), float(k.w), float(k.h)) for k in (p.at(clip_t) for p in paths)]


def face_held(plan: EditPlan, run: JobRun) -> float:
    """Share of analysed frames inside the clip whose crop holds the main face (NaN: no face)."""
    if run.scene is None or run.src.info.video is None:
        return float("nan")
    faces = run.scene.visual.faces
    width, height = run.src.info.video.display_size
    frame = (0.0, 0.0, float(width), float(height))
    refs: list[Any] = []
    crops: list[Rect] = []
    for t, box in zip(faces.times_s, faces.boxes, strict=True):
        if not plan.span.start_s <= t < plan.span.end_s:
            continue
        face = (
            None
            if np.isnan(box).any()
            else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        )
        shown = _crops_at(plan, float(t) - plan.span.start_s, frame)
        best = max(shown, key=lambda c: inside_fraction(face, c)) if face else shown[0]
        refs.append(face)
        crops.append(best)
    return face_hold_share(refs, crops) if refs else float("nan")


def clip_quality(run: JobRun) -> pl.DataFrame:
    """One row per rendered clip: edges in word gaps, on sentences, face held."""
    words = [(w.start_s, w.end_s) for w in run.transcript.words]
    spans = sentences(run.transcript)
    rows = []
    for rank, plan in enumerate(run.plans, start=1):
        edges = boundary_score([(plan.span.start_s, plan.span.end_s)], words, spans)
        rows.append(
            {
                "clip": rank,
                "start_s": plan.span.start_s,
                "end_s": plan.span.end_s,
                "edges_in_word_gaps": edges.in_word_gaps,
                "edges_on_sentences": edges.on_sentences,
                "face_held": face_held(plan, run),
            }
        )
    return pl.DataFrame(rows)


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.fmean(finite) if finite else float("nan")


def headline(
    run: JobRun, stages: pl.DataFrame, ab: AbResult, quality: pl.DataFrame
) -> dict[str, Any]:
    """The clip suite's headline figures for ``python -m benchmarking all``."""
    duration = run.src.info.duration_s
    return {
        "source": run.src.path.name,
        "source_s": duration,
        "job_wall_s": run.wall_s,
        "source_s_per_wall_s": duration / run.wall_s,
        "render_clip_vs_hand_ffmpeg": ab.ratio,
        "edges_in_word_gaps": _mean(quality["edges_in_word_gaps"].to_list()),
        "edges_on_sentences": _mean(quality["edges_on_sentences"].to_list()),
        "face_held": _mean(quality["face_held"].to_list()),
        "stages_summed_s": float(stages["wall_s"].sum()),
    }

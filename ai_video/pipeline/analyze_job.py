"""``ai-video analyze``: the clip job's analysis stages on their own, written as tables.

:func:`submit_analysis` is the analysis part of the clip job's story (the clip job calls it
too), so ``analyze`` runs the same declared stages through the same backend and stage cache
and its tables hold exactly the values a clip job would decide from. The curate stage runs
for its topic table; no clip is planned or rendered.

Tables written into ``--out`` (Parquet; ``--json`` adds a ``.json`` copy of each):
``words`` (one row per word), ``shots`` (``start_frame,end_frame,start_s,end_s`` on the
analysis timeline, which is the source's frame rate up to ``analysis.max_fps``),
``face_tracks`` (one row per face detection, linked into tracks), ``speaker_turns``,
``topics`` and ``speech_activity`` (loudness and voicing per hop), plus ``analysis.json``
naming them with the source's facts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ai_video.config import Settings, with_cleanup_asr
from ai_video.media.files import replace_atomic, write_atomic
from ai_video.pipeline.backend import Backend, JobScope, LocalBackend
from ai_video.pipeline.outputs import TOPICS_TABLE_SCHEMA
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage_metrics import new_stage_context
from ai_video.pipeline.stages import (
    AUDIO,
    CURATE,
    DIARIZE,
    LANGUAGE,
    SPEAKERS,
    SPEECH,
    TRANSCRIBE,
    VISUALS,
    WORD_TIMING,
    SceneFacts,
)
from ai_video.types import LanguageId, MomentsResult, SpeechActivity, Transcript

TABLES = ("words", "shots", "face_tracks", "speaker_turns", "topics", "speech_activity")


@dataclass(frozen=True)
class AnalysisHandles:
    """Handles of the analysis stages of one job (values via ``backend.get``)."""

    wav: Any
    speech: Any
    language: Any
    words: Any
    """Word-timed transcript (after WORD_TIMING)."""
    visuals: Any
    turns: Any
    moments: Any


def submit_analysis(be: Backend, job: JobScope) -> AnalysisHandles:
    """Schedule every analysis stage of the clip job, in dependency order."""
    wav = be.submit(AUDIO, job)
    visual_h = be.submit(VISUALS, job)
    speech_h = be.submit(SPEECH, job, wav)
    language_h = be.submit(LANGUAGE, job, wav, speech_h)
    transcript_h = be.submit(TRANSCRIBE, job, wav, language_h)
    words_h = be.submit(WORD_TIMING, job, transcript_h, speech_h, wav)
    turns_h = be.submit(SPEAKERS, job, be.submit(DIARIZE, job, wav, speech_h), visual_h)
    moments_h = be.submit(CURATE, job, words_h, speech_h, visual_h, turns_h)
    return AnalysisHandles(wav, speech_h, language_h, words_h, visual_h, turns_h, moments_h)


@dataclass(frozen=True)
class AnalysisResult:
    """What ``analyze`` wrote: the table files by name and the summary file."""

    out_dir: Path
    tables: dict[str, Path]
    summary_path: Path


def run_analyze_job(
    source: str, out_dir: Path, settings: Settings, as_json: bool = False
) -> AnalysisResult:
    """Analyse ``source`` (cached like the clip job) and write its tables into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = with_cleanup_asr(settings)  # the clip job's settings, so the cache keys match
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out_dir))
    backend = LocalBackend(settings)
    try:
        src = open_source(source, work, settings, needs_audio=False)
        ctx = new_stage_context(
            settings.cache, out_dir.name, out_dir, work, settings.input_policy.job_deadline_s
        )
        values = _analyse(backend, JobScope(ctx, src, settings))
        scene, transcript, language = values.scene, values.transcript, values.language
        frames = analysis_tables(transcript, scene, values.speech, values.turns, values.moments)
        tables = {name: _write(out_dir, name, frame, as_json) for name, frame in frames.items()}
        summary = {
            "source": str(src.path),
            "duration_s": src.info.duration_s,
            "language": language.language,
            "analysis_fps": scene.visual.fps,
            "frames": scene.visual.frame_count,
            "face_detector": scene.visual.faces.detector,
            "asr_model": transcript.model,
            "timing_method": transcript.timing_method,
            "tables": {name: path.name for name, path in tables.items()},
            "rows": {name: frame.height for name, frame in frames.items()},
        }
        summary_path = out_dir / "analysis.json"
        write_atomic(summary_path, json.dumps(summary, indent=1).encode("utf-8"))
        return AnalysisResult(out_dir, tables, summary_path)
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class AnalysisValues:
    """The analysis stage values of one source."""

    scene: SceneFacts
    transcript: Transcript
    speech: SpeechActivity
    turns: pl.DataFrame
    moments: MomentsResult
    language: LanguageId


def _analyse(be: Backend, job: JobScope) -> AnalysisValues:
    """Every analysis stage; a source without audio gets the visual stage only (and empty
    words, speech, turns and topics)."""
    if job.src.info.audio is None:
        from ai_video.analyze.speakers import SPEAKER_TURN_SCHEMA

        silent = SpeechActivity(job.settings.speech.hop_s, np.zeros(0), np.zeros(0, np.bool_), ())
        return AnalysisValues(
            be.get(be.submit(VISUALS, job)),
            Transcript("und", (), "none"),
            silent,
            pl.DataFrame(schema=SPEAKER_TURN_SCHEMA),
            MomentsResult((), ()),
            LanguageId("und", 0.0, (), (), "none", 0.0),
        )
    h = submit_analysis(be, job)
    return AnalysisValues(
        be.get(h.visuals), be.get(h.words), be.get(h.speech), be.get(h.turns),
        be.get(h.moments), be.get(h.language),
    )  # fmt: skip


def analysis_tables(
    transcript: Transcript,
    scene: SceneFacts,
    speech: SpeechActivity,
    turns: pl.DataFrame,
    moments: MomentsResult,
) -> dict[str, pl.DataFrame]:
    """The stage values as tables, one per name in :data:`TABLES`."""
    words = pl.DataFrame(
        [
            {"index": i, "text": w.text, "start_s": w.start_s, "end_s": w.end_s,
             "probability": w.probability, "segment": s}
            for i, (s, w) in enumerate(
                (s, w) for s, seg in enumerate(transcript.segments) for w in seg.words
            )
        ],
        schema={"index": pl.Int64, "text": pl.Utf8, "start_s": pl.Float64, "end_s": pl.Float64,
                "probability": pl.Float64, "segment": pl.Int64},
    )  # fmt: skip
    shots = pl.DataFrame(
        {
            "index": [s.index for s in scene.visual.shots],
            "start_frame": [s.start_frame for s in scene.visual.shots],
            "end_frame": [s.end_frame for s in scene.visual.shots],
            "start_s": [s.span.start_s for s in scene.visual.shots],
            "end_s": [s.span.end_s for s in scene.visual.shots],
        },
        schema={"index": pl.Int64, "start_frame": pl.Int64, "end_frame": pl.Int64,
                "start_s": pl.Float64, "end_s": pl.Float64},
    )  # fmt: skip
    topics = pl.DataFrame(
        [
            {"index": t.index, "start_s": t.span.start_s, "end_s": t.span.end_s,
             "keywords": list(t.keywords), "evidence": list(t.evidence)}
            for t in moments.topics
        ],
        schema=TOPICS_TABLE_SCHEMA,
    )  # fmt: skip
    activity = pl.DataFrame(
        {
            "start_s": speech.times_s(),
            "loudness_db": speech.loudness_db,
            "voiced": speech.voiced,
        }
    )
    return {
        "words": words,
        "shots": shots,
        "face_tracks": scene.tracks,
        "speaker_turns": turns,
        "topics": topics,
        "speech_activity": activity,
    }


def _write(out_dir: Path, name: str, frame: pl.DataFrame, as_json: bool) -> Path:
    """``NAME.parquet`` (and ``NAME.json``, a list of row objects, with ``as_json``)."""
    path = out_dir / f"{name}.parquet"
    with replace_atomic(path) as partial:
        frame.write_parquet(partial)
    if as_json:
        rows = frame.to_dicts()
        write_atomic(out_dir / f"{name}.json", json.dumps(rows, default=_plain).encode("utf-8"))
    return path


def _plain(value: object) -> object:
    """JSON for values ``json`` does not know (numpy scalars, lists from Parquet)."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)

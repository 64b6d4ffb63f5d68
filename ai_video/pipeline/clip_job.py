"""One video in, ranked captioned clips out: the clip job, stage by stage.

    source -> probe -> AUDIO (once) -> TRANSCRIBE (ASR) -> WORD_TIMING -> CURATE -> plan -> RENDER
                    -> SPEECH (loudness, voicing) ---/          /      (one ffmpeg per clip)
                    -> VISUALS (one decode: shots, faces, motion)

The same story runs in-process (LocalBackend) or on Ray (RayBackend): ``backend.submit``
schedules a declared stage (pipeline/stages.py), handles of earlier stages are passed
straight into later ones, so transcription and the visual pass overlap, and renders run side
by side where there is room.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ai_video.config import Settings, with_cleanup_asr
from ai_video.pipeline.backend import Backend, JobScope, LocalBackend
from ai_video.pipeline.finishing import plan_clips
from ai_video.pipeline.outputs import (
    build_manifest,
    publish_clip,
    publish_exports,
    write_manifest,
)
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn, no_progress
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage_metrics import new_stage_context, stage_summary
from ai_video.pipeline.stages import (
    AUDIO,
    CURATE,
    RENDER,
    SPEECH,
    TRANSCRIBE,
    VISUALS,
    WORD_TIMING,
)
from ai_video.pipeline.transcribe_job import write_transcript
from ai_video.types import ScoredCandidate, Transcript, VisualAnalysis


def run_clip_job(
    request: ClipRequest,
    settings: Settings,
    progress: ProgressFn = no_progress,
    backend: Backend | None = None,
    run_dir: Path | None = None,
) -> ClipJobResult:
    """Clip one video into ``request.out_dir``; raise a typed error if it cannot be done."""
    from ai_video.media.encoders import detect_encoder

    out_dir = request.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = with_cleanup_asr(settings)  # --clean fillers: whisper keeps 'um' and 'uh'
    be = backend if backend is not None else LocalBackend(settings)
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out_dir))
    video_id = request.video_id or out_dir.name
    ctx = new_stage_context(settings.cache, video_id, run_dir or out_dir, work)
    started = time.time()
    try:
        progress("probe", 0.0)
        job = JobScope(ctx, open_source(request.source, work, settings), settings)
        encoder = detect_encoder(settings.render, settings.media)
        progress("probe", 1.0)

        wav = be.submit(AUDIO, job)
        visual_h = be.submit(VISUALS, job)
        transcript_h = be.submit(TRANSCRIBE, job, wav)
        speech_h = be.submit(SPEECH, job, wav)
        words_h = be.submit(WORD_TIMING, job, transcript_h, speech_h, wav)
        selected_h = be.submit(CURATE, job, words_h, speech_h, visual_h)
        transcript, visual, selected = _await(be, progress, words_h, visual_h, selected_h)
        write_transcript(transcript, out_dir / "transcript.json", "json")

        plans = plan_clips(be, job.src, wav, transcript, visual, selected, settings)
        renders = [be.submit(RENDER, job, plan, encoder) for plan in plans]
        clips = []
        for index, (handle, plan, chosen) in enumerate(zip(renders, plans, selected, strict=True)):
            exports = publish_exports(out_dir, index + 1, plan, job.src, settings.finishing.export)
            clips.append(publish_clip(out_dir, index + 1, be.get(handle), plan, chosen, exports))
            progress(RENDER.name, (index + 1) / len(plans))

        summary = stage_summary(ctx, started)
        text_model = settings.curate.text_model if CURATE.wants_model(settings) else None
        manifest = build_manifest(
            job.src, settings, transcript, visual.faces.detector, text_model, encoder, clips,
            summary.wall_s,
        )  # fmt: skip
        return ClipJobResult(
            video_id=video_id,
            out_dir=out_dir,
            manifest_path=write_manifest(out_dir, manifest),
            manifest=manifest,
            cache_hits=summary.cache_hits,
            cache_misses=summary.cache_misses,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if backend is None:
            be.close()


def _await(
    be: Backend, progress: ProgressFn, transcript_h: Any, visual_h: Any, selected_h: Any
) -> tuple[Transcript, VisualAnalysis, list[ScoredCandidate]]:
    """Wait for the analysis and the selection, reporting each as it completes."""
    transcript: Transcript = be.get(transcript_h)
    progress(TRANSCRIBE.name, 1.0)
    visual: VisualAnalysis = be.get(visual_h)
    progress(VISUALS.name, 1.0)
    selected: list[ScoredCandidate] = be.get(selected_h)
    progress(CURATE.name, 1.0)
    return transcript, visual, selected

"""One video in, ranked captioned clips out: the clip job, stage by stage.

    source -> probe -> AUDIO (once) -> SPEECH (voicing) -> LANGUAGE (id on speech windows)
                    -> TRANSCRIBE (English or multilingual ASR) -> WORD_TIMING ------\\
                    -> DIARIZE (voices) --\\                                            CURATE
                    -> VISUALS (one decode: shots, face tracks, motion) -> SPEAKERS --/   |
    plan (EditPlan per clip: layout per speaker turn, captions) -> RENDER (one ffmpeg each)

The same story runs in-process (LocalBackend) or on Ray (RayBackend): ``backend.submit``
schedules a declared stage (pipeline/stages/), handles of earlier stages are passed
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
from ai_video.edit.plan import plan_clip
from ai_video.pipeline.analyze_job import submit_analysis
from ai_video.pipeline.backend import Backend, JobScope, LocalBackend
from ai_video.pipeline.clip_manifest import ClipRecord
from ai_video.pipeline.finishing import finish_plans
from ai_video.pipeline.outputs import build_manifest, publish_clip, publish_exports, write_outputs
from ai_video.pipeline.requests import ClipJobResult, ClipRequest, ProgressFn, no_progress
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage_metrics import new_stage_context, stage_summary
from ai_video.pipeline.stages import CURATE, RENDER, TRANSCRIBE, VISUALS, SceneFacts
from ai_video.pipeline.stages.broll import cutaway_plans
from ai_video.types import EditPlan, EncoderProfile, MomentsResult, Transcript


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
    ctx = new_stage_context(
        settings.cache, video_id, run_dir or out_dir, work, settings.input_policy.job_deadline_s
    )
    started = time.time()
    try:
        progress("probe", 0.0)
        job = JobScope(ctx, open_source(request.source, work, settings), settings)
        encoder = detect_encoder(settings.render, settings.media)
        progress("probe", 1.0)
        a = submit_analysis(be, job)  # issue 15: the analysis stages, shared with analyze
        wav, language_h = a.wav, a.language
        transcript, scene, moments = _await(be, progress, a.words, a.visuals, a.moments)
        turns = be.get(a.turns)
        plans = [
            plan_clip(job.src, m.clip, transcript, (scene.visual, scene.tracks, turns), settings)
            for m in moments.moments
        ]
        plans = finish_plans(be, wav, transcript, plans, settings)  # --clean, --brand
        plans = cutaway_plans(be, job, a.words, a.moments, plans)  # --broll (issue 14)
        clips = _render_and_publish(be, job, out_dir, plans, encoder, moments, progress)
        summary = stage_summary(ctx, started)
        manifest = build_manifest(
            job.src, settings, be.get(language_h), transcript, scene.visual.faces.detector,
            encoder, moments, clips, summary.wall_s,
        )  # fmt: skip
        return ClipJobResult(
            video_id=video_id,
            out_dir=out_dir,
            manifest_path=write_outputs(out_dir, manifest, transcript, turns),
            manifest=manifest,
            cache_hits=summary.cache_hits,
            cache_misses=summary.cache_misses,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if backend is None:
            be.close()


def _render_and_publish(
    be: Backend,
    job: JobScope,
    out_dir: Path,
    plans: list[EditPlan],
    encoder: EncoderProfile,
    moments: MomentsResult,
    progress: ProgressFn,
) -> list[ClipRecord]:
    """Render every plan (side by side where there is room); publish clips in rank order."""
    renders = [be.submit(RENDER, job, plan, encoder) for plan in plans]
    clips = []
    for i, (handle, plan, moment) in enumerate(zip(renders, plans, moments.moments, strict=True)):
        exports = publish_exports(out_dir, i + 1, plan, job.src, job.settings.finishing.export)
        clips.append(publish_clip(out_dir, i + 1, be.get(handle), plan, moment, exports))
        progress(RENDER.name, (i + 1) / len(plans))
    return clips


def _await(
    be: Backend, progress: ProgressFn, words_h: Any, scene_h: Any, moments_h: Any
) -> tuple[Transcript, SceneFacts, MomentsResult]:
    """Wait for the words, the scene analysis and the selection, reporting each as it ends."""
    words: Transcript = be.get(words_h)
    progress(TRANSCRIBE.name, 1.0)
    scene: SceneFacts = be.get(scene_h)
    progress(VISUALS.name, 1.0)
    moments: MomentsResult = be.get(moments_h)
    progress(CURATE.name, 1.0)
    return words, scene, moments

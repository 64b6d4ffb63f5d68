"""One video in, ranked captioned clips out: the clip job, stage by stage.

    source -> probe -> audio (once) -> transcribe (ASR model)      -> curate -> plan -> render
                    -> visuals (one decode: shots, faces, motion) /         (one ffmpeg per clip)
                                     speech (loudness, voicing)  /

The same story runs in-process (LocalBackend) or on Ray (RayBackend): ``backend.submit``
schedules a stage, handles of earlier stages are passed straight into later ones, so
transcription and the visual pass overlap, and renders run side by side where there is room.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import polars as pl

from ai_video.config import Settings
from ai_video.pipeline.backend import Backend, LocalBackend
from ai_video.pipeline.metrics import flush_metrics, new_stage_context, read_rows
from ai_video.pipeline.outputs import build_manifest, clip_entry, publish_clip, write_manifest
from ai_video.pipeline.requests import (
    ClipJobResult,
    ClipRequest,
    ClipSummary,
    ProgressFn,
    no_progress,
)
from ai_video.pipeline.stages import (
    audio_stage,
    curate_stage,
    open_source,
    plan_clip,
    render_stage,
    speech_stage,
    transcribe_stage,
    visual_stage,
)
from ai_video.pipeline.transcribe_job import write_transcript


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
    own_backend = backend is None
    be = backend if backend is not None else LocalBackend(settings)
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out_dir))
    video_id = request.video_id or out_dir.name
    ctx = new_stage_context(settings.cache, video_id, run_dir or out_dir, work)
    started = time.time()
    try:
        progress("probe", 0.0)
        src = open_source(request.source, work, settings)
        encoder = detect_encoder(settings.render, settings.media)
        progress("probe", 1.0)

        wav = be.submit("audio", audio_stage, ctx, src, settings)
        visual_h = be.submit("visuals", visual_stage, ctx, src, settings, model="faces")
        transcript_h = be.submit(
            "transcribe", transcribe_stage, ctx, src, wav, settings, model="asr"
        )
        speech_h = be.submit("speech", speech_stage, ctx, src, wav, settings)
        use_text = bool(settings.curate.prompt)
        curate_args = (ctx, src, transcript_h, speech_h, visual_h, settings)
        selected_h = (
            be.submit("curate", curate_stage, *curate_args, model="text")
            if use_text
            else be.submit("curate", curate_stage, None, *curate_args)
        )

        transcript = be.get(transcript_h)
        progress("transcribe", 1.0)
        visual = be.get(visual_h)
        progress("visuals", 1.0)
        selected = be.get(selected_h)
        progress("curate", 1.0)

        write_transcript(transcript, out_dir / "transcript.json", "json")
        plans = [plan_clip(src, chosen, transcript, visual, settings) for chosen in selected]
        renders = [
            be.submit(
                "render",
                render_stage,
                ctx,
                src,
                i,
                plan,
                encoder,
                settings,
                resources={"nvenc": 1.0} if encoder.hardware else None,
            )
            for i, plan in enumerate(plans, start=1)
        ]
        entries = []
        for done, (handle, plan, chosen) in enumerate(zip(renders, plans, selected, strict=True)):
            rendered = be.get(handle)
            files = publish_clip(out_dir, rendered)
            entries.append(clip_entry(rendered, files, plan, chosen))
            progress("render", (done + 1) / len(plans))

        flush_metrics(ctx.run_dir)
        rows = read_rows(ctx.run_dir).filter(video_id=video_id, run_id=ctx.run_id)
        stage_wall = _stage_wall(rows)
        stage_wall["total"] = time.time() - started
        manifest = build_manifest(
            src,
            settings,
            transcript,
            visual.faces.detector,
            settings.curate.text_model if use_text else None,
            encoder,
            entries,
            stage_wall,
        )
        manifest_path = write_manifest(out_dir, manifest)
        hits = int(rows["cache_hit"].sum()) if len(rows) else 0
        return ClipJobResult(
            video_id=video_id,
            out_dir=out_dir,
            manifest=manifest_path,
            clips=tuple(
                ClipSummary(
                    index=e["index"],
                    file=out_dir / e["file"],
                    start_s=e["start_s"],
                    end_s=e["end_s"],
                    score=e["score"],
                    text=e["text"],
                )
                for e in entries
            ),
            stage_wall_s=stage_wall,
            cache_hits=hits,
            cache_misses=len(rows) - hits,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own_backend:
            be.close()


def _stage_wall(rows: pl.DataFrame) -> dict[str, float]:
    """Wall seconds per stage summed over this job's metrics rows."""
    if rows.is_empty():
        return {}
    per_stage = rows.group_by("stage").agg((pl.col("end") - pl.col("start")).sum().alias("wall"))
    return {str(r["stage"]): float(r["wall"]) for r in per_stage.iter_rows(named=True)}

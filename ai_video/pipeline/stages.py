"""The clip job's stages as plain functions with caching and metrics.

Each function takes a picklable :class:`StageContext`, its inputs and the settings, looks up
its content-addressed cache entry, computes on a miss, records a metrics row, and returns a
plain value. The same functions run in-process and as Ray tasks or actor calls.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ai_video.config import Settings
from ai_video.pipeline.cache import StageCache, canonical_key, source_fingerprint
from ai_video.pipeline.metrics import StageContext, StageRecord, record_stage
from ai_video.pipeline.serialize import (
    dumps,
    load_speech,
    load_visuals,
    save_speech,
    save_visuals,
    scored_from_bytes,
    scored_to_bytes,
)
from ai_video.types import (
    EditPlan,
    EncoderProfile,
    MediaInfo,
    ScoredCandidate,
    SpeechActivity,
    Transcript,
    VisualAnalysis,
)

ASR_SAMPLE_RATE_HZ = 16_000

STAGE_VERSIONS = {
    "audio": 1,
    "transcribe": 1,
    "speech": 1,
    "visuals": 1,
    "curate": 1,
    "render": 1,
}
"""Bump a stage's version when its output changes for the same inputs."""


@dataclass(frozen=True)
class SourceRef:
    """A probed local source with its content fingerprint."""

    path: Path
    fingerprint: str
    info: MediaInfo


@dataclass(frozen=True)
class RenderedClip:
    """Files of one rendered clip inside its cache entry, and what the render cost."""

    index: int
    video: Path
    ass: Path
    srt: Path
    vtt: Path
    thumbnail: Path
    render_wall_s: float
    command: tuple[str, ...]


def open_source(source: str, work_dir: Path, settings: Settings) -> SourceRef:
    """Fetch (URLs) and probe a source; reject input that cannot be clipped."""
    from ai_video.media.fetch import resolve_source
    from ai_video.media.probe import probe, require_audio, require_video

    path = resolve_source(source, work_dir, settings.media)
    info = probe(path, settings.media)
    require_video(info)
    require_audio(info)
    return SourceRef(path=path, fingerprint=source_fingerprint(path), info=info)


def _cached(
    ctx: StageContext,
    stage: str,
    src: SourceRef,
    config: dict[str, Any],
    produce: Callable[[Path], None],
    rec: StageRecord,
) -> Path:
    cache = StageCache(ctx.cache_root, ctx.cache_max_bytes, enabled=ctx.cache_enabled)
    key = canonical_key(
        source=src.fingerprint, stage=stage, version=STAGE_VERSIONS[stage], config=config
    )
    found = cache.lookup(stage, key)
    rec.cache_hit = found is not None
    entry = found if found is not None else cache.store(stage, key, produce)
    rec.output_bytes = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
    return entry


def audio_stage(ctx: StageContext, src: SourceRef, settings: Settings) -> Path:
    """Extract the audio once as 16 kHz mono WAV; return its path."""
    from ai_video.media.audio import decode_audio, write_wav

    def produce(d: Path) -> None:
        samples = decode_audio(src.info, settings.media, ASR_SAMPLE_RATE_HZ)
        write_wav(samples, ASR_SAMPLE_RATE_HZ, d / "audio.wav")

    with record_stage(ctx, "audio") as rec:
        rec.input_bytes = src.info.size_bytes
        entry = _cached(ctx, "audio", src, {"rate": ASR_SAMPLE_RATE_HZ}, produce, rec)
        return entry / "audio.wav"


def _load_audio(wav: Path) -> np.ndarray:
    from ai_video.media.audio import read_wav

    samples, _ = read_wav(wav)
    return samples


def transcribe_stage(
    transcriber: Any, ctx: StageContext, src: SourceRef, wav: Path, settings: Settings
) -> Transcript:
    """Transcribe the extracted audio with word timings (model held by the caller)."""
    from ai_video.analyze.transcript_format import transcript_from_json, transcript_to_json

    def produce(d: Path) -> None:
        (d / "transcript.json").write_bytes(transcript_to_json(transcriber(_load_audio(wav))))

    with record_stage(ctx, "transcribe") as rec:
        rec.input_bytes = wav.stat().st_size
        entry = _cached(ctx, "transcribe", src, {"asr": settings.asr}, produce, rec)
        return transcript_from_json((entry / "transcript.json").read_bytes())


def speech_stage(
    ctx: StageContext, src: SourceRef, wav: Path, settings: Settings
) -> SpeechActivity:
    """Loudness and voice activity over time."""
    from ai_video.analyze.speech import speech_activity

    def produce(d: Path) -> None:
        activity = speech_activity(_load_audio(wav), ASR_SAMPLE_RATE_HZ, settings.speech)
        save_speech(activity, d / "speech.npz")

    with record_stage(ctx, "speech") as rec:
        rec.input_bytes = wav.stat().st_size
        entry = _cached(ctx, "speech", src, {"speech": settings.speech}, produce, rec)
        return load_speech(entry / "speech.npz")


def visual_stage(
    detector: Any, ctx: StageContext, src: SourceRef, settings: Settings
) -> VisualAnalysis:
    """The one shared analysis decode: shots, faces and motion."""
    from ai_video.analyze.visual import analyze_visuals
    from ai_video.media.frames import analysis_fps, stream_frames

    def produce(d: Path) -> None:
        fps = analysis_fps(src.info, settings.analysis)
        batches = stream_frames(src.info, settings.analysis, settings.media)
        visual = analyze_visuals(batches, settings.shots, settings.faces, detector, fps)
        save_visuals(visual, d / "visuals.npz")

    config = {"analysis": settings.analysis, "shots": settings.shots, "faces": settings.faces}
    with record_stage(ctx, "visuals") as rec:
        rec.input_bytes = src.info.size_bytes
        entry = _cached(ctx, "visuals", src, config, produce, rec)
        return load_visuals(entry / "visuals.npz")


def curate_stage(
    embedder: Any | None,
    ctx: StageContext,
    src: SourceRef,
    transcript: Transcript,
    speech: SpeechActivity,
    visual: VisualAnalysis,
    settings: Settings,
) -> list[ScoredCandidate]:
    """Candidates on sentence boundaries, features, scores and the non-overlapping top-K."""
    from ai_video.curate import curate

    preset = settings.preset()
    min_s, max_s = settings.clip_length_range()

    def produce(d: Path) -> None:
        chosen = curate(
            transcript,
            speech,
            visual.faces,
            src.info.duration_s,
            preset,
            min_s,
            max_s,
            settings.curate,
            embedder,
        )
        (d / "selected.json").write_bytes(scored_to_bytes(chosen))

    config = {
        "upstream": [
            settings.asr,
            settings.speech,
            settings.analysis,
            settings.shots,
            settings.faces,
        ],
        "curate": settings.curate,
        "lengths": [min_s, max_s, preset.target_clip_s],
    }
    with record_stage(ctx, "curate") as rec:
        entry = _cached(ctx, "curate", src, config, produce, rec)
        return scored_from_bytes((entry / "selected.json").read_bytes())


def plan_clip(
    src: SourceRef,
    chosen: ScoredCandidate,
    transcript: Transcript,
    visual: VisualAnalysis,
    settings: Settings,
) -> EditPlan:
    """The EditPlan of one selected clip: span, crop path, captions, audio."""
    from ai_video.edit.plan import build_edit_plan
    from ai_video.edit.reframe import plan_crop

    assert src.info.video is not None
    preset = settings.preset()
    crop = plan_crop(
        chosen.candidate.span,
        visual.faces,
        visual.shots,
        src.info.video.display_size,
        (preset.width_px, preset.height_px),
        settings.reframe,
    )
    return build_edit_plan(
        src.path,
        chosen.candidate,
        transcript,
        crop,
        preset,
        settings.platform,
        settings.render,
        has_audio=src.info.audio is not None,
    )


def render_stage(
    ctx: StageContext,
    src: SourceRef,
    index: int,
    plan: EditPlan,
    encoder: EncoderProfile,
    settings: Settings,
) -> RenderedClip:
    """Render one clip in one ffmpeg process, plus its caption files and thumbnail."""
    from ai_video.edit.captions import write_ass
    from ai_video.render.export import write_caption_files
    from ai_video.render.render import make_thumbnail, render_clip

    style = settings.preset().caption
    size = (plan.preset.width_px, plan.preset.height_px)

    def produce(d: Path) -> None:
        ass = write_ass(plan.captions, style, size, d / "clip.ass")
        result = render_clip(plan, d / "clip.mp4", ass, encoder, settings.render, settings.media)
        write_caption_files(plan.captions, d / "clip")
        make_thumbnail(
            d / "clip.mp4",
            d / "clip.jpg",
            min(1.0, plan.span.duration_s / 2),
            settings.render.thumbnail_width_px,
            settings.media,
        )
        (d / "render.json").write_bytes(
            orjson.dumps({"wall_s": result.wall_s, "command": list(result.command)})
        )

    config = {
        "plan": plan,
        "style": style,
        "render": settings.render,
        "encoder": [encoder.name, *encoder.args],
    }
    with record_stage(ctx, "render") as rec:
        rec.input_bytes = src.info.size_bytes
        entry = _cached(ctx, "render", src, orjson.loads(dumps(config)), produce, rec)
        meta = orjson.loads((entry / "render.json").read_bytes())
        return RenderedClip(
            index=index,
            video=entry / "clip.mp4",
            ass=entry / "clip.ass",
            srt=entry / "clip.srt",
            vtt=entry / "clip.vtt",
            thumbnail=entry / "clip.jpg",
            render_wall_s=float(meta["wall_s"]),
            command=tuple(meta["command"]),
        )


def publish_file(src: Path, dst: Path) -> Path:
    """Place a finished file at ``dst`` atomically (hard link when possible, else copy)."""
    tmp = dst.with_name(f".{dst.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    return dst

"""A clip job's deliverables: clip files under their final names, manifest.json, clips.parquet."""

from __future__ import annotations

import os
import platform as host_platform
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ai_video import __version__
from ai_video.analyze.transcript_format import transcript_to_json
from ai_video.config import Settings
from ai_video.media.files import replace_atomic, write_atomic
from ai_video.pipeline.clip_manifest import (
    AsrModelInfo,
    AudioInfo,
    BrollRecord,
    CaptionFiles,
    ClipLayoutRecord,
    ClipManifest,
    ClipRecord,
    ClipTimings,
    EncoderInfo,
    JobOptionsInfo,
    LanguageRecord,
    LayoutSegmentRecord,
    ModelsInfo,
    NamedModel,
    PlatformInfo,
    ScoreGroupRecord,
    SourceInfo,
    ToolInfo,
    TopicRecord,
    VideoInfo,
)
from ai_video.pipeline.serialize import dumps
from ai_video.pipeline.source import SourceRef
from ai_video.types import (
    EditPlan,
    EncoderProfile,
    LanguageId,
    Moment,
    MomentsResult,
    Transcript,
)


@dataclass(frozen=True)
class RenderedClip:
    """Files of one rendered clip inside its cache entry, and what the render cost."""

    video: Path
    ass: Path
    srt: Path
    vtt: Path
    thumbnail: Path
    render_wall_s: float
    command: tuple[str, ...]


def publish_file(src: Path, dst: Path) -> Path:
    """Place a finished file at ``dst`` atomically (hard link when possible, else copy)."""
    with replace_atomic(dst) as partial:
        partial.unlink(missing_ok=True)
        try:
            os.link(src, partial)
        except OSError:
            shutil.copyfile(src, partial)
    return dst


def publish_exports(
    out_dir: Path, index: int, plan: EditPlan, src: SourceRef, formats: Sequence[str]
) -> list[str]:
    """Write the clip's edit for editors (``clip_NN.otio`` ...); returns the file names."""
    from ai_video.render.nle_export import write_exports

    if not formats or src.info.video is None:
        return []
    paths = write_exports(
        plan, formats, out_dir / f"clip_{index:02d}", src.info.video.display_size,
        src.info.duration_s,
    )  # fmt: skip
    return [p.name for p in paths]


def publish_clip(
    out_dir: Path,
    index: int,
    rendered: RenderedClip,
    plan: EditPlan,
    moment: Moment,
    exports: Sequence[str] = (),
) -> ClipRecord:
    """Place one rendered clip's files in ``out_dir`` as ``clip_NN.*``; return its record."""
    stem = f"clip_{index:02d}"
    names = {"srt": f"{stem}.srt", "vtt": f"{stem}.vtt", "ass": f"{stem}.ass"}
    # The video goes last: a clip_NN.mp4 present means its side files are complete.
    publish_file(rendered.srt, out_dir / names["srt"])
    publish_file(rendered.vtt, out_dir / names["vtt"])
    publish_file(rendered.ass, out_dir / names["ass"])
    publish_file(rendered.thumbnail, out_dir / f"{stem}.jpg")
    write_atomic(out_dir / f"{stem}.plan.json", dumps(plan))  # what a later fix edits
    publish_file(rendered.video, out_dir / f"{stem}.mp4")
    chosen, score = moment.clip, moment.clip.score
    return ClipRecord(
        index=index,
        file=f"{stem}.mp4",
        start_s=round(plan.span.start_s, 3),
        end_s=round(plan.span.end_s, 3),
        duration_s=round(plan.total_duration_s, 3),
        score=round(score.total, 4),
        score_100=round(moment.score_100, 1),
        groups=[
            ScoreGroupRecord(name=g.name, score=round(g.score, 1), evidence=g.evidence)
            for g in moment.groups
        ],
        features={k: round(v, 4) for k, v in score.features.items()},
        contributions={k: round(v, 4) for k, v in score.contributions.items()},
        text=chosen.candidate.text,
        hook=chosen.candidate.hook_text,
        title=moment.copy.title,
        description=moment.copy.description,
        hashtags=list(moment.copy.hashtags),
        copy_by=moment.copy.made_by,
        topics=list(moment.topics),
        spans_topics=moment.spans_topics,
        prompt=moment.prompt,
        relevance=None if moment.relevance is None else round(moment.relevance, 4),
        captions=CaptionFiles(**names),
        thumbnail=f"{stem}.jpg",
        crop=plan.crop.as_lists(),
        layout=_layout_record(plan),
        timings=ClipTimings(render_wall_s=round(rendered.render_wall_s, 3)),
        render_command=list(rendered.command),
        removed=[[round(r.start_s, 3), round(r.end_s, 3)] for r in plan.removed],
        exports=list(exports),
        plan=f"{stem}.plan.json",
        broll=broll_records(plan),
    )


def _layout_record(plan: EditPlan) -> ClipLayoutRecord | None:
    """The plan's layout segments for the manifest (None when the main-face reframe ran)."""
    if plan.layout is None:
        return None
    segments = [LayoutSegmentRecord.model_validate(s.as_dict()) for s in plan.layout.segments]
    return ClipLayoutRecord(detector=plan.layout.detector, segments=segments)


def broll_records(plan: EditPlan) -> list[BrollRecord]:
    """The plan's b-roll cutaways as manifest records (issue 14), in time order."""
    records = []
    for o in sorted(plan.overlays, key=lambda o: o.span.start_s):
        if o.origin is None:
            continue
        origin, source = o.origin, o.origin.source_span
        record = BrollRecord(
            query=origin.query, asset=origin.asset, score=round(origin.score, 4),
            matched_by=origin.matched_by, reason=origin.reason,
            start_s=round(o.span.start_s, 3), end_s=round(o.span.end_s, 3),
            source_start_s=round(source.start_s, 3), source_end_s=round(source.end_s, 3),
            mode="full" if o.full_frame else "pip",
        )  # fmt: skip
        records.append(record)
    return records


def build_manifest(
    src: SourceRef,
    settings: Settings,
    language: LanguageId,
    transcript: Transcript,
    face_detector: str,
    encoder: EncoderProfile,
    moments: MomentsResult,
    clips: Sequence[ClipRecord],
    stage_wall_s: dict[str, float],
) -> ClipManifest:
    """The whole manifest: source, platform, models, language, topics, clips, timings."""
    from ai_video.analyze.language import prompt_similarity_scope, prompt_text_model
    from ai_video.analyze.language_format import language_id_to_dict

    text_model = prompt_text_model(settings.curate.text_model, transcript.language)
    preset = settings.preset()
    min_s, max_s = settings.clip_length_range()
    return ClipManifest(
        tool=ToolInfo(name="ai_video", version=__version__, python=host_platform.python_version()),
        source=_source_info(src),
        platform=PlatformInfo(
            name=settings.platform,
            width_px=preset.width_px,
            height_px=preset.height_px,
            fps=preset.fps,
        ),
        options=JobOptionsInfo(
            max_clips=settings.curate.max_clips,
            prompt=settings.curate.prompt,
            min_s=min_s,
            max_s=max_s,
        ),
        models=_models_info(settings, language, transcript, face_detector, encoder, text_model),
        language=LanguageRecord(
            **language_id_to_dict(language),
            prompt_similarity=prompt_similarity_scope(text_model, transcript.language),
        ),
        transcript_words=len(transcript.words),
        stage_wall_s={k: round(v, 3) for k, v in stage_wall_s.items()},
        topics=[
            TopicRecord(
                index=t.index,
                start_s=round(t.span.start_s, 3),
                end_s=round(t.span.end_s, 3),
                keywords=list(t.keywords),
                evidence=list(t.evidence),
            )
            for t in moments.topics
        ],
        message=moments.message,
        speaker_turns=SPEAKER_TURNS_FILE,
        clips=list(clips),
    )


def _models_info(
    settings: Settings,
    language: LanguageId,
    transcript: Transcript,
    face_detector: str,
    encoder: EncoderProfile,
    text_model: str,
) -> ModelsInfo:
    """Every model behind the outputs: the ASR that heard this language, faces, text, encoder."""
    from ai_video.analyze.language import asr_config_for
    from ai_video.analyze.models import resolve_asr_model

    asr = resolve_asr_model(asr_config_for(settings.asr, settings.language, language).model)
    return ModelsInfo(
        asr=AsrModelInfo(
            name=asr.name,
            version=asr.version,
            sha256=asr.sha256,
            source=asr.source,
            label=transcript.model,
        ),
        faces=NamedModel(name=face_detector),
        encoder=EncoderInfo(name=encoder.name, args=list(encoder.args), reason=encoder.reason),
        text=NamedModel(name=text_model),
        word_timing=transcript.timing_method,
    )


def _source_info(src: SourceRef) -> SourceInfo:
    info = src.info
    video, audio = info.video, info.audio
    return SourceInfo(
        path=str(src.path),
        fingerprint=src.fingerprint,
        container=info.container,
        duration_s=round(info.duration_s, 3),
        size_bytes=info.size_bytes,
        video=None
        if video is None
        else VideoInfo(
            codec=video.codec,
            width=video.width,
            height=video.height,
            fps=round(video.fps, 3),
            rotation_deg=video.rotation_deg,
        ),
        audio=None
        if audio is None
        else AudioInfo(
            codec=audio.codec, sample_rate_hz=audio.sample_rate_hz, channels=audio.channels
        ),
    )


CLIPS_TABLE_SCHEMA = {
    "index": pl.Int64,
    "file": pl.Utf8,
    "start_s": pl.Float64,
    "end_s": pl.Float64,
    "duration_s": pl.Float64,
    "score": pl.Float64,
    "score_100": pl.Float64,
    "title": pl.Utf8,
    "hashtags": pl.Utf8,
    "prompt": pl.Utf8,
    "text": pl.Utf8,
}


def clips_table(clips: Sequence[ClipRecord]) -> pl.DataFrame:
    """clips.parquet: one row per clip with its features and contributions spread out."""
    rows = [
        {
            "index": c.index,
            "file": c.file,
            "start_s": c.start_s,
            "end_s": c.end_s,
            "duration_s": c.duration_s,
            "score": c.score,
            "score_100": c.score_100,
            "title": c.title,
            "hashtags": " ".join(c.hashtags),
            "prompt": c.prompt,
            "text": c.text,
            **{f"feature_{k}": v for k, v in c.features.items()},
            **{f"contribution_{k}": v for k, v in c.contributions.items()},
            "render_wall_s": c.timings.render_wall_s,
        }
        for c in clips
    ]
    return pl.DataFrame(rows) if rows else pl.DataFrame(schema=CLIPS_TABLE_SCHEMA)


TOPICS_TABLE_SCHEMA = pl.Schema(
    [
        ("index", pl.Int64()),
        ("start_s", pl.Float64()),
        ("end_s", pl.Float64()),
        ("keywords", pl.List(pl.Utf8())),
        ("evidence", pl.List(pl.Utf8())),
    ]
)


SPEAKER_TURNS_FILE = "speaker_turns.parquet"


def write_outputs(
    out_dir: Path, manifest: ClipManifest, transcript: Transcript, speaker_turns: pl.DataFrame
) -> Path:
    """The job's tables and files beside the clips (each atomically), manifest.json last."""
    write_atomic(out_dir / "transcript.json", transcript_to_json(transcript))
    with replace_atomic(out_dir / SPEAKER_TURNS_FILE) as partial:
        speaker_turns.write_parquet(partial)
    return write_manifest(out_dir, manifest)


def write_manifest(out_dir: Path, manifest: ClipManifest) -> Path:
    """Write clips.parquet, topics.parquet and manifest.json atomically; the manifest last."""
    with replace_atomic(out_dir / "clips.parquet") as partial:
        clips_table(manifest.clips).write_parquet(partial)
    topics = [t.model_dump() for t in manifest.topics]
    with replace_atomic(out_dir / "topics.parquet") as partial:
        pl.DataFrame(topics, schema=TOPICS_TABLE_SCHEMA).write_parquet(partial)
    write_atomic(out_dir / "manifest.json", manifest.to_json())
    return out_dir / "manifest.json"

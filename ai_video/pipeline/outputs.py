"""A clip job's deliverables: clip files under their final names, manifest.json, clips.parquet."""

from __future__ import annotations

import os
import platform as host_platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ai_video import __version__
from ai_video.config import Settings
from ai_video.pipeline.stages import RenderedClip, SourceRef, publish_file
from ai_video.types import EditPlan, EncoderProfile, ScoredCandidate, Transcript


def publish_clip(out_dir: Path, rendered: RenderedClip) -> dict[str, Path]:
    """Copy one rendered clip's files into ``out_dir`` as ``clip_NN.*`` (each atomically)."""
    stem = f"clip_{rendered.index:02d}"
    files = {
        "video": (rendered.video, out_dir / f"{stem}.mp4"),
        "srt": (rendered.srt, out_dir / f"{stem}.srt"),
        "vtt": (rendered.vtt, out_dir / f"{stem}.vtt"),
        "ass": (rendered.ass, out_dir / f"{stem}.ass"),
        "thumbnail": (rendered.thumbnail, out_dir / f"{stem}.jpg"),
    }
    # The video goes last: a clip_NN.mp4 present means its side files are complete.
    for name in ("srt", "vtt", "ass", "thumbnail", "video"):
        publish_file(*files[name])
    return {name: dst for name, (_, dst) in files.items()}


def clip_entry(
    rendered: RenderedClip,
    files: dict[str, Path],
    plan: EditPlan,
    chosen: ScoredCandidate,
) -> dict[str, Any]:
    """The manifest record of one clip."""
    return {
        "index": rendered.index,
        "file": files["video"].name,
        "start_s": round(plan.span.start_s, 3),
        "end_s": round(plan.span.end_s, 3),
        "duration_s": round(plan.span.duration_s, 3),
        "score": round(chosen.score.total, 4),
        "features": {k: round(v, 4) for k, v in chosen.score.features.items()},
        "contributions": {k: round(v, 4) for k, v in chosen.score.contributions.items()},
        "text": chosen.candidate.text,
        "hook": chosen.candidate.hook_text,
        "captions": {"srt": files["srt"].name, "vtt": files["vtt"].name, "ass": files["ass"].name},
        "thumbnail": files["thumbnail"].name,
        "crop": plan.crop.as_lists(),
        "timings": {"render_wall_s": round(rendered.render_wall_s, 3)},
        "render_command": list(rendered.command),
    }


def build_manifest(
    src: SourceRef,
    settings: Settings,
    transcript: Transcript,
    face_detector: str,
    text_model: str | None,
    encoder: EncoderProfile,
    clips: Sequence[dict[str, Any]],
    stage_wall_s: dict[str, float],
) -> dict[str, Any]:
    """The whole manifest: source, platform, models, clips, timings."""
    from ai_video.analyze.models import resolve_asr_model

    info = src.info
    asr = resolve_asr_model(settings.asr.model)
    models: dict[str, Any] = {
        "asr": {
            "name": asr.name,
            "version": asr.version,
            "sha256": asr.sha256,
            "source": asr.source,
            "label": transcript.model,
        },
        "faces": {"name": face_detector},
        "encoder": {"name": encoder.name, "args": list(encoder.args), "reason": encoder.reason},
    }
    if text_model is not None:
        models["text"] = {"name": text_model}
    preset = settings.preset()
    return {
        "tool": {
            "name": "ai_video",
            "version": __version__,
            "python": host_platform.python_version(),
        },
        "source": {
            "path": str(src.path),
            "fingerprint": src.fingerprint,
            "container": info.container,
            "duration_s": round(info.duration_s, 3),
            "size_bytes": info.size_bytes,
            "video": None
            if info.video is None
            else {
                "codec": info.video.codec,
                "width": info.video.width,
                "height": info.video.height,
                "fps": round(info.video.fps, 3),
                "rotation_deg": info.video.rotation_deg,
            },
            "audio": None
            if info.audio is None
            else {
                "codec": info.audio.codec,
                "sample_rate_hz": info.audio.sample_rate_hz,
                "channels": info.audio.channels,
            },
        },
        "platform": {
            "name": settings.platform,
            "width_px": preset.width_px,
            "height_px": preset.height_px,
            "fps": preset.fps,
        },
        "options": {
            "max_clips": settings.curate.max_clips,
            "prompt": settings.curate.prompt,
            "min_s": settings.clip_length_range()[0],
            "max_s": settings.clip_length_range()[1],
        },
        "models": models,
        "transcript_words": len(transcript.words),
        "stage_wall_s": {k: round(v, 3) for k, v in stage_wall_s.items()},
        "clips": list(clips),
    }


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write manifest.json and clips.parquet atomically; the manifest last."""
    rows = [
        {
            "index": c["index"],
            "file": c["file"],
            "start_s": c["start_s"],
            "end_s": c["end_s"],
            "duration_s": c["duration_s"],
            "score": c["score"],
            "text": c["text"],
            **{f"feature_{k}": v for k, v in c["features"].items()},
            **{f"contribution_{k}": v for k, v in c["contributions"].items()},
            "render_wall_s": c["timings"]["render_wall_s"],
        }
        for c in manifest["clips"]
    ]
    table = (
        pl.DataFrame(rows)
        if rows
        else pl.DataFrame(
            schema={
                "index": pl.Int64,
                "file": pl.Utf8,
                "start_s": pl.Float64,
                "end_s": pl.Float64,
                "duration_s": pl.Float64,
                "score": pl.Float64,
                "text": pl.Utf8,
            }
        )
    )
    tmp = out_dir / ".clips.parquet.partial"
    table.write_parquet(tmp)
    os.replace(tmp, out_dir / "clips.parquet")
    path = out_dir / "manifest.json"
    tmp_json = out_dir / ".manifest.json.partial"
    tmp_json.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    os.replace(tmp_json, path)
    return path

"""``ai-video transcribe``: the clip job's audio and transcription stages, on their own."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.cache import source_fingerprint
from ai_video.pipeline.metrics import new_stage_context
from ai_video.pipeline.models import MODEL_FACTORIES
from ai_video.pipeline.stages import SourceRef, audio_stage, transcribe_stage
from ai_video.types import Transcript


def run_transcribe_job(source: str, settings: Settings) -> Transcript:
    """Transcribe an audio or video source with word timings (cached like the clip job)."""
    from ai_video.media.fetch import resolve_source
    from ai_video.media.probe import probe, require_audio

    work = Path(tempfile.mkdtemp(prefix="ai-video-transcribe-"))
    try:
        path = resolve_source(source, work, settings.media)
        info = probe(path, settings.media)
        require_audio(info)
        src = SourceRef(path=path, fingerprint=source_fingerprint(path), info=info)
        ctx = new_stage_context(settings.cache, path.stem, work, work)
        wav = audio_stage(ctx, src, settings)
        transcriber = MODEL_FACTORIES["asr"](settings)
        return transcribe_stage(transcriber, ctx, src, wav, settings)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_transcript(transcript: Transcript, out: Path, fmt: str) -> Path:
    """Write a transcript as json, srt or vtt (atomically)."""
    from ai_video.analyze.transcript_format import (
        transcript_to_json,
        transcript_to_srt,
        transcript_to_vtt,
    )

    if fmt == "json":
        data = transcript_to_json(transcript)
    elif fmt == "srt":
        data = transcript_to_srt(transcript).encode("utf-8")
    else:
        data = transcript_to_vtt(transcript).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out

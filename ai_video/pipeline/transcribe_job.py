"""``ai-video transcribe``: the clip job's audio and transcription stages, on their own."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ai_video.config import Settings
from ai_video.media.files import write_atomic
from ai_video.pipeline.backend import JobScope, LocalBackend
from ai_video.pipeline.source import open_source
from ai_video.pipeline.stage_metrics import new_stage_context
from ai_video.pipeline.stages import AUDIO, LANGUAGE, SPEECH, TRANSCRIBE, WORD_TIMING
from ai_video.types import Transcript


def run_transcribe_job(source: str, settings: Settings) -> Transcript:
    """Transcribe an audio or video source with word timings (cached like the clip job)."""
    work = Path(tempfile.mkdtemp(prefix="ai-video-transcribe-"))
    backend = LocalBackend(settings)
    try:
        src = open_source(source, work, settings, needs_video=False)
        job = JobScope(new_stage_context(settings.cache, src.path.stem, work, work), src, settings)
        wav = backend.submit(AUDIO, job)
        speech = backend.submit(SPEECH, job, wav)
        language = backend.submit(LANGUAGE, job, wav, speech)
        transcript = backend.submit(TRANSCRIBE, job, wav, language)
        words = backend.submit(WORD_TIMING, job, transcript, speech, wav)
        refined: Transcript = backend.get(words)
        return refined
    finally:
        backend.close()
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
    write_atomic(out, data)
    return out

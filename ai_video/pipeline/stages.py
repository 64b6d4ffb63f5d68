"""The clip job's stages: one declaration each, with the functions that produce and load them.

Each ``produce_*`` writes one stage's files into a fresh cache-entry directory; each
``load_*`` reads a complete entry back. The :class:`~ai_video.pipeline.stage.Stage`
declarations below are everything else about a stage (key, model, resources, retries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ai_video.config import ASR_SAMPLE_RATE_HZ, Settings, caption_style
from ai_video.pipeline.outputs import RenderedClip
from ai_video.pipeline.serialize import (
    load_speech,
    load_visuals,
    save_speech,
    save_visuals,
    scored_from_bytes,
    scored_to_bytes,
)
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.types import (
    EditPlan,
    EncoderProfile,
    ScoredCandidate,
    SpeechActivity,
    Transcript,
    VisualAnalysis,
)

# --------------------------------------------------------------------------- audio


def produce_audio(out: Path, src: SourceRef, settings: Settings, model: None) -> None:
    """Extract the audio once as mono WAV at the analysis sample rate."""
    from ai_video.media.audio import decode_audio, write_wav

    samples = decode_audio(src.info, settings.media, ASR_SAMPLE_RATE_HZ)
    write_wav(samples, ASR_SAMPLE_RATE_HZ, out / "audio.wav")


def load_audio(entry: Path) -> Path:
    """The extracted WAV's path."""
    return entry / "audio.wav"


AUDIO = Stage[Path](
    name="audio",
    version=1,
    produce=produce_audio,
    load=load_audio,
    key_extra=lambda s: {"rate": ASR_SAMPLE_RATE_HZ},
)


def _samples(wav: Path) -> np.ndarray:
    from ai_video.media.audio import read_wav

    samples, _ = read_wav(wav)
    return samples


# --------------------------------------------------------------------------- transcribe


def produce_transcript(
    out: Path, src: SourceRef, settings: Settings, transcriber: Any, wav: Path
) -> None:
    """Transcribe the extracted audio with word timings."""
    from ai_video.analyze.transcript_format import transcript_to_json

    transcript = transcriber(_samples(wav), settings.asr.initial_prompt)
    (out / "transcript.json").write_bytes(transcript_to_json(transcript))


def load_transcript(entry: Path) -> Transcript:
    """The transcript written by :func:`produce_transcript`."""
    from ai_video.analyze.transcript_format import transcript_from_json

    return transcript_from_json((entry / "transcript.json").read_bytes())


TRANSCRIBE = Stage[Transcript](
    name="transcribe",
    version=1,
    produce=produce_transcript,
    load=load_transcript,
    reads=("asr",),
    upstream=(AUDIO,),
    model="asr",
)

# --------------------------------------------------------------------------- speech


def produce_speech(out: Path, src: SourceRef, settings: Settings, model: None, wav: Path) -> None:
    """Loudness and voice activity over time."""
    from ai_video.analyze.speech import speech_activity

    samples = _samples(wav)
    save_speech(speech_activity(samples, ASR_SAMPLE_RATE_HZ, settings.speech), out / "speech.npz")


def load_speech_entry(entry: Path) -> SpeechActivity:
    """The speech activity written by :func:`produce_speech`."""
    return load_speech(entry / "speech.npz")


SPEECH = Stage[SpeechActivity](
    name="speech",
    version=1,
    produce=produce_speech,
    load=load_speech_entry,
    reads=("speech",),
    upstream=(AUDIO,),
)

# --------------------------------------------------------------------------- word timing (issue 17)


def produce_word_times(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    transcript: Transcript,
    speech: SpeechActivity,
    wav: Path,
) -> None:
    """Whisper's word times snapped to pauses and energy onsets in the audio."""
    from ai_video.analyze.transcript_format import transcript_to_json
    from ai_video.analyze.word_timing import refine_word_times

    refined = refine_word_times(
        _samples(wav), ASR_SAMPLE_RATE_HZ, transcript, speech.speech_spans, settings.word_timing
    )
    (out / "transcript.json").write_bytes(transcript_to_json(refined))


WORD_TIMING = Stage[Transcript](
    name="word_timing",
    version=1,
    produce=produce_word_times,
    load=load_transcript,
    reads=("word_timing",),
    upstream=(TRANSCRIBE, SPEECH),
)

# --------------------------------------------------------------------------- visuals


def produce_visuals(out: Path, src: SourceRef, settings: Settings, detector: Any) -> None:
    """The one shared analysis decode: shots, faces and motion."""
    from ai_video.analyze.visual import analyze_visuals
    from ai_video.media.frames import analysis_fps, stream_frames

    fps = analysis_fps(src.info, settings.analysis)
    batches = stream_frames(src.info, settings.analysis, settings.media)
    visual = analyze_visuals(batches, settings.shots, settings.faces, detector, fps)
    save_visuals(visual, out / "visuals.npz")


def load_visuals_entry(entry: Path) -> VisualAnalysis:
    """The visual analysis written by :func:`produce_visuals`."""
    return load_visuals(entry / "visuals.npz")


VISUALS = Stage[VisualAnalysis](
    name="visuals",
    version=1,
    produce=produce_visuals,
    load=load_visuals_entry,
    reads=("analysis", "shots", "faces"),
    model="faces",
)

# --------------------------------------------------------------------------- curate


def produce_selection(
    out: Path,
    src: SourceRef,
    settings: Settings,
    embedder: Any,
    transcript: Transcript,
    speech: SpeechActivity,
    visual: VisualAnalysis,
) -> None:
    """Candidates on sentence boundaries, features, scores and the non-overlapping top-K."""
    from ai_video.curate import curate

    min_s, max_s = settings.clip_length_range()
    chosen = curate(
        transcript,
        speech,
        visual.faces,
        src.info.duration_s,
        settings.preset(),
        min_s,
        max_s,
        settings.curate,
        embedder,
    )
    (out / "selected.json").write_bytes(scored_to_bytes(chosen))


def load_selection(entry: Path) -> list[ScoredCandidate]:
    """The selected candidates written by :func:`produce_selection`."""
    return scored_from_bytes((entry / "selected.json").read_bytes())


def _clip_lengths(settings: Settings) -> list[float]:
    return [*settings.clip_length_range(), settings.preset().target_clip_s]


CURATE = Stage[list[ScoredCandidate]](
    name="curate",
    version=1,
    produce=produce_selection,
    load=load_selection,
    reads=("curate",),
    key_extra=_clip_lengths,
    upstream=(WORD_TIMING, SPEECH, VISUALS),
    model="text",
    model_needed=lambda s: bool(s.curate.prompt),
    reads_source=False,
)

# --------------------------------------------------------------------------- render


def produce_render(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    plan: EditPlan,
    encoder: EncoderProfile,
) -> None:
    """Render one clip in one ffmpeg process, plus its caption files and thumbnail."""
    from ai_video.render.caption_templates import write_caption_ass
    from ai_video.render.export import write_caption_files
    from ai_video.render.render import make_thumbnail, render_clip

    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_caption_ass(plan.captions, caption_style(settings), size, out / "clip.ass")
    render = settings.render
    brand = settings.finishing.brand
    if brand is not None and brand.fonts_dir is not None:
        render = render.model_copy(update={"fonts_dir": brand.fonts_dir})
    result = render_clip(plan, out / "clip.mp4", ass, encoder, render, settings.media)
    write_caption_files(plan.captions, out / "clip")
    make_thumbnail(
        out / "clip.mp4",
        out / "clip.jpg",
        min(1.0, plan.output_duration_s / 2) + (plan.brand.intro_s if plan.brand else 0.0),
        settings.render.thumbnail_width_px,
        settings.media,
    )
    meta = {"wall_s": result.wall_s, "command": list(result.command)}
    (out / "render.json").write_bytes(orjson.dumps(meta))


def load_render(entry: Path) -> RenderedClip:
    """The files of a rendered clip inside its cache entry."""
    meta = orjson.loads((entry / "render.json").read_bytes())
    return RenderedClip(
        video=entry / "clip.mp4",
        ass=entry / "clip.ass",
        srt=entry / "clip.srt",
        vtt=entry / "clip.vtt",
        thumbnail=entry / "clip.jpg",
        render_wall_s=float(meta["wall_s"]),
        command=tuple(meta["command"]),
    )


def _render_resources(settings: Settings, inputs: tuple[Any, ...]) -> dict[str, float]:
    """Renders honour ``ray.render_resources``; NVENC renders also ask for ``nvenc``."""
    encoder: EncoderProfile = inputs[1]
    nvenc = {"nvenc": 1.0} if encoder.hardware else {}
    return {**settings.ray.render_resources, **nvenc}


RENDER = Stage[RenderedClip](
    name="render",
    version=1,
    produce=produce_render,
    load=load_render,
    reads=("render",),
    key_extra=lambda s: (caption_style(s), s.finishing.brand),
    keyed_inputs=True,
    resources=_render_resources,
)

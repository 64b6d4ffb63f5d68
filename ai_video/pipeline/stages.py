"""The clip job's stages: one declaration each, with the functions that produce and load them.

Each ``produce_*`` writes one stage's files into a fresh cache-entry directory; each
``load_*`` reads a complete entry back. The :class:`~ai_video.pipeline.stage.Stage`
declarations below are everything else about a stage (key, model, resources, retries).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from ai_video.config import ASR_SAMPLE_RATE_HZ, AsrConfig, Settings
from ai_video.pipeline.model_kinds import ModelShelf
from ai_video.pipeline.outputs import RenderedClip
from ai_video.pipeline.serialize import load_speech, load_visuals, save_speech, save_visuals
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.types import (
    EditPlan,
    EncoderProfile,
    LanguageId,
    MomentsResult,
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

# --------------------------------------------------------------------------- language (issue 11)


def _transcriber(shelf: ModelShelf, cfg: AsrConfig) -> Any:
    """The shelf's transcriber for ``cfg`` (tiny.en and base can both stay loaded); the
    language is given per call, so language id and transcription share one loaded model."""
    from ai_video.analyze.transcribe import Transcriber

    key = cfg.model_copy(update={"language": None}).model_dump_json()
    return shelf.get(key, lambda: Transcriber(cfg))


def produce_language(
    out: Path, src: SourceRef, settings: Settings, shelf: Any, wav: Path, speech: SpeechActivity
) -> None:
    """The spoken language: given by the user, or identified on speech windows (VAD-chosen,
    spread over the whole source) with the multilingual model."""
    from ai_video.analyze.language import identify_language, needs_identification
    from ai_video.analyze.language_format import given_language, language_id_to_json

    cfg = settings.language
    if not needs_identification(cfg):
        (out / "language.json").write_bytes(language_id_to_json(given_language(cfg.language)))
        return
    multilingual = settings.asr.model_copy(update={"model": cfg.multilingual_model})
    transcriber = _transcriber(shelf, multilingual)
    found = identify_language(
        transcriber.whisper, _samples(wav), speech.speech_spans, cfg, transcriber.model_label
    )
    (out / "language.json").write_bytes(language_id_to_json(found))


def load_language(entry: Path) -> LanguageId:
    """The language decision written by :func:`produce_language`."""
    from ai_video.analyze.language_format import language_id_from_json

    return language_id_from_json((entry / "language.json").read_bytes())


LANGUAGE = Stage[LanguageId](
    name="language",
    version=1,
    produce=produce_language,
    load=load_language,
    reads=("language",),
    upstream=(AUDIO, SPEECH),
    model="asr",
    model_needed=lambda s: s.language.language == "auto",
)


# --------------------------------------------------------------------------- transcribe


def produce_transcript(
    out: Path, src: SourceRef, settings: Settings, shelf: Any, wav: Path, language: LanguageId
) -> None:
    """Transcribe with word timings: English on the fast English model, any other language
    on the multilingual one with the language fixed."""
    from ai_video.analyze.language import asr_config_for, needs_identification
    from ai_video.analyze.transcript_format import transcript_to_json

    cfg = asr_config_for(settings.asr, settings.language, language)
    transcript = _transcriber(shelf, cfg)(_samples(wav), language=cfg.language)
    if needs_identification(settings.language):
        transcript = dataclasses.replace(transcript, language_probability=language.probability)
    (out / "transcript.json").write_bytes(transcript_to_json(transcript))


def load_transcript(entry: Path) -> Transcript:
    """The transcript written by :func:`produce_transcript`."""
    from ai_video.analyze.transcript_format import transcript_from_json

    return transcript_from_json((entry / "transcript.json").read_bytes())


TRANSCRIBE = Stage[Transcript](
    name="transcribe",
    version=2,
    produce=produce_transcript,
    load=load_transcript,
    reads=("asr", "language"),
    upstream=(AUDIO, LANGUAGE),
    model="asr",
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


@dataclass(frozen=True)
class SceneFacts:
    """What the one analysis decode found: shots, the main face, motion, and every face as
    a track with its mouth motion (speaker analysis)."""

    visual: VisualAnalysis
    tracks: pl.DataFrame
    """Face tracks, one row per detection (analyze.face_tracks.TRACK_COLUMNS)."""


def produce_visuals(out: Path, src: SourceRef, settings: Settings, detector: Any) -> None:
    """The one shared analysis decode: shots, faces (all of them, tracked) and motion."""
    from ai_video.analyze.face_tracks import FaceCollector, link_face_tracks
    from ai_video.analyze.visual import analyze_visuals
    from ai_video.media.frames import analysis_fps, stream_frames

    fps = analysis_fps(src.info, settings.analysis)
    batches = stream_frames(src.info, settings.analysis, settings.media)
    tracks_all = hasattr(detector, "detect_landmarks")  # mouths need landmarks (YuNet)
    collector = FaceCollector(detector, settings.speakers, fps) if tracks_all else None
    visual = analyze_visuals(batches, settings.shots, settings.faces, detector, fps, collector)
    save_visuals(visual, out / "visuals.npz")
    cuts = [shot.span.start_s for shot in visual.shots[1:]]
    detections = collector.detections() if collector is not None else pl.DataFrame()
    link_face_tracks(detections, settings.speakers, cuts).write_parquet(out / "face_tracks.parquet")


def load_scene(entry: Path) -> SceneFacts:
    """The analysis written by :func:`produce_visuals`."""
    tracks = pl.read_parquet(entry / "face_tracks.parquet")
    return SceneFacts(load_visuals(entry / "visuals.npz"), tracks)


VISUALS = Stage[SceneFacts](
    name="visuals",
    version=2,
    produce=produce_visuals,
    load=load_scene,
    reads=("analysis", "shots", "faces", "speakers"),
    model="faces",
)

# --------------------------------------------------------------------------- speakers (issue 9)


def produce_voice_turns(
    out: Path, src: SourceRef, settings: Settings, encoder: Any, wav: Path, speech: SpeechActivity
) -> None:
    """Who speaks when, by voice: embeddings of speech windows clustered into voices."""
    from ai_video.analyze.diarize import diarize

    turns = diarize(_samples(wav), speech, encoder, settings.speakers)
    turns.write_parquet(out / "voice_turns.parquet")


def load_voice_turns(entry: Path) -> pl.DataFrame:
    """Voice turns ``(start_s, end_s, voice_id)``."""
    return pl.read_parquet(entry / "voice_turns.parquet")


DIARIZE = Stage[pl.DataFrame](
    name="diarize",
    version=1,
    produce=produce_voice_turns,
    load=load_voice_turns,
    reads=("speakers",),
    upstream=(AUDIO, SPEECH),
    model="voice",
)


def produce_speaker_turns(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    voice_turns: pl.DataFrame,
    scene: SceneFacts,
) -> None:
    """Which face speaks in each voice turn (mouth motion vs voice, matched by co-occurrence),
    with speaker changes moved to where the mouths hand over."""
    from ai_video.analyze.speakers import speaker_turns

    speaker_turns(voice_turns, scene.tracks).write_parquet(out / "speaker_turns.parquet")


def load_speaker_turns(entry: Path) -> pl.DataFrame:
    """Speaker turns ``(start_s, end_s, voice_id, face_track_id, confidence)``."""
    return pl.read_parquet(entry / "speaker_turns.parquet")


SPEAKERS = Stage[pl.DataFrame](
    name="speakers",
    version=1,
    produce=produce_speaker_turns,
    load=load_speaker_turns,
    upstream=(DIARIZE, VISUALS),
    reads_source=False,
)

# --------------------------------------------------------------------------- curate


def produce_moments(
    out: Path,
    src: SourceRef,
    settings: Settings,
    shelf: Any,
    transcript: Transcript,
    speech: SpeechActivity,
    scene: SceneFacts,
    turns: pl.DataFrame,
) -> None:
    """Trusted sentences -> topics -> candidates inside a topic -> distinct top-K (or, with a
    prompt, relevance-gated search); no speech -> clips from shots, motion and loudness."""
    from ai_video.analyze.embed import load_sentence_embedder
    from ai_video.analyze.language import prompt_text_model
    from ai_video.curate.moments import find_moments
    from ai_video.curate.moments_json import result_to_json

    name = prompt_text_model(settings.curate.text_model, transcript.language)
    embedder = shelf.get(name, lambda: load_sentence_embedder(name, settings.language))
    result = find_moments(
        transcript,
        speech,
        scene.visual,
        src.info.duration_s,
        settings.preset(),
        settings.clip_length_range(),
        (settings.curate, settings.moments),
        embedder,
        speaker_changes_s=speaker_changes(turns),
    )
    (out / "moments.json").write_bytes(orjson.dumps(result_to_json(result)))


def load_moments(entry: Path) -> MomentsResult:
    """The moments written by :func:`produce_moments`."""
    from ai_video.curate.moments_json import result_from_json

    return result_from_json(orjson.loads((entry / "moments.json").read_bytes()))


def speaker_changes(turns: pl.DataFrame) -> list[float]:
    """Times where the voice changes (natural clip and topic boundaries)."""
    voices = turns["voice_id"].to_list()
    starts = turns["start_s"].to_list()
    return [float(t) for t, a, b in zip(starts[1:], voices, voices[1:], strict=False) if a != b]


def _clip_lengths(settings: Settings) -> list[float]:
    return [*settings.clip_length_range(), settings.preset().target_clip_s]


CURATE = Stage[MomentsResult](
    name="curate",
    version=2,
    produce=produce_moments,
    load=load_moments,
    reads=("curate", "moments", "language"),
    key_extra=_clip_lengths,
    upstream=(WORD_TIMING, SPEECH, VISUALS, SPEAKERS),
    model="text",
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
    from ai_video.edit.caption_lines import style_for_track
    from ai_video.render.export import write_ass, write_caption_files
    from ai_video.render.render import make_thumbnail, render_clip

    style = style_for_track(plan.captions, settings.preset().caption, settings.language)
    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_ass(plan.captions, style, size, out / "clip.ass")
    result = render_clip(plan, out / "clip.mp4", ass, encoder, settings.render, settings.media)
    write_caption_files(plan.captions, out / "clip")
    make_thumbnail(
        out / "clip.mp4",
        out / "clip.jpg",
        min(1.0, plan.span.duration_s / 2),
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
    reads=("render", "language"),
    key_extra=lambda s: s.preset().caption,
    keyed_inputs=True,
    resources=_render_resources,
)

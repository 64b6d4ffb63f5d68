"""The clip job's stages, one declaration each (see pipeline/stage.py for what a declaration
derives): audio stages in ``audio``, the visual decode and speaker matching in ``visual``,
selection and rendering in ``clips``."""

from ai_video.pipeline.stages.audio import (
    AUDIO,
    DIARIZE,
    LANGUAGE,
    SPEECH,
    TRANSCRIBE,
    WORD_TIMING,
    samples_of,
)
from ai_video.pipeline.stages.clips import CURATE, RENDER, speaker_changes
from ai_video.pipeline.stages.visual import SPEAKERS, VISUALS, SceneFacts

__all__ = [
    "AUDIO",
    "CURATE",
    "DIARIZE",
    "LANGUAGE",
    "RENDER",
    "SPEAKERS",
    "SPEECH",
    "TRANSCRIBE",
    "VISUALS",
    "WORD_TIMING",
    "SceneFacts",
    "samples_of",
    "speaker_changes",
]

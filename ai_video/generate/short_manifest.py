"""The generate job's manifest: scenes, timings, voice, visuals with their scores, audio levels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ai_video.generate.align import WordAlignment
from ai_video.generate.llm import LlmReport
from ai_video.generate.script import Script
from ai_video.generate.tts import SceneNarration
from ai_video.generate.visuals import VisualChoice
from ai_video.media.mix import Loudness
from ai_video.render.concat import FinalMix
from ai_video.types import EncoderProfile, OutputPreset, RenderResult, TimeSpan

MANIFEST_VERSION = 1


def build_short_manifest(
    script: Script,
    preset: OutputPreset,
    voice: Mapping[str, str | None],
    narrations: Sequence[SceneNarration],
    alignments: Sequence[WordAlignment],
    spans: Sequence[TimeSpan],
    choices: Sequence[VisualChoice],
    renders: Sequence[RenderResult],
    final: FinalMix,
    encoder: EncoderProfile,
    outputs: Mapping[str, Path],
    stage_wall_s: Mapping[str, float],
    llm: LlmReport | None,
    music: Path | None = None,
    visual_provider: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a person (or a rerun) needs to know about one generated short."""
    scenes = [
        _scene_entry(script.scenes[i].text, script.scenes[i].title, *parts)
        for i, parts in enumerate(zip(narrations, alignments, spans, choices, renders, strict=True))
    ]
    return {
        "version": MANIFEST_VERSION,
        "kind": "generated-short",
        "title": script.title,
        "duration_s": round(spans[-1].end_s, 3) if spans else 0.0,
        "output": {
            "platform": preset.name,
            "width_px": preset.width_px,
            "height_px": preset.height_px,
            "fps": preset.fps,
            "encoder": encoder.name,
            "encoder_args": list(encoder.args),
            "encoder_reason": encoder.reason,
        },
        "files": {name: path.name for name, path in outputs.items()},
        "voice": dict(voice),
        "audio": {**_audio_entry(final), "music_file": str(music) if music else None},
        "scenes": scenes,
        "llm": _llm_entry(llm),
        "stage_wall_s": {k: round(v, 3) for k, v in stage_wall_s.items()},
        "visual_provider": dict(visual_provider) if visual_provider is not None else None,
    }


def _scene_entry(
    text: str,
    title: str | None,
    narration: SceneNarration,
    alignment: WordAlignment,
    span: TimeSpan,
    choice: VisualChoice,
    render: RenderResult,
) -> dict[str, Any]:
    return {
        "index": narration.scene_index,
        "title": title,
        "text": text,
        "start_s": round(span.start_s, 3),
        "end_s": round(span.end_s, 3),
        "narration_s": round(narration.duration_s, 3),
        "visual": {
            "kind": choice.kind,
            "file": str(choice.path) if choice.path else None,
            "label": choice.label,
            "query": choice.query,
            "score": choice.score,
            "method": choice.method,
        },
        "words": {
            "count": len(alignment.words),
            "timing": alignment.method,
            "matched": alignment.matched,
            "replaced": alignment.replaced,
            "interpolated": alignment.interpolated,
            "timed": [
                [w.text, round(w.start_s + span.start_s, 3), round(w.end_s + span.start_s, 3)]
                for w in alignment.words
            ],
        },
        "render_wall_s": round(render.wall_s, 3),
    }


def _audio_entry(final: FinalMix) -> dict[str, Any]:
    return {
        "voice": _loudness(final.voice),
        "voice_gain_db": round(final.voice_gain_db, 2),
        "music": _loudness(final.music) if final.music is not None else None,
        "music_gain_db": round(final.music_gain_db, 2) if final.music_gain_db is not None else None,
        "ducking": final.music_gain_db is not None,
        "mix_lufs": final.predicted_lufs,
    }


def _loudness(level: Loudness) -> dict[str, float]:
    return {
        "integrated_lufs": level.integrated_lufs,
        "peak_db": level.peak_db,
        "range_lu": level.range_lu,
    }


def _llm_entry(llm: LlmReport | None) -> dict[str, Any] | None:
    if llm is None:
        return None
    return {
        "url": llm.url,
        "model": llm.model,
        "title": llm.title,
        "theme": llm.theme,
        "requests": llm.requests,
        "cache_hits": llm.cache_hits,
        "wall_s": round(llm.wall_s, 3),
    }

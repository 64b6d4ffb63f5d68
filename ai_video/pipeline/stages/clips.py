"""The clip job's deciding and rendering stages: the moments (curate) and each clip's render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ai_video.config import Settings
from ai_video.pipeline.outputs import RenderedClip
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.pipeline.stages.audio import SPEECH, WORD_TIMING
from ai_video.pipeline.stages.visual import SPEAKERS, VISUALS, SceneFacts
from ai_video.types import EditPlan, EncoderProfile, MomentsResult, SpeechActivity, Transcript

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

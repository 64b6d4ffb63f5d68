"""The clip job's deciding and rendering stages: the moments (curate) and each clip's render."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ai_video.config import Settings, caption_style
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
    result = with_llm_copy(result, transcript.language, settings)
    (out / "moments.json").write_bytes(orjson.dumps(result_to_json(result)))


def with_llm_copy(result: MomentsResult, language: str, settings: Settings) -> MomentsResult:
    """The moments with LLM-written copy where an endpoint is configured and answers."""
    llm = settings.generate.llm
    if not (settings.moments.llm_copy and llm.url and llm.model and result.moments):
        return result
    from ai_video.generate.llm import ChatClient
    from ai_video.generate.social_llm import llm_social_copy

    client = ChatClient(llm, settings.cache.dir if settings.cache.enabled else None)
    try:
        moments = tuple(
            dataclasses.replace(
                m,
                copy=llm_social_copy(
                    client, m.clip.candidate.text, language, m.copy, llm.copy_temperature
                )[0],
            )
            for m in result.moments
        )
    finally:
        client.close()
    return dataclasses.replace(result, moments=moments)


def load_moments(entry: Path) -> MomentsResult:
    """The moments written by :func:`produce_moments`."""
    from ai_video.curate.moments_json import result_from_json

    return result_from_json(orjson.loads((entry / "moments.json").read_bytes()))


def speaker_changes(turns: pl.DataFrame) -> list[float]:
    """Times where the person speaking changes (natural clip and topic boundaries): the face
    a turn was matched to when known, else its voice, so two voice clusters that land on
    the same face are one person."""
    faces = turns["face_track_id"].to_list()
    voices = turns["voice_id"].to_list()
    who = [f"face{f}" if f is not None else f"voice{v}" for f, v in zip(faces, voices, strict=True)]
    starts = turns["start_s"].to_list()
    return [float(t) for t, a, b in zip(starts[1:], who, who[1:], strict=False) if a != b]


def _curate_key(settings: Settings) -> dict[str, Any]:
    llm = settings.generate.llm
    lengths = [*settings.clip_length_range(), settings.preset().target_clip_s]
    return {"lengths": lengths, "llm": [llm.url, llm.model, llm.copy_temperature]}


CURATE = Stage[MomentsResult](
    name="curate",
    version=2,
    produce=produce_moments,
    load=load_moments,
    reads=("curate", "moments", "language"),
    key_extra=_curate_key,
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
    from ai_video.analyze.scripts import dominant_script
    from ai_video.edit.caption_lines import style_for_track
    from ai_video.render.caption_templates import write_caption_ass
    from ai_video.render.export import write_caption_files
    from ai_video.render.render import make_thumbnail, render_clip

    chosen = caption_style(settings)  # a template's or brand's font stays for Latin text
    text = " ".join(line.text for line in plan.captions.lines)
    latin = dominant_script(text) in (None, "latin")
    style = chosen if latin else style_for_track(plan.captions, chosen, settings.language)
    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_caption_ass(plan.captions, style, size, out / "clip.ass")
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
    reads=("render", "language"),
    key_extra=lambda s: (caption_style(s), s.finishing.brand),
    keyed_inputs=True,
    resources=_render_resources,
)

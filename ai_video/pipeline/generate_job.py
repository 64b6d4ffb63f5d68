"""Script (or topic) in, narrated captioned short out: the generate job, stage by stage.

    script | topic -> LLM -> scenes -> TTS per scene (one voice, in order) -> word timings
                           -> visuals per scene (explicit file, library match, or title card)
    -> timeline (frame-aligned scene spans) -> scene renders side by side on the backend
    -> concat (video copied) + narration/music mix -> short.mp4, short.srt, short.vtt, manifest

The same story runs in-process (LocalBackend: scene renders on threads) or on Ray
(RayBackend: scene renders as Ray tasks, the voice in the cluster's one TTS actor). Inputs
are all checked before anything is written; work happens in a hidden folder inside
``out_dir`` that is removed at the end, and the outputs are moved into place only when
complete, so a failed job leaves nothing behind. The steps live in generate_steps.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ai_video.config import Settings
from ai_video.generate import assemble
from ai_video.generate.align import WordAlignment, time_track
from ai_video.generate.script import Script
from ai_video.generate.short_manifest import build_short_manifest
from ai_video.generate.tts import SceneNarration, narrate_scene
from ai_video.media.encoders import detect_encoder
from ai_video.pipeline.backend import Backend, LocalBackend
from ai_video.pipeline.generate_steps import (
    OUTPUT_NAMES,
    GenerateModels,
    GenerateOptions,
    apply_options,
    check_inputs,
    choose_scene_visuals,
    load_models,
    load_script,
    mix_short,
    output_preset,
    publish,
    render_scenes,
    scene_caption_tracks,
    timed,
    voice_entry,
    workspace,
)
from ai_video.pipeline.requests import ProgressFn, no_progress
from ai_video.render.export import write_caption_files
from ai_video.types import TimeSpan


@dataclass(frozen=True)
class GenerateResult:
    """The outcome of one generate job."""

    out_dir: Path
    video: Path
    srt: Path
    vtt: Path
    manifest: Path
    duration_s: float
    scenes: int
    voice: str
    stage_wall_s: dict[str, float] = field(default_factory=dict)


def run_generate_job(
    script_path: Path | None,
    out_dir: Path,
    settings: Settings,
    options: GenerateOptions,
    progress: ProgressFn = no_progress,
    models: GenerateModels | None = None,
    backend: Backend | None = None,
) -> GenerateResult:
    """Turn a script (or ``options.topic``) into ``out_dir/short.mp4`` with captions, manifest."""
    settings = apply_options(settings, options)
    preset = output_preset(settings)
    be = backend if backend is not None else LocalBackend(settings)
    walls: dict[str, float] = {}
    try:
        with timed(walls, "script", progress):
            script, llm = load_script(script_path, options, settings)
            library, explicit = check_inputs(script, script_path, options, settings)
        with workspace(out_dir) as work:
            with timed(walls, "models", progress):
                ranks_visuals = bool(library) or settings.generate.provider_url is not None
                models = models or load_models(settings, with_visual_ranking=ranks_visuals)
                encoder = detect_encoder(settings.render, settings.media)
            narrations, spans, alignments = _narrate(script, models, settings, walls, progress)
            with timed(walls, "visuals", progress):
                choices, provider = choose_scene_visuals(
                    script, library, explicit, models, settings, work
                )
            captions = scene_caption_tracks(alignments, spans, settings, preset)
            plans = assemble.plan_scenes(script.scenes, spans, choices, captions, preset)
            with timed(walls, "render", progress):
                renders = render_scenes(plans, encoder, settings, work, be)
            with timed(walls, "mix", progress):
                final = mix_short(narrations, spans, renders, options.music, settings, work)
            with timed(walls, "outputs", progress):
                short_captions = assemble.short_captions(captions, spans)
                srt, vtt = write_caption_files(short_captions, work / "short")
                targets = {name: out_dir / file for name, file in OUTPUT_NAMES.items()}
                manifest = build_short_manifest(
                    script, preset, voice_entry(models), narrations, alignments, spans,
                    choices, renders, final, encoder, targets, walls, llm,
                    music=options.music, visual_provider=provider,
                )  # fmt: skip
                publish(work, out_dir, [final.render.path, srt, vtt], manifest)
    finally:
        if backend is None:
            be.close()
    return GenerateResult(
        out_dir=out_dir,
        video=targets["video"],
        srt=targets["srt"],
        vtt=targets["vtt"],
        manifest=targets["manifest"],
        duration_s=spans[-1].end_s,
        scenes=len(script.scenes),
        voice=models.synthesizer.voice_label,
        stage_wall_s=dict(walls),
    )


def _narrate(
    script: Script,
    models: GenerateModels,
    settings: Settings,
    walls: dict[str, float],
    progress: ProgressFn,
) -> tuple[list[SceneNarration], list[TimeSpan], list[WordAlignment]]:
    """Speak every scene in order, lay the scenes on the frame grid, and time their words."""
    with timed(walls, "tts", progress):
        narrations = [narrate_scene(models.synthesizer, s) for s in script.scenes]
    fps = output_preset(settings).fps
    spans = assemble.lay_out_scenes(narrations, fps, settings.generate.scene_pause_s)
    with timed(walls, "align", progress):
        track, rate = assemble.narration_track(narrations, spans)
        alignments = time_track(script.scenes, narrations, spans, track, rate, models.transcriber)
    return narrations, list(spans), list(alignments)

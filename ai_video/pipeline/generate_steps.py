"""The generate job's steps: options and models, inputs checked up front, visuals chosen,
scenes rendered on a backend, the final mix, and outputs published only when complete.

pipeline/generate_job.py tells the story with these; each step calls the decision and
render code below pipeline/ (generate/, render/), so every step stays testable on its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ai_video.analyze.embed import TextEmbedder
from ai_video.analyze.transcribe import Transcriber
from ai_video.config import Settings
from ai_video.errors import InputError
from ai_video.generate import assemble
from ai_video.generate.align import WordAlignment
from ai_video.generate.llm import LlmReport, write_script
from ai_video.generate.script import Script, read_script
from ai_video.generate.tts import SceneNarration, Synthesizer
from ai_video.generate.visual_provider import HttpVisualProvider, fetch_visuals
from ai_video.generate.visuals import (
    TextLabelScorer,
    VisualChoice,
    VisualItem,
    VisualScorer,
    choose_visuals,
    explicit_visual,
    scan_visuals,
    scene_query,
)
from ai_video.media.audio import write_wav
from ai_video.media.files import write_atomic
from ai_video.media.probe import probe, require_audio
from ai_video.pipeline.backend import Backend, LocalBackend
from ai_video.pipeline.requests import ProgressFn
from ai_video.render.concat import FinalMix, finish_short
from ai_video.render.scene import render_scene
from ai_video.types import (
    CaptionTrack,
    EncoderProfile,
    OutputPreset,
    RenderResult,
    ScenePlan,
    TimeSpan,
)


@dataclass(frozen=True)
class GenerateOptions:
    """What one ``ai-video generate`` call asks for beyond the script and the settings."""

    platform: str | None = None
    voice: str | None = None
    music: Path | None = None
    visuals_dir: Path | None = None
    topic: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None


@dataclass
class GenerateModels:
    """The loaded models a job borrows (load once, reuse across jobs)."""

    synthesizer: Synthesizer
    transcriber: Transcriber | None
    embedder: TextEmbedder | None
    clip: VisualScorer | None = None
    """An image-text ranker (image_text_rank.ImageTextScorer) when CLIP weights are set."""


def apply_options(settings: Settings, options: GenerateOptions) -> Settings:
    """Settings with the command-line choices (platform, voice, LLM endpoint) applied."""
    return settings.with_overrides(
        {
            "platform": options.platform,
            "generate.voice": options.voice,
            "generate.llm.url": options.llm_url,
            "generate.llm.model": options.llm_model,
        }
    )


def load_models(
    settings: Settings, with_visual_ranking: bool, synthesizer: Synthesizer | None = None
) -> GenerateModels:
    """Load the TTS voice (unless one is given, e.g. the Ray TTS actor), ASR and ranking."""
    gen = settings.generate
    clip = None
    if with_visual_ranking and gen.clip_model and gen.clip_weights:
        from ai_video.generate.image_text_rank import ImageTextScorer

        clip = ImageTextScorer(gen.clip_model, gen.clip_weights, gen.clip_min_score)
    text_ranking = with_visual_ranking and clip is None
    return GenerateModels(
        synthesizer=synthesizer if synthesizer is not None else Synthesizer(gen),
        transcriber=Transcriber(settings.asr) if gen.align_words else None,
        embedder=TextEmbedder(settings.curate.text_model) if text_ranking else None,
        clip=clip,
    )


OUTPUT_NAMES = {
    "video": "short.mp4",
    "srt": "short.srt",
    "vtt": "short.vtt",
    "manifest": "manifest.json",
}


def output_preset(settings: Settings) -> OutputPreset:
    """The output size and rate of the settings' platform."""
    cfg = settings.preset()
    return OutputPreset(settings.platform, cfg.width_px, cfg.height_px, cfg.fps)


def render_scenes(
    plans: Sequence[ScenePlan],
    encoder: EncoderProfile,
    settings: Settings,
    work_dir: Path,
    backend: Backend | None = None,
) -> list[RenderResult]:
    """Render every scene side by side on ``backend`` (same encode for each), in scene order.

    Without a backend the scenes render on a local one with ``generate.scene_workers`` threads.
    """
    if backend is None:
        local_threads = max(1, min(settings.generate.scene_workers, len(plans)))
        local = LocalBackend(settings.with_overrides({"ray.local_stage_threads": local_threads}))
        try:
            return render_scenes(plans, encoder, settings, work_dir, local)
        finally:
            local.close()
    resources = {**settings.ray.render_resources, **({"nvenc": 1.0} if encoder.hardware else {})}
    handles = [
        backend.call(render_scene, plan, encoder, settings, work_dir, resources=resources)
        for plan in plans
    ]
    return [backend.get(h) for h in handles]


def mix_short(
    narrations: Sequence[SceneNarration],
    spans: Sequence[TimeSpan],
    renders: Sequence[RenderResult],
    music: Path | None,
    settings: Settings,
    work_dir: Path,
) -> FinalMix:
    """Lay the narrations on one track and run the final pass (video copied, audio mixed)."""
    track, rate = assemble.narration_track(narrations, spans)
    return finish_short(
        [r.path for r in renders],
        write_wav(track, rate, work_dir / "narration.wav"),
        music,
        spans[-1].end_s,
        work_dir / OUTPUT_NAMES["video"],
        settings,
        work_dir,
    )


def load_script(
    script_path: Path | None, options: GenerateOptions, settings: Settings
) -> tuple[Script, LlmReport | None]:
    """The script from its file, or written by the LLM from ``options.topic``."""
    if options.topic:
        cache_dir = settings.cache.dir if settings.cache.enabled else None
        return write_script(options.topic, settings.generate.llm, cache_dir)
    if script_path is None:
        raise InputError("give a script file (Markdown or text) or --topic with an LLM endpoint")
    return read_script(script_path), None


def check_inputs(
    script: Script, script_path: Path | None, options: GenerateOptions, settings: Settings
) -> tuple[tuple[VisualItem, ...], dict[int, Path]]:
    """Validate the visuals library, explicit visual files and music before any work."""
    library = scan_visuals(options.visuals_dir, settings.media) if options.visuals_dir else ()
    search_dirs = [
        d for d in (options.visuals_dir, script_path.parent if script_path else None) if d
    ]
    explicit: dict[int, Path] = {}
    for scene in script.scenes:
        path = explicit_visual(scene, search_dirs, settings.media)
        if path is not None:
            explicit[scene.index] = path
    if options.music is not None:
        require_audio(probe(options.music, settings.media))
    return library, explicit


def choose_scene_visuals(
    script: Script,
    library: Sequence[VisualItem],
    explicit: dict[int, Path],
    models: GenerateModels,
    settings: Settings,
    work: Path,
) -> tuple[tuple[VisualChoice, ...], dict[str, Any] | None]:
    """Visuals per scene from the library and the search API, ranked by CLIP or text labels."""
    gen = settings.generate
    items = list(library)
    provider_report: dict[str, Any] | None = None
    if gen.provider_url:
        queries = [scene_query(s) for s in script.scenes if s.index not in explicit]
        fetched, provider_report = from_provider(queries, settings, work)
        items += fetched
    scorer: VisualScorer | None = None
    if items and models.clip is not None:
        scorer = models.clip
    elif items and models.embedder is not None:
        scorer = TextLabelScorer(models.embedder, gen.visual_min_score)
    return choose_visuals(script.scenes, items, scorer, explicit, gen), provider_report


def from_provider(
    queries: Sequence[str], settings: Settings, work: Path
) -> tuple[list[VisualItem], dict[str, Any]]:
    """Search and download one visual per query (cached across runs when the cache is on)."""
    gen = settings.generate
    dest = settings.cache.dir / "visuals" if settings.cache.enabled else work / "visuals"
    provider = HttpVisualProvider(gen, download_policy=settings.url_policy)
    try:
        results = fetch_visuals(queries, provider, dest, settings.media, gen.provider_concurrency)
    finally:
        provider.close()
    report = {
        "name": provider.name,
        "queries": len(results),
        "found": sum(r.item is not None for r in results),
        "errors": [r.error for r in results if r.error],
    }
    return [r.item for r in results if r.item is not None], report


def scene_caption_tracks(
    alignments: Sequence[WordAlignment],
    spans: Sequence[TimeSpan],
    settings: Settings,
    preset: OutputPreset,
) -> list[CaptionTrack]:
    """Each scene's caption lines, in scene time."""
    style = settings.preset().caption
    words = assemble.timeline_words(alignments, spans)
    return [
        assemble.scene_captions(scene_words, span, style, preset.name)
        for scene_words, span in zip(words, spans, strict=True)
    ]


def voice_entry(models: GenerateModels) -> dict[str, str | None]:
    """Which voice spoke, and why the fallback was used if it was."""
    synth = models.synthesizer
    return {
        "voice": synth.voice_label,
        "engine": synth.engine,
        "sha256": synth.model.sha256 if synth.model else None,
        "fallback_reason": synth.fallback_reason,
        "word_timing": models.transcriber.model_label if models.transcriber else "length-spread",
    }


@contextmanager
def timed(walls: dict[str, float], stage: str, progress: ProgressFn) -> Iterator[None]:
    """Report a stage's start and end and record its wall time."""
    progress(stage, 0.0)
    started = time.perf_counter()
    yield
    walls[stage] = time.perf_counter() - started
    progress(stage, 1.0)


@contextmanager
def workspace(out_dir: Path) -> Iterator[Path]:
    """A hidden work folder inside ``out_dir``; on failure nothing the job made is left."""
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".generate-", dir=out_dir))
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    shutil.rmtree(work, ignore_errors=True)


def publish(work: Path, out_dir: Path, files: Sequence[Path], manifest: dict[str, Any]) -> None:
    """Move the finished files into ``out_dir``; the manifest goes last (it marks completion)."""
    manifest_path = work / OUTPUT_NAMES["manifest"]
    write_atomic(manifest_path, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    for path in [*files, manifest_path]:
        os.replace(path, out_dir / path.name)

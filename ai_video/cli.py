"""The ``ai-video`` command line: parse input, call pipeline/, print results or one-line errors.

Exit codes: 0 success, 2 bad input (the message names the file and the problem), 1 internal
error. Only this module (and serve/) turns exceptions into exit codes.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ai_video.config import PlatformName, Settings, load_brand, load_settings
from ai_video.errors import AiVideoError
from ai_video.media.processes import mark_started_processes

if TYPE_CHECKING:
    from ai_video.pipeline.requests import ClipJobResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Long videos in, ranked captioned vertical clips out; scripts in, narrated shorts out.",
)
err_console = Console(stderr=True)
out_console = Console()
log = logging.getLogger("ai_video.cli")
T = TypeVar("T")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="YAML settings file (see docs/usage.md).")
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]
LayoutOpt = Annotated[
    str | None,
    typer.Option(
        help="auto | speaker (frame who speaks) | split (two people stacked) | fit "
        "(whole frame over a blurred copy); default auto."
    ),
]
# finishing (issue 13)
ExportOpt = Annotated[str | None, typer.Option("--export", help="Editor exports: fcpxml,otio,edl.")]
CleanOpt = Annotated[str | None, typer.Option("--clean", help="Cut out fillers,silences.")]
CaptionsOpt = Annotated[
    str | None, typer.Option("--captions", help="Caption template (ai-video captions list).")
]
BrandOpt = Annotated[
    Path | None, typer.Option("--brand", help="Brand kit YAML (logo, colours, intro/outro).")
]
CaptionSetOpt = Annotated[
    list[str] | None,
    typer.Option("--caption-set", help="Caption template field override FIELD=VALUE (repeatable)."),
]
PromptOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="What the clips should be about (repeat, or separate with ';', for clips per "
        "prompt); clips that do not match are not offered."
    ),
]
# b-roll cutaways (issue 14)
BrollOpt = Annotated[
    Path | None,
    typer.Option(
        "--broll",
        exists=True,
        file_okay=False,
        help="B-roll library folder: insert cutaways matched from it.",
    ),
]
BrollModeOpt = Annotated[
    str | None,
    typer.Option("--broll-mode", help="full (b-roll replaces the frame) | pip (a box on top)."),
]
BrollSearchOpt = Annotated[
    str | None,
    typer.Option("--broll-search", help="library (the indexed folder) | online (video search)."),
]


def _cutaway(library: Path | None, mode: str | None, search: str | None) -> dict[str, Any]:
    """Settings overrides of the b-roll options (None: keep the configured value)."""
    return {
        "cutaway.library": None if library is None else str(library.resolve()),
        "cutaway.mode": mode,
        "cutaway.search": search,
    }


LanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="Spoken language: 'auto' (default: identified on speech windows) or a code "
        "such as en, fr, de, ja.",
    ),
]


def _setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    root.handlers.clear()
    if err_console.is_terminal:
        handler: logging.Handler = RichHandler(console=err_console, show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
        )
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("ai_video").setLevel(level)


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning typed errors into a one-line message and exit code.

    SIGTERM and SIGHUP are handled like Ctrl-C, and an interrupted command stops any Ray it
    started (its raylet, GCS, dashboard and agents) before it exits.
    """
    _interrupt_on_termination()
    mark_started_processes()
    try:
        return fn()
    except AiVideoError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        _stop_ray()
        raise _fail("interrupted", 130) from None
    except SystemExit:  # Ray's own SIGTERM handler exits this way once ray.init has run
        _stop_ray()
        raise
    except Exception as exc:  # an internal error: one line, details at debug level
        log.debug("internal error", exc_info=True)
        raise _fail(f"internal error: {type(exc).__name__}: {exc}", 1) from None


def _interrupt_on_termination() -> None:
    """Make SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread, as SIGINT does."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def _stop_ray() -> None:
    """Stop a Ray this process started (only if ray was imported at all)."""
    if "ray" in sys.modules:
        from ai_video.pipeline.runtime import stop_ray_after_interrupt

        stop_ray_after_interrupt()


@contextmanager
def stage_progress(title: str) -> Iterator[Callable[[str, float], None]]:
    """A progress callback: a rich bar per stage on a terminal, log lines otherwise."""
    if not err_console.is_terminal:

        def log_progress(stage: str, fraction: float) -> None:
            if fraction >= 1.0 or fraction == 0.0:
                log.info("stage=%s progress=%.2f", stage, fraction)

        yield log_progress
        return
    columns = (TextColumn("{task.description:<12}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=False) as bar:
        tasks: dict[str, Any] = {}
        bar.console.print(f"[bold]{title}[/]")

        def show(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=fraction)

        yield show


def _csv(value: str | None) -> list[str] | None:
    """``a,b`` -> ``["a", "b"]`` (None stays None: the setting keeps its value)."""
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _finishing(
    export: str | None,
    clean: str | None,
    captions: str | None,
    caption_set: list[str] | None,
    brand: Path | None,
) -> dict[str, Any]:
    """Settings overrides of the finishing options (None: keep the configured value)."""
    return {
        "finishing.export": _csv(export),
        "finishing.clean": _csv(clean),
        "finishing.captions": captions,
        "finishing.caption_overrides": _pairs(caption_set),
        "finishing.brand": None if brand is None else load_brand(brand).model_dump(),
    }


def _pairs(items: list[str] | None) -> dict[str, Any] | None:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` (values read as YAML scalars)."""
    if not items:
        return None
    import yaml

    pairs = [item.partition("=") for item in items]
    return {k.strip(): yaml.safe_load(v) for k, _, v in pairs}


def _settings(config: Path | None, overrides: dict[str, Any]) -> Settings:
    return load_settings(config).with_overrides(overrides)


@app.command()
def clip(
    source: Annotated[str, typer.Argument(help="Video file or http(s) URL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    platform: Annotated[PlatformName | None, typer.Option(help="Output preset.")] = None,
    max_clips: Annotated[int | None, typer.Option("--max-clips", min=1)] = None,
    min_s: Annotated[float | None, typer.Option("--min-s", help="Shortest clip (s).")] = None,
    max_s: Annotated[float | None, typer.Option("--max-s", help="Longest clip (s).")] = None,
    prompt: PromptOpt = None,
    asr_model: Annotated[str | None, typer.Option("--asr-model")] = None,
    language: LanguageOpt = None,
    layout: LayoutOpt = None,
    no_ray: Annotated[bool, typer.Option("--no-ray", help="Run in-process, no Ray.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every stage.")] = False,
    export: ExportOpt = None,
    clean: CleanOpt = None,
    captions: CaptionsOpt = None,
    brand: BrandOpt = None,
    caption_set: CaptionSetOpt = None,
    broll: BrollOpt = None,
    broll_mode: BrollModeOpt = None,
    broll_search: BrollSearchOpt = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Cut a long video into ranked, captioned, reframed short clips."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.pipeline.requests import ClipRequest
        from ai_video.pipeline.runtime import run_clip_request

        settings = _settings(
            config,
            {
                "platform": platform,
                "curate.max_clips": max_clips,
                "curate.min_s": min_s,
                "curate.max_s": max_s,
                "curate.prompt": "; ".join(prompt) if prompt else None,
                "asr.model": asr_model,
                "language.language": language,
                "layout.layout": layout,
                "cache.enabled": False if no_cache else None,
                "ray.enabled": False if no_ray else None,
                **_finishing(export, clean, captions, caption_set, brand),
                **_cutaway(broll, broll_mode, broll_search),
            },
        )
        request = ClipRequest(source=source, out_dir=out)
        with stage_progress(f"clipping {source}") as progress:
            result = run_clip_request(request, settings, progress)
        _print_clips(result)

    guarded(body)


def _print_clips(result: ClipJobResult) -> None:
    table = Table(title=f"{len(result.clips)} clips in {result.out_dir}")
    for col in ("#", "file", "start", "end", "score", "title", "text"):
        table.add_column(col, overflow="fold")
    for c in result.clips:
        text = c.text if len(c.text) <= 60 else c.text[:59] + "…"
        table.add_row(
            str(c.index), c.file, f"{c.start_s:.2f}", f"{c.end_s:.2f}", f"{c.score_100:.0f}",
            c.title, text,
        )  # fmt: skip
    out_console.print(table)
    if result.manifest.message:
        out_console.print(f"[bold yellow]{result.manifest.message}[/]")
    out_console.print(f"manifest: {result.manifest_path}")


@app.command()
def transcribe(
    source: Annotated[str, typer.Argument(help="Audio or video file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Transcript file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="json | srt | vtt")] = "json",
    asr_model: Annotated[str | None, typer.Option("--asr-model")] = None,
    language: LanguageOpt = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Transcribe speech with word timings (the clip job's transcription stage)."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.errors import InputError
        from ai_video.pipeline.transcribe_job import run_transcribe_job, write_transcript

        if fmt not in ("json", "srt", "vtt"):
            raise InputError(f"--format must be json, srt or vtt (got {fmt!r})")
        settings = _settings(config, {"asr.model": asr_model, "language.language": language})
        transcript = run_transcribe_job(source, settings)
        write_transcript(transcript, out, fmt)
        out_console.print(f"{len(transcript.words)} words ({transcript.language}) -> {out}")

    guarded(body)


# --- analyze (issue 15): the clip job's analysis stages alone, written as tables -----------
@app.command()
def analyze(
    source: Annotated[str, typer.Argument(help="Video file or http(s) URL.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the tables.")],
    as_json: Annotated[bool, typer.Option("--json", help="Also write each table as JSON.")] = False,
    asr_model: Annotated[str | None, typer.Option("--asr-model")] = None,
    language: LanguageOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every stage.")] = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Analyse a video without clipping: words, shots, face tracks, speaker turns, topics and
    speech activity as Parquet tables (the same cached stage outputs the clip job uses)."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.pipeline.analyze_job import run_analyze_job

        settings = _settings(
            config,
            {
                "asr.model": asr_model,
                "language.language": language,
                "cache.enabled": False if no_cache else None,
            },
        )
        result = run_analyze_job(source, out, settings, as_json)
        for name, path in result.tables.items():
            out_console.print(f"{name:<16} {path}")
        out_console.print(f"summary          {result.summary_path}")

    guarded(body)


# --- end analyze (issue 15) ----------------------------------------------------------------


@app.command()
def doctor(config: ConfigOpt = None) -> None:
    """Check ffmpeg, encoders, models, CPU/GPU and Ray before a long run."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.pipeline.doctor import run_checks

        checks = run_checks(_settings(config, {}))
        table = Table(title="ai-video doctor")
        for col in ("check", "status", "detail", "fix"):
            table.add_column(col, overflow="fold")
        for c in checks:
            status = (
                "[green]ok[/]"
                if c.ok
                else ("[yellow]optional[/]" if not c.required else "[red]missing[/]")
            )
            table.add_row(c.name, status, c.detail, "" if c.ok else c.fix)
        out_console.print(table)
        if any(c.required and not c.ok for c in checks):
            raise typer.Exit(1)

    guarded(body)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out/demo"),
    no_ray: Annotated[bool, typer.Option("--no-ray")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clip the bundled sample (shared test media, or a generated narrated sample)."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.pipeline.demo_sample import demo_source
        from ai_video.pipeline.requests import ClipRequest
        from ai_video.pipeline.runtime import run_clip_request

        settings = _settings(None, {"ray.enabled": False if no_ray else None})
        source = demo_source(out.parent / "demo-sample", settings)
        with stage_progress(f"demo: clipping {source}") as progress:
            result = run_clip_request(
                ClipRequest(source=str(source), out_dir=out), settings, progress
            )
        _print_clips(result)
        out_console.print(f"[bold green]clips are in {out.resolve()}[/]")

    guarded(body)


@app.command()
def batch(
    sources: Annotated[Path, typer.Argument(help="CSV or Parquet with a 'source' column.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")],
    address: Annotated[str | None, typer.Option(help="Ray cluster address.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Videos in flight at once.")] = None,
    platform: Annotated[PlatformName | None, typer.Option(help="Default preset.")] = None,
    no_ray: Annotated[bool, typer.Option("--no-ray", help="In-process, one at a time.")] = False,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Clip every video of a source list; write results.parquet and clips per video."""
    _setup_logging(verbose)

    def body() -> None:
        import polars as pl

        from ai_video.pipeline.runtime import run_batch_list

        settings = _settings(
            config,
            {
                "ray.address": address,
                "ray.max_concurrent_videos": concurrency,
                "platform": platform,
                "ray.enabled": False if no_ray else None,
            },
        )
        with batch_progress() as on_progress:
            results = run_batch_list(sources, out, settings, on_progress)
        table = pl.read_parquet(results)
        failed = table.filter(pl.col("status") == "failed")
        out_console.print(
            f"{table.height - failed.height} succeeded, {failed.height} failed; results: {results}"
        )
        for row in failed.iter_rows(named=True):
            out_console.print(
                f"  failed {row['video_id']}: {row['error_class']}: {row['message']}",
                highlight=False,
            )

    guarded(body)


@contextmanager
def batch_progress() -> Iterator[Callable[[Any], None]]:
    """Videos done/failed, clips made and source-hours per wall-hour, live."""
    if not err_console.is_terminal:

        def log_batch(p: Any) -> None:
            log.info(
                "videos_done=%d failed=%d total=%d clips=%d source_h_per_h=%.2f",
                p.done,
                p.failed,
                p.total,
                p.clips,
                p.source_s / max(p.wall_s, 1e-9),
            )

        yield log_batch
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as bar:
        task = bar.add_task("videos", total=None, info="starting")

        def show(p: Any) -> None:
            rate = p.source_s / max(p.wall_s, 1e-9)
            bar.update(
                task,
                total=p.total,
                completed=p.done + p.failed,
                info=f"{p.done} done, {p.failed} failed, {p.clips} clips, {rate:.2f} source-h/h",
            )

        yield show


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A batch or clip output directory.")],
) -> None:
    """Per-stage latency percentiles, throughput and a worker timeline PNG of a run."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.pipeline.report import format_report, report_command

        summary, png = report_command(run_dir)
        out_console.print(format_report(summary))
        out_console.print(f"timeline: {png}")

    guarded(body)


@app.command()
def generate(
    script: Annotated[
        Path | None, typer.Argument(help="Markdown/text script (omit with --topic).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("out/short"),
    platform: Annotated[PlatformName | None, typer.Option(help="Output preset.")] = None,
    voice: Annotated[str | None, typer.Option(help="Piper voice name, or 'espeak'.")] = None,
    music: Annotated[Path | None, typer.Option(help="Music file mixed under the voice.")] = None,
    visuals: Annotated[Path | None, typer.Option(help="Folder of images/videos.")] = None,
    topic: Annotated[str | None, typer.Option(help="Let the LLM write the script.")] = None,
    llm_url: Annotated[str | None, typer.Option("--llm-url", help="OpenAI-compatible URL.")] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model")] = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Turn a script (or a topic) into a narrated, captioned short."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.pipeline.generate_steps import GenerateOptions
        from ai_video.pipeline.runtime import run_generate

        options = GenerateOptions(
            platform=platform,
            voice=voice,
            music=music,
            visuals_dir=visuals,
            topic=topic,
            llm_url=llm_url,
            llm_model=llm_model,
        )
        settings = _settings(config, {})
        with stage_progress("generating a short") as progress:
            result = run_generate(script, out, settings, options, progress)
        out_console.print(
            f"{result.scenes} scenes, {result.duration_s:.1f} s, voice {result.voice}: "
            f"{result.video}"
        )

    guarded(body)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Serve the HTTP API and the web page (Ray Serve on a local or remote Ray)."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.serve.commands import serve_main

        serve_main(host, port, config)

    guarded(body)


keys_app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for.")],
    expires_days: Annotated[
        float | None, typer.Option("--expires-days", min=0.0, help="Valid for this many days.")
    ] = None,
    admin: Annotated[  # issues 15/16: admin keys read the /ops view
        bool, typer.Option("--admin", help="May also read the operations view (/ops).")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Create an API key; it is printed once (only its hash is stored)."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.serve.commands import create_key

        key = create_key(name, _settings(config, {}), expires_days, admin=admin)
        out_console.print(key, highlight=False, soft_wrap=True)

    guarded(body)


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List API keys: id, name, created, expires, revoked, admin (the keys are not kept)."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.serve.commands import key_table

        for line in key_table(_settings(config, {})):
            typer.echo(line)

    guarded(body)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from `ai-video keys list`).")],
    config: ConfigOpt = None,
) -> None:
    """Revoke an API key: it stops within live_ops.key_cache_s (1 s); its jobs stay."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.serve.commands import revoke_key

        revoke_key(key_id, _settings(config, {}))
        typer.echo(f"revoked {key_id}")

    guarded(body)


captions_app = typer.Typer(help="Caption templates.", no_args_is_help=True)
app.add_typer(captions_app, name="captions")


@captions_app.command("preview")
def captions_preview(
    style: Annotated[str, typer.Argument(help="Template name (see `captions list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG to write.")],
    platform: Annotated[PlatformName | None, typer.Option(help="Frame size preset.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Render a sample frame of a caption template (through libass, like a clip render)."""
    _setup_logging(False)

    def body() -> None:
        from ai_video.config import caption_style
        from ai_video.render.caption_preview import render_caption_preview

        settings = _settings(config, {"platform": platform, "finishing.captions": style})
        preset = settings.preset()
        size = (preset.width_px, preset.height_px)
        render_caption_preview(
            caption_style(settings), size, out, settings.media, settings.render.fonts_dir
        )
        out_console.print(f"preview: {out}")

    guarded(body)


@captions_app.command("list")
def captions_list(config: ConfigOpt = None) -> None:
    """Print the caption template names."""
    _setup_logging(False)
    guarded(
        lambda: typer.echo("\n".join(sorted(_settings(config, {}).finishing.caption_templates)))
    )


# --- issue 14: b-roll library (index, search) ---

broll_app = typer.Typer(help="B-roll library: index a folder, search it.", no_args_is_help=True)
app.add_typer(broll_app, name="broll")


@broll_app.command("index")
def broll_index(
    library: Annotated[Path, typer.Argument(help="Folder of b-roll videos and images.")],
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Index a b-roll folder (keyframes, labels, embeddings); reruns redo only what changed."""
    _setup_logging(verbose)

    def body() -> None:
        from ai_video.analyze.broll_index import index_library

        settings = _settings(config, {})
        columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("indexing", total=None)

            def show(done: int, total: int, rel_path: str) -> None:
                bar.update(task, total=total, completed=done, description=rel_path[-40:])

            report = index_library(library, settings, progress=show)
        out_console.print(
            f"{len(report.indexed)} indexed, {len(report.reused)} reused, "
            f"{len(report.skipped)} skipped, {len(report.removed)} removed "
            f"({report.wall_s:.1f} s; text {report.text_model}; "
            f"clip {report.clip_model or 'off: labels only'}) -> {report.index_dir}",
            highlight=False,
            soft_wrap=True,
        )
        for rel_path, reason in sorted(report.skipped.items()):
            out_console.print(f"skipped {rel_path}: {reason}", highlight=False, soft_wrap=True)

    guarded(body)


@broll_app.command("search")
def broll_search(
    query: Annotated[str, typer.Argument(help="What the footage should show.")],
    library: Annotated[Path, typer.Option("--library", "-l", help="Indexed b-roll folder.")],
    top: Annotated[int, typer.Option("--top", min=1, help="How many matches.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON list on stdout.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Rank the indexed library's assets for a text query."""
    _setup_logging(False)

    def body() -> None:
        import json

        from ai_video.analyze.broll_search import open_broll_library

        matches = open_broll_library(library, _settings(config, {})).search(query, top)
        if as_json:
            rows = [
                {"path": m.rel_path, "score": m.score, "matched_by": m.matched_by} for m in matches
            ]
            typer.echo(json.dumps(rows))
            return
        table = Table("score", "by", "kind", "path")
        for m in matches:
            table.add_row(f"{m.score:.3f}", m.matched_by, m.kind, m.rel_path)
        out_console.print(table)

    guarded(body)


@app.command("node-resources")
def node_resources() -> None:
    """Print this node's Ray custom resources as JSON (for `ray start --resources`)."""
    _setup_logging(False)

    def body() -> None:
        import json

        from ai_video.pipeline.capabilities import detect_node_resources

        typer.echo(json.dumps(detect_node_resources()))

    guarded(body)


def main() -> None:
    """Entry point of the ``ai-video`` script."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    app()


if __name__ == "__main__":
    main()

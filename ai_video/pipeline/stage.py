"""What a stage is: one declaration from which its cache key, Ray options and metrics follow.

A :class:`Stage` names the stage, its version, the settings sections it reads, the stages
whose outputs it consumes (their keys chain into its key), the model kind it borrows, and
what it asks Ray for. Its work is two plain functions: ``produce`` writes the stage's files
into a fresh cache-entry directory, ``load`` reads them back as the stage's value.
:func:`execute_stage` is the one place that turns a declaration into a cached, measured
execution; backends only decide *where* it runs.

Adding a stage = its declaration + its produce/load functions + one line in the job story.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from ai_video.config import Settings
from ai_video.pipeline.cache import StageCache, canonical_key
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage_metrics import StageContext, record_stage

T = TypeVar("T")

Produce = Callable[..., None]
"""``produce(entry_dir, src, settings, model, *inputs)``: write the stage's files."""


def _always(settings: Settings) -> bool:
    return True


def _no_extra(settings: Settings) -> None:
    return None


def _no_resources(settings: Settings, inputs: tuple[Any, ...]) -> dict[str, float]:
    return {}


@dataclass(frozen=True)
class Stage(Generic[T]):
    """The single declaration of a pipeline stage."""

    name: str
    """Stage name: cache namespace, metrics rows, Ray task name, progress label."""
    version: int
    """Bump when the output changes for the same inputs (invalidates cached entries)."""
    produce: Produce
    """Writes the stage's files into the entry directory it is given."""
    load: Callable[[Path], T]
    """Reads a complete entry directory back into the stage's value."""
    reads: tuple[str, ...] = ()
    """Settings sections (attribute names of :class:`Settings`) that go into the key."""
    key_extra: Callable[[Settings], Any] = _no_extra
    """Values derived from the settings that also go into the key (e.g. clip lengths)."""
    upstream: tuple[Stage[Any], ...] = ()
    """Stages whose values are this stage's first inputs; their keys chain into this key."""
    keyed_inputs: bool = False
    """Whether the call's own inputs (after the upstream values) go into the key."""
    model: str | None = None
    """Model kind (pipeline/model_kinds.py) passed to ``produce``; None passes None."""
    model_needed: Callable[[Settings], bool] = _always
    """Whether this run needs the model at all (e.g. a text model only with a prompt)."""
    reads_source: bool = True
    """Metrics: count the source's bytes as input when no file input is given."""
    cpus: float = 1.0
    """CPUs a Ray task of this stage reserves."""
    retries: int | None = None
    """Ray retries when a worker dies (None: ``ray.task_retries``); own errors are final."""
    resources: Callable[[Settings, tuple[Any, ...]], dict[str, float]] = field(
        default=_no_resources
    )
    """Custom Ray resources for one call, from the settings and the call's inputs."""

    def key(self, src: SourceRef, settings: Settings, inputs: tuple[Any, ...] = ()) -> str:
        """Content address of this stage's output for ``src`` under ``settings``."""
        own = inputs[len(self.upstream) :] if self.keyed_inputs else ()
        return canonical_key(
            source=src.fingerprint,
            stage=self.name,
            version=self.version,
            config={name: getattr(settings, name) for name in self.reads},
            extra=self.key_extra(settings),
            upstream=[u.key(src, settings) for u in self.upstream],
            inputs=list(own),
        )

    def wants_model(self, settings: Settings) -> str | None:
        """The model kind this run of the stage needs, if any."""
        return self.model if self.model is not None and self.model_needed(settings) else None


def execute_stage(
    stage: Stage[T],
    ctx: StageContext,
    src: SourceRef,
    settings: Settings,
    model: Any,
    *inputs: Any,
) -> T:
    """Run one stage: find its cache entry or produce it, record a metrics row, load it."""
    from ai_video.media.ffmpeg import job_deadline
    from ai_video.pipeline.priority import apply_job_niceness

    apply_job_niceness()  # issue 15: job work yields the CPU to the API (no-op outside a job)

    cache = StageCache(ctx.cache_root, ctx.cache_max_bytes, enabled=ctx.cache_enabled)
    key = stage.key(src, settings, inputs)
    left_s = None if ctx.deadline_at is None else max(ctx.deadline_at - time.time(), 0.0)
    with record_stage(ctx, stage.name) as rec, job_deadline(left_s):
        files = [p for p in inputs if isinstance(p, Path)]
        if files:
            rec.input_bytes = sum(p.stat().st_size for p in files)
        elif stage.reads_source:
            rec.input_bytes = src.info.size_bytes
        found = cache.lookup(stage.name, key)
        rec.cache_hit = found is not None
        entry = (
            found
            if found is not None
            else cache.store(
                stage.name, key, lambda d: stage.produce(d, src, settings, model, *inputs)
            )
        )
        rec.output_bytes = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
        return stage.load(entry)


def ray_task_options(
    stage: Stage[Any], settings: Settings, inputs: tuple[Any, ...]
) -> dict[str, Any]:
    """Ray options of one call of ``stage`` (derived from its declaration)."""
    options: dict[str, Any] = {
        "name": stage.name,
        "max_retries": settings.ray.task_retries if stage.retries is None else stage.retries,
        "retry_exceptions": False,
        "num_cpus": stage.cpus,
    }
    resources: Mapping[str, float] = stage.resources(settings, inputs)
    if resources:
        options["resources"] = dict(resources)
    return options

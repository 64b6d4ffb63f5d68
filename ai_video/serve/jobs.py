"""Jobs and API keys as the service sees them, and the store interface that keeps them.

:class:`JobStore` is what the HTTP app and the job executor need; ``serve/sql_store.py``
implements it with SQLAlchemy (SQLite by default, PostgreSQL by URL). Executors write
through an ``attempt`` token: a job that was re-queued (restart) or deleted rejects writes
from the executor that held it before, so at most one executor finishes a job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ai_video.config import CutawayMode, PlatformName, Settings
from ai_video.errors import AiVideoError, ConfigError

Clock = Callable[[], float]
"""Seconds since the epoch; injected so tests can move time."""


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class JobNotFound(AiVideoError):
    """No job with this id is visible to this caller."""


class UnknownApiKey(AiVideoError):
    """The presented API key is not one the store knows."""


class JobWithdrawn(AiVideoError):
    """The job was deleted or handed to a newer attempt; its old executor must stop."""


MAX_CLIPS = 20
CLIP_SECONDS = (1.0, 600.0)
MAX_PROMPT_CHARS = 500
MAX_MODEL_NAME_CHARS = 100
MAX_PRIORITY = 1000
_COLOUR = r"^#[0-9A-Fa-f]{6}$"
_FONT_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"


class CaptionStyleOptions(BaseModel):
    """Caption style fields a caller may change, each bounded (names as in ``CaptionStyle``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    font_name: str | None = Field(
        None, pattern=_FONT_NAME, description="Font family: letters, digits, space . _ -."
    )
    font_size_px: int | None = Field(None, ge=8, le=300)
    bold: bool | None = None
    uppercase: bool | None = None
    primary_colour: str | None = Field(None, pattern=_COLOUR)
    highlight_colour: str | None = Field(None, pattern=_COLOUR)
    outline_colour: str | None = Field(None, pattern=_COLOUR)
    outline_px: float | None = Field(None, ge=0, le=40)
    shadow_px: float | None = Field(None, ge=0, le=40)
    margin_v_frac: float | None = Field(None, ge=0, le=0.5)
    margin_h_frac: float | None = Field(None, ge=0, le=0.45)
    min_words_per_line: int | None = Field(None, ge=1, le=12)
    max_words_per_line: int | None = Field(None, ge=1, le=12)
    max_chars_per_line: int | None = Field(None, ge=4, le=80)
    line_break_pause_s: float | None = Field(None, ge=0, le=10)
    hold_s: float | None = Field(None, ge=0, le=10)


class JobOptions(BaseModel):
    """What a caller may choose per job; each maps to a setting (see :meth:`overrides`),
    except ``priority``, which orders the queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: PlatformName | None = Field(None, description="Output platform preset.")
    max_clips: int | None = Field(None, ge=1, le=MAX_CLIPS, description="How many clips at most.")
    min_s: float | None = Field(
        None, ge=CLIP_SECONDS[0], le=CLIP_SECONDS[1], description="Shortest clip in seconds."
    )
    max_s: float | None = Field(
        None, ge=CLIP_SECONDS[0], le=CLIP_SECONDS[1], description="Longest clip in seconds."
    )
    prompt: str | None = Field(
        None, max_length=MAX_PROMPT_CHARS, description="What the clips should be about."
    )
    caption_style: CaptionStyleOptions | None = Field(
        None, description="Caption style fields to change (names as in config CaptionStyle)."
    )
    asr_model: str | None = Field(
        None,
        max_length=MAX_MODEL_NAME_CHARS,
        description="Speech recognition model: a bundled name, the server's default, or one "
        "the operator allows (api_options.asr_models).",
    )
    # b-roll cutaways (issue 14): from the server's library (cutaway.library) only
    broll: bool | None = Field(
        None, description="Insert b-roll cutaways from the server's b-roll library."
    )
    broll_mode: CutawayMode | None = Field(
        None, description="full (b-roll replaces the frame) or pip (picture in picture)."
    )
    priority: int | None = Field(
        None,
        ge=-MAX_PRIORITY,
        le=MAX_PRIORITY,
        description="Higher runs first; FIFO within a priority (default 0; the server may "
        "allow less: admission.max_priority).",
    )  # issue 16

    def overrides(self, settings: Settings) -> dict[str, Any]:
        """Dotted-key settings overrides for :meth:`Settings.with_overrides`."""
        platform = self.platform or settings.platform
        out: dict[str, Any] = {
            "platform": self.platform,
            "curate.max_clips": self.max_clips,
            "curate.min_s": self.min_s,
            "curate.max_s": self.max_s,
            "curate.prompt": self.prompt,
            "asr.model": self.asr_model,
            "cutaway.enabled": self.broll,
            "cutaway.mode": self.broll_mode,
        }
        style = self.caption_style.model_dump(exclude_none=True) if self.caption_style else {}
        for name, value in style.items():
            out[f"platforms.{platform}.caption.{name}"] = value
        return out

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with these options applied; raises ConfigError when they are invalid."""
        if self.asr_model is not None and self.asr_model not in allowed_asr_models(settings):
            raise ConfigError(f"invalid asr_model: {self.asr_model!r} is not offered here")
        if self.broll and settings.cutaway.library is None and settings.cutaway.search != "online":
            raise ConfigError("invalid broll: this server has no b-roll library (cutaway.library)")
        top = settings.admission.max_priority
        if self.priority is not None and abs(self.priority) > top:
            raise ConfigError(
                f"invalid priority: {self.priority} (this server allows -{top}..{top})"
            )
        chosen = settings.with_overrides(self.overrides(settings))
        chosen.clip_length_range()
        return chosen


def allowed_asr_models(settings: Settings) -> frozenset[str]:
    """ASR model names a caller may pick: bundled ones, the default, the operator's list."""
    from ai_video.analyze.models import ASR_KIND, BUNDLED_MODELS

    bundled = {m.name for m in BUNDLED_MODELS if m.kind == ASR_KIND}
    return frozenset({*bundled, settings.asr.model, *settings.api_options.asr_models})


@dataclass(frozen=True)
class ApiKey:
    """A caller identity; the key itself is never stored, only its hash."""

    id: str
    name: str
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None
    admin: bool = False
    """May read the operations view (/ops); set at creation (``keys create --admin``)."""


@dataclass(frozen=True)
class StageProgress:
    """How far one pipeline stage of a job has come."""

    name: str
    fraction: float
    started_at: float
    wall_s: float | None = None
    """Set when the stage reached 1.0: seconds from its first report to completion."""


@dataclass(frozen=True)
class JobRecord:
    """One job as stored."""

    id: str
    owner_key_id: str
    state: JobState
    source: str
    """What the pipeline reads: the uploaded file's path, or the URL."""
    source_name: str
    """What the caller sent: the upload's file name, or the URL."""
    options: JobOptions
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    attempt: int = 1
    stages: tuple[StageProgress, ...] = ()
    clip_count: int = 0
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def priority(self) -> int:
        """Scheduling priority: higher runs first (issue 16)."""
        return self.options.priority or 0


@dataclass(frozen=True)
class JobOutcome:
    """What a successful run reports back to the store."""

    clip_count: int
    stage_wall_s: dict[str, float]
    cache_hits: int
    cache_misses: int


@dataclass(frozen=True)
class JobPage:
    """One page of a caller's jobs, newest first."""

    jobs: tuple[JobRecord, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class StageHistogram:
    """Distribution of one stage's wall time over finished jobs (cumulative buckets)."""

    stage: str
    buckets: tuple[tuple[float, int], ...]
    count: int
    sum_s: float


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    """Per key: submissions since ``since`` (at most ``max_recent``) and jobs still active."""

    since: float
    max_recent: int
    max_active: int


ERROR_OTHER = "other"
"""Error kind of a failure recorded without one (before kinds existed)."""
ERROR_INTERNAL = "internal"
"""Error kind of an unexpected (non-AiVideoError) exception."""
ERROR_WORKER_DIED = "worker_died"
"""Error kind of a job whose worker process died (killed, out of memory)."""
ERROR_GAVE_UP = "gave_up"
"""Error kind of a job that ran out of attempts (each ended with its server)."""


# --- issues 15/16: what the /ops view reads of the store ---


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """One job that ended (succeeded or failed) inside the /ops window; deleted ones too."""

    job_id: str
    state: JobState
    finished_at: float
    error: str | None
    cache_hits: int
    cache_misses: int


@dataclass(frozen=True)
class RecentActivity:
    """The store's side of the /ops view at one moment."""

    counts: dict[JobState, int]
    """Jobs in each state now (as /metrics counts them)."""
    running_ids: tuple[str, ...]
    finished: tuple[FinishedRun, ...]
    stage_walls: tuple[tuple[str, float], ...]
    """(stage, wall seconds) of every stage of the succeeded runs in ``finished``."""


RATE_LIMITED = "rate"
TOO_MANY_ACTIVE = "active"


class JobStore(Protocol):
    """Durable record of API keys and jobs."""

    def add_key(
        self, name: str, key_hash: str, expires_at: float | None = None, admin: bool = False
    ) -> ApiKey:
        """Record a new API key by its hash (valid until ``expires_at``; admin keys read /ops)."""
        ...

    def key_for_hash(self, key_hash: str) -> ApiKey:
        """The live key with this hash; raises UnknownApiKey (also revoked or expired)."""
        ...

    def keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        ...

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key by id; raises UnknownApiKey."""
        ...

    def add_job_within_limits(self, job: JobRecord, limits: AdmissionLimits) -> str | None:
        """Record ``job`` only if its owner is within ``limits``, atomically; else why not."""
        ...

    def add_job(self, job: JobRecord) -> None:
        """Record a new job; returns only once it is committed."""
        ...

    def job(self, job_id: str, owner_key_id: str | None = None) -> JobRecord:
        """A job (of this owner, when given); raises JobNotFound."""
        ...

    def jobs_page(self, owner_key_id: str, limit: int, cursor: str | None) -> JobPage:
        """The owner's jobs, newest first, ``limit`` at a time."""
        ...

    def submission_times(self, owner_key_id: str, since: float) -> list[float]:
        """Creation times (oldest first) of the owner's submissions since ``since``."""
        ...

    def claim(self, job_id: str, attempt: int) -> JobRecord:
        """Mark the job running for this attempt; raises JobWithdrawn."""
        ...

    def record_progress(self, job_id: str, attempt: int, stages: Sequence[StageProgress]) -> None:
        """Store per-stage progress; raises JobWithdrawn."""
        ...

    def heartbeat(self, job_id: str, attempt: int) -> None:
        """Renew this attempt's lease on a running job; raises JobWithdrawn."""
        ...

    def complete(self, job_id: str, attempt: int, outcome: JobOutcome) -> None:
        """Mark the job succeeded; raises JobWithdrawn."""
        ...

    def fail(self, job_id: str, attempt: int, reason: str, kind: str = ERROR_OTHER) -> None:
        """Mark the job failed with a reason and its kind (for metrics); raises JobWithdrawn."""
        ...

    def delete(self, job_id: str, owner_key_id: str) -> JobRecord:
        """Hide the job from its owner and withdraw it from any executor; raises JobNotFound."""
        ...

    def requeue_unfinished(
        self,
        max_attempts: int | None = None,
        lease_s: float | None = None,
        include_queued: bool = True,
    ) -> list[JobRecord]:
        """Re-queue unfinished jobs under a new attempt; fail those out of attempts. With
        ``lease_s``, a running job whose lease was renewed within it is left to its runner;
        without ``include_queued`` only running jobs are considered."""
        ...

    def state_counts(self) -> dict[JobState, int]:
        """Number of accepted jobs in each state, deleted ones included."""
        ...

    def stage_histograms(self, bounds_s: Sequence[float]) -> list[StageHistogram]:
        """Per-stage wall-time histograms over finished runs."""
        ...

    def error_counts(self) -> dict[str, int]:
        """Failed jobs by error kind, deleted ones included (issue 16)."""
        ...

    def cache_totals(self) -> tuple[int, int]:
        """Stage-cache hits and misses summed over finished jobs (issue 16)."""

    def recent_activity(self, since: float) -> RecentActivity:
        """Jobs by state now, running jobs, and runs finished since ``since`` (the /ops view)."""
        ...


def new_id() -> str:
    """A fresh, unguessable id for a job or an API key."""
    return uuid.uuid4().hex

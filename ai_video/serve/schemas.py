"""What the HTTP API sends and receives (pydantic models, so the OpenAPI schema is generated).

Also reads a finished job's manifest.json into the clip views the API returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, Field, ValidationError

from ai_video.errors import AiVideoError
from ai_video.pipeline.clip_manifest import (
    ClipLayoutRecord,
    ClipManifest,
    ClipRecord,
    ScoreGroupRecord,
)
from ai_video.serve.jobs import JobOptions, JobRecord, JobState

API_PREFIX = "/v1"


class ManifestUnreadable(AiVideoError):
    """A finished job's manifest.json is missing or not what the pipeline writes."""


class UrlJobRequest(JobOptions):
    """JSON submission: a video URL plus the same options as an upload."""

    source_url: AnyHttpUrl = Field(description="http(s) address of the video (fetched by yt-dlp).")


class StageView(BaseModel):
    """Progress of one pipeline stage."""

    name: str
    fraction: float = Field(description="0..1 of the stage done.")
    wall_s: float | None = Field(description="Seconds the stage took, once finished.")


class JobTimings(BaseModel):
    """Where a job's time went."""

    queued_s: float | None = Field(description="From acceptance to the start of the last attempt.")
    run_s: float | None = Field(description="From the start of the last attempt to its end.")


class JobView(BaseModel):
    """A job as its owner sees it."""

    id: str
    state: JobState
    source_name: str
    options: JobOptions
    created_at: float = Field(description="Acceptance time, seconds since the epoch.")
    started_at: float | None
    finished_at: float | None
    error: str | None = Field(description="Why the job failed (state 'failed').")
    attempt: int = Field(description="1, or more when a restart re-queued the job.")
    stages: list[StageView]
    timings: JobTimings
    clip_count: int
    cache_hits: int
    cache_misses: int
    clips_url: str


class JobPageView(BaseModel):
    """One page of the caller's jobs, newest first."""

    jobs: list[JobView]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class ClipView(BaseModel):
    """One ranked clip of a finished job, with the reasons for its score."""

    index: int = Field(description="Rank, 1 = best.")
    start_s: float
    end_s: float
    duration_s: float
    score: float = Field(description="Total score 0..1.")
    score_100: float = Field(description="The score on 0-100, from the groups.")
    groups: list[ScoreGroupRecord] = Field(
        description="Hook, coherence, value, delivery, visual, relevance: 0-100 with evidence."
    )
    features: dict[str, float] = Field(description="Feature values 0..1.")
    contributions: dict[str, float] = Field(description="Weighted share of each feature.")
    text: str = Field(description="Transcript of the clip.")
    title: str = Field(description="Title built from the clip's words.")
    description: str = Field(description="One-line description for a post.")
    hashtags: list[str]
    prompt: str | None = Field(description="The prompt the clip answers, if any.")
    layout: ClipLayoutRecord | None = Field(
        description="Layout segments (speaker / split / fit) with framed face tracks and voices."
    )
    video_url: str
    captions_srt_url: str
    captions_vtt_url: str
    thumbnail_url: str


class ClipListView(BaseModel):
    """The ranked clips of a job, with what the job learned about the source."""

    job_id: str
    language: str = Field(description="Spoken language (ISO 639-1; 'und' without speech).")
    language_probability: float = Field(description="How sure the identification was.")
    message: str | None = Field(
        description="Why there are no clips when that is not an error (e.g. nothing matches "
        "the prompt)."
    )
    clips: list[ClipView]


def job_view(job: JobRecord) -> JobView:
    """The API view of a stored job."""
    started, finished = job.started_at, job.finished_at
    return JobView(
        id=job.id,
        state=job.state,
        source_name=job.source_name,
        options=job.options,
        created_at=job.created_at,
        started_at=started,
        finished_at=finished,
        error=job.error,
        attempt=job.attempt,
        stages=[StageView(name=s.name, fraction=s.fraction, wall_s=s.wall_s) for s in job.stages],
        timings=JobTimings(
            queued_s=None if started is None else started - job.created_at,
            run_s=None if started is None or finished is None else finished - started,
        ),
        clip_count=job.clip_count,
        cache_hits=job.cache_hits,
        cache_misses=job.cache_misses,
        clips_url=f"{API_PREFIX}/jobs/{job.id}/clips",
    )


def read_manifest(manifest_path: Path) -> ClipManifest:
    """A finished job's manifest.json, read with the pipeline's own model."""
    try:
        return ClipManifest.model_validate_json(manifest_path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ManifestUnreadable(f"cannot read {manifest_path.name}: {exc}") from None


def clip_list_view(job_id: str, manifest: ClipManifest) -> ClipListView:
    """The API view of a finished job's clips, best first."""
    return ClipListView(
        job_id=job_id,
        language=manifest.language.language,
        language_probability=manifest.language.probability,
        message=manifest.message,
        clips=[clip_view(job_id, c) for c in sorted(manifest.clips, key=lambda c: c.index)],
    )


def clip_view(job_id: str, clip: ClipRecord) -> ClipView:
    """The API view of one manifest clip, with the URLs of its files."""
    base = f"{API_PREFIX}/jobs/{job_id}/clips/{clip.index}"
    return ClipView(
        index=clip.index,
        start_s=clip.start_s,
        end_s=clip.end_s,
        duration_s=clip.duration_s,
        score=clip.score,
        score_100=clip.score_100,
        groups=clip.groups,
        features=clip.features,
        contributions=clip.contributions,
        text=clip.text,
        title=clip.title,
        description=clip.description,
        hashtags=clip.hashtags,
        prompt=clip.prompt,
        layout=clip.layout,
        video_url=base,
        captions_srt_url=f"{base}/captions.srt",
        captions_vtt_url=f"{base}/captions.vtt",
        thumbnail_url=f"{base}/thumbnail.jpg",
    )


def upload_form_schema() -> dict[str, Any]:
    """OpenAPI schema of the multipart submission: the file plus the option fields."""
    options = JobOptions.model_json_schema()
    properties: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": "The video."}
    }
    for name, schema in options["properties"].items():
        properties[name] = schema
    properties["caption_style"] = {
        "type": "string",
        "description": "JSON object of caption style fields to change.",
    }
    return {"type": "object", "required": ["file"], "properties": properties}

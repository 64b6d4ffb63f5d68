"""The HTTP API and web page: a plain FastAPI app, built around a job store and a runner.

``create_app`` knows nothing of Ray: it records jobs in a :class:`JobStore` and hands them
to a :class:`JobRunner`. serve/deployment.py has pipeline/serving.py wrap the same app in
Ray Serve with a Ray runner; ``ThreadJobRunner`` serves it without Ray. Routes:

    GET  /                      web page            GET  /healthz, /metrics
    POST /v1/jobs               submit (upload or URL) -> 202
    GET  /v1/jobs[?cursor=]     the caller's jobs   GET  /v1/jobs/{id}   state and progress
    GET  /v1/jobs/{id}/clips    ranked clips        DELETE /v1/jobs/{id} cancel and remove
    GET  /v1/jobs/{id}/clips/{n}[/captions.srt|/captions.vtt|/thumbnail.jpg]  files (ranges)
    GET  /v1/jobs/{id}/events   status/progress (SSE)   GET /ops, /v1/ops[/events]  admin view
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from ai_video.config import Settings
from ai_video.errors import AiVideoError, ConfigError, InputError
from ai_video.pipeline.clip_manifest import ClipManifest
from ai_video.serve.auth import (
    RATE_WINDOW_S,
    NotAdmin,
    NotAuthenticated,
    RateLimited,
    SubmissionRateLimit,
    TooManyActiveJobs,
)
from ai_video.serve.cached_reads import LiveReads
from ai_video.serve.clip_edit import clip_edit_routes
from ai_video.serve.execution import JobPaths, JobRunner
from ai_video.serve.exposure import app_options, install_keyed_docs, install_security_headers
from ai_video.serve.jobs import (
    TOO_MANY_ACTIVE,
    AdmissionLimits,
    ApiKey,
    JobNotFound,
    JobOptions,
    JobRecord,
    JobState,
    JobStore,
)
from ai_video.serve.jobs import new_id as new_job_id
from ai_video.serve.leases import requeue_orphans, sweep_expired_leases
from ai_video.serve.ops import NodeStatsFn, install_live_routes
from ai_video.serve.prometheus import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ai_video.serve.prometheus import metrics_text
from ai_video.serve.schemas import (
    API_PREFIX,
    ClipListView,
    JobPageView,
    JobView,
    UrlJobRequest,
    clip_list_view,
    job_view,
    read_manifest,
    upload_form_schema,
)
from ai_video.serve.uploads import (
    MAX_JSON_BODY_BYTES,
    UploadTooLarge,
    read_small_body,
    receive_multipart,
)

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "web"
_bearer = HTTPBearer(auto_error=False, description="An API key from `ai-video keys create`.")


class JobNotFinished(AiVideoError):
    """The job has no clips (yet): it is queued, running, failed or cancelled."""


@dataclass(frozen=True)
class ServiceContext:
    """Everything the routes use."""

    settings: Settings
    store: JobStore
    runner: JobRunner
    paths: JobPaths
    limiter: SubmissionRateLimit
    reads: LiveReads  # issues 15/16: cached status reads


def create_app(
    settings: Settings, store: JobStore, runner: JobRunner, node_stats: NodeStatsFn | None = None
) -> FastAPI:
    """The FastAPI app serving the API and web page; re-queues unfinished jobs on startup.
    ``node_stats(timeout_s)``: each node's load for /ops (None: no node figures)."""
    ctx = ServiceContext(
        settings=settings,
        store=store,
        runner=runner,
        paths=JobPaths(settings.serve.data_dir),
        limiter=SubmissionRateLimit(store, settings.serve.submissions_per_minute),
        reads=LiveReads(store, settings.live_ops),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await requeue_orphans(store, runner, settings, include_queued=True)
        sweeper = asyncio.create_task(sweep_expired_leases(store, runner, settings))
        try:
            yield
        finally:
            sweeper.cancel()

    public_docs = settings.api_options.public_docs
    app = FastAPI(
        title="ai_video",
        version="1",
        summary="Long video in, ranked captioned vertical clips out.",
        lifespan=lifespan,
        **app_options(public_docs),
    )
    app.state.service = ctx
    if not public_docs:
        install_keyed_docs(app, _current_key)
    install_security_headers(app)
    app.include_router(_service_routes(ctx))
    app.include_router(_job_routes(ctx), prefix=API_PREFIX)
    app.include_router(_clip_routes(ctx), prefix=API_PREFIX)
    app.include_router(clip_edit_routes(ctx, _current_key), prefix=API_PREFIX)  # issue 13
    install_live_routes(app, ctx, node_stats, _current_key, WEB_DIR)  # issues 15/16: SSE, /ops
    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
    _install_error_handlers(app)
    return app


async def _current_key(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> ApiKey:
    """The caller's API key from ``Authorization: Bearer KEY``; raises NotAuthenticated."""
    ctx: ServiceContext = request.app.state.service
    return await ctx.reads.authenticate(request.headers.get("authorization"))


CallerKey = Annotated[ApiKey, Depends(_current_key)]


def _service_routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    @router.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness and store reachability."""
        ctx.store.state_counts()
        return {"status": "ok"}

    keyed = [] if ctx.settings.api_options.public_metrics else [Depends(_current_key)]

    @router.get("/metrics", tags=["service"], response_class=Response, dependencies=keyed)
    def metrics() -> Response:
        """Prometheus text: jobs by state, queue depth, stage durations."""
        text = metrics_text(ctx.store, ctx.settings.serve.stage_duration_buckets_s, ctx.runner)
        return Response(text, media_type=METRICS_CONTENT_TYPE)

    return router


def _job_routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["jobs"])
    submission_body = {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": upload_form_schema()},
                "application/json": {"schema": UrlJobRequest.model_json_schema()},
            },
        }
    }

    @router.post("/jobs", status_code=202, openapi_extra=submission_body)
    async def submit_job(request: Request, response: Response, key: CallerKey) -> JobView:
        """Submit a video (multipart ``file``) or a URL (JSON ``source_url``) with options."""
        await run_in_threadpool(ctx.limiter.check, key)
        job = await _receive_job(ctx, request, key)
        await run_in_threadpool(_admit, ctx, job, key)
        ctx.runner.submit(job)
        response.headers["Location"] = f"{API_PREFIX}/jobs/{job.id}"
        return job_view(job)

    @router.get("/jobs")
    def list_jobs(
        key: CallerKey,
        limit: Annotated[int | None, Query(ge=1)] = None,
        cursor: str | None = None,
    ) -> JobPageView:
        """The caller's jobs, newest first."""
        size = min(limit or ctx.settings.serve.page_size, ctx.settings.serve.max_page_size)
        page = ctx.store.jobs_page(key.id, size, cursor)
        return JobPageView(jobs=[job_view(j) for j in page.jobs], next_cursor=page.next_cursor)

    @router.get("/jobs/{job_id}", response_model=JobView)
    async def get_job(job_id: str, key: CallerKey) -> Response:
        """State, per-stage progress, timings and failure reason of one job (a cached read)."""
        body = await ctx.reads.job_json(job_id, key.id)  # issue 15: serialized once per read
        return Response(body, media_type="application/json")

    @router.delete("/jobs/{job_id}", status_code=204, response_class=Response)
    def delete_job(job_id: str, key: CallerKey) -> Response:
        """Cancel the job if it is queued or running, and remove its files."""
        ctx.store.delete(job_id, key.id)
        ctx.reads.forget_job(job_id)
        ctx.runner.cancel(job_id)
        ctx.paths.remove(job_id)
        return Response(status_code=204)

    return router


def _clip_routes(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["clips"])

    def finished_manifest(job_id: str, key: ApiKey) -> ClipManifest:
        job = ctx.store.job(job_id, key.id)
        if job.state is not JobState.SUCCEEDED:
            raise JobNotFinished(f"job {job_id} is {job.state.value}; it has no clips")
        return read_manifest(ctx.paths.out_dir(job_id) / "manifest.json")

    def clip_file(job_id: str, n: int, key: ApiKey, kind: str) -> Path:
        for clip in finished_manifest(job_id, key).clips:
            if clip.index == n:
                names = {"video": clip.file, "thumbnail": clip.thumbnail, **dict(clip.captions)}
                return ctx.paths.out_dir(job_id) / Path(names[kind]).name
        raise JobNotFound(f"job {job_id} has no clip {n}")

    @router.get("/jobs/{job_id}/clips")
    def list_clips(job_id: str, key: CallerKey) -> ClipListView:
        """The ranked clips: scores, feature breakdown, transcript and file URLs."""
        return clip_list_view(job_id, finished_manifest(job_id, key))

    @router.get("/jobs/{job_id}/clips/{n}", response_class=FileResponse)
    def clip_video(job_id: str, n: int, key: CallerKey) -> FileResponse:
        """The clip's MP4 (supports HTTP Range requests)."""
        path = clip_file(job_id, n, key, "video")
        return FileResponse(
            path,
            media_type="video/mp4",
            content_disposition_type="inline",
            filename=f"{job_id[:8]}_{path.name}",
        )

    @router.get("/jobs/{job_id}/clips/{n}/captions.{fmt}", response_class=FileResponse)
    def clip_captions(job_id: str, n: int, fmt: str, key: CallerKey) -> FileResponse:
        """The clip's captions as SRT or WebVTT."""
        types = {"srt": "application/x-subrip", "vtt": "text/vtt"}
        if fmt not in types:
            raise JobNotFound(f"no captions.{fmt}; use captions.srt or captions.vtt")
        path = clip_file(job_id, n, key, fmt)
        return FileResponse(path, media_type=types[fmt], filename=f"{job_id[:8]}_{path.name}")

    @router.get("/jobs/{job_id}/clips/{n}/thumbnail.jpg", response_class=FileResponse)
    def clip_thumbnail(job_id: str, n: int, key: CallerKey) -> FileResponse:
        """The clip's thumbnail."""
        return FileResponse(clip_file(job_id, n, key, "thumbnail"), media_type="image/jpeg")

    return router


def _admit(ctx: ServiceContext, job: JobRecord, key: ApiKey) -> None:
    """Record the job if the key is within its limits (one transaction), else refuse it."""
    limits = AdmissionLimits(
        since=job.created_at - RATE_WINDOW_S,
        max_recent=ctx.settings.serve.submissions_per_minute,
        max_active=ctx.settings.api_options.max_active_jobs_per_key,
    )
    refused = ctx.store.add_job_within_limits(job, limits)
    if refused is None:
        return
    ctx.paths.remove(job.id)
    if refused == TOO_MANY_ACTIVE:
        raise TooManyActiveJobs(
            f"this key already has {limits.max_active} queued or running jobs; retry later"
        )
    ctx.limiter.check(key)  # raises RateLimited with the wait
    raise RateLimited(1)


async def _receive_job(ctx: ServiceContext, request: Request, key: ApiKey) -> JobRecord:
    """Read a submission (upload streamed to disk, or a URL) into a queued job record."""
    job_id = new_job_id()
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            source, source_name, options = await _receive_upload(ctx, request, job_id)
        elif content_type.startswith("application/json"):
            source, source_name, options = await _receive_url(ctx, request)
        else:
            raise InputError("send multipart/form-data (a video) or application/json (a URL)")
        options.apply(ctx.settings)
    except BaseException:
        ctx.paths.remove(job_id)
        raise
    return JobRecord(
        id=job_id,
        owner_key_id=key.id,
        state=JobState.QUEUED,
        source=source,
        source_name=source_name,
        options=options,
        created_at=time.time(),
    )


async def _receive_upload(
    ctx: ServiceContext, request: Request, job_id: str
) -> tuple[str, str, JobOptions]:
    limit = ctx.settings.serve.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MAX_JSON_BODY_BYTES:
        raise UploadTooLarge(limit)
    form = await receive_multipart(
        request.stream(), request.headers["content-type"], ctx.paths.upload_dir(job_id), limit
    )
    fields: dict[str, object] = dict(form.fields)
    if "caption_style" in fields:
        try:
            fields["caption_style"] = json.loads(form.fields["caption_style"])
        except (json.JSONDecodeError, RecursionError):  # nesting deeper than the parser's stack
            raise ConfigError("caption_style must be a JSON object") from None
    options = _validated(JobOptions, fields)
    return str(form.file_path), form.file_name, options


async def _receive_url(ctx: ServiceContext, request: Request) -> tuple[str, str, JobOptions]:
    body = await read_small_body(request.stream(), MAX_JSON_BODY_BYTES)
    try:
        submitted = UrlJobRequest.model_validate_json(body)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None
    if not ctx.settings.media.allow_urls:
        raise InputError("this server does not accept URL sources (media.allow_urls is off)")
    url = str(submitted.source_url)
    options = JobOptions.model_validate(submitted.model_dump(exclude={"source_url"}))
    return url, url, options


def _validated(model: type[JobOptions], data: dict[str, object]) -> JobOptions:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"invalid {where}: {first['msg']}"


_STATUS = (
    (NotAuthenticated, 401),
    (NotAdmin, 403),
    (JobNotFound, 404),
    (JobNotFinished, 409),
    (UploadTooLarge, 413),
    (RateLimited, 429),
    (TooManyActiveJobs, 429),
    (ConfigError, 422),
    (InputError, 400),
)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AiVideoError)
    async def typed_error(_request: Request, exc: AiVideoError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
        headers: dict[str, str] = {}
        if isinstance(exc, NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
        if status == 500:
            log.error("request failed: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

"""``PATCH /v1/jobs/{id}/clips/{n}``: fix a finished clip and re-render it as a new version.

(No ``from __future__ import annotations`` here: the route's key parameter type is built at
run time from the app's own dependency, and FastAPI reads annotations as objects.)
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ai_video.edit.revise import ClipEdit
from ai_video.errors import InputError
from ai_video.pipeline.revise import revise_clip
from ai_video.serve.jobs import ApiKey, JobState
from ai_video.serve.schemas import ClipView, clip_view


class ClipNotEditable(InputError):
    """The job has no finished clips to edit (it is queued, running, failed or cancelled)."""


class ClipEditRequest(BaseModel):
    """What to change; every field optional. The clip is re-rendered as a new version."""

    model_config = ConfigDict(extra="forbid")

    start_s: float | None = Field(
        None, description="New start in source time; moved to the nearest gap between words."
    )
    end_s: float | None = Field(
        None, description="New end in source time; moved to the nearest gap between words."
    )
    words: dict[int, str] = Field(
        default_factory=dict, description="Caption word fixes: index in the clip -> text."
    )
    captions: str | None = Field(None, description="Caption template name (see captions list).")


def clip_edit_routes(ctx: Any, current_key: Any) -> APIRouter:
    """The PATCH route; ``ctx`` is the app's ServiceContext, ``current_key`` its key check."""
    router = APIRouter(tags=["clips"])
    caller = Annotated[ApiKey, Depends(current_key)]

    def edit_clip(job_id: str, n: int, body: ClipEditRequest, key: caller) -> ClipView:
        """Trim, fix caption words or switch the caption template; returns the new version."""
        job = ctx.store.job(job_id, key.id)
        if job.state is not JobState.SUCCEEDED:
            raise ClipNotEditable(f"job {job_id} is {job.state.value}; it has no clips to edit")
        edit = ClipEdit(start_s=body.start_s, end_s=body.end_s, words=body.words)
        record = revise_clip(ctx.paths.out_dir(job_id), n, edit, ctx.settings, body.captions)
        return clip_view(job_id, record)

    router.add_api_route(
        "/jobs/{job_id}/clips/{n}", edit_clip, methods=["PATCH"], response_model=ClipView
    )
    return router

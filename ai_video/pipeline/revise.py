"""Fix and re-render one finished clip from its stored EditPlan (``PATCH .../clips/{n}``).

The clip job stores each clip's EditPlan next to it (``clip_NN.plan.json``). A revision
applies the user's edit to that plan (``edit/revise.py``: trim snapped to word gaps,
caption word fixes, another caption template), renders it in one ffmpeg process as
``clip_NN_vK.*`` and only then points the manifest's record at the new files, so the old
version stays whole and served until the new one is done.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import TypeAdapter

from ai_video.config import Settings, caption_style
from ai_video.edit.revise import ClipEdit, revise_plan
from ai_video.errors import InputError, PlanError
from ai_video.media.files import write_atomic
from ai_video.pipeline.clip_manifest import CaptionFiles, ClipManifest, ClipRecord, ClipTimings
from ai_video.pipeline.outputs import write_manifest
from ai_video.pipeline.serialize import dumps
from ai_video.types import EditPlan

_PLAN = TypeAdapter(EditPlan)
_LOCK = threading.Lock()  # one revision of a manifest at a time in this process


def load_plan(path: Path) -> EditPlan:
    """An EditPlan stored with :func:`store_plan`."""
    return _PLAN.validate_json(Path(path).read_bytes())


def store_plan(plan: EditPlan, path: Path) -> Path:
    """Write ``plan`` as JSON (read back by :func:`load_plan`; the clip job writes the same)."""
    write_atomic(Path(path), dumps(plan))
    return Path(path)


def revise_clip(
    out_dir: Path, index: int, edit: ClipEdit, settings: Settings, captions: str | None = None
) -> ClipRecord:
    """Re-render clip ``index`` of the job in ``out_dir`` with ``edit``; returns its new record."""
    from ai_video.analyze.transcript_format import transcript_from_json
    from ai_video.media.encoders import detect_encoder
    from ai_video.render.caption_templates import write_caption_ass
    from ai_video.render.export import write_caption_files
    from ai_video.render.render import make_thumbnail, render_clip

    manifest = ClipManifest.model_validate_json((out_dir / "manifest.json").read_bytes())
    record = next((c for c in manifest.clips if c.index == index), None)
    if record is None:
        raise InputError(f"the job has no clip {index}")
    if record.plan is None:
        raise InputError(f"clip {index} has no stored EditPlan (made by an older version)")
    if captions is not None:
        settings = settings.with_overrides({"finishing.captions": captions})
    style = caption_style(settings)
    transcript = transcript_from_json((out_dir / "transcript.json").read_bytes())
    try:
        plan = revise_plan(load_plan(out_dir / record.plan), edit, transcript, style)
    except PlanError as exc:
        raise InputError(f"clip {index}: {exc}") from None
    stem = f"clip_{index:02d}_v{record.version + 1}"
    size = (plan.preset.width_px, plan.preset.height_px)
    ass = write_caption_ass(plan.captions, style, size, out_dir / f"{stem}.ass")
    encoder = detect_encoder(settings.render, settings.media)
    result = render_clip(
        plan, out_dir / f"{stem}.mp4", ass, encoder, settings.render, settings.media
    )
    write_caption_files(plan.captions, out_dir / stem)
    at_s = min(1.0, plan.output_duration_s / 2) + (plan.brand.intro_s if plan.brand else 0.0)
    make_thumbnail(result.path, out_dir / f"{stem}.jpg", at_s,
                   settings.render.thumbnail_width_px, settings.media)  # fmt: skip
    store_plan(plan, out_dir / f"{stem}.plan.json")
    revised = record.model_copy(
        update={
            "file": f"{stem}.mp4", "thumbnail": f"{stem}.jpg", "plan": f"{stem}.plan.json",
            "captions": CaptionFiles(srt=f"{stem}.srt", vtt=f"{stem}.vtt", ass=f"{stem}.ass"),
            "start_s": round(plan.span.start_s, 3), "end_s": round(plan.span.end_s, 3),
            "duration_s": round(plan.total_duration_s, 3), "crop": plan.crop.as_lists(),
            "removed": [[round(r.start_s, 3), round(r.end_s, 3)] for r in plan.removed],
            "text": " ".join(w.text for line in plan.captions.lines for w in line.words),
            "timings": ClipTimings(render_wall_s=round(result.wall_s, 3)),
            "render_command": list(result.command), "version": record.version + 1,
        }
    )  # fmt: skip
    with _LOCK:  # re-read: another clip may have been revised meanwhile
        current = ClipManifest.model_validate_json((out_dir / "manifest.json").read_bytes())
        clips = [revised if c.index == index else c for c in current.clips]
        write_manifest(out_dir, current.model_copy(update={"clips": clips}))
    return revised

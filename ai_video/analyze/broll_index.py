"""Index a b-roll library: facts, keyframes and embeddings of every image and video, kept as
Parquet beside the library and updated incrementally.

A file whose size and modification time match its stored row is reused as it is (a skipped
file stays skipped with its reason); its label's text embedding is redone only when the label
or the text model changed, its keyframes only when the CLIP model changed. A new or changed
file is decoded (:func:`~ai_video.analyze.broll_frames.asset_facts`); one that cannot be
decoded is recorded as skipped with the reason, and the run goes on. Rows of files that are
gone are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ai_video.analyze.broll_files import LibraryFile, scan_library
from ai_video.analyze.broll_frames import AssetFacts, asset_facts
from ai_video.analyze.broll_models import load_clip_model, load_label_embedder
from ai_video.analyze.broll_store import (
    OK,
    SKIPPED,
    AssetRow,
    KeyframeRows,
    StoredIndex,
    read_index,
    write_index,
)
from ai_video.analyze.embed import SentenceEmbedder
from ai_video.analyze.image_text import ImageTextModel
from ai_video.config import Settings
from ai_video.errors import AiVideoError

log = logging.getLogger(__name__)

IndexProgress = Callable[[int, int, str], None]
"""Called after each file as ``progress(done, total, rel_path)``."""


@dataclass
class IndexReport:
    """What one ``index_library`` run did."""

    root: Path
    index_dir: Path
    text_model: str
    clip_model: str | None
    indexed: list[str] = field(default_factory=list)
    """Files decoded and embedded in this run."""
    reused: list[str] = field(default_factory=list)
    """Files unchanged since the last run, taken from the stored index."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Files that could not be indexed, with the reason (also kept in the table)."""
    removed: list[str] = field(default_factory=list)
    """Files of the stored index that are no longer in the library."""
    texts_embedded: int = 0
    pictures_embedded: int = 0
    wall_s: float = 0.0


def index_library(
    root: Path,
    settings: Settings,
    progress: IndexProgress | None = None,
    text_embedder: SentenceEmbedder | None = None,
    clip_model: ImageTextModel | None = None,
) -> IndexReport:
    """Index (or update the index of) the library at ``root``; returns what was done.

    Models are loaded from ``settings.broll`` unless given (the CLIP model only when
    ``broll.clip_model`` is set). Raises :class:`InputError` when ``root`` is not a directory.
    """
    started = time.perf_counter()
    cfg = settings.broll
    files = scan_library(root, cfg.index_dir)
    embedder = text_embedder or load_label_embedder(cfg)
    clip = clip_model if clip_model is not None else load_clip_model(cfg)
    stored = read_index(root, cfg.index_dir)
    report = IndexReport(
        Path(root), Path(root) / cfg.index_dir, embedder.label, clip.name if clip else None
    )
    report.removed = sorted(set(stored.assets) - {f.rel_path for f in files})
    assets: dict[str, AssetRow] = {}
    keyframes: dict[str, KeyframeRows] = {}
    for done, file in enumerate(files, start=1):
        row, frames = _index_file(file, stored, settings, clip, report)
        assets[file.rel_path] = row
        if frames is not None:
            keyframes[file.rel_path] = frames
        if progress is not None:
            progress(done, len(files), file.rel_path)
    assets = _embed_labels(assets, embedder, report)
    write_index(root, cfg.index_dir, StoredIndex(assets, keyframes))
    report.wall_s = time.perf_counter() - started
    return report


def _index_file(
    file: LibraryFile,
    stored: StoredIndex,
    settings: Settings,
    clip: ImageTextModel | None,
    report: IndexReport,
) -> tuple[AssetRow, KeyframeRows | None]:
    """The row (and keyframes) of one file: reused when unchanged, else decoded now."""
    old = stored.assets.get(file.rel_path)
    unchanged = old is not None and (old.size_bytes, old.mtime_ns) == (
        file.size_bytes,
        file.mtime_ns,
    )
    old_frames = stored.keyframes.get(file.rel_path)
    clip_current = clip is None or (old_frames is not None and old_frames.clip_model == clip.name)
    if old is not None and unchanged and (old.status == SKIPPED or clip_current):
        report.reused.append(file.rel_path)
        if old.status == SKIPPED:
            report.skipped[file.rel_path] = old.reason
        row = replace(old, label=file.label, label_source=file.label_source)
        return row, (old_frames if clip is not None else None)
    try:
        facts = asset_facts(
            file.path, file.kind, settings.broll, settings.shots, settings.media,
            settings.input_policy,
        )  # fmt: skip
    except AiVideoError as exc:
        reason = str(exc).replace(str(file.path), file.rel_path)
        for prefix in (f"{file.rel_path}: ", f"{file.path.name}: "):
            reason = reason.removeprefix(prefix)
        log.warning("b-roll: skipped %s (%s)", file.rel_path, reason)
        report.skipped[file.rel_path] = reason
        return _skipped_row(file, reason), None
    report.indexed.append(file.rel_path)
    frames = None
    if clip is not None:
        vectors = clip.embed_pictures(list(facts.pictures), settings.broll.clip_batch)
        report.pictures_embedded += len(vectors)
        frames = KeyframeRows(file.rel_path, facts.keyframe_times_s, clip.name, vectors)
    return _facts_row(file, facts), frames


def _skipped_row(file: LibraryFile, reason: str) -> AssetRow:
    """The row of a file that could not be indexed."""
    return AssetRow(
        file.rel_path, file.kind, SKIPPED, reason, file.size_bytes, file.mtime_ns,
        file.label, file.label_source,
    )  # fmt: skip


def _facts_row(file: LibraryFile, facts: AssetFacts) -> AssetRow:
    """The row of a freshly decoded file (its text embedding is filled in later)."""
    return AssetRow(
        rel_path=file.rel_path,
        kind=file.kind,
        status=OK,
        reason="",
        size_bytes=file.size_bytes,
        mtime_ns=file.mtime_ns,
        label=file.label,
        label_source=file.label_source,
        duration_s=facts.duration_s,
        width=facts.width,
        height=facts.height,
        orientation=facts.orientation,
        colours=facts.colours,
        keyframe_times_s=facts.keyframe_times_s,
    )


def _embed_labels(
    assets: dict[str, AssetRow], embedder: SentenceEmbedder, report: IndexReport
) -> dict[str, AssetRow]:
    """Fill the text embedding of every indexed row whose label or model is not current."""
    stale = [
        key
        for key, row in assets.items()
        if row.status == OK
        and (
            row.text_model != embedder.label
            or not row.text_vector
            or row.embedded_label != row.label
        )
    ]
    if not stale:
        return assets
    vectors = embedder.embed([assets[key].label for key in stale])
    report.texts_embedded += len(stale)
    out = dict(assets)
    for key, vector in zip(stale, vectors, strict=True):
        out[key] = replace(
            assets[key],
            text_model=embedder.label,
            embedded_label=assets[key].label,
            text_vector=tuple(float(v) for v in np.asarray(vector, dtype=np.float32)),
        )
    return out

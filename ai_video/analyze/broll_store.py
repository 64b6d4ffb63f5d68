"""The b-roll index on disk: two Parquet tables in ``ROOT/<broll.index_dir>/``.

``assets.parquet``: one row per media file (indexed or skipped): where it is, its size and
modification time (what incremental indexing compares), its label and where the label came
from, the facts (duration, size, orientation, dominant colours, keyframe times), the label's
text embedding and the model that made it, and for a skipped file the reason.
``keyframes.parquet``: one row per keyframe of an indexed asset with its CLIP image embedding
and the CLIP model that made it (empty when no CLIP model is configured).
Both are written atomically (temp file + rename).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from ai_video.errors import InputError
from ai_video.media.files import replace_atomic

ASSETS_FILE = "assets.parquet"
KEYFRAMES_FILE = "keyframes.parquet"
OK, SKIPPED = "ok", "skipped"

F32Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AssetRow:
    """One row of ``assets.parquet``."""

    rel_path: str
    kind: str
    status: str
    """``ok`` (indexed) or ``skipped`` (see ``reason``)."""
    reason: str
    size_bytes: int
    mtime_ns: int
    label: str
    label_source: str
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    orientation: str = ""
    colours: tuple[str, ...] = ()
    keyframe_times_s: tuple[float, ...] = ()
    text_model: str = ""
    embedded_label: str = ""
    """The label ``text_vector`` was made from (a changed label is embedded again)."""
    text_vector: tuple[float, ...] = ()


@dataclass(frozen=True)
class KeyframeRows:
    """The rows of ``keyframes.parquet`` for one asset."""

    rel_path: str
    times_s: tuple[float, ...]
    clip_model: str
    vectors: F32Matrix = field(repr=False)


@dataclass(frozen=True)
class StoredIndex:
    """Everything in an index folder."""

    assets: dict[str, AssetRow]
    keyframes: dict[str, KeyframeRows]


def index_folder(root: Path, index_dir: str) -> Path:
    """Where the index of library ``root`` lives."""
    return Path(root) / index_dir


def has_index(root: Path, index_dir: str) -> bool:
    """Whether library ``root`` has been indexed."""
    return (index_folder(root, index_dir) / ASSETS_FILE).is_file()


def read_index(root: Path, index_dir: str) -> StoredIndex:
    """The stored index (empty when there is none); InputError when it cannot be read."""
    folder = index_folder(root, index_dir)
    if not (folder / ASSETS_FILE).is_file():
        return StoredIndex({}, {})
    try:
        assets = pl.read_parquet(folder / ASSETS_FILE)
        keyframes = (
            pl.read_parquet(folder / KEYFRAMES_FILE)
            if (folder / KEYFRAMES_FILE).is_file()
            else pl.DataFrame()
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(
            f"{folder}: the b-roll index cannot be read ({exc}); run `ai-video broll index` again"
        ) from None
    rows = {}
    for r in assets.iter_rows(named=True):
        r["colours"] = tuple(r["colours"] or ())
        r["keyframe_times_s"] = tuple(r["keyframe_times_s"] or ())
        r["text_vector"] = tuple(r["text_vector"] or ())
        rows[r["rel_path"]] = AssetRow(**r)
    return StoredIndex(rows, _keyframes_by_asset(keyframes))


def _keyframes_by_asset(table: pl.DataFrame) -> dict[str, KeyframeRows]:
    """Group keyframe rows per asset, vectors stacked into one matrix."""
    if table.is_empty():
        return {}
    out: dict[str, KeyframeRows] = {}
    for (rel_path,), group in table.group_by(["rel_path"], maintain_order=True):
        vectors = np.asarray(group["clip_vector"].to_list(), dtype=np.float32)
        out[str(rel_path)] = KeyframeRows(
            str(rel_path),
            tuple(float(t) for t in group["t_s"]),
            str(group["clip_model"][0]),
            vectors,
        )
    return out


def write_index(root: Path, index_dir: str, index: StoredIndex) -> Path:
    """Write both tables atomically; returns the index folder."""
    folder = index_folder(root, index_dir)
    rows = [index.assets[k] for k in sorted(index.assets)]
    assets = pl.DataFrame(
        {
            "rel_path": [r.rel_path for r in rows],
            "kind": [r.kind for r in rows],
            "status": [r.status for r in rows],
            "reason": [r.reason for r in rows],
            "size_bytes": pl.Series([r.size_bytes for r in rows], dtype=pl.Int64),
            "mtime_ns": pl.Series([r.mtime_ns for r in rows], dtype=pl.Int64),
            "label": [r.label for r in rows],
            "label_source": [r.label_source for r in rows],
            "duration_s": pl.Series([r.duration_s for r in rows], dtype=pl.Float64),
            "width": pl.Series([r.width for r in rows], dtype=pl.Int32),
            "height": pl.Series([r.height for r in rows], dtype=pl.Int32),
            "orientation": [r.orientation for r in rows],
            "colours": pl.Series([list(r.colours) for r in rows], dtype=pl.List(pl.String)),
            "keyframe_times_s": pl.Series(
                [list(r.keyframe_times_s) for r in rows], dtype=pl.List(pl.Float64)
            ),
            "text_model": [r.text_model for r in rows],
            "embedded_label": [r.embedded_label for r in rows],
            "text_vector": pl.Series(
                [list(r.text_vector) for r in rows], dtype=pl.List(pl.Float32)
            ),
        }
    )
    frames = [index.keyframes[k] for k in sorted(index.keyframes)]
    keyframes = pl.DataFrame(
        {
            "rel_path": [f.rel_path for f in frames for _ in f.times_s],
            "t_s": pl.Series([t for f in frames for t in f.times_s], dtype=pl.Float64),
            "clip_model": [f.clip_model for f in frames for _ in f.times_s],
            "clip_vector": pl.Series(
                [v.tolist() for f in frames for v in f.vectors], dtype=pl.List(pl.Float32)
            ),
        }
    )
    with replace_atomic(folder / ASSETS_FILE, unique=True) as partial:
        assets.write_parquet(partial)
    with replace_atomic(folder / KEYFRAMES_FILE, unique=True) as partial:
        keyframes.write_parquet(partial)
    return folder

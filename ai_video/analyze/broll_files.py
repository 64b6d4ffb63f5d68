"""What a b-roll library holds: its media files, what kind each is, and the label of each.

A label comes from ``labels.csv`` at the library root (columns ``file,label``, file relative
to the root; other columns are ignored), else a sidecar text file beside the asset
(``NAME.txt`` or ``NAME.EXT.txt``), else the words of the file name. The index folder and
hidden folders are never scanned.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ai_video.errors import InputError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg"})
LABELS_FILE = "labels.csv"
_NAME_SPLIT = re.compile(r"[_\-.\s]+|(?<=[a-z])(?=[A-Z])")
_SIDECAR_MAX_CHARS = 500

AssetKind = Literal["video", "image"]
LabelSource = Literal["labels.csv", "sidecar", "file name"]


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One media file of a library, as found on disk, with its label."""

    path: Path
    rel_path: str
    """Path relative to the library root, with ``/`` separators."""
    kind: AssetKind
    size_bytes: int
    mtime_ns: int
    label: str
    label_source: LabelSource


def media_kind(path: Path) -> AssetKind | None:
    """``image`` or ``video`` by file extension, None for anything else."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return None


def name_label(path: Path) -> str:
    """Words of a file name: ``red_squirrel-on_tree.jpg`` -> ``red squirrel on tree``."""
    return " ".join(w for w in _NAME_SPLIT.split(path.stem) if w).lower()


def read_labels(root: Path) -> dict[str, str]:
    """``labels.csv`` rows as ``{relative file: label}`` (empty when there is no such file).

    Raises :class:`InputError` when the file is unreadable or lacks a ``file`` or ``label``
    column.
    """
    path = root / LABELS_FILE
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read labels ({exc})") from None
    if rows and not {"file", "label"} <= set(rows[0]):
        raise InputError(f"{path}: needs the columns file,label (got {sorted(rows[0])})")
    return {
        Path(r["file"].strip()).as_posix(): (r.get("label") or "").strip()
        for r in rows
        if r.get("file")
    }


def scan_library(root: Path, index_dir: str) -> list[LibraryFile]:
    """Every image and video under ``root`` (sorted by relative path) with its label."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    labels = read_labels(root)
    found: list[LibraryFile] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == index_dir or any(p.startswith(".") for p in rel.parts):
            continue
        kind = media_kind(path)
        if kind is None or not path.is_file():
            continue
        stat = path.stat()
        label, source = _label(path, rel.as_posix(), labels)
        found.append(
            LibraryFile(path, rel.as_posix(), kind, stat.st_size, stat.st_mtime_ns, label, source)
        )
    return found


def _label(path: Path, rel_path: str, labels: dict[str, str]) -> tuple[str, LabelSource]:
    """The label of one file and where it came from."""
    if labels.get(rel_path):
        return labels[rel_path], "labels.csv"
    for sidecar in (path.with_suffix(".txt"), path.with_name(path.name + ".txt")):
        if sidecar.is_file():
            try:
                text = " ".join(sidecar.read_text(encoding="utf-8").split())
            except (OSError, UnicodeDecodeError):
                continue
            if text:
                return text[:_SIDECAR_MAX_CHARS], "sidecar"
    return name_label(path), "file name"

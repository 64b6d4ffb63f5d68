"""The dataset registry: media and ground truth read through a ``MANIFEST.tsv``, never by name.

A media folder holds ``MANIFEST.tsv`` (tab-separated, header row) with at least the columns
``path duration_s width height fps has_audio language ground_truth``; extra columns (sizes,
checksums, provenance) are kept but not needed, and an optional ``tags`` column adds
comma-separated tags. ``path`` is relative to the folder; its first component is the item's
*kind* (``speech``, ``talking``, ``scenes``, ``broll`` in the shared media). Rows without a
duration are support files (truth, licences). ``ground_truth`` lists truth files separated by
``;``; the registry reads these formats:

- ``cuts.tsv``: ``file fps frames cut_frames ...`` (0-based first frames of new shots);
- ``*.align``: ``start end word`` per line in 1/(1000*fps) s units (GRID), ``sil`` skipped;
- ``*.txt``: the reference text (``start_sample end_sample text`` for a TIMIT-style line);
- ``transcripts.tsv``: ``file`` and ``text`` or ``transcript`` columns.

Facts a manifest lacks (``no-face``, ``music``) can be added without touching the media
folder: ``benchmarking/media_tags.tsv`` (``path tags``) adds tags to the rows it names.

Suites ask for items by kind and tag (:meth:`Registry.query`), shortest first, so ``--quick``
takes the head of the list and ``--media DIR`` swaps in a user's own labelled set.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

MANIFEST = "MANIFEST.tsv"
TAG_OVERLAY = Path(__file__).resolve().parent / "media_tags.tsv"


@dataclass(frozen=True)
class MediaItem:
    """One playable file of the registry and where its truth lives."""

    rel: str
    path: Path
    kind: str
    duration_s: float
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool
    language: str
    truth: tuple[Path, ...]
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.name


def _derived_tags(kind: str, row: dict[str, str]) -> set[str]:
    """Tags that follow from the manifest columns (video, audio, speech, vertical...)."""
    tags = {kind}
    width, height = row.get("width", ""), row.get("height", "")
    if width and row.get("fps"):
        tags.add("video")
        if height and int(height) > int(width):
            tags.add("vertical")
    if row.get("has_audio", "").strip().lower() == "yes":
        tags.add("audio")
        language = row.get("language", "").strip().lower()
        if language.startswith("en") and "dialogue" not in language:
            tags.add("speech")
    if kind == "talking" and "video" in tags:
        tags.add("face")
    truth = row.get("ground_truth", "")
    if "cuts.tsv" in truth:
        tags.add("cuts")
    if ".align" in truth:
        tags.add("word-times")
    if "audio" in tags and any(t.endswith((".txt", "transcripts.tsv")) for t in _split(truth)):
        tags.add("transcript")
    return tags


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _number(value: str) -> float | None:
    value = value.strip()
    return float(Fraction(value)) if value else None


@dataclass(frozen=True)
class Registry:
    """Every media item of one folder's manifest."""

    root: Path
    items: tuple[MediaItem, ...]

    @classmethod
    def load(cls, root: Path, overlay: Path | None = TAG_OVERLAY) -> Registry:
        """Read ``root/MANIFEST.tsv`` (plus the tag overlay); FileNotFoundError if absent."""
        manifest = root / MANIFEST
        if not manifest.is_file():
            raise FileNotFoundError(f"no {MANIFEST} in {root} (see docs/benchmarks.md)")
        with manifest.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        extra: dict[str, str] = {}
        if overlay is not None and overlay.is_file():
            with overlay.open(encoding="utf-8", newline="") as handle:
                extra = {r["path"]: r["tags"] for r in csv.DictReader(handle, delimiter="\t")}
        items = []
        for row in rows:
            duration = _number(row.get("duration_s", ""))
            if duration is None:
                continue
            rel = row["path"]
            kind = Path(rel).parts[0]
            listed = f"{row.get('tags', '')};{extra.get(rel, '')}".replace(",", ";")
            tags = _derived_tags(kind, row) | set(_split(listed))
            width, height = _number(row.get("width", "")), _number(row.get("height", ""))
            items.append(
                MediaItem(
                    rel=rel,
                    path=root / rel,
                    kind=kind,
                    duration_s=duration,
                    width=int(width) if width else None,
                    height=int(height) if height else None,
                    fps=_number(row.get("fps", "")),
                    has_audio=row.get("has_audio", "").strip().lower() == "yes",
                    language=row.get("language", "").strip(),
                    truth=tuple(root / t for t in _split(row.get("ground_truth", ""))),
                    tags=frozenset(tags),
                )
            )
        return cls(root.resolve(), tuple(items))

    def query(
        self,
        kind: str | None = None,
        tags: tuple[str, ...] = (),
        without: tuple[str, ...] = (),
        min_s: float = 0.0,
        max_s: float = float("inf"),
        limit: int | None = None,
    ) -> list[MediaItem]:
        """Items of ``kind`` holding every tag in ``tags`` and none in ``without``, shortest
        first (ties by path); at most ``limit``."""
        found = [
            item
            for item in self.items
            if (kind is None or item.kind == kind)
            and set(tags) <= item.tags
            and not set(without) & item.tags
            and min_s <= item.duration_s <= max_s
        ]
        found.sort(key=lambda item: (item.duration_s, item.rel))
        return found[:limit] if limit is not None else found

    def one(
        self,
        kind: str | None = None,
        tags: tuple[str, ...] = (),
        without: tuple[str, ...] = (),
        longest: bool = False,
        min_s: float = 0.0,
        max_s: float = float("inf"),
    ) -> MediaItem:
        """The shortest matching item (the longest with ``longest``); LookupError if none."""
        found = self.query(kind, tags, without, min_s, max_s)
        if not found:
            raise LookupError(f"no {kind or 'media'} item tagged {tags} in {self.root}")
        return found[-1] if longest else found[0]

    # ------------------------------------------------------------------ ground truth readers

    def _truth(self, item: MediaItem, suffix: str) -> Path:
        for path in item.truth:
            if path.name.endswith(suffix):
                return path
        raise LookupError(f"{item.rel}: no ground truth ending in {suffix!r}")

    def cut_frames(self, item: MediaItem) -> tuple[int, ...]:
        """Ground-truth cut frames (0-based first frame of each new shot) from ``cuts.tsv``."""
        with self._truth(item, "cuts.tsv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["file"] == item.name:
                    cells = row["cut_frames"].replace(" ", "")
                    return tuple(int(c) for c in cells.split(",") if c)
        raise LookupError(f"{item.rel}: not listed in its cuts.tsv")

    def word_times(self, item: MediaItem) -> tuple[tuple[str, float, float], ...]:
        """(word, start_s, end_s) from the item's ``.align`` file, silences left out."""
        fps = item.fps or 25.0
        words = []
        for line in self._truth(item, ".align").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] != "sil":
                start, end, word = parts
                words.append((word, int(start) / (1000 * fps), int(end) / (1000 * fps)))
        return tuple(words)

    def transcript(self, item: MediaItem) -> str:
        """The reference text of a speech item (from ``.txt`` or ``transcripts.tsv``)."""
        for path in item.truth:
            if path.name.endswith("transcripts.tsv"):
                with path.open(encoding="utf-8", newline="") as handle:
                    for row in csv.DictReader(handle, delimiter="\t"):
                        if row["file"] == item.name:
                            return (row.get("text") or row.get("transcript") or "").strip()
            elif path.suffix == ".txt":
                text = path.read_text(encoding="utf-8").strip()
                parts = text.split(maxsplit=2)
                if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                    return parts[2]
                return text
        raise LookupError(f"{item.rel}: no reference transcript")


def default_media_root() -> Path:
    """env AI_VIDEO_TEST_MEDIA, else ``../shared/media`` beside the repository."""
    repo = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("AI_VIDEO_TEST_MEDIA", repo.parent / "shared" / "media")).resolve()


def load_registry(root: Path | None = None) -> Registry:
    """The registry of ``root`` (default :func:`default_media_root`)."""
    return Registry.load((root or default_media_root()).resolve())

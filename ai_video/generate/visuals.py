"""A visual for every scene: an explicit file, the best match in a library, or a title card.

A library is a folder of images and videos (``--visuals DIR``), optionally described by a
``labels.csv`` with columns ``file,kind,label`` (file relative to the folder); items without
a row are described by their file name. Scenes are matched by a :class:`VisualScorer`: text
labels against the scene's query with a sentence-embedding model, or pixels against the query
with CLIP (``image_text_rank``) when weights are configured, or by the folder's b-roll index
(:class:`LibraryIndexScorer` over ``ai-video broll index``, the same scores as ``broll
search``; :func:`library_visuals` lists its assets without decoding them again). Scenes are
chosen in order, an item already used loses ``visual_reuse_penalty`` per use, and a best
match under the scorer's threshold gets the designed fallback (a gradient title card), never
a black frame.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ai_video.analyze.broll_files import (
    LABELS_FILE,
    media_kind,
    name_label,
    read_labels,
)
from ai_video.analyze.broll_search import BrollLibrary
from ai_video.analyze.embed import TextEmbedder
from ai_video.config import GenerateConfig, MediaConfig
from ai_video.errors import InputError
from ai_video.generate.script import Scene
from ai_video.media.images import check_visual

log = logging.getLogger(__name__)

CARD_KIND = "card"
_QUERY_CHARS = 400


@dataclass(frozen=True, slots=True)
class VisualItem:
    """One usable image or video and what it shows."""

    path: Path
    kind: str
    """``image`` or ``video``."""
    label: str
    """Short description used for matching (labels.csv, else the file name's words)."""


@dataclass(frozen=True, slots=True)
class VisualChoice:
    """The visual picked for one scene, with the reason, for rendering and the manifest."""

    scene_index: int
    kind: str
    """``image``, ``video`` or ``card`` (the designed fallback)."""
    path: Path | None
    label: str
    query: str
    score: float
    """Similarity of the chosen item to the query (1.0 for an explicit file)."""
    method: str
    """What decided: ``explicit``, ``text-embedding:MODEL``, ``clip:MODEL`` or ``fallback``."""


class VisualScorer(Protocol):
    """Scores every (query, item) pair; higher is a better fit."""

    name: str
    min_score: float

    def score(self, queries: Sequence[str], items: Sequence[VisualItem]) -> npt.NDArray[np.float64]:
        """Similarity matrix of shape ``(len(queries), len(items))``."""
        ...


class TextLabelScorer:
    """Ranks items by the cosine similarity of their label to the query (sentence embeddings)."""

    def __init__(self, embedder: TextEmbedder, min_score: float) -> None:
        """Use an already loaded text embedder."""
        self._embedder = embedder
        self.name = f"text-embedding:{embedder.label}"
        self.min_score = min_score

    def score(self, queries: Sequence[str], items: Sequence[VisualItem]) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query to each item's label."""
        if not queries or not items:
            return np.zeros((len(queries), len(items)), dtype=np.float64)
        vectors = self._embedder.embed([*queries, *(item.label for item in items)])
        q, labels = vectors[: len(queries)], vectors[len(queries) :]
        return np.asarray(q.astype(np.float64) @ labels.astype(np.float64).T)


class LibraryIndexScorer:
    """Ranks items by a b-roll library index (``ai-video broll index``): the same scores as
    ``ai-video broll search`` (label text embeddings, and CLIP keyframes when indexed)."""

    def __init__(self, library: BrollLibrary, min_score: float) -> None:
        """Use an opened library (``analyze.broll_search.open_broll_library``)."""
        self._library = library
        self._position = {
            (library.root / a.rel_path).resolve(): i for i, a in enumerate(library.assets)
        }
        kind = "+clip" if library.uses_clip else ""
        self.name = f"broll-index{kind}"
        self.min_score = min_score

    def score(self, queries: Sequence[str], items: Sequence[VisualItem]) -> npt.NDArray[np.float64]:
        """Each item's library score for each query (-1.0 for items the index does not hold)."""
        out = np.full((len(queries), len(items)), -1.0, dtype=np.float64)
        columns = [self._position.get(Path(item.path).resolve()) for item in items]
        for row, query in enumerate(queries):
            text, clip = self._library.scores(query)
            best = np.maximum(text, clip)
            for col, position in enumerate(columns):
                if position is not None:
                    out[row, col] = best[position]
        return out


def library_visuals(library: BrollLibrary) -> tuple[VisualItem, ...]:
    """The indexed assets of a library as visuals (already decoded by the index: no re-check)."""
    return tuple(
        VisualItem(path=library.root / a.rel_path, kind=a.kind, label=a.label)
        for a in library.assets
    )


def scan_visuals(folder: Path, media: MediaConfig) -> tuple[VisualItem, ...]:
    """Every image and video under ``folder`` with its label; unreadable files are refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--visuals {folder}: not a folder")
    labels = read_labels(folder)
    items: list[VisualItem] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        kind = media_kind(path)
        if kind is None:
            continue
        check_visual(path, kind, media)
        relative = path.relative_to(folder).as_posix()
        items.append(
            VisualItem(path=path, kind=kind, label=labels.get(relative) or name_label(path))
        )
    if not items:
        raise InputError(f"--visuals {folder}: no images or videos found")
    missing = sorted(set(labels) - {i.path.relative_to(folder).as_posix() for i in items})
    if missing:
        raise InputError(f"{folder / LABELS_FILE}: lists files that are not there: {missing[:5]}")
    return tuple(items)


def scene_query(scene: Scene) -> str:
    """What to look for: the scene's ``visual:`` query, else its title and narration."""
    if scene.visual and media_kind(Path(scene.visual)) is None:
        return scene.visual
    parts = [scene.title or "", scene.text]
    return " ".join(p for p in parts if p)[:_QUERY_CHARS]


def explicit_visual(scene: Scene, search_dirs: Sequence[Path], media: MediaConfig) -> Path | None:
    """The file a scene's ``visual:`` line names, looked up in ``search_dirs``; None if none.

    A value with a media extension that matches no file is an error, not a search query.
    """
    if not scene.visual or media_kind(Path(scene.visual)) is None:
        return None
    candidate = Path(scene.visual)
    places = [candidate] if candidate.is_absolute() else [d / candidate for d in search_dirs]
    for place in places:
        if not _inside_any(place, search_dirs):
            raise InputError(
                f"scene {scene.index + 1}: visual file {scene.visual!r} is outside the "
                "visuals folder and the script's folder"
            )
        kind = media_kind(place)
        if place.is_file() and kind is not None:
            check_visual(place, kind, media)
            return place
    where = ", ".join(str(d) for d in search_dirs) or "the script's folder"
    raise InputError(
        f"scene {scene.index + 1}: visual file {scene.visual!r} not found (looked in {where})"
    )


def _inside_any(path: Path, folders: Sequence[Path]) -> bool:
    """True when ``path`` (symlinks and ``..`` resolved) lies inside one of ``folders``."""
    real = path.resolve()
    return any(real.is_relative_to(Path(folder).resolve()) for folder in folders)


def choose_visuals(
    scenes: Sequence[Scene],
    items: Sequence[VisualItem],
    scorer: VisualScorer | None,
    explicit: Mapping[int, Path],
    cfg: GenerateConfig,
) -> tuple[VisualChoice, ...]:
    """Pick a visual per scene, in order: explicit file, best unused-ish match, or a card."""
    queries = [scene_query(s) for s in scenes]
    scores = (
        scorer.score(queries, items)
        if scorer is not None and items
        else np.zeros((len(scenes), 0), dtype=np.float64)
    )
    uses = np.zeros(len(items), dtype=np.float64)
    choices: list[VisualChoice] = []
    for row, scene in enumerate(scenes):
        query = queries[row]
        if scene.index in explicit:
            path = explicit[scene.index]
            kind = media_kind(path) or "image"
            choices.append(
                VisualChoice(scene.index, kind, path, name_label(path), query, 1.0, "explicit")
            )
            continue
        adjusted = scores[row] - cfg.visual_reuse_penalty * uses
        best = int(np.argmax(adjusted)) if adjusted.size else -1
        if scorer is None or best < 0 or adjusted[best] < scorer.min_score:
            choices.append(_card(scene, query, float(adjusted[best]) if best >= 0 else 0.0))
            continue
        uses[best] += 1
        item = items[best]
        choices.append(
            VisualChoice(
                scene.index,
                item.kind,
                item.path,
                item.label,
                query,
                round(float(scores[row, best]), 4),
                scorer.name,
            )
        )
    return tuple(choices)


def _card(scene: Scene, query: str, best_score: float) -> VisualChoice:
    """The designed fallback for a scene nothing matched: a title card."""
    title = scene.title or " ".join(scene.words[:6])
    return VisualChoice(
        scene.index, CARD_KIND, None, title, query, round(best_score, 4), "fallback"
    )

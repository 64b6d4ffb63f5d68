"""Search an indexed b-roll library for a text query (implements ``types.BrollSearcher``).

Each asset gets a text score (cosine of the query and its label, sentence embeddings) and,
when its keyframes were embedded with the CLIP model in use, a CLIP score (the best cosine of
the query's CLIP text embedding over its keyframes, mapped onto the text scale by
``(cos - broll.clip_offset) * broll.clip_scale``). An asset's score is the higher of the two;
``matched_by`` says which. The cosines come from :func:`ai_video.kernels.similarity.cosine_top_k`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from ai_video.analyze.broll_models import load_clip_model, load_label_embedder
from ai_video.analyze.broll_store import (
    OK,
    AssetRow,
    KeyframeRows,
    has_index,
    index_folder,
    read_index,
)
from ai_video.analyze.embed import SentenceEmbedder
from ai_video.analyze.image_text import ImageTextModel
from ai_video.config import BrollConfig, Settings
from ai_video.errors import AiVideoError, InputError
from ai_video.kernels.similarity import cosine_top_k
from ai_video.types import BrollMatch

log = logging.getLogger(__name__)

F64Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _ClipIndex:
    """Keyframe embeddings of the assets the CLIP model in use embedded."""

    model: ImageTextModel
    vectors: npt.NDArray[np.float32]
    owner: npt.NDArray[np.int64]
    """Asset position of each keyframe row."""


class BrollLibrary:
    """An indexed library, loaded once; :meth:`search` ranks its assets for a text query."""

    def __init__(
        self,
        root: Path,
        assets: list[AssetRow],
        text_vectors: npt.NDArray[np.float32],
        embedder: SentenceEmbedder,
        clip: _ClipIndex | None,
        cfg: BrollConfig,
    ) -> None:
        """Use already loaded rows, vectors and models (see :func:`open_broll_library`)."""
        self.root = root
        self.assets = assets
        self._text_vectors = text_vectors
        self._embedder = embedder
        self._clip = clip
        self._cfg = cfg

    @property
    def uses_clip(self) -> bool:
        """Whether searches use CLIP keyframe embeddings."""
        return self._clip is not None

    def __len__(self) -> int:
        return len(self.assets)

    def scores(self, query: str) -> tuple[F64Array, F64Array]:
        """Per asset: text score, and mapped CLIP score (-inf where an asset has none)."""
        count = len(self.assets)
        text = np.full(count, -np.inf)
        if count:
            vector = self._embedder.embed_query([query])
            rows, cos = cosine_top_k(vector, self._text_vectors, count)
            text[rows[0]] = cos[0]
        clip = np.full(count, -np.inf)
        if self._clip is not None and len(self._clip.vectors):
            vector = self._clip.model.embed_texts([query])
            rows, cos = cosine_top_k(vector, self._clip.vectors, len(self._clip.vectors))
            mapped = (cos[0].astype(np.float64) - self._cfg.clip_offset) * self._cfg.clip_scale
            np.maximum.at(clip, self._clip.owner[rows[0]], mapped)
        return text, clip

    def search(self, query: str, top_k: int) -> list[BrollMatch]:
        """The ``top_k`` best assets for ``query``, best first."""
        if not query.strip():
            raise InputError("b-roll search: the query is empty")
        text, clip = self.scores(query)
        best = np.maximum(text, clip)
        order = sorted(range(len(self.assets)), key=lambda i: (-best[i], self.assets[i].rel_path))
        return [self._match(i, float(best[i]), clip[i] > text[i]) for i in order[: max(0, top_k)]]

    def _match(self, position: int, score: float, by_clip: bool) -> BrollMatch:
        row = self.assets[position]
        matched_by: Literal["clip", "text"] = "clip" if by_clip else "text"
        kind: Literal["video", "image"] = "video" if row.kind == "video" else "image"
        return BrollMatch(
            path=(self.root / row.rel_path).resolve(),
            rel_path=row.rel_path,
            score=round(score, 4),
            matched_by=matched_by,
            kind=kind,
            duration_s=row.duration_s,
            width=row.width,
            height=row.height,
        )


def open_broll_library(
    root: Path,
    settings: Settings,
    text_embedder: SentenceEmbedder | None = None,
    clip_model: ImageTextModel | None = None,
) -> BrollLibrary:
    """Load the index of library ``root`` and the models to query it.

    Raises :class:`InputError` when ``root`` is not a directory or has no index yet. Assets
    whose files are gone, or that were skipped, are left out. Keyframe embeddings are used
    when they were made by the CLIP model configured now (or given); otherwise search is on
    labels alone, with a warning when the index holds embeddings of another model.
    """
    cfg = settings.broll
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    if not has_index(root, cfg.index_dir):
        raise InputError(
            f"{root}: no b-roll index yet (looked for {index_folder(root, cfg.index_dir)}); "
            f"run `ai-video broll index {root}` first"
        )
    stored = read_index(root, cfg.index_dir)
    embedder = text_embedder or load_label_embedder(cfg)
    rows = [
        r
        for r in sorted(stored.assets.values(), key=lambda r: r.rel_path)
        if r.status == OK and r.text_vector and (root / r.rel_path).is_file()
    ]
    stale = [r.rel_path for r in rows if r.text_model != embedder.label]
    if stale:
        raise InputError(
            f"{root}: the index's labels were embedded with another text model "
            f"({rows[0].text_model}, not {embedder.label}); run `ai-video broll index {root}`"
        )
    dim = len(rows[0].text_vector) if rows else 1
    vectors = np.asarray([r.text_vector for r in rows], dtype=np.float32).reshape(len(rows), dim)
    clip = _clip_index(rows, stored.keyframes, clip_model, cfg)
    return BrollLibrary(root, rows, vectors, embedder, clip, cfg)


def _clip_index(
    rows: list[AssetRow],
    keyframes: dict[str, KeyframeRows],
    model: ImageTextModel | None,
    cfg: BrollConfig,
) -> _ClipIndex | None:
    """Stack the keyframe vectors made by the CLIP model in use (None without one)."""
    if model is None and cfg.clip_model is not None:
        try:
            model = load_clip_model(cfg)
        except AiVideoError as exc:
            log.warning("b-roll search on labels only: %s", exc)
            return None
    if model is None:
        return None
    blocks, owners = [], []
    for position, row in enumerate(rows):
        frames = keyframes.get(row.rel_path)
        if frames is not None and frames.clip_model == model.name:
            blocks.append(frames.vectors)
            owners.append(np.full(len(frames.vectors), position, dtype=np.int64))
    if not blocks:
        log.warning(
            "b-roll search on labels only: no keyframes were embedded with %s; "
            "run `ai-video broll index` again",
            model.name,
        )
        return None
    return _ClipIndex(model, np.concatenate(blocks), np.concatenate(owners))

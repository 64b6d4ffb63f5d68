"""Rank visuals by their pixels: image-text similarity with an open_clip (CLIP) model.

Used when CLIP weights are configured. The model itself (open_clip's loader, a local
checkpoint file or a pretrained tag) is :class:`ai_video.analyze.image_text.ImageTextModel`,
shared with the b-roll index. A still is scored by its picture, a video by its middle frame
(decoded by ``media.images``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ai_video.analyze.image_text import ImageTextModel
from ai_video.generate.visuals import VisualItem
from ai_video.media.images import RgbImage, picture_rgb


class ImageTextScorer:
    """An open_clip model loaded once; scores every (query, visual) pair by cosine similarity."""

    def __init__(
        self, model_name: str, weights: str, min_score: float, device: str = "cpu"
    ) -> None:
        """Build ``model_name`` with ``weights`` (checkpoint file or pretrained tag)."""
        self._model = ImageTextModel(model_name, weights, device, setting="generate")
        self.min_score = min_score
        self.name = self._model.name

    def score(self, queries: Sequence[str], items: Sequence[VisualItem]) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query's text to each item's picture."""
        if not queries or not items:
            return np.zeros((len(queries), len(items)), dtype=np.float64)
        return self.score_pictures(queries, [picture_rgb(item.path, item.kind) for item in items])

    def score_pictures(
        self, queries: Sequence[str], pictures: Sequence[RgbImage]
    ) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query's text to each RGB picture."""
        image = self._model.embed_pictures(pictures).astype(np.float64)
        text = self._model.embed_texts(queries).astype(np.float64)
        return np.asarray(text @ image.T, dtype=np.float64)

"""Rank visuals by their pixels: image-text similarity with an open_clip (CLIP) model.

Used when CLIP weights are configured. The model is built by open_clip's own loader
(``create_model_and_transforms``) with ``pretrained`` set to a local checkpoint file or an
open_clip pretrained tag (tags download, so offline use needs a file). A still is scored by
its picture, a video by its middle frame (decoded by ``media.images``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.errors import ModelUnavailable
from ai_video.generate.visuals import VisualItem
from ai_video.media.images import RgbImage, picture_rgb

log = logging.getLogger(__name__)

_CHECKPOINT_SUFFIXES = frozenset({".pt", ".pth", ".bin", ".safetensors", ".ckpt"})


class ImageTextScorer:
    """An open_clip model loaded once; scores every (query, visual) pair by cosine similarity."""

    def __init__(
        self, model_name: str, weights: str, min_score: float, device: str = "cpu"
    ) -> None:
        """Build ``model_name`` with ``weights`` (checkpoint file or pretrained tag)."""
        if Path(weights).suffix in _CHECKPOINT_SUFFIXES and not Path(weights).is_file():
            raise ModelUnavailable(
                f"CLIP weights file {weights} not found; set generate.clip_weights to an "
                "open_clip checkpoint, or unset generate.clip_model to rank by text labels"
            )
        import open_clip
        import torch

        self._torch = torch
        self.min_score = min_score
        self.name = f"clip:{model_name}:{Path(weights).name}"
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=weights, device=device
            )
        except (RuntimeError, ValueError, OSError, KeyError) as exc:
            raise ModelUnavailable(
                f"CLIP model {model_name!r} with weights {weights!r} could not be loaded ({exc}); "
                "set generate.clip_weights to a local open_clip checkpoint, or unset "
                "generate.clip_model to rank visuals by their text labels"
            ) from None
        self._model: Any = model.eval()
        self._preprocess: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(model_name)
        self._device = device
        log.debug("loaded %s on %s", self.name, device)

    def score(self, queries: Sequence[str], items: Sequence[VisualItem]) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query's text to each item's picture."""
        if not queries or not items:
            return np.zeros((len(queries), len(items)), dtype=np.float64)
        return self.score_pictures(queries, [picture_rgb(item.path, item.kind) for item in items])

    def score_pictures(
        self, queries: Sequence[str], pictures: Sequence[RgbImage]
    ) -> npt.NDArray[np.float64]:
        """Cosine similarity of each query's text to each RGB picture."""
        from PIL import Image

        torch = self._torch
        batch = torch.stack([self._preprocess(Image.fromarray(p)) for p in pictures])
        with torch.no_grad():
            image = self._model.encode_image(batch.to(self._device))
            text = self._model.encode_text(self._tokenizer(list(queries)).to(self._device))
        image = image / image.norm(dim=-1, keepdim=True)
        text = text / text.norm(dim=-1, keepdim=True)
        return np.asarray((text @ image.T).cpu().numpy(), dtype=np.float64)

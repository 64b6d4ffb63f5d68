"""An open_clip image-text model: L2-normalised embeddings of pictures and of texts.

The model is built by open_clip's own loader (``create_model_and_transforms``) with
``pretrained`` set to a local checkpoint file or an open_clip pretrained tag (tags download,
so offline use needs a file). No package on the package index ships open_clip weights usable
offline (checked: see docs/architecture.md), so there is no bundled default: without a
configured model the b-roll index and the generate job match on text labels.
:meth:`ImageTextModel.random` builds the same architecture with random weights, for tests and
benchmarks that measure shapes and speed, never relevance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.errors import ModelUnavailable
from ai_video.media.images import RgbImage

log = logging.getLogger(__name__)

_CHECKPOINT_SUFFIXES = frozenset({".pt", ".pth", ".bin", ".safetensors", ".ckpt"})
RANDOM_WEIGHTS = "random-init"


class ImageTextModel:
    """An open_clip model loaded once; embeds pictures and texts into one space."""

    def __init__(
        self, model_name: str, weights: str | None, device: str = "cpu", setting: str = "clip"
    ) -> None:
        """Build ``model_name`` with ``weights`` (checkpoint file or pretrained tag).

        ``weights=None`` builds random weights (only :meth:`random` should ask for that).
        ``setting`` names the config section in error messages (``generate`` or ``broll``).
        """
        weights_path = Path(weights) if weights is not None else None
        if (
            weights_path
            and weights_path.suffix in _CHECKPOINT_SUFFIXES
            and not weights_path.is_file()
        ):
            raise ModelUnavailable(
                f"CLIP weights file {weights} not found; set {setting}.clip_weights to an "
                f"open_clip checkpoint, or unset {setting}.clip_model to match on text labels"
            )
        import open_clip
        import torch

        self._torch = torch
        self.model_name = model_name
        self.weights = weights or RANDOM_WEIGHTS
        self.name = f"clip:{model_name}:{Path(self.weights).name}"
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=weights, device=device
            )
        except (RuntimeError, ValueError, OSError, KeyError) as exc:
            raise ModelUnavailable(
                f"CLIP model {model_name!r} with weights {weights!r} could not be loaded ({exc}); "
                f"set {setting}.clip_weights to a local open_clip checkpoint, or unset "
                f"{setting}.clip_model to match on text labels"
            ) from None
        self._model: Any = model.eval()
        self._preprocess: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(model_name)
        self._device = device
        log.debug("loaded %s on %s", self.name, device)

    @classmethod
    def random(cls, model_name: str, device: str = "cpu") -> ImageTextModel:
        """``model_name`` with random weights: right shapes and speed, meaningless scores."""
        return cls(model_name, None, device)

    @property
    def dimension(self) -> int:
        """Length of one embedding."""
        output_dim = getattr(self._model.visual, "output_dim", None)
        if output_dim is None:
            return int(self._model.text_projection.shape[1])
        return int(output_dim)

    def embed_pictures(
        self, pictures: Sequence[RgbImage], batch_size: int = 32
    ) -> npt.NDArray[np.float32]:
        """L2-normalised image embeddings, one row per RGB picture, ``batch_size`` at a time."""
        from PIL import Image

        torch = self._torch
        rows: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(pictures), max(1, batch_size)):
            chunk = pictures[start : start + batch_size]
            batch = torch.stack([self._preprocess(Image.fromarray(p)) for p in chunk])
            with torch.no_grad():
                vectors = self._model.encode_image(batch.to(self._device)).float()
            rows.append(_normalised(vectors.cpu().numpy()))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(rows)

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised text embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        torch = self._torch
        with torch.no_grad():
            tokens = self._tokenizer(list(texts)).to(self._device)
            vectors = self._model.encode_text(tokens).float()
        return _normalised(vectors.cpu().numpy())


def _normalised(vectors: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

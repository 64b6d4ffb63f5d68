"""A small b-roll library built by construction for the index tests: two-shot videos of known
colours, solid-colour stills, and damaged files."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ai_video.analyze.embed import SentenceEmbedder
from ai_video.analyze.image_text import ImageTextModel

TINY = "TinyBroll-ViT"
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def two_shot_video(out: Path, colours: tuple[str, str], size: str = "320x180") -> Path:
    """2 s of one colour then 2 s of another (a hard cut at 2.0 s), H.264."""
    out.parent.mkdir(parents=True, exist_ok=True)
    first, second = colours
    graph = (
        f"color=c={first}:s={size}:r=25:d=2[a];color=c={second}:s={size}:r=25:d=2[b];"
        "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]"
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", graph, "-map", "[v]",
         "-c:v", "libx264", "-preset", "ultrafast", str(out)],
        check=True,
    )  # fmt: skip
    return out


def solid_image(out: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (120, 200)) -> Path:
    """A still of one colour, ``size`` = (width, height)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), rgb, dtype=np.uint8)).save(out)
    return out


def damaged_files(root: Path) -> dict[str, Path]:
    """A video of random bytes and a JPEG cut after its header."""
    root.mkdir(parents=True, exist_ok=True)
    noise = root / "broken.mp4"
    noise.write_bytes(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    full = solid_image(root / ".tmp_full.jpg", (10, 200, 10), (400, 400))
    cut = root / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:300])
    os.remove(full)
    return {"broken.mp4": noise, "cut.jpg": cut}


class CountingEmbedder:
    """A real text embedder that counts the texts it was asked to embed."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self._inner = inner
        self.texts: list[str] = []

    @property
    def label(self) -> str:
        return self._inner.label

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._inner.embed(texts)

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_query(texts)

    def calibrated(self, cosine: np.ndarray) -> np.ndarray:
        return self._inner.calibrated(cosine)


def tiny_random_clip(folder: Path) -> ImageTextModel:
    """A tiny ViT registered with open_clip, built with random weights (seeded): no download."""
    import open_clip
    import torch

    config = folder / f"{TINY}.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    return ImageTextModel.random(TINY)

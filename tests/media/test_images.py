"""Picture decoding: exact still pixels, a video's middle frame, unreadable files refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_video.config import MediaConfig
from ai_video.errors import InputError
from ai_video.media.images import check_image, check_visual, image_rgb, picture_rgb


def test_still_pixels_are_exact(tmp_path: Path) -> None:
    pixels = np.zeros((8, 12, 3), dtype=np.uint8)
    pixels[:, 6:] = (200, 30, 10)
    Image.fromarray(pixels).save(tmp_path / "half.png")
    got = picture_rgb(tmp_path / "half.png", "image")
    assert got.shape == (8, 12, 3) and got.dtype == np.uint8
    assert np.array_equal(got, pixels)


def test_video_gives_its_middle_frame(tmp_path: Path) -> None:
    """Red, green, blue thirds of 1 s each: the middle frame is green."""
    out = tmp_path / "rgb.mp4"
    parts = "".join(f"color=c={c}:s=64x64:r=10:d=1[{c}];" for c in ("red", "green", "blue"))
    graph = parts + "[red][green][blue]concat=n=3:v=1:a=0,format=yuv420p"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", graph, str(out)], check=True
    )
    frame = picture_rgb(out, "video").astype(int)
    assert frame.shape == (64, 64, 3)
    red, green, blue = frame[32, 32]
    assert green > 100 and red < 40 and blue < 40
    check_visual(out, "video", MediaConfig())


def test_unreadable_image_is_an_input_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture", encoding="utf-8")
    with pytest.raises(InputError, match="unreadable image"):
        image_rgb(fake)
    with pytest.raises(InputError, match="unreadable image"):
        check_image(fake)
    with pytest.raises(InputError, match="no frame could be decoded"):
        picture_rgb(fake, "video")

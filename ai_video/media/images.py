"""Decoding pictures: a still's pixels, a video's middle frame, and a quick decode check."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from ai_video.config import MediaConfig
from ai_video.errors import InputError
from ai_video.media.probe import probe, require_video

RgbImage = npt.NDArray[np.uint8]
"""Height x width x 3, RGB, uint8."""


def picture_rgb(path: Path, kind: str) -> RgbImage:
    """The picture of a visual as RGB pixels: the image itself, or a video's middle frame."""
    if kind == "image":
        return image_rgb(path)
    return middle_frame_rgb(path)


def image_rgb(path: Path) -> RgbImage:
    """An image file's pixels as RGB (Pillow decodes it); :class:`InputError` if unreadable."""
    try:
        with Image.open(path) as opened:
            return np.asarray(opened.convert("RGB"))
    except OSError as exc:
        raise InputError(f"{path}: unreadable image ({exc})") from None


def middle_frame_rgb(path: Path) -> RgbImage:
    """The middle frame of a video as RGB (OpenCV), else its first; InputError if none decodes."""
    capture = cv2.VideoCapture(str(path))
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.set(cv2.CAP_PROP_POS_FRAMES, max(0, count // 2))
        ok, frame = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise InputError(f"{path}: no frame could be decoded")
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def check_image(path: Path) -> None:
    """Raise :class:`InputError` unless the image decodes (OpenCV, at 1/8 size for speed)."""
    try:
        pixels = cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    except cv2.error as exc:
        raise InputError(f"{path}: unreadable image ({exc})") from None
    if pixels is None or pixels.size == 0:
        raise InputError(f"{path}: unreadable image (not a valid {path.suffix or 'image'} file)")


def check_visual(path: Path, kind: str, media: MediaConfig) -> None:
    """Raise :class:`InputError` unless the image decodes or the video has a picture stream."""
    if kind == "image":
        check_image(path)
    else:
        require_video(probe(path, media))

"""Reframing: the share of output frames whose crop window holds the reference face."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Rect = tuple[float, float, float, float]
"""(x, y, w, h) in source pixels."""


def inside_fraction(face: Rect, crop: Rect) -> float:
    """Share of the face box's area that lies inside the crop window."""
    fx, fy, fw, fh = face
    cx, cy, cw, ch = crop
    ix = max(0.0, min(fx + fw, cx + cw) - max(fx, cx))
    iy = max(0.0, min(fy + fh, cy + ch) - max(fy, cy))
    area = fw * fh
    return ix * iy / area if area > 0 else 0.0


def face_hold_share(
    faces: Sequence[Rect | None], crops: Sequence[Rect], min_inside: float = 0.9
) -> float:
    """Of the frames with a reference face, the share whose crop holds at least ``min_inside``
    of the face box; NaN when no frame has a reference face."""
    if len(faces) != len(crops):
        raise ValueError("one crop per reference frame expected")
    held = [
        inside_fraction(face, crop) >= min_inside
        for face, crop in zip(faces, crops, strict=True)
        if face is not None and not any(np.isnan(face))
    ]
    return float(np.mean(held)) if held else float("nan")

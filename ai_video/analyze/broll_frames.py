"""Facts about one b-roll asset: its keyframes (the middle of each of its longest shots),
duration, size, orientation and dominant colours.

A video is decoded once (``media.frames.stream_frames``, small and at a low rate); the shared
:class:`~ai_video.analyze.shots.ShotDetector` finds its shots while a bounded sampler keeps
candidate frames (when more than ``max_candidates`` pile up, every other one is dropped and
the kept rate halves), so memory does not grow with the length of the video.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai_video.analyze.broll_files import AssetKind
from ai_video.analyze.shots import ShotDetector
from ai_video.analyze.visual import planes_of
from ai_video.config import (
    AnalysisConfig,
    BrollConfig,
    InputPolicyConfig,
    MediaConfig,
    ShotConfig,
)
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.images import RgbImage, image_rgb
from ai_video.media.input_policy import probe_untrusted
from ai_video.media.probe import require_video
from ai_video.types import FrameBatch, Shot

_COLOUR_SIDE_PX = 64
_COLOUR_LEVELS = 8


@dataclass(frozen=True)
class AssetFacts:
    """What indexing learned about one asset (pictures are kept only until embedded)."""

    kind: AssetKind
    duration_s: float
    width: int
    height: int
    colours: tuple[str, ...]
    """Dominant colours as ``#rrggbb``, most common first."""
    keyframe_times_s: tuple[float, ...]
    """Source time of each keyframe (0.0 for an image)."""
    pictures: tuple[RgbImage, ...]
    """The keyframes' pixels (RGB), one per time."""

    @property
    def orientation(self) -> str:
        """``landscape``, ``portrait`` or ``square``."""
        if self.width == self.height:
            return "square"
        return "landscape" if self.width > self.height else "portrait"


def asset_facts(
    path: Path,
    kind: AssetKind,
    cfg: BrollConfig,
    shots: ShotConfig,
    media: MediaConfig,
    policy: InputPolicyConfig,
) -> AssetFacts:
    """Decode ``path`` and describe it; raises ``InputError``/``MediaError`` when it cannot.

    A video is probed under the input ``policy`` (accepted demuxers and caps) before any
    decode, like any file a user hands in.
    """
    if kind == "image":
        picture = image_rgb(path)
        height, width = picture.shape[:2]
        return AssetFacts(
            "image", 0.0, int(width), int(height), dominant_colours([picture], cfg.colours),
            (0.0,), (picture,),
        )  # fmt: skip
    info = probe_untrusted(path, media, policy)
    require_video(info)
    assert info.video is not None
    analysis = AnalysisConfig(
        frame_width_px=cfg.keyframe_width_px, max_fps=cfg.decode_max_fps, batch_frames=32
    )
    fps = analysis_fps(info, analysis)
    detector = ShotDetector(shots, fps)
    sampler = FrameSampler(max(1, round(fps / cfg.sample_fps)), cfg.max_candidates)
    for batch in stream_frames(info, analysis, media):
        detector.push(planes_of(batch))  # the shot detector reads YUV planes
        sampler.offer(batch)
    chosen = keyframe_indices(detector.finish(), sampler.indices, cfg.max_keyframes)
    pictures = tuple(sampler.frame(i) for i in chosen)
    width, height = info.video.display_size
    return AssetFacts(
        "video",
        float(info.duration_s),
        int(width),
        int(height),
        dominant_colours(list(pictures), cfg.colours),
        tuple(round(i / fps, 3) for i in chosen),
        pictures,
    )


class FrameSampler:
    """Keeps every ``step``-th analysis frame, at most ``max_count`` of them (then thins)."""

    def __init__(self, step: int, max_count: int) -> None:
        """Sample one frame in ``step``; halve the rate whenever ``max_count`` is passed."""
        self._step = step
        self._max_count = max(2, max_count)
        self._frames: dict[int, RgbImage] = {}

    @property
    def indices(self) -> list[int]:
        """Analysis-frame indices of the frames held, in order."""
        return sorted(self._frames)

    def frame(self, index: int) -> RgbImage:
        """The held frame at analysis index ``index``."""
        return self._frames[index]

    def offer(self, batch: FrameBatch) -> None:
        """Keep the frames of ``batch`` that fall on the sampling grid."""
        for offset in range(len(batch.frames)):
            index = batch.start_index + offset
            if index % self._step == 0:
                self._frames[index] = batch.frames[offset].copy()
            if len(self._frames) > self._max_count:
                self._step *= 2
                self._frames = {i: f for i, f in self._frames.items() if i % self._step == 0}


def keyframe_indices(shots: tuple[Shot, ...], held: list[int], max_count: int) -> list[int]:
    """Held frame nearest the middle of each of the ``max_count`` longest shots, in time order."""
    if not held:
        return []
    longest = sorted(shots, key=lambda s: (-(s.end_frame - s.start_frame), s.index))[:max_count]
    positions = np.asarray(held, dtype=np.float64)
    chosen: set[int] = set()
    for shot in longest:
        middle = (shot.start_frame + shot.end_frame - 1) / 2.0
        chosen.add(held[int(np.argmin(np.abs(positions - middle)))])
    if not chosen:
        chosen.add(held[len(held) // 2])
    return sorted(chosen)


def dominant_colours(pictures: list[RgbImage], count: int) -> tuple[str, ...]:
    """The ``count`` most common colours (8 levels per channel), as mean ``#rrggbb`` of each."""
    if not pictures:
        return ()
    pixels = np.concatenate([_thumbnail_pixels(p) for p in pictures])
    step = 256 // _COLOUR_LEVELS
    bins = pixels // step
    keys = (bins[:, 0] * _COLOUR_LEVELS + bins[:, 1]) * _COLOUR_LEVELS + bins[:, 2]
    counts = np.bincount(keys, minlength=_COLOUR_LEVELS**3)
    order = np.argsort(-counts, kind="stable")[:count]
    colours: list[str] = []
    for key in order:
        if counts[key] == 0:
            break
        mean = pixels[keys == key].mean(axis=0)
        colours.append("#" + "".join(f"{round(float(c)):02x}" for c in mean))
    return tuple(colours)


def _thumbnail_pixels(picture: RgbImage) -> np.ndarray:
    """About ``_COLOUR_SIDE_PX``^2 pixels of ``picture`` (strided), as an (n, 3) int array."""
    height, width = picture.shape[:2]
    stride = max(1, max(height, width) // _COLOUR_SIDE_PX)
    return picture[::stride, ::stride].reshape(-1, 3).astype(np.int64)

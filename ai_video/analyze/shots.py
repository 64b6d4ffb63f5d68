"""Shot boundaries from the cheap analysis stream: hard cuts and fades through black.

Each frame gets a change score (Y/U/V histogram change mixed with block-luma change, see
:mod:`ai_video.kernels.framediff`). A hard cut is a frame whose score is high in absolute
terms and also several times the average score of the frames around it, so steady motion or
a slow fade (many moderately high scores in a row) is not mistaken for a cut. A run of black
frames between two stretches of picture is a fade through black; its midpoint becomes a
boundary unless a hard cut already bounds the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from ai_video.analyze.jump_cuts import jump_cuts
from ai_video.config import AnalysisConfig, MediaConfig, ShotConfig
from ai_video.kernels.framediff import FrameDiffState, frame_features, new_state
from ai_video.media.frames import stream_planes
from ai_video.types import FaceTrack, FloatArray, MediaInfo, PlaneBatch, Shot, TimeSpan, frame_to_s

BoolArray = npt.NDArray[np.bool_]
Cause = Literal["start", "cut", "fade", "jump"]
_MEAN_LUMA, _PEAK_LUMA, _LUMA_CHANGE, _PIXEL_CHANGE, _HIST_CHANGE = 0, 1, 2, 3, 4
_FEATURES = 5


class ShotDetector:
    """Streaming shot detector: ``push`` analysis batches in order, then ``finish``."""

    def __init__(self, cfg: ShotConfig, fps: float, frame_count_hint: int = 0) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self._cfg = cfg
        self._fps = fps
        self._state: FrameDiffState | None = None
        self._frame_size: tuple[int, int] = (0, 0)
        self._frames_seen = 0
        # rows: mean luma, peak block luma, block-luma change, pixel change, histogram change
        self._per_frame = np.zeros((_FEATURES, max(frame_count_hint, 256)), dtype=np.float64)

    @property
    def motion(self) -> FloatArray:
        """Mean absolute luma change per frame so far (0-255; frame 0 is 0)."""
        return self._per_frame[_LUMA_CHANGE, : self._frames_seen].copy()

    @property
    def frame_count(self) -> int:
        """Frames pushed so far."""
        return self._frames_seen

    @property
    def features(self) -> FloatArray:
        """Rows mean luma, peak block luma, block-luma change, pixel change, histogram change
        (see :class:`ai_video.kernels.framediff.FrameFeatures`), a column per frame so far."""
        return self._per_frame[:, : self._frames_seen].copy()

    def push(self, batch: PlaneBatch) -> None:
        """Add the next batch of the analysis timeline (batches must be contiguous)."""
        if batch.start_index != self._frames_seen:
            raise ValueError(
                f"batch starts at frame {batch.start_index}, expected {self._frames_seen}"
            )
        size = (batch.height, batch.width)
        if self._state is None:
            self._state, self._frame_size = new_state(*size), size
        elif size != self._frame_size:
            raise ValueError(f"frame size changed from {self._frame_size} to {size}")
        f = frame_features(batch.yuv, batch.height, batch.width, self._state)
        start, end = self._frames_seen, self._frames_seen + len(batch)
        if end > self._per_frame.shape[1]:
            grown = np.zeros((_FEATURES, max(end, 2 * self._per_frame.shape[1])), dtype=np.float64)
            grown[:, :start] = self._per_frame[:, :start]
            self._per_frame = grown
        rows = (f.mean_luma, f.peak_luma, f.luma_change, f.pixel_change, f.histogram_change)
        self._per_frame[:, start:end] = np.stack(rows)
        self._frames_seen = end

    def finish(self, faces: FaceTrack | None = None) -> tuple[Shot, ...]:
        """Shots covering every pushed frame, in order (one shot when nothing was cut).

        With the main-face track (``faces``), same-speaker jump cuts start shots too.
        """
        count = self._frames_seen
        if count == 0:
            return ()
        mean_luma, peak_luma, luma_change, pixel_change, hist_change = self._per_frame[:, :count]
        repeated = pixel_change == 0.0
        scores = change_scores(luma_change, hist_change, self._cfg)
        cuts = hard_cuts(scores, self._cfg)
        black = (mean_luma < self._cfg.black_luma) & (peak_luma < self._cfg.black_peak_luma)
        fades = fade_boundaries(black, cuts, self._cfg)
        jumps: list[int] = []
        if faces is not None and self._cfg.jump_cuts:
            jumps = jump_cuts(luma_change, repeated, scores, faces, self._fps, self._cfg)
        min_frames = max(1, round(self._cfg.min_shot_s * self._fps))
        kept = _spaced_boundaries(cuts, scores, fades, jumps, count, min_frames)
        edges: list[tuple[int, Cause]] = [(0, "start"), *kept, (count, "cut")]
        return tuple(
            Shot(
                index=i,
                span=TimeSpan(frame_to_s(start, self._fps), frame_to_s(end, self._fps)),
                start_frame=start,
                end_frame=end,
                cause=cause,
            )
            for i, ((start, cause), (end, _)) in enumerate(itertools.pairwise(edges))
        )


def track_breaks_s(shots: Sequence[Shot]) -> list[float]:
    """Where face tracks must break: every shot start but the first, except a same-speaker
    jump cut (the people stay in their places across it, so their tracks run through)."""
    return [shot.span.start_s for shot in shots[1:] if shot.cause != "jump"]


def detect_shots(batches: Iterable[PlaneBatch], cfg: ShotConfig) -> tuple[Shot, ...]:
    """Shots of a whole analysis decode (convenience wrapper around :class:`ShotDetector`)."""
    detector: ShotDetector | None = None
    for batch in batches:
        if detector is None:
            detector = ShotDetector(cfg, batch.fps)
        detector.push(batch)
    return detector.finish() if detector is not None else ()


def detect_shots_in(
    info: MediaInfo, cfg: ShotConfig, analysis: AnalysisConfig, media: MediaConfig
) -> tuple[Shot, ...]:
    """Shots of a whole video from its own cheap decode (:func:`stream_planes`): small YUV
    frames on the analysis timeline, non-reference frames skipped when the config says so."""
    batches = stream_planes(
        info, analysis, media, cfg.stream_width_px, cfg.skip_nonref_frames, cfg.decode_threads
    )
    return detect_shots(batches, cfg)


def change_scores(luma_change: FloatArray, hist_change: FloatArray, cfg: ShotConfig) -> FloatArray:
    """Per-frame change score in 0..1: weighted histogram change plus saturated luma change."""
    luma_term = np.minimum(1.0, luma_change / cfg.luma_change_full_scale)
    return cfg.histogram_weight * hist_change + (1.0 - cfg.histogram_weight) * luma_term


def hard_cuts(scores: FloatArray, cfg: ShotConfig) -> list[int]:
    """Frames whose score passes the absolute threshold and the local-average ratio test."""
    window = max(1, cfg.window_frames)
    padded = np.concatenate(([0.0], np.cumsum(scores)))
    index = np.arange(len(scores))
    low = np.maximum(0, index - window)
    high = np.minimum(len(scores), index + window + 1)
    neighbours = (high - low - 1).astype(np.float64)
    local_sum = padded[high] - padded[low] - scores
    local_mean = np.divide(
        local_sum, neighbours, out=np.zeros_like(local_sum), where=neighbours > 0
    )
    is_cut = (scores >= cfg.cut_threshold) & (scores > cfg.adaptive_ratio * local_mean)
    return [int(i) for i in np.flatnonzero(is_cut)]


def fade_boundaries(black: BoolArray, cuts: Iterable[int], cfg: ShotConfig) -> list[int]:
    """Midpoints of black runs that have picture on both sides and no hard cut at their edges."""
    cut_set = set(cuts)
    boundaries: list[int] = []
    for first, last in _runs(black):
        if first == 0 or last == len(black) - 1:
            continue  # a fade in from the start or out to the end separates nothing
        if last - first + 1 < cfg.min_black_frames:
            continue
        if any(first <= c <= last + 1 for c in cut_set):
            continue  # a hard cut into or out of the black already marks this boundary
        boundaries.append((first + last + 1) // 2)
    return boundaries


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """``(first, last)`` index pairs of the True runs in a boolean array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _spaced_boundaries(
    cuts: list[int],
    scores: FloatArray,
    fades: list[int],
    jumps: list[int],
    count: int,
    min_frames: int,
) -> list[tuple[int, Cause]]:
    """Strongest boundaries first, dropping any closer than ``min_frames`` to a kept one."""
    fade_priority = -1.0  # a fade boundary yields to any hard cut or jump near it
    ranked: list[tuple[float, int, Cause]] = sorted(
        [(float(scores[c]), c, "cut") for c in cuts]
        + [(float(scores[j]) - 1.0, j, "jump") for j in jumps]  # below any hard cut
        + [(fade_priority - 1.0, f, "fade") for f in fades],
        reverse=True,
    )
    kept: list[tuple[int, Cause]] = []
    for _, frame, cause in ranked:
        if frame < min_frames or count - frame < min_frames:
            continue
        if all(abs(frame - other) >= min_frames for other, _ in kept):
            kept.append((frame, cause))
    return sorted(kept)

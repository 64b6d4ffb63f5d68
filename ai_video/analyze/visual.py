"""The one pass over the shared analysis frames that feeds every visual analyzer.

The frames come as YUV planes (:func:`ai_video.media.frames.stream_planes`; RGB batches are
converted). Every batch goes to the shot detector; frames sampled at ``FaceConfig.sample_fps``
are converted to RGB for the face detector, and one MAIN face is chosen per sample (big,
confident, and preferably where the previous main face was), in source pixels.

Face search is tracked to stay cheap: a full-frame scan runs at least every
``full_scan_every_s`` and whenever the main face was lost; the samples in between search
only a small, downscaled region around the last main face. On those samples the face count
is the faces found in the region plus the faces of the last full scan outside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import cv2
import numpy as np

from ai_video.analyze.face_tracks import FaceCollector
from ai_video.analyze.faces import Detection, FaceDetector
from ai_video.analyze.shots import ShotDetector
from ai_video.config import FaceConfig, ShotConfig
from ai_video.types import (
    Box,
    FaceTrack,
    FrameBatch,
    PlaneBatch,
    UInt8Array,
    VisualAnalysis,
    frame_to_s,
)


class MainFacePicker:
    """Chooses the main face of each sample, keeping to the previous choice when it is close."""

    def __init__(self, continuity_bonus: float) -> None:
        self._continuity_bonus = continuity_bonus
        self._previous: Box | None = None

    def choose(self, detections: Sequence[Detection]) -> Detection | None:
        """The detection with the highest ``side * score``, boosted when it continues the last."""
        best: Detection | None = None
        best_value = -math.inf
        for box, score in detections:
            value = math.sqrt(box.w * box.h) * score
            if self._previous is not None and self._previous.contains_point(*box.center):
                value *= self._continuity_bonus
            if value > best_value:
                best, best_value = (box, score), value
        if best is not None:
            self._previous = best[0]
        return best


class FaceSampler:
    """Main face and face count per sampled frame (analysis pixels), with tracked search."""

    def __init__(self, detector: FaceDetector, cfg: FaceConfig) -> None:
        self._detector = detector
        self._cfg = cfg
        self._picker = MainFacePicker(cfg.continuity_bonus)
        self._last_main: Box | None = None
        self._last_full_scan_s = -math.inf
        self._full_scan_faces: list[Box] = []

    def sample(self, rgb: UInt8Array, t_s: float) -> tuple[Detection | None, int]:
        """The main face in ``rgb`` (shown at ``t_s``) and how many faces the frame shows."""
        if (
            self._last_main is not None
            and t_s - self._last_full_scan_s < self._cfg.full_scan_every_s
        ):
            region = _search_region(self._last_main, self._cfg.track_margin_frac, rgb.shape)
            found = self._detect_in(rgb, region)
            if found:
                main = self._picker.choose(found)
                self._last_main = main[0] if main is not None else None
                outside = sum(not region.contains_point(*b.center) for b in self._full_scan_faces)
                return main, len(found) + outside
        found = self._detector.detect(rgb)
        self._last_full_scan_s = t_s
        self._full_scan_faces = [box for box, _ in found]
        main = self._picker.choose(found)
        self._last_main = main[0] if main is not None else None
        return main, len(found)

    def _detect_in(self, rgb: UInt8Array, region: Box) -> list[Detection]:
        """Detections inside ``region``, searched on a copy resized to ``track_face_px`` faces."""
        assert self._last_main is not None
        zoom = self._cfg.track_face_px / max(self._last_main.w, self._last_main.h, 1.0)
        x0, y0 = int(region.x), int(region.y)
        x1, y1 = int(region.x + region.w), int(region.y + region.h)
        size = (max(1, round((x1 - x0) * zoom)), max(1, round((y1 - y0) * zoom)))
        crop = np.asarray(
            cv2.resize(rgb[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        return [
            (Box(b.x / zoom + x0, b.y / zoom + y0, b.w / zoom, b.h / zoom), score)
            for b, score in self._detector.detect(crop)
        ]


def planes_of(batch: FrameBatch) -> PlaneBatch:
    """An RGB batch as YUV 4:2:0 planes (BT.601 limited range, like the analysis decode)."""
    count, height, width = batch.frames.shape[:3]
    yuv = np.empty((count, height * width * 3 // 2), dtype=np.uint8)
    for i in range(count):
        yuv[i] = cv2.cvtColor(batch.frames[i], cv2.COLOR_RGB2YUV_I420).reshape(-1)
    return PlaneBatch(batch.start_index, batch.fps, yuv, width, height, batch.scale)


def rgb_frame(batch: PlaneBatch, offset: int) -> UInt8Array:
    """Frame ``offset`` of ``batch`` as an RGB image ``(height, width, 3)``."""
    return np.asarray(cv2.cvtColor(batch.i420(offset), cv2.COLOR_YUV2RGB_I420), dtype=np.uint8)


def analyze_visuals(
    batches: Iterable[PlaneBatch] | Iterable[FrameBatch],
    shots: ShotConfig,
    faces: FaceConfig,
    detector: FaceDetector,
    fps: float,
    collector: FaceCollector | None = None,
) -> VisualAnalysis:
    """Shots, motion and the main-face track from one stream of analysis batches.

    With a ``collector`` (speaker analysis), every face of each sample is kept there too,
    and the main face is picked from those same detections (one detection per sample).
    """
    if fps <= 0 or faces.sample_fps <= 0:
        raise ValueError(f"fps and sample_fps must be positive, got {fps}, {faces.sample_fps}")
    shot_detector = ShotDetector(shots, fps)
    sampler = FaceSampler(detector, faces)
    picker = MainFacePicker(faces.continuity_bonus)
    step = collector.step if collector is not None else max(1, round(fps / faces.sample_fps))
    indices: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    scores: list[float] = []
    counts: list[int] = []
    frame_count = 0
    for any_batch in batches:
        batch = any_batch if isinstance(any_batch, PlaneBatch) else planes_of(any_batch)
        shot_detector.push(batch)
        for index, main, count in _sampled_faces(batch, step, sampler, picker, collector):
            indices.append(index)
            counts.append(count)
            if main is None:
                boxes.append((math.nan, math.nan, math.nan, math.nan))
                scores.append(math.nan)
            else:
                box = main[0]
                s = batch.scale
                boxes.append((box.x * s, box.y * s, box.w * s, box.h * s))
                scores.append(main[1])
        frame_count = max(frame_count, batch.start_index + len(batch))
    track = FaceTrack(
        times_s=np.asarray(indices, dtype=np.float64) / fps,
        boxes=np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        scores=np.asarray(scores, dtype=np.float64),
        counts=np.asarray(counts, dtype=np.int32),
        detector=detector.name,
    )
    return VisualAnalysis(
        fps=fps,
        frame_count=frame_count,
        shots=shot_detector.finish(track),
        faces=track,
        motion=shot_detector.motion,
    )


def _sampled_faces(
    batch: PlaneBatch,
    step: int,
    sampler: FaceSampler,
    picker: MainFacePicker,
    collector: FaceCollector | None,
) -> Iterator[tuple[int, Detection | None, int]]:
    """``(index, main face, face count)`` for each sampled frame of ``batch``."""
    if collector is None:
        for offset in range((-batch.start_index) % step, len(batch), step):
            index = batch.start_index + offset
            main, count = sampler.sample(rgb_frame(batch, offset), frame_to_s(index, batch.fps))
            yield index, main, count
        return
    for offset in range(len(batch)):
        index = batch.start_index + offset
        found = collector.observe(rgb_frame(batch, offset), index, batch.scale)
        if found is not None:
            yield index, picker.choose(found), len(found)


def _search_region(face: Box, margin_frac: float, shape: tuple[int, ...]) -> Box:
    """``face`` grown by ``margin_frac`` of its side on every edge, clipped to the frame."""
    margin = margin_frac * max(face.w, face.h)
    height, width = shape[0], shape[1]
    x0, y0 = max(0.0, face.x - margin), max(0.0, face.y - margin)
    x1 = min(float(width), face.x + face.w + margin)
    y1 = min(float(height), face.y + face.h + margin)
    return Box(
        math.floor(x0),
        math.floor(y0),
        math.ceil(x1) - math.floor(x0),
        math.ceil(y1) - math.floor(y0),
    )

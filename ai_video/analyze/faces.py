"""Face detectors over RGB analysis frames: YuNet (``yuface`` wheel) by default, Haar last.

``yuface`` compiles libfacedetection's YuNet into the wheel (no model file), and returns
five landmarks per face (eyes, nose tip, mouth corners) that the speaker analysis uses.
OpenCV's ``cv2.FaceDetectorYN`` runs a configured YuNet ONNX file instead; Haar cascades
stay as the last fallback (no landmarks).

A detector is created once by the caller (it loads its model in ``__init__``) and reused
for every frame. Boxes come back in the pixels of the frame that was passed in, with a
score in 0..1; mapping to source pixels is the caller's job.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import math
from pathlib import Path
from typing import Protocol

import cv2
import cv2.data
import numpy as np

from ai_video.config import FaceConfig
from ai_video.errors import ModelUnavailable
from ai_video.types import Box, UInt8Array

Detection = tuple[Box, float]
Landmarks = tuple[tuple[float, float], ...]
"""Five points in frame pixels: right eye, left eye, nose tip, right and left mouth corner."""

# Haar "level weights" are stage-sum margins (about 0..20); this maps a margin of
# 4 to a score of 0.63 and 12 to 0.95.
_HAAR_WEIGHT_SCALE = 4.0


class FaceDetector(Protocol):
    """Anything that finds faces in one RGB frame."""

    name: str

    def detect(self, rgb: UInt8Array) -> list[Detection]:
        """Faces in ``rgb`` (shape ``(h, w, 3)``) as (box in frame pixels, score 0..1)."""
        ...


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade (the file ships with opencv-python-headless)."""

    name = "opencv-haar"

    def __init__(self, cfg: FaceConfig) -> None:
        self._cfg = cfg
        self._frontal = _load_cascade("haarcascade_frontalface_default.xml")

    def detect(self, rgb: UInt8Array) -> list[Detection]:
        """Frontal faces at least ``min_face_frac`` of the shorter side, scored from margins."""
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        side = max(1, int(self._cfg.min_face_frac * min(gray.shape[:2])))
        rects, _levels, weights = self._frontal.detectMultiScale3(
            gray,
            scaleFactor=self._cfg.haar_scale_factor,
            minNeighbors=self._cfg.haar_min_neighbors,
            minSize=(side, side),
            outputRejectLevels=True,
        )
        out: list[Detection] = []
        for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True):
            score = 1.0 - math.exp(-max(float(weight), 0.0) / _HAAR_WEIGHT_SCALE)
            if score >= self._cfg.min_score:
                out.append((Box(float(x), float(y), float(w), float(h)), score))
        return out


class YuNetFaceDetector:
    """OpenCV's YuNet CNN detector (``cv2.FaceDetectorYN``) from a configured ONNX file."""

    name = "opencv-yunet"

    def __init__(self, cfg: FaceConfig, model_path: Path) -> None:
        self._cfg = cfg
        path = Path(model_path)
        if not path.is_file():
            raise ModelUnavailable(
                f"YuNet face model not found at {path} (faces.yunet_model_path). Get "
                "face_detection_yunet_2023mar.onnx from the opencv/opencv_zoo repository "
                "(models/face_detection_yunet), or unset the path to use Haar cascades."
            )
        try:
            self._net = cv2.FaceDetectorYN.create(
                str(path), "", (320, 320), score_threshold=cfg.min_score
            )
        except cv2.error as exc:
            raise ModelUnavailable(
                f"YuNet face model at {path} could not be loaded by OpenCV "
                f"{cv2.__version__}: {str(exc).strip().splitlines()[-1]}"
            ) from None
        self._input_size = (320, 320)
        self.name = f"opencv-yunet:{path.name}"

    def detect(self, rgb: UInt8Array) -> list[Detection]:
        """Faces above ``min_score`` and ``min_face_frac`` of the shorter side."""
        height, width = rgb.shape[:2]
        if (width, height) != self._input_size:
            self._net.setInputSize((width, height))
            self._input_size = (width, height)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        _ok, rows = self._net.detect(bgr)
        if rows is None:
            return []
        min_side = self._cfg.min_face_frac * min(width, height)
        out: list[Detection] = []
        for row in rows:
            x, y, w, h = (float(v) for v in row[:4])
            score = float(row[-1])
            if min(w, h) >= min_side and score >= self._cfg.min_score:
                out.append((_clipped(Box(x, y, w, h), width, height), score))
        return out


class YuFaceDetector:
    """libfacedetection's YuNet compiled into the ``yuface`` wheel: boxes, scores, landmarks."""

    def __init__(self, cfg: FaceConfig) -> None:
        try:
            import yuface
        except ImportError:
            raise ModelUnavailable(
                "the yuface package (YuNet face detector) is not installed; run "
                "`pip install 'yuface==2023.5.1'` or set faces.detector to 'haar'"
            ) from None
        self._cfg = cfg
        self._detect_fn = yuface.detect
        self.name = f"yuface-yunet@{_version('yuface')}"
        _single_thread_openmp(Path(yuface.__file__).parent.parent / "yuface.libs")

    def detect(self, rgb: UInt8Array) -> list[Detection]:
        """Faces above ``min_score`` and ``min_face_frac`` of the shorter side."""
        return [(box, score) for box, score, _ in self.detect_landmarks(rgb)]

    def detect_landmarks(self, rgb: UInt8Array) -> list[tuple[Box, float, Landmarks]]:
        """Faces with their five landmarks, in the pixels of ``rgb``."""
        height, width = rgb.shape[:2]
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        scores, boxes, points = self._detect_fn(bgr, conf=self._cfg.min_score)
        min_side = self._cfg.min_face_frac * min(width, height)
        out: list[tuple[Box, float, Landmarks]] = []
        for score, box, pts in zip(scores, boxes, points, strict=True):
            x, y, w, h = (float(v) for v in box)
            value = float(score) / 100.0
            if min(w, h) < min_side or value < self._cfg.min_score:
                continue
            marks = tuple((float(pts[2 * i]), float(pts[2 * i + 1])) for i in range(5))
            out.append((_clipped(Box(x, y, w, h), width, height), value, marks))
        return out


def load_face_detector(cfg: FaceConfig) -> FaceDetector:
    """YuNet ONNX when ``cfg.yunet_model_path`` is set, else ``cfg.detector`` (yuface or haar)."""
    if cfg.yunet_model_path is not None:
        return YuNetFaceDetector(cfg, cfg.yunet_model_path)
    if cfg.detector == "yuface":
        return YuFaceDetector(cfg)
    return HaarFaceDetector(cfg)


def _single_thread_openmp(libs_dir: Path) -> None:
    """Run yuface's own bundled OpenMP runtime on one thread.

    Its default (one thread per core, spin-waiting) is 5-20x SLOWER on a loaded machine:
    measured 18 ms vs 340 ms per 320x180 frame with other work on both cores. The wheel
    bundles a private, renamed libgomp, so this affects no other library.
    """
    for lib in sorted(libs_dir.glob("libgomp*.so*")):
        try:
            ctypes.CDLL(str(lib)).omp_set_num_threads(1)
        except (OSError, AttributeError):
            continue


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _load_cascade(filename: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / filename
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise ModelUnavailable(
            f"OpenCV Haar cascade {filename} missing or unreadable at {path}; reinstall "
            "opencv-python-headless, which ships it."
        )
    return cascade


def _clipped(box: Box, width: int, height: int) -> Box:
    x0, y0 = max(box.x, 0.0), max(box.y, 0.0)
    x1, y1 = min(box.x + box.w, float(width)), min(box.y + box.h, float(height))
    return Box(x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0))

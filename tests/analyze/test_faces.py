"""Face detectors: Haar cascades on a real frame, YuNet's missing-model errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_video.analyze.faces import (
    HaarFaceDetector,
    YuFaceDetector,
    YuNetFaceDetector,
    load_face_detector,
)
from ai_video.config import FaceConfig, MediaConfig
from ai_video.errors import ModelUnavailable
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.types import UInt8Array


def decode_frame(path: Path, t_s: float, width: int, height: int) -> UInt8Array:
    """One RGB frame of ``path`` at ``t_s``, scaled to ``width`` x ``height``."""
    cfg = MediaConfig()
    args = [
        "-v", "error", "-ss", str(t_s), *local_input(path), "-frames:v", "1",
        "-vf", f"scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    raw = run_ffmpeg(cfg.ffmpeg_bin, args, timeout_s=cfg.ffmpeg_timeout_s).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).copy()


@pytest.fixture(scope="module")
def portrait_frame(media: Path) -> UInt8Array:
    """liveportrait_s18 at 3 s, 320x180: one woman, face right of the image centre."""
    return decode_frame(media / "talking" / "liveportrait_s18.mp4", 3.0, 320, 180)


@pytest.mark.media
def test_haar_finds_the_one_face_where_it_is(portrait_frame: UInt8Array) -> None:
    found = HaarFaceDetector(FaceConfig()).detect(portrait_frame)
    assert len(found) == 1
    box, score = found[0]
    cx, cy = box.center
    print(f"haar box {box}, score {score:.2f}")
    # Checked by eye on the frame: the face spans about x 157-215, y 25-100 of 320x180.
    assert 175 <= cx <= 200 and 45 <= cy <= 75
    assert 45 <= box.w <= 90
    assert 0.3 <= score <= 1.0


@pytest.mark.media
def test_haar_boxes_mirror_with_the_frame(portrait_frame: UInt8Array) -> None:
    detector = HaarFaceDetector(FaceConfig())
    ((box, _),) = detector.detect(portrait_frame)
    ((flipped, _),) = detector.detect(np.ascontiguousarray(portrait_frame[:, ::-1]))
    assert flipped.x + flipped.w / 2 == pytest.approx(320 - box.center[0], abs=6)


@pytest.mark.media
def test_min_score_drops_weak_detections(portrait_frame: UInt8Array) -> None:
    strict = HaarFaceDetector(FaceConfig(min_score=0.999))
    assert strict.detect(portrait_frame) == []


def test_haar_finds_nothing_in_a_flat_frame() -> None:
    flat = np.full((180, 320, 3), 128, dtype=np.uint8)
    assert HaarFaceDetector(FaceConfig()).detect(flat) == []


def test_default_detector_is_yunet_from_the_yuface_wheel() -> None:
    detector = load_face_detector(FaceConfig())
    assert isinstance(detector, YuFaceDetector)
    assert detector.name.startswith("yuface-yunet@")
    assert isinstance(load_face_detector(FaceConfig(detector="haar")), HaarFaceDetector)


@pytest.mark.media
def test_yuface_finds_the_face_with_landmarks_in_place(portrait_frame: UInt8Array) -> None:
    found = YuFaceDetector(FaceConfig()).detect_landmarks(portrait_frame)
    assert len(found) == 1
    box, score, marks = found[0]
    cx, cy = box.center
    # Same face as the Haar test: about x 157-215, y 25-100 of 320x180.
    assert 175 <= cx <= 200 and 45 <= cy <= 75
    assert score >= 0.5
    (rex, rey), (lex, ley), (_nx, ny), (rmx, rmy), (lmx, lmy) = marks
    assert rex < lex and rmx < lmx  # image-left eye / mouth corner first
    assert max(rey, ley) < ny < min(rmy, lmy)  # eyes above nose above mouth
    assert all(box.contains_point(x, y) for x, y in marks)


def test_yuface_finds_nothing_in_a_flat_frame() -> None:
    flat = np.full((180, 320, 3), 128, dtype=np.uint8)
    assert YuFaceDetector(FaceConfig()).detect(flat) == []


def test_yunet_without_its_model_file_says_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "face_detection_yunet.onnx"
    with pytest.raises(ModelUnavailable, match=str(missing)):
        load_face_detector(FaceConfig(yunet_model_path=missing))


def test_yunet_with_an_unreadable_model_is_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        YuNetFaceDetector(FaceConfig(), broken)

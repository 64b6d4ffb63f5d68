"""A generated sample video: narration over a moving gradient (for demos without test media)."""

from __future__ import annotations

from pathlib import Path

from ai_video.config import MediaConfig
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.media.files import replace_atomic


def make_narrated_sample(wav: Path, out: Path, duration_s: float, media: MediaConfig) -> Path:
    """Mux ``wav`` under a 1280x720 animated gradient into an H.264/AAC mp4 (atomically)."""
    args = [
        "-y",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"gradients=s=1280x720:r=25:d={duration_s:.3f}:speed=0.02:n=3",
        *local_input(wav),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(media.sample_x264_crf),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-shortest",
        "-movflags",
        "+faststart",
    ]
    with replace_atomic(out) as partial:
        run_ffmpeg(media.ffmpeg_bin, [*args, str(partial)], timeout_s=media.ffmpeg_timeout_s)
    return out

"""Constructed multi-speaker videos with ground truth known by construction (for tests).

Talking-head clips from the shared media sit in "seats" on one canvas. Speaker turns
alternate: during its turn a seat plays its clip (picture and sound); otherwise it is
frozen on its last shown frame and silent. The turn times, the seat of each turn and each
seat's face box (the median detected box of its single-face source clip, mapped onto the
canvas) are the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai_video.analyze.faces import YuFaceDetector
from ai_video.config import FaceConfig, MediaConfig
from ai_video.media.audio import decode_audio, write_wav
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.media.probe import probe
from ai_video.types import Box

FPS = 25
RATE_HZ = 16000


@dataclass(frozen=True)
class Seat:
    """One talking-head clip placed at ``(x, y)`` on the canvas, scaled to ``size`` square."""

    source: Path
    x: int
    y: int
    size: int


@dataclass(frozen=True)
class Turn:
    """Seat ``seat`` speaks over ``[start_s, end_s)``, playing its source from ``offset_s``."""

    seat: int
    start_s: float
    end_s: float
    offset_s: float


@dataclass(frozen=True)
class Scene:
    """A constructed video and its truth."""

    path: Path
    canvas: tuple[int, int]
    duration_s: float
    seats: tuple[Seat, ...]
    turns: tuple[Turn, ...]
    face_boxes: tuple[Box, ...]
    """Face box of each seat on the canvas (source pixels)."""

    def speaker_at(self, t_s: float) -> int | None:
        """Seat speaking at ``t_s`` by construction, or None."""
        for turn in self.turns:
            if turn.start_s <= t_s < turn.end_s:
                return turn.seat
        return None


def build_scene(
    out: Path,
    seats: list[Seat],
    turns: list[Turn],
    canvas: tuple[int, int] = (1280, 720),
) -> Scene:
    """Render the seats and turns into ``out`` (H.264 + AAC), returning the scene and truth."""
    duration = max(t.end_s for t in turns)
    media = MediaConfig()
    args: list[str] = ["-v", "error", "-y"]
    chains: list[str] = [f"color=c=0x2a3038:s={canvas[0]}x{canvas[1]}:r={FPS}:d={duration:.3f}[bg]"]
    input_index = 0
    audio = np.zeros(round(duration * RATE_HZ) + RATE_HZ, dtype=np.float32)
    for seat_index, seat in enumerate(seats):
        own = [t for t in turns if t.seat == seat_index]
        pieces: list[str] = []
        sound = decode_audio(probe(seat.source, media), media, RATE_HZ)
        for k, turn in enumerate(own):
            length = turn.end_s - turn.start_s
            args += ["-ss", f"{turn.offset_s:.3f}", "-t", f"{length:.3f}", "-i", str(seat.source)]
            lead = turn.start_s if k == 0 else 0.0
            nxt = own[k + 1].start_s if k + 1 < len(own) else duration
            hold = nxt - turn.end_s
            label = f"p{seat_index}_{k}"
            chains.append(
                f"[{input_index}:v:0]fps={FPS},scale={seat.size}:{seat.size},setsar=1,"
                f"trim=duration={length:.3f},setpts=PTS-STARTPTS,"
                f"tpad=start_mode=clone:start_duration={lead:.3f}"
                f":stop_mode=clone:stop_duration={hold:.3f}[{label}]"
            )
            pieces.append(f"[{label}]")
            input_index += 1
            a0 = round(turn.offset_s * RATE_HZ)
            piece = sound[a0 : a0 + round(length * RATE_HZ)]
            b0 = round(turn.start_s * RATE_HZ)
            audio[b0 : b0 + len(piece)] += piece
        chains.append(
            f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0,"
            f"trim=duration={duration:.3f}[seat{seat_index}]"
        )
    base = "bg"
    for seat_index, seat in enumerate(seats):
        chains.append(
            f"[{base}][seat{seat_index}]overlay=x={seat.x}:y={seat.y}:eof_action=pass"
            f"[c{seat_index}]"
        )
        base = f"c{seat_index}"
    wav = write_wav(audio[: round(duration * RATE_HZ)], RATE_HZ, out.with_suffix(".wav"))
    args += ["-i", str(wav)]
    args += ["-filter_complex", ";".join(chains), "-map", f"[{base}]", "-map", f"{input_index}:a"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k", "-t", f"{duration:.3f}", str(out)]
    run_ffmpeg(media.ffmpeg_bin, args, timeout_s=300)
    boxes = tuple(_seat_face_box(seat) for seat in seats)
    return Scene(out, canvas, duration, tuple(seats), tuple(turns), boxes)


def _seat_face_box(seat: Seat) -> Box:
    """Median face box of the seat's source over a few frames, mapped onto the canvas."""
    media = MediaConfig()
    detector = YuFaceDetector(FaceConfig())
    found = []
    for t_s in (0.5, 1.5, 2.5, 3.5):
        raw = run_ffmpeg(
            media.ffmpeg_bin,
            ["-v", "error", "-ss", str(t_s), "-i", str(seat.source), "-frames:v", "1",
             "-vf", f"scale={seat.size}:{seat.size}", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "pipe:1"],
            timeout_s=60,
        ).stdout  # fmt: skip
        rgb = np.frombuffer(raw, dtype=np.uint8).reshape(seat.size, seat.size, 3)
        faces = detector.detect(rgb)
        if faces:
            box = max(faces, key=lambda f: f[1])[0]
            found.append((box.x, box.y, box.w, box.h))
    x, y, w, h = np.median(np.asarray(found), axis=0)
    return Box(float(x) + seat.x, float(y) + seat.y, float(w), float(h))


def two_seat_turns() -> list[Turn]:
    """A-B-A-(B interjection 0.7 s)-A-B-A over 24 s; A = seat 0, B = seat 1."""
    return [
        Turn(0, 0.0, 5.0, 20.0),
        Turn(1, 5.0, 9.0, 0.0),
        Turn(0, 9.0, 13.5, 25.0),
        Turn(1, 13.5, 14.2, 4.0),
        Turn(0, 14.2, 17.7, 29.5),
        Turn(1, 17.7, 21.0, 4.7),
        Turn(0, 21.0, 24.0, 33.0),
    ]

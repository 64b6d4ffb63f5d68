"""Speaker-aware layout of one clip: who is framed, in which layout, and how the camera moves.

Pure decisions over the speaker-turns table and the face-track table (source time and
pixels in, clip-time :class:`~ai_video.types.ClipLayout` out):

* **targets** - the camera frames the face of the current speaker turn. A new speaker
  gets a hard cut at the start of their turn; turns shorter than ``interjection_s`` never
  move the camera; before the first named turn the camera frames the first speaker.
* **layouts** - ``speaker`` (crop on the target), ``split`` (two faces stacked top and
  bottom), ``fit`` (whole frame over a blurred copy). ``auto`` uses ``split`` over runs
  of at least ``split_min_turns`` turns alternating between two faces, each shorter than
  ``split_turn_s``; ``fit`` whenever nobody is on screen; ``speaker`` otherwise.
* **camera** - per segment and per shot: one still keyframe while the face stays inside
  the dead zone; otherwise a bounded-acceleration follow (no overshoot, no oscillation).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ai_video.config import LayoutConfig, ReframeConfig
from ai_video.edit.reframe import crop_size
from ai_video.kernels.smooth import bounded_follow, fill_gaps
from ai_video.types import (
    ClipLayout,
    CropKeyframe,
    CropPath,
    FloatArray,
    LayoutSegment,
    Shot,
    TimeSpan,
)

SPEAKER = "speaker"
SPLIT = "split"
FIT = "fit"


@dataclass(frozen=True, slots=True)
class _Piece:
    """A layout decision in source time, before its crops are planned."""

    start_s: float
    end_s: float
    layout: str
    track_ids: tuple[int, ...]
    voice_id: int | None


@dataclass(frozen=True, slots=True)
class _Geometry:
    crop_w: int
    crop_h: int
    source_w: int
    source_h: int

    def corner(self, cx: float, cy: float) -> tuple[int, int]:
        """Even top-left corner of the crop centred as near ``(cx, cy)`` as the frame allows."""
        max_x = _even_floor(self.source_w - self.crop_w)
        max_y = _even_floor(self.source_h - self.crop_h)
        x = round((cx - self.crop_w / 2) / 2) * 2
        y = round((cy - self.crop_h / 2) / 2) * 2
        return min(max(x, 0), max_x), min(max(y, 0), max_y)


def plan_layout(
    span: TimeSpan,
    turns: pl.DataFrame,
    tracks: pl.DataFrame,
    shots: Sequence[Shot],
    source_size: tuple[int, int],
    output_size: tuple[int, int],
    cfg: LayoutConfig,
    reframe: ReframeConfig,
    detector: str = "",
) -> ClipLayout:
    """Layout segments (clip time) for the clip ``span`` of a source (see module docs).

    ``turns`` is the speaker-turns table (``start_s, end_s, voice_id, face_track_id``) and
    ``tracks`` the face-track table (``track_id, t_s, x, y, w, h``), both in source time.
    """
    visible = tracks.filter((pl.col("t_s") >= span.start_s) & (pl.col("t_s") < span.end_s))
    if cfg.layout == FIT or visible.is_empty():
        pieces = [_Piece(span.start_s, span.end_s, FIT, (), None)]
    else:
        pieces = _pieces(span, _face_turns(span, turns), visible, cfg)
    pieces = _merge_short(pieces, cfg.min_segment_s)
    cuts = sorted(s.span.start_s for s in shots)
    segments = []
    for piece in pieces:
        segments.append(_segment(piece, span, tracks, cuts, source_size, output_size, reframe, cfg))
    return ClipLayout(tuple(segments), detector, blur_sigma=cfg.fit_blur_sigma)


def _face_turns(span: TimeSpan, turns: pl.DataFrame) -> list[tuple[float, float, int, int]]:
    """Turns with a named face inside ``span``, clipped, consecutive same-face turns joined."""
    rows = turns.filter(
        pl.col("face_track_id").is_not_null()
        & (pl.col("end_s") > span.start_s)
        & (pl.col("start_s") < span.end_s)
    ).sort("start_s")
    out: list[tuple[float, float, int, int]] = []
    for row in rows.iter_rows(named=True):
        start, end = max(row["start_s"], span.start_s), min(row["end_s"], span.end_s)
        face, voice = int(row["face_track_id"]), int(row["voice_id"])
        if out and out[-1][3] == face:
            out[-1] = (out[-1][0], end, out[-1][2], face)
        else:
            out.append((start, end, voice, face))
    return out


def _pieces(
    span: TimeSpan,
    face_turns: list[tuple[float, float, int, int]],
    visible: pl.DataFrame,
    cfg: LayoutConfig,
) -> list[_Piece]:
    """Speaker / split pieces covering ``span`` (source time)."""
    presence = (
        visible.group_by("track_id").len().sort(["len", "track_id"], descending=[True, False])
    )
    by_presence = [int(t) for t in presence["track_id"]]
    if cfg.layout == SPLIT:
        if len(by_presence) >= 2:
            pair = _left_to_right(visible, by_presence[:2])
            return [_Piece(span.start_s, span.end_s, SPLIT, pair, None)]
        return [_Piece(span.start_s, span.end_s, SPEAKER, (by_presence[0],), None)]
    if not face_turns:
        return [_Piece(span.start_s, span.end_s, SPEAKER, (by_presence[0],), None)]
    splits = _quick_exchanges(face_turns, cfg) if cfg.layout == "auto" else []
    targets = _targets(face_turns, cfg.interjection_s)
    pieces: list[_Piece] = []
    cursor = span.start_s
    for start, end, pair in [*splits, (span.end_s, span.end_s, ())]:
        start, end = max(start, span.start_s), min(end, span.end_s)
        if start > cursor:
            pieces += _speaker_pieces(cursor, start, targets)
        if end > start and pair:
            pieces.append(_Piece(start, end, SPLIT, _left_to_right(visible, list(pair)), None))
        cursor = max(cursor, end)
    return pieces


def _targets(
    face_turns: list[tuple[float, float, int, int]], interjection_s: float
) -> list[tuple[float, int, int]]:
    """``(from_s, face, voice)`` camera targets: a new face cuts in at its turn's start."""
    targets: list[tuple[float, int, int]] = []
    for start, end, voice, face in face_turns:
        if targets and targets[-1][1] == face:
            continue
        if targets and end - start < interjection_s:
            continue
        targets.append((start, face, voice))
    return targets


def _speaker_pieces(
    start_s: float, end_s: float, targets: list[tuple[float, int, int]]
) -> list[_Piece]:
    """Speaker pieces over ``[start_s, end_s)``, the target in force at ``start_s`` first."""
    current = targets[0]
    for target in targets:
        if target[0] <= start_s + 1e-9:
            current = target
    out = [_Piece(start_s, end_s, SPEAKER, (current[1],), current[2])]
    for from_s, face, voice in targets:
        if start_s < from_s < end_s and face != out[-1].track_ids[0]:
            last = out[-1]
            out[-1] = _Piece(last.start_s, from_s, SPEAKER, last.track_ids, last.voice_id)
            out.append(_Piece(from_s, end_s, SPEAKER, (face,), voice))
    return out


def _quick_exchanges(
    face_turns: list[tuple[float, float, int, int]], cfg: LayoutConfig
) -> list[tuple[float, float, tuple[int, ...]]]:
    """Runs of short turns alternating between two faces: ``(start_s, end_s, (a, b))``."""
    out: list[tuple[float, float, tuple[int, ...]]] = []
    run: list[tuple[float, float, int, int]] = []

    def close() -> None:
        faces = {t[3] for t in run}
        if len(run) >= cfg.split_min_turns and len(faces) == 2:
            out.append((run[0][0], run[-1][1], tuple(sorted(faces))))

    for turn in face_turns:
        short = turn[1] - turn[0] < cfg.split_turn_s
        faces = {t[3] for t in run} | {turn[3]}
        if short and len(faces) <= 2:
            run.append(turn)
            continue
        close()
        run = [turn] if short else []
    close()
    return out


def _left_to_right(visible: pl.DataFrame, track_ids: list[int]) -> tuple[int, ...]:
    """Track ids ordered by their median horizontal centre (left person on top)."""
    centres = {t: _median_centre_x(visible, t) for t in track_ids}
    return tuple(sorted(track_ids, key=lambda t: centres[t]))


def _median_centre_x(tracks: pl.DataFrame, track_id: int) -> float:
    """Median horizontal face centre of one track (0 when it has no rows)."""
    rows = tracks.filter(pl.col("track_id") == track_id)
    if rows.is_empty():
        return 0.0
    return float(np.median((rows["x"] + rows["w"] / 2).to_numpy()))


def _merge_short(pieces: list[_Piece], min_s: float) -> list[_Piece]:
    """Pieces shorter than ``min_s`` absorbed by the piece before (the first by the next)."""
    out: list[_Piece] = []
    for piece in pieces:
        if out and (
            piece.end_s - piece.start_s < min_s
            or (piece.layout, piece.track_ids) == (out[-1].layout, out[-1].track_ids)
        ):
            last = out[-1]
            out[-1] = _Piece(last.start_s, piece.end_s, last.layout, last.track_ids, last.voice_id)
        else:
            out.append(piece)
    if len(out) > 1 and out[0].end_s - out[0].start_s < min_s:
        first, second = out[0], out[1]
        out[:2] = [
            _Piece(first.start_s, second.end_s, second.layout, second.track_ids, second.voice_id)
        ]
    return out


def _segment(
    piece: _Piece,
    span: TimeSpan,
    tracks: pl.DataFrame,
    cuts: list[float],
    source_size: tuple[int, int],
    output_size: tuple[int, int],
    reframe: ReframeConfig,
    cfg: LayoutConfig,
) -> LayoutSegment:
    """The clip-time segment of one piece with its crop paths planned."""
    clip_span = TimeSpan(
        round(piece.start_s - span.start_s, 6), round(piece.end_s - span.start_s, 6)
    )
    if piece.layout == FIT:
        return LayoutSegment(clip_span, FIT, (), (), piece.voice_id)
    if piece.layout == SPEAKER:
        geometry = _geometry(crop_size(source_size, output_size), source_size)
    else:
        geometry = _split_geometry(piece, tracks, source_size, output_size)
    crops = []
    for track_id in piece.track_ids:
        rows = tracks.filter(pl.col("track_id") == track_id)
        crops.append(_follow(piece, rows, cuts, geometry, reframe, cfg))
    return LayoutSegment(clip_span, piece.layout, tuple(crops), piece.track_ids, piece.voice_id)


def _geometry(size: tuple[int, int], source_size: tuple[int, int]) -> _Geometry:
    return _Geometry(size[0], size[1], source_size[0], source_size[1])


def _split_geometry(
    piece: _Piece,
    tracks: pl.DataFrame,
    source_size: tuple[int, int],
    output_size: tuple[int, int],
) -> _Geometry:
    """Half-frame crops, no wider than the distance between the two faces' centres."""
    half = (output_size[0], output_size[1] // 2)
    full_w, full_h = crop_size(source_size, half)
    inside = tracks.filter((pl.col("t_s") >= piece.start_s) & (pl.col("t_s") < piece.end_s))
    centres = [_median_centre_x(inside, t) for t in piece.track_ids]
    gap = abs(centres[0] - centres[1]) if len(centres) == 2 else full_w
    width = _even_floor(min(full_w, max(gap, full_w / 2)))
    height = _even_floor(min(full_h, width * half[1] / half[0]))
    return _Geometry(width, height, source_size[0], source_size[1])


def _follow(
    piece: _Piece,
    rows: pl.DataFrame,
    cuts: list[float],
    geometry: _Geometry,
    reframe: ReframeConfig,
    cfg: LayoutConfig,
) -> CropPath:
    """Crop path (segment time) following one track over the piece, re-planned at shot cuts."""
    bounds = [piece.start_s, *[c for c in cuts if piece.start_s < c < piece.end_s], piece.end_s]
    times = rows["t_s"].to_numpy()
    cx = (rows["x"] + rows["w"] / 2).to_numpy()
    cy = (rows["y"] + rows["h"] / 2).to_numpy()
    keyframes: list[CropKeyframe] = []
    for start, end in itertools.pairwise(bounds):
        for t_s, x, y in _plan_part(start, end, times, cx, cy, geometry, reframe, cfg):
            if keyframes and (keyframes[-1].x, keyframes[-1].y) == (x, y):
                continue
            keyframes.append(
                CropKeyframe(round(t_s - piece.start_s, 6), x, y, geometry.crop_w, geometry.crop_h)
            )
    return CropPath(tuple(keyframes))


def _plan_part(
    start_s: float,
    end_s: float,
    times: FloatArray,
    cx: FloatArray,
    cy: FloatArray,
    geometry: _Geometry,
    reframe: ReframeConfig,
    cfg: LayoutConfig,
) -> list[tuple[float, int, int]]:
    """``(t_s, x, y)`` keyframes (source time) for one shot's part of a piece."""
    inside = (times >= start_s) & (times < end_s)
    if not inside.any():
        if len(times) == 0:
            return [(start_s, *geometry.corner(geometry.source_w / 2, geometry.source_h / 2))]
        nearest = int(np.argmin(np.abs(times - start_s)))
        return [(start_s, *geometry.corner(cx[nearest], cy[nearest]))]
    t_in, x_in, y_in = times[inside], cx[inside], cy[inside]
    spread_x = float(np.subtract(*np.percentile(x_in, [90, 10])))
    spread_y = float(np.subtract(*np.percentile(y_in, [90, 10])))
    if (
        spread_x <= reframe.still_motion_frac * geometry.crop_w
        and spread_y <= reframe.still_motion_frac * geometry.crop_h
    ) or len(t_in) == 1:
        return [(start_s, *geometry.corner(float(np.median(x_in)), float(np.median(y_in))))]
    dt = reframe.keyframe_step_s
    steps = max(1, math.ceil((end_s - start_s) / dt - 1e-9))
    grid = start_s + np.arange(steps, dtype=np.float64) * dt
    paths = []
    for values, size in ((x_in, geometry.crop_w), (y_in, geometry.crop_h)):
        on_grid = np.interp(grid, t_in, fill_gaps(values))
        paths.append(
            bounded_follow(
                on_grid,
                reframe.dead_zone_frac * size,
                cfg.max_pan_speed_frac * geometry.crop_w * dt,
                cfg.max_pan_accel_frac * geometry.crop_w * dt * dt,
            )
        )
    out: list[tuple[float, int, int]] = []
    for t_s, px, py in zip(grid, paths[0], paths[1], strict=True):
        x, y = geometry.corner(float(px), float(py))
        if not out or (out[-1][1], out[-1][2]) != (x, y):
            out.append((float(t_s), x, y))
    return out


def _even_floor(value: float) -> int:
    return math.floor(value / 2.0) * 2

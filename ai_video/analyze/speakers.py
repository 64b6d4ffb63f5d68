"""Who speaks when, on screen: voice turns matched to face tracks by mouth motion.

A voice belongs to the face whose mouth moves while that voice is heard and rests while it
is not. For every (voice, track) pair the contrast is the track's mean mouth motion inside
the voice's turns minus its mean motion outside them (only samples where the track is on
screen count), relative to the track's overall motion. Voices are assigned to tracks one
to one by the largest total contrast (Hungarian). Each voice turn then names the face
track of its voice when that face is on screen during the turn, else the visible face
whose mouth moves most during it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl

from ai_video.types import FloatArray

SPEAKER_TURN_SCHEMA = {
    "start_s": pl.Float64,
    "end_s": pl.Float64,
    "voice_id": pl.Int64,
    "face_track_id": pl.Int64,
    "confidence": pl.Float64,
}
"""Speaker-turns table: ``face_track_id`` is null when no face could be named."""

_EPS = 1e-6


def voice_face_contrast(voice_turns: pl.DataFrame, tracks: pl.DataFrame) -> FloatArray:
    """``(voices, tracks)`` matrix of relative mouth-motion contrast (NaN: never both seen)."""
    voices = int(voice_turns["voice_id"].to_numpy().max()) + 1 if len(voice_turns) else 0
    n_tracks = int(tracks["track_id"].to_numpy().max()) + 1 if len(tracks) else 0
    out = np.full((voices, n_tracks), np.nan)
    if voices == 0 or n_tracks == 0:
        return out
    starts = voice_turns["start_s"].to_numpy()
    ends = voice_turns["end_s"].to_numpy()
    ids = voice_turns["voice_id"].to_numpy()
    usable = tracks.filter(pl.col("mouth_motion").is_not_nan())
    for track_id in range(n_tracks):
        rows = usable.filter(pl.col("track_id") == track_id)
        if rows.is_empty():
            continue
        times = rows["t_s"].to_numpy()
        motion = rows["mouth_motion"].to_numpy()
        scale = float(np.mean(motion)) + _EPS
        for voice in range(voices):
            inside = np.zeros(len(times), dtype=np.bool_)
            for start, end in zip(starts[ids == voice], ends[ids == voice], strict=True):
                inside |= (times >= start) & (times < end)
            if inside.any() and (~inside).any():
                out[voice, track_id] = (motion[inside].mean() - motion[~inside].mean()) / scale
            elif inside.any():
                out[voice, track_id] = 0.0
    return out


def match_voices_to_faces(contrast: FloatArray) -> dict[int, tuple[int, float]]:
    """Voice -> (track, confidence 0..1) by the one-to-one assignment of largest contrast.

    Only positive contrasts are kept; confidence grows with the contrast and with its
    margin over the voice's next best track.
    """
    from scipy.optimize import linear_sum_assignment

    if contrast.size == 0:
        return {}
    filled = np.where(np.isnan(contrast), -1.0, contrast)
    rows, cols = linear_sum_assignment(-filled)
    out: dict[int, tuple[int, float]] = {}
    for voice, track in zip(rows.tolist(), cols.tolist(), strict=True):
        value = filled[voice, track]
        if value <= 0:
            continue
        others = np.delete(filled[voice], track)
        margin = value - (float(others.max()) if len(others) else 0.0)
        confidence = (1 - math.exp(-2 * value)) * (0.5 + 0.5 * math.tanh(2 * max(margin, 0.0)))
        out[voice] = (track, round(float(confidence), 3))
    return out


def speaker_turns(
    voice_turns: pl.DataFrame, tracks: pl.DataFrame, max_gap_s: float = 1.0
) -> pl.DataFrame:
    """Speaker turns ``(start_s, end_s, voice_id, face_track_id, confidence)``.

    ``max_gap_s``: a track counts as on screen during a turn when it has a detection inside
    the turn or within this long of it.
    """
    if voice_turns.is_empty():
        return pl.DataFrame(schema=SPEAKER_TURN_SCHEMA)
    matches = match_voices_to_faces(voice_face_contrast(voice_turns, tracks))
    times = tracks["t_s"].to_numpy() if len(tracks) else np.zeros(0)
    track_ids = tracks["track_id"].to_numpy() if len(tracks) else np.zeros(0, dtype=np.int64)
    motion = tracks["mouth_motion"].to_numpy() if len(tracks) else np.zeros(0)
    rows: dict[str, list[object]] = {name: [] for name in SPEAKER_TURN_SCHEMA}
    for turn in voice_turns.iter_rows(named=True):
        near = (times >= turn["start_s"] - max_gap_s) & (times < turn["end_s"] + max_gap_s)
        visible = set(track_ids[near].tolist())
        face: int | None = None
        confidence = 0.0
        matched = matches.get(turn["voice_id"])
        if matched is not None and matched[0] in visible:
            face, confidence = matched
        elif visible:
            inside = (times >= turn["start_s"]) & (times < turn["end_s"]) & ~np.isnan(motion)
            scores = {
                t: float(np.mean(motion[inside & (track_ids == t)]))
                for t in visible
                if (inside & (track_ids == t)).any()
            }
            if scores:
                face = max(scores, key=lambda t: scores[t])
                total = sum(scores.values()) + _EPS
                confidence = round(0.5 * scores[face] / total, 3)
        rows["start_s"].append(turn["start_s"])
        rows["end_s"].append(turn["end_s"])
        rows["voice_id"].append(turn["voice_id"])
        rows["face_track_id"].append(face)
        rows["confidence"].append(confidence)
    return refine_boundaries(pl.DataFrame(rows, schema=SPEAKER_TURN_SCHEMA), tracks)


def refine_boundaries(
    turns: pl.DataFrame, tracks: pl.DataFrame, reach_s: float = 0.9
) -> pl.DataFrame:
    """Speaker changes moved to where the mouths say the hand-over happened.

    Diarization windows blur a change by about half a window. Where two adjacent turns
    name different faces that are both on screen, the boundary is moved (by at most
    ``reach_s``) to the sample time that best separates "first face's mouth moves more"
    before it from "second face's mouth moves more" after it.
    """
    if len(turns) < 2 or tracks.is_empty():
        return turns
    rows = turns.to_dicts()
    usable = tracks.filter(pl.col("mouth_motion").is_not_nan())
    for first, second in itertools.pairwise(rows):
        a, b = first["face_track_id"], second["face_track_id"]
        if a is None or b is None or a == b:
            continue
        lo = max(first["start_s"], second["start_s"] - reach_s)
        hi = min(second["end_s"], first["end_s"] + reach_s)
        window = usable.filter((pl.col("t_s") >= lo) & (pl.col("t_s") < hi))
        motion_a = dict(
            window.filter(pl.col("track_id") == a).select("t_s", "mouth_motion").iter_rows()
        )
        motion_b = dict(
            window.filter(pl.col("track_id") == b).select("t_s", "mouth_motion").iter_rows()
        )
        times = sorted(set(motion_a) & set(motion_b))
        if len(times) < 3:
            continue
        lead = np.asarray([motion_a[t] - motion_b[t] for t in times])
        # score of a boundary before sample k: a leads before it, b leads from it on
        scores = [lead[:k].sum() - lead[k:].sum() for k in range(1, len(times))]
        best = int(np.argmax(scores)) + 1
        boundary = float(times[best])
        if first["start_s"] < boundary < second["end_s"]:
            first["end_s"] = (
                min(first["end_s"], boundary) if boundary < second["start_s"] else boundary
            )
            second["start_s"] = boundary
    return pl.DataFrame(rows, schema=SPEAKER_TURN_SCHEMA)

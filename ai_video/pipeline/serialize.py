"""Stage outputs to and from files in a cache entry (npz for arrays, orjson for records)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import orjson

from ai_video.types import (
    FaceTrack,
    Shot,
    SpeechActivity,
    TimeSpan,
    VisualAnalysis,
)


def to_jsonable(value: Any) -> Any:
    """orjson ``default`` hook: paths as strings, dataclasses as dicts, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of a value made of records, paths, numbers and strings."""
    return orjson.dumps(
        value, default=to_jsonable, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY
    )


def save_speech(speech: SpeechActivity, path: Path) -> None:
    """Write speech activity as npz."""
    spans = np.array([[s.start_s, s.end_s] for s in speech.speech_spans], dtype=np.float64)
    with path.open("wb") as fh:
        np.savez(
            fh,
            hop_s=np.array(speech.hop_s),
            loudness_db=speech.loudness_db,
            voiced=speech.voiced,
            spans=spans.reshape(-1, 2),
        )


def load_speech(path: Path) -> SpeechActivity:
    """Read speech activity written by :func:`save_speech`."""
    with np.load(path) as z:
        return SpeechActivity(
            hop_s=float(z["hop_s"]),
            loudness_db=z["loudness_db"].astype(np.float64),
            voiced=z["voiced"].astype(bool),
            speech_spans=tuple(TimeSpan(float(a), float(b)) for a, b in z["spans"]),
        )


def save_visuals(visual: VisualAnalysis, path: Path) -> None:
    """Write the visual analysis as npz (shots as an array of start/end times and frames)."""
    shots = np.array(
        [[s.span.start_s, s.span.end_s, s.start_frame, s.end_frame] for s in visual.shots],
        dtype=np.float64,
    ).reshape(-1, 4)
    f = visual.faces
    with path.open("wb") as fh:
        np.savez(
            fh,
            fps=np.array(visual.fps),
            frame_count=np.array(visual.frame_count),
            shots=shots,
            shot_causes=np.array([s.cause for s in visual.shots], dtype=np.str_),  # issue 15
            motion=visual.motion,
            face_times=f.times_s,
            face_boxes=f.boxes,
            face_scores=f.scores,
            face_counts=f.counts,
            detector=np.array(f.detector),
        )


def load_visuals(path: Path) -> VisualAnalysis:
    """Read a visual analysis written by :func:`save_visuals`."""
    with np.load(path) as z:
        causes = [str(c) for c in z["shot_causes"]] if "shot_causes" in z else []
        shots = tuple(
            Shot(
                index=i,
                span=TimeSpan(float(a), float(b)),
                start_frame=int(c),
                end_frame=int(d),
                cause=_shot_cause(causes[i] if i < len(causes) else ("start" if i == 0 else "cut")),
            )
            for i, (a, b, c, d) in enumerate(z["shots"])
        )
        faces = FaceTrack(
            times_s=z["face_times"].astype(np.float64),
            boxes=z["face_boxes"].astype(np.float64),
            scores=z["face_scores"].astype(np.float64),
            counts=z["face_counts"].astype(np.int32),
            detector=str(z["detector"]),
        )
        return VisualAnalysis(
            fps=float(z["fps"]),
            frame_count=int(z["frame_count"]),
            shots=shots,
            faces=faces,
            motion=z["motion"].astype(np.float64),
        )


def _shot_cause(text: str) -> Literal["start", "cut", "fade", "jump"]:
    """A stored shot cause, checked (issue 15)."""
    if text not in ("start", "cut", "fade", "jump"):
        raise ValueError(f"unknown shot cause {text!r}")
    return cast(Literal["start", "cut", "fade", "jump"], text)

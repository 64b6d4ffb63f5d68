"""The clip job's visual stages: the one analysis decode (shots, face tracks, motion) and
who speaks when (voices matched to faces)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.config import Settings
from ai_video.pipeline.serialize import load_visuals, save_visuals
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.pipeline.stages.audio import DIARIZE
from ai_video.types import VisualAnalysis

# --------------------------------------------------------------------------- visuals


@dataclass(frozen=True)
class SceneFacts:
    """What the one analysis decode found: shots, the main face, motion, and every face as
    a track with its mouth motion (speaker analysis)."""

    visual: VisualAnalysis
    tracks: pl.DataFrame
    """Face tracks, one row per detection (analyze.face_tracks.TRACK_COLUMNS)."""


def produce_visuals(out: Path, src: SourceRef, settings: Settings, detector: Any) -> None:
    """The one shared analysis decode: shots, faces (all of them, tracked) and motion."""
    from ai_video.analyze.face_tracks import FaceCollector, link_face_tracks
    from ai_video.analyze.shots import track_breaks_s
    from ai_video.analyze.visual import analyze_visuals
    from ai_video.media.frames import analysis_fps, stream_planes

    fps = analysis_fps(src.info, settings.analysis)
    width = settings.analysis.frame_width_px
    # issue 15: one YUV decode (no RGB conversion, deblocking skipped); every frame is kept
    # because mouth motion compares consecutive frames
    batches = stream_planes(src.info, settings.analysis, settings.media, width, skip_nonref=False)
    tracks_all = hasattr(detector, "detect_landmarks")  # mouths need landmarks (YuNet)
    collector = FaceCollector(detector, settings.speakers, fps) if tracks_all else None
    visual = analyze_visuals(batches, settings.shots, settings.faces, detector, fps, collector)
    save_visuals(visual, out / "visuals.npz")
    cuts = track_breaks_s(visual.shots)
    detections = collector.detections() if collector is not None else pl.DataFrame()
    link_face_tracks(detections, settings.speakers, cuts).write_parquet(out / "face_tracks.parquet")


def load_scene(entry: Path) -> SceneFacts:
    """The analysis written by :func:`produce_visuals`."""
    tracks = pl.read_parquet(entry / "face_tracks.parquet")
    return SceneFacts(load_visuals(entry / "visuals.npz"), tracks)


VISUALS = Stage[SceneFacts](
    name="visuals",
    version=4,  # issue 15: shots and faces from the YUV analysis stream; tracks span jumps
    produce=produce_visuals,
    load=load_scene,
    reads=("analysis", "shots", "faces", "speakers"),
    model="faces",
)

# --------------------------------------------------------------------------- speakers (issue 9)


def produce_speaker_turns(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    voice_turns: pl.DataFrame,
    scene: SceneFacts,
) -> None:
    """Which face speaks in each voice turn (mouth motion vs voice, matched by co-occurrence),
    with speaker changes moved to where the mouths hand over."""
    from ai_video.analyze.speakers import speaker_turns

    speaker_turns(voice_turns, scene.tracks).write_parquet(out / "speaker_turns.parquet")


def load_speaker_turns(entry: Path) -> pl.DataFrame:
    """Speaker turns ``(start_s, end_s, voice_id, face_track_id, confidence)``."""
    return pl.read_parquet(entry / "speaker_turns.parquet")


SPEAKERS = Stage[pl.DataFrame](
    name="speakers",
    version=1,
    produce=produce_speaker_turns,
    load=load_speaker_turns,
    upstream=(DIARIZE, VISUALS),
    reads_source=False,
)

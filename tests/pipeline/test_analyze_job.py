"""``ai-video analyze`` on inputs whose truth is known by construction.

Two GRID clips (different speakers, 25 fps, 3.0 s each) are joined: one cut at frame 75,
and the words are the two known GRID sentences. The PySceneDetect test video (silent)
has known hard cuts at frames 30 and 180. The clip job run afterwards on the joined file
with the same cache finds every analysis stage already cached: analyze produced the very
stage outputs the clip job uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ai_video.cli import app
from ai_video.config import Settings
from ai_video.pipeline.analyze_job import TABLES, run_analyze_job
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.requests import ClipRequest
from benchmarking.datasets import load_registry
from benchmarking.evaluate.asr import asr_score, normalize

pytestmark = [pytest.mark.media, pytest.mark.slow]

GRID = ("brbk7n.mpg", "lbax4n.mpg")
ANALYSIS_STAGES = 9


def joined_grid(media: Path, out: Path) -> tuple[Path, str]:
    """The two GRID clips back to back (H.264/AAC, 25 fps) and their joined transcript."""
    reg = load_registry(media)
    clips = [i for i in reg.query("talking", ("transcript",)) if i.name in GRID]
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for clip in clips:
        cmd += ["-i", str(clip.path)]
    cmd += [
        "-filter_complex", "[0:v][0:a][1:v][1:a]concat=n=2:v=1:a=1[v][a]",
        "-map", "[v]", "-map", "[a]", "-r", "25", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=120)
    return out, " ".join(reg.transcript(c) for c in clips)


def test_analyze_tables_match_the_constructed_truth(media: Path, tmp_path: Path) -> None:
    source, text = joined_grid(media, tmp_path / "joined.mp4")
    settings = Settings().with_overrides(
        {"cache.dir": str(tmp_path / "cache"), "ray.enabled": False, "curate.max_clips": 1,
         "curate.min_s": 1.0, "curate.max_s": 6.0, "render.prefer_hardware": False}
    )  # fmt: skip
    result = run_analyze_job(str(source), tmp_path / "analysis", settings, as_json=True)
    assert set(result.tables) == set(TABLES)
    shots = pl.read_parquet(result.tables["shots"])
    assert shots.columns == ["index", "start_frame", "end_frame", "start_s", "end_s"]
    assert shots["start_frame"].to_list() == [0, 75]
    assert shots["start_s"][1] == pytest.approx(3.0, abs=0.001)
    assert json.loads((result.out_dir / "shots.json").read_text())[1]["start_frame"] == 75
    words = pl.read_parquet(result.tables["words"])
    assert {"text", "start_s", "end_s", "probability"} <= set(words.columns)
    assert words["start_s"].is_sorted() and (words["end_s"] <= 6.05).all()
    # GRID letters and digits come back as 'K7', 'X4': judge the plain English words, each
    # on its own side of the cut at 3.0 s (first clip: 'by'; second: 'blue', 'at')
    heard = {normalize(w): s for w, s in zip(words["text"], words["start_s"], strict=True)}
    assert heard["by"] < 3.0 and heard["blue"] > 3.0 and heard["at"] > 3.0
    assert asr_score(text, " ".join(words["text"])).cer < 0.5
    activity = pl.read_parquet(result.tables["speech_activity"])
    assert activity["voiced"].any() and activity["start_s"].max() == pytest.approx(6.0, abs=0.1)
    tracks = pl.read_parquet(result.tables["face_tracks"])
    assert tracks.height > 0 and {"track_id", "t_s"} <= set(tracks.columns)
    for name in ("speaker_turns", "topics"):
        assert pl.read_parquet(result.tables[name]).columns
    summary = json.loads(result.summary_path.read_text())
    assert summary["analysis_fps"] == 25 and summary["rows"]["shots"] == 2

    job = run_clip_job(ClipRequest(str(source), tmp_path / "clips"), settings)
    assert job.cache_hits >= ANALYSIS_STAGES


def test_analyze_cli_on_a_silent_scene_file(media: Path, tmp_path: Path) -> None:
    reg = load_registry(media)
    scene = next(i for i in reg.query("scenes", ("cuts",)) if reg.cut_frames(i) == (30, 180))
    out = tmp_path / "scene"
    ran = CliRunner().invoke(app, ["analyze", str(scene.path), "--out", str(out), "--json",
                                   "--no-cache"])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    starts = pl.read_parquet(out / "shots.parquet")["start_frame"].to_list()
    assert {30, 180} <= set(starts)
    assert pl.read_parquet(out / "words.parquet").height == 0
    assert (out / "shots.json").is_file() and (out / "analysis.json").is_file()

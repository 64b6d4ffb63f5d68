"""End to end on a constructed two-person interview: the clips frame whoever is speaking.

Two shared talking heads sit side by side on a 1280x720 canvas; turns alternate A-B-A-(B
0.7 s interjection)-A-B-A and the silent seat is frozen (tests/speakers_media.py), so who
speaks when and where each face is are known by construction. The clip job runs as a user
runs it; the manifest's layout segments are checked against that truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ai_video.config import Settings
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.requests import ClipJobResult, ClipRequest
from tests.speakers_media import Scene, Seat, build_scene, two_seat_turns

pytestmark = [pytest.mark.media, pytest.mark.slow]

GRACE_S = 0.5
OUT_FPS = 30


@pytest.fixture(scope="module")
def interview(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    talking = media / "talking"
    return build_scene(
        tmp_path_factory.mktemp("interview") / "interview.mp4",
        [
            Seat(talking / "dfrf_cnn2_25fps.mp4", 64, 104, 512),
            Seat(talking / "sadtalker_WDA_KatieHill_000.mp4", 704, 104, 512),
        ],
        two_seat_turns(),
    )


@pytest.fixture(scope="module")
def job(interview: Scene, tmp_path_factory: pytest.TempPathFactory) -> ClipJobResult:
    settings = Settings().with_overrides(
        {
            "cache.enabled": False,
            "ray.enabled": False,
            "platform": "shorts",
            "curate.max_clips": 2,
            "curate.min_s": 8.0,
            "curate.max_s": 24.0,
            "layout.layout": "speaker",
        }
    )
    out = tmp_path_factory.mktemp("interview_out") / "out"
    return run_clip_job(ClipRequest(str(interview.path), out), settings)


def _crop_at(segment: dict[str, Any], t_clip: float) -> list[float]:
    keyframes = segment["crops"][0]
    return [k for k in keyframes if k[0] <= t_clip + 1e-6][-1] if keyframes else []


def test_the_speaker_is_framed_after_each_turn_change(job: ClipJobResult, interview: Scene) -> None:
    manifest = json.loads(job.manifest_path.read_text())
    assert manifest["clips"], manifest.get("message")
    hits = total = 0
    changes = [t.start_s for t in interview.turns[1:] if t.end_s - t.start_s >= 1.0]
    for clip in manifest["clips"]:
        layout = clip["layout"]
        assert layout is not None and layout["detector"].startswith("yuface")
        for frame in range(round((clip["end_s"] - clip["start_s"]) * OUT_FPS)):
            t_clip = frame / OUT_FPS
            t_src = clip["start_s"] + t_clip
            seat = interview.speaker_at(t_src)
            turn = next(t for t in interview.turns if t.start_s <= t_src < t.end_s)
            if seat is None or turn.end_s - turn.start_s < 1.0:
                continue  # interjections are not followed, by design
            if any(0 <= t_src - c < GRACE_S for c in changes):
                continue
            segment = next(
                s for s in layout["segments"] if s["start_s"] <= t_clip < s["end_s"] + 1e-6
            )
            assert segment["layout"] == "speaker"
            _, x, _, w, _ = _crop_at(segment, t_clip)
            box = interview.face_boxes[seat]
            total += 1
            hits += x <= box.x + box.w / 2 <= x + w
    print(f"speaker in crop on {hits}/{total} output frames ({hits / total:.3f})")
    assert total > 100
    assert hits / total >= 0.95, f"speaker in crop on {hits}/{total} frames"


def test_speaker_turns_are_in_the_outputs(job: ClipJobResult) -> None:
    turns = pl.read_parquet(job.out_dir / "speaker_turns.parquet")
    assert {"start_s", "end_s", "voice_id", "face_track_id", "confidence"} <= set(turns.columns)
    assert turns["voice_id"].n_unique() == 2
    assert turns["face_track_id"].drop_nulls().n_unique() == 2

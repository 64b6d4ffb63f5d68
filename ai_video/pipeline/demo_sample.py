"""The demo's input: the shared talking-head sample when present, else a generated one."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ai_video.config import Settings

log = logging.getLogger(__name__)

SHARED_SAMPLE = Path("talking") / "dfrf_cnn2_25fps.mp4"

SAMPLE_SCRIPT = (
    "What if you could turn one long video into ten short clips while you sleep? "
    "That is exactly what this tool does. It listens to every word, finds the sentences "
    "that grab attention, and cuts them on clean boundaries. "
    "Here is the secret most creators miss. The first three seconds decide everything. "
    "If your opening line does not hook the viewer, they scroll away. "
    "So start with a question, a number, or a bold claim. "
    "Then keep the speaker in the frame and the captions in sync with the voice. "
    "Do you know why captions matter so much? Because most people watch with the sound off. "
    "Finally, keep each clip short, complete, and focused on one idea."
)


def demo_source(work_dir: Path, settings: Settings) -> Path:
    """The sample to clip: ``$AI_VIDEO_TEST_MEDIA/talking/dfrf_cnn2_25fps.mp4`` or a new one."""
    candidates = [
        Path(os.environ["AI_VIDEO_TEST_MEDIA"]) if "AI_VIDEO_TEST_MEDIA" in os.environ else None,
        Path("..") / "shared" / "media",
    ]
    for root in candidates:
        if root is not None and (root / SHARED_SAMPLE).is_file():
            return (root / SHARED_SAMPLE).resolve()
    log.info("shared sample not found; generating a narrated sample with piper")
    return generate_sample(work_dir, settings)


def generate_sample(work_dir: Path, settings: Settings) -> Path:
    """Speak :data:`SAMPLE_SCRIPT` with the offline piper voice over a generated picture."""
    from ai_video.generate.tts import Synthesizer
    from ai_video.media.audio import write_wav
    from ai_video.media.sample import make_narrated_sample

    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / "narrated_sample.mp4"
    if out.is_file():
        return out
    samples, rate = Synthesizer(settings.generate)(SAMPLE_SCRIPT)
    wav = write_wav(samples, rate, work_dir / "narration.wav")
    return make_narrated_sample(wav, out, len(samples) / rate, settings.media)

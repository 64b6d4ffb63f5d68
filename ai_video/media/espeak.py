"""espeak-ng speech synthesis: the last-resort voice when piper cannot be loaded.

The text goes in on stdin (so no word can be taken for an option) and the WAV comes back on
stdout; espeak-ng streams it with an unknown length in the header, so the samples are read
up to the end of the data instead of trusting the header.
"""

from __future__ import annotations

import io
import logging
import shlex
import subprocess
import wave

import numpy as np
import numpy.typing as npt

from ai_video.errors import MediaError, ModelUnavailable

log = logging.getLogger(__name__)

_INT16_SCALE = 32768.0


def synthesize_espeak(
    text: str, voice: str, words_per_minute: int, binary: str, timeout_s: float
) -> tuple[npt.NDArray[np.float32], int]:
    """Speak ``text`` with espeak-ng; return mono float32 samples in [-1, 1] and the rate."""
    cmd = [binary, "-v", voice, "-s", str(words_per_minute), "--stdin", "--stdout"]
    log.debug("run: %s", shlex.join(cmd))
    try:
        proc = subprocess.run(
            cmd, input=text.encode("utf-8"), capture_output=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError:
        raise ModelUnavailable(
            f"espeak-ng fallback voice: {binary!r} is not installed or not on PATH; "
            "install it with `apt-get install espeak-ng`"
        ) from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"espeak-ng ran past {timeout_s:.0f} s and was stopped") from None
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        last = stderr.splitlines()[-1] if stderr else "no output"
        raise MediaError(f"espeak-ng exited with {proc.returncode}: {last}")
    return _wav_samples(proc.stdout)


def _wav_samples(data: bytes) -> tuple[npt.NDArray[np.float32], int]:
    """Mono 16-bit PCM WAV bytes (possibly with a streaming header) as float32 samples."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"espeak-ng did not produce a WAV stream ({exc})") from None
    if width != 2 or channels != 1:
        raise MediaError(
            f"espeak-ng produced {channels}-channel {8 * width}-bit audio, not mono PCM16"
        )
    usable = len(frames) - len(frames) % 2
    samples = np.frombuffer(frames[:usable], dtype="<i2").astype(np.float32) / _INT16_SCALE
    return samples, rate

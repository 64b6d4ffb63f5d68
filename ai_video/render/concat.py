"""The final pass of a generated short: scenes joined without re-encoding, audio mixed in.

One ffmpeg process reads the scene files through the concat demuxer and copies their video
stream (the scenes share every encode parameter, see render/scene.py), reads the narration
and the looped music, mixes them with ducking at measured levels (media/mix.py), and encodes
only the audio (AAC). The result is written to a temporary sibling and moved into place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ai_video.config import Settings
from ai_video.errors import MediaError
from ai_video.media.ffmpeg import file_url, local_input, run_ffmpeg
from ai_video.media.files import replace_atomic
from ai_video.media.mix import (
    MIX_SAMPLE_RATE_HZ,
    Loudness,
    fit_mix_gains,
    level_gain_db,
    measure_loudness,
    mix_graph,
    mix_inputs,
)
from ai_video.types import RenderResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinalMix:
    """The finished short and the audio decisions behind it."""

    render: RenderResult
    voice: Loudness
    """Narration loudness as synthesized."""
    voice_gain_db: float
    music: Loudness | None
    """Music loudness over the short's length (None without music)."""
    music_gain_db: float | None
    predicted_lufs: float
    """Integrated loudness of the mix as measured before encoding."""


def write_concat_list(scene_files: Sequence[Path], path: Path) -> Path:
    """A concat-demuxer list naming each scene file by absolute path, quoted."""
    lines = ["ffconcat version 1.0"]
    for scene in scene_files:
        quoted = str(Path(scene).absolute()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def finish_short(
    scene_files: Sequence[Path],
    narration: Path,
    music: Path | None,
    duration_s: float,
    out_path: Path,
    settings: Settings,
    work_dir: Path,
) -> FinalMix:
    """Join the scenes (video copied) and mix narration with ducked music into ``out_path``."""
    if not scene_files:
        raise MediaError("no scene files to join")
    started = time.perf_counter()
    media, render, gen = settings.media, settings.render, settings.generate
    voice_level, music_level = measure_loudness(narration, music, duration_s, media)
    voice_gain = level_gain_db(voice_level, render.loudness_target_lufs)
    music_gain: float | None = None
    if music_level is not None and music_level.silent:
        log.warning("music %s is silent; the short gets narration only", music)
    elif music_level is not None:
        music_gain = level_gain_db(music_level, render.loudness_target_lufs + gen.music_gain_db)
    mixed_music = music if music_gain is not None else None
    (voice_gain, music_gain_fit), predicted = fit_mix_gains(
        narration, mixed_music, (voice_gain, music_gain or 0.0), duration_s, settings
    )
    list_file = write_concat_list(scene_files, work_dir / "scenes.ffconcat")
    args = ["-y", "-f", "concat", "-safe", "0", *local_input(list_file)]
    args += mix_inputs(narration, mixed_music, duration_s)
    graph = mix_graph(1, 2 if mixed_music else None, voice_gain, music_gain_fit, gen, render)
    args += ["-filter_complex", graph, "-map", "0:v:0", "-map", "[aout]", "-c:v", "copy"]
    args += ["-c:a", "aac", "-b:a", f"{render.audio_bitrate_kbps}k", "-ar", str(MIX_SAMPLE_RATE_HZ)]
    args += ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4"]
    with replace_atomic(out_path) as partial:
        run_ffmpeg(media.ffmpeg_bin, [*args, file_url(partial)], media.ffmpeg_timeout_s)
        if not partial.is_file() or partial.stat().st_size == 0:
            raise MediaError(f"{out_path}: the final pass wrote nothing")
    result = RenderResult(
        path=out_path,
        wall_s=time.perf_counter() - started,
        command=(media.ffmpeg_bin, *args, file_url(out_path)),
        size_bytes=out_path.stat().st_size,
    )
    return FinalMix(
        result,
        voice_level,
        voice_gain,
        music_level,
        music_gain_fit if mixed_music else None,
        predicted,
    )

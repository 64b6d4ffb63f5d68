"""The generate composition written the MoviePy way (the peer for ``benchmarking generate``).

Same inputs as ai_video's scene render and final pass: the scene plans (spans, visuals,
caption lines), the narration track and the music. Stills get the same Ken Burns zoom
(per-frame resize), videos are looped or cut and scaled to cover, cards are a solid colour
with the title, caption lines are TextClips, and the music is ducked by a gain envelope
computed from the narration (MoviePy has no sidechain compressor). Encoded with the same
libx264 preset and CRF, AAC 128 kb/s. Not done here: per-word caption highlight and loudness
normalisation, so the comparison flatters MoviePy slightly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ai_video.config import Settings
from ai_video.media.audio import read_wav
from ai_video.types import ScenePlan

FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
DUCK_DB = -15.0
MUSIC_DB = -20.0


def render_with_moviepy(
    plans: Sequence[ScenePlan],
    narration_wav: Path,
    music: Path | None,
    out_path: Path,
    settings: Settings,
) -> Path:
    """Compose and encode the short with MoviePy; return the written file."""
    from moviepy import AudioFileClip, CompositeAudioClip, concatenate_videoclips

    scenes = [_scene_clip(plan, settings) for plan in plans]
    video = concatenate_videoclips(scenes, method="chain")
    voice = AudioFileClip(str(narration_wav))
    tracks: list[Any] = [voice]
    if music is not None:
        tracks.append(_ducked_music(music, narration_wav, video.duration))
    video = video.with_audio(CompositeAudioClip(tracks).with_duration(video.duration))
    preset, crf = settings.render.x264_preset, settings.render.x264_crf
    video.write_videofile(
        str(out_path),
        fps=plans[0].preset.fps,
        codec="libx264",
        preset=preset,
        ffmpeg_params=["-crf", str(crf), "-pix_fmt", "yuv420p"],
        audio_codec="aac",
        audio_bitrate=f"{settings.render.audio_bitrate_kbps}k",
        threads=2,
        logger=None,
    )
    video.close()
    return out_path


def _scene_clip(plan: ScenePlan, settings: Settings) -> Any:
    """One scene: picture (Ken Burns / looped clip / card) with its caption lines on top."""
    from moviepy import CompositeVideoClip

    width, height = plan.preset.width_px, plan.preset.height_px
    duration = plan.span.duration_s
    layers = [_picture(plan, settings).with_position("center")]
    layers += _captions(plan, settings)
    return CompositeVideoClip(layers, size=(width, height)).with_duration(duration)


def _picture(plan: ScenePlan, settings: Settings) -> Any:
    """The scene's visual, covering the frame, for the scene's duration."""
    from moviepy import ColorClip, CompositeVideoClip, ImageClip, TextClip, VideoFileClip, vfx

    width, height = plan.preset.width_px, plan.preset.height_px
    duration = plan.span.duration_s
    if plan.visual_kind == "image" and plan.visual is not None:
        still = ImageClip(str(plan.visual)).with_duration(duration)
        cover = max(width / still.w, height / still.h)
        gain = settings.generate.ken_burns_zoom - 1.0
        return still.resized(lambda t: cover * (1.0 + gain * t / duration))
    if plan.visual_kind == "video" and plan.visual is not None:
        clip = VideoFileClip(str(plan.visual), audio=False)
        clip = (
            clip.with_effects([vfx.Loop(duration=duration)])
            if clip.duration < duration
            else clip.subclipped(0, duration)
        )
        return clip.resized(max(width / clip.w, height / clip.h))
    card = ColorClip((width, height), color=(27, 42, 73)).with_duration(duration)
    title = TextClip(
        font=str(FONT_FILE), text=plan.title, font_size=round(0.09 * width), color="white",
        method="caption", size=(round(0.85 * width), None),
    )  # fmt: skip
    return CompositeVideoClip(
        [card, title.with_position(("center", round(0.16 * height))).with_duration(duration)],
        size=(width, height),
    )


def _captions(plan: ScenePlan, settings: Settings) -> list[Any]:
    """One outlined TextClip per caption line, at the platform's caption position."""
    from moviepy import TextClip

    style = settings.preset(plan.preset.name).caption
    width, height = plan.preset.width_px, plan.preset.height_px
    clips = []
    for line in plan.captions.lines:
        text = TextClip(
            font=str(FONT_FILE), text=line.text, font_size=style.font_size_px, color="white",
            stroke_color="black", stroke_width=round(style.outline_px), method="caption",
            size=(round(width * (1 - 2 * style.margin_h_frac)), None), text_align="center",
        )  # fmt: skip
        top = round(height * (1 - style.margin_v_frac)) - text.h
        end = min(line.end_s + style.hold_s, plan.span.duration_s)
        clips.append(text.with_start(line.start_s).with_end(end).with_position(("center", top)))
    return clips


def _ducked_music(music: Path, narration_wav: Path, duration_s: float) -> Any:
    """The music looped to the short, quiet, and pushed down further wherever the voice speaks."""
    from moviepy import AudioFileClip, afx

    samples, rate = read_wav(narration_wav)
    hop = rate // 20
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    speaking = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) > 0.02
    base = 10 ** (MUSIC_DB / 20)
    ducked = 10 ** ((MUSIC_DB + DUCK_DB) / 20)
    envelope = np.where(speaking, ducked, base)

    def gain(t: Any) -> Any:
        """Music gain at time(s) ``t``."""
        index = np.clip((np.asarray(t) * 20).astype(int), 0, len(envelope) - 1)
        return envelope[index]

    track = AudioFileClip(str(music)).with_effects([afx.AudioLoop(duration=duration_s)])
    return track.transform(
        lambda get_frame, t: get_frame(t) * np.atleast_1d(gain(t))[:, None], keep_duration=True
    )

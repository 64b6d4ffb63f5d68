"""Shared vocabulary: small frozen records passed between stages.

Time is always seconds as ``float``; the one conversion between frame indices and seconds
lives in :func:`frame_to_s` / :func:`s_to_frame`. Tables (per-frame features, candidate
scores, metrics) are Arrow/Polars frames; these records are the small values around them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
UInt8Array = npt.NDArray[np.uint8]


def frame_to_s(index: int, fps: float) -> float:
    """Start time in seconds of frame ``index`` on a constant-rate timeline."""
    return index / fps


def s_to_frame(t_s: float, fps: float) -> int:
    """Index of the frame shown at time ``t_s`` on a constant-rate timeline."""
    return math.floor(t_s * fps + 1e-6)


def s_to_frame_ceil(t_s: float, fps: float) -> int:
    """Index of the first frame starting at or after ``t_s``: the frames needed to cover ``t_s``."""
    return math.ceil(t_s * fps - 1e-6)


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A half-open interval ``[start_s, end_s)`` in seconds."""

    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s)):
            raise ValueError(f"TimeSpan bounds must be finite, got {self}")
        if self.end_s < self.start_s:
            raise ValueError(f"TimeSpan ends before it starts: {self.start_s} > {self.end_s}")

    @property
    def duration_s(self) -> float:
        """Length of the span in seconds."""
        return self.end_s - self.start_s

    def contains(self, t_s: float) -> bool:
        """Whether ``t_s`` lies in the span."""
        return self.start_s <= t_s < self.end_s

    def overlaps(self, other: TimeSpan) -> bool:
        """Whether the two spans share any time."""
        return self.start_s < other.end_s and other.start_s < self.end_s

    def shifted(self, offset_s: float) -> TimeSpan:
        """The same span moved by ``offset_s`` seconds."""
        return TimeSpan(self.start_s + offset_s, self.end_s + offset_s)


# --------------------------------------------------------------------------- media


@dataclass(frozen=True, slots=True)
class VideoStreamInfo:
    """The first video stream of a source, as ffprobe reports it."""

    codec: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    rotation_deg: int = 0
    variable_frame_rate: bool = False
    nominal_fps: float = 0.0
    """Rate of the timeline the frames sit on (``r_frame_rate`` when plausible); 0 = ``fps``.
    A variable-rate source that dropped frames has ``nominal_fps > fps``."""

    @property
    def timeline_fps(self) -> float:
        """The nominal frame rate when known, else the average rate."""
        return self.nominal_fps if self.nominal_fps > 0 else self.fps

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as displayed, after applying the rotation tag."""
        if self.rotation_deg % 180 == 90:
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True, slots=True)
class AudioStreamInfo:
    """The first audio stream of a source, as ffprobe reports it."""

    codec: str
    sample_rate_hz: int
    channels: int


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What ffprobe knows about a source file."""

    path: Path
    container: str
    duration_s: float
    size_bytes: int
    video: VideoStreamInfo | None
    audio: AudioStreamInfo | None


# --------------------------------------------------------------------------- speech


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its time and confidence."""

    text: str
    start_s: float
    end_s: float
    probability: float
    asr_start_s: float | None = None
    """The recogniser's own start, kept when a refinement set ``start_s`` (None: not refined)."""
    asr_end_s: float | None = None
    """The recogniser's own end, kept when a refinement set ``end_s`` (None: not refined)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One recognised segment (roughly a sentence or phrase) with its words."""

    text: str
    start_s: float
    end_s: float
    words: tuple[Word, ...]


NO_SPACE_LANGUAGES = frozenset({"zh", "yue", "ja", "th", "lo", "my", "km", "bo"})
"""Languages written without spaces between words (ISO 639-1 codes whisper uses)."""


@dataclass(frozen=True, slots=True)
class Transcript:
    """Everything said in a source, with word timings."""

    language: str
    segments: tuple[Segment, ...]
    model: str
    timing_method: str = "whisper"
    """What produced the word times: ``whisper`` (the recogniser's own) or a refinement
    such as ``refined-vad-energy`` (the recogniser's times then stay in ``Word.asr_*``)."""
    language_probability: float | None = None
    """How sure language identification was (None when the language was given, not found)."""

    @property
    def words(self) -> tuple[Word, ...]:
        """All words in time order."""
        return tuple(w for s in self.segments for w in s.words)

    @property
    def text(self) -> str:
        """The full text: words joined by single spaces, or by nothing in zh, ja, th..."""
        separator = "" if self.language in NO_SPACE_LANGUAGES else " "
        return separator.join(w.text.strip() for w in self.words).strip()

    def words_in(self, span: TimeSpan) -> tuple[Word, ...]:
        """Words whose midpoint lies inside ``span``."""
        return tuple(w for w in self.words if span.contains((w.start_s + w.end_s) / 2))


@dataclass(frozen=True)
class SpeechActivity:
    """Loudness and voice activity over time, on a fixed hop."""

    hop_s: float
    loudness_db: FloatArray
    """RMS level per hop in dBFS (silence is about -90)."""
    voiced: npt.NDArray[np.bool_]
    """Whether each hop lies inside detected speech."""
    speech_spans: tuple[TimeSpan, ...]
    """Speech regions from the voice-activity detector."""

    def times_s(self) -> FloatArray:
        """Start time of each hop."""
        return np.arange(len(self.loudness_db), dtype=np.float64) * self.hop_s


# --------------------------------------------------------------------------- vision


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive frames of the shared analysis decode (constant rate, RGB, small size)."""

    start_index: int
    """Index of the first frame on the analysis timeline (time = index / fps)."""
    fps: float
    frames: UInt8Array
    """Shape ``(n, height, width, 3)``, RGB."""
    scale: float
    """Source pixels per analysis pixel (multiply analysis coordinates by it)."""

    def times_s(self) -> FloatArray:
        """Start time of each frame in the batch."""
        idx = np.arange(self.start_index, self.start_index + len(self.frames), dtype=np.float64)
        return idx / self.fps


@dataclass(frozen=True, slots=True)
class Shot:
    """A continuous camera shot, from one cut to the next."""

    index: int
    span: TimeSpan
    start_frame: int
    """First frame of the shot on the analysis timeline."""
    end_frame: int
    """One past the last frame (the next shot's first frame), like ``span.end_s``."""
    cause: Literal["start", "cut", "fade", "jump"] = "cut"
    """What starts the shot (issue 15): the video's start, a hard cut, a fade through black,
    or a same-speaker jump cut."""


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in source pixels."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        """Centre point ``(cx, cy)``."""
        return self.x + self.w / 2, self.y + self.h / 2

    def contains_point(self, px: float, py: float) -> bool:
        """Whether the point lies inside the rectangle (edges included)."""
        return self.x <= px <= self.x + self.w and self.y <= py <= self.y + self.h


@dataclass(frozen=True)
class FaceTrack:
    """The main face per analysed frame, in source pixels.

    Row ``i`` is the frame at ``times_s[i]``; ``boxes[i]`` is ``(x, y, w, h)`` of the main
    face or NaN when none was found; ``counts[i]`` is how many faces were detected.
    """

    times_s: FloatArray
    boxes: FloatArray
    scores: FloatArray
    counts: npt.NDArray[np.int32]
    detector: str

    def presence(self, span: TimeSpan) -> float:
        """Fraction of analysed frames inside ``span`` that show a face."""
        mask = (self.times_s >= span.start_s) & (self.times_s < span.end_s)
        if not mask.any():
            return 0.0
        return float(np.mean(~np.isnan(self.boxes[mask, 0])))


@dataclass(frozen=True)
class VisualAnalysis:
    """Facts from the one shared analysis decode."""

    fps: float
    frame_count: int
    shots: tuple[Shot, ...]
    faces: FaceTrack
    motion: FloatArray
    """Mean absolute luma change per analysed frame (0-255 scale)."""


# --------------------------------------------------------------------------- curation


@dataclass(frozen=True, slots=True)
class Sentence:
    """A run of words that ends with terminal punctuation (or the end of speech)."""

    index: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        """The sentence's text."""
        return " ".join(w.text.strip() for w in self.words).strip()

    @property
    def span(self) -> TimeSpan:
        """From the first word's start to the last word's end."""
        return TimeSpan(self.words[0].start_s, self.words[-1].end_s)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible clip: whole sentences, cut in the silences around them."""

    span: TimeSpan
    first_sentence: int
    last_sentence: int
    text: str
    hook_text: str


@dataclass(frozen=True)
class ClipScore:
    """A candidate's score with the weighted features that produced it."""

    total: float
    features: dict[str, float]
    """Raw feature values in 0..1, by name."""
    contributions: dict[str, float]
    """Weight times value, by name; they sum to ``total``."""


@dataclass(frozen=True)
class ScoredCandidate:
    """A candidate and its score."""

    candidate: Candidate
    score: ClipScore


# --------------------------------------------------------------------------- editing


@dataclass(frozen=True, slots=True)
class CropKeyframe:
    """The crop rectangle (source pixels) in force from ``t_s`` (clip time) on."""

    t_s: float
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class CropPath:
    """Piecewise-constant crop rectangles over a clip; first keyframe at ``t_s == 0``."""

    keyframes: tuple[CropKeyframe, ...]

    def at(self, t_s: float) -> CropKeyframe:
        """The rectangle in force at clip time ``t_s``."""
        current = self.keyframes[0]
        for kf in self.keyframes:
            if kf.t_s <= t_s + 1e-9:
                current = kf
            else:
                break
        return current

    def as_lists(self) -> list[list[float]]:
        """``[[t_s, x, y, w, h], ...]`` for the manifest."""
        return [[round(k.t_s, 3), k.x, k.y, k.w, k.h] for k in self.keyframes]


@dataclass(frozen=True, slots=True)
class CaptionWord:
    """A word shown in the captions, in clip time."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class CaptionLine:
    """A group of 2-4 words shown together, in clip time."""

    words: tuple[CaptionWord, ...]
    separator: str = " "
    """What goes between words: a space, or nothing for scripts without spaces (zh, ja, th)."""

    @property
    def start_s(self) -> float:
        """When the line appears."""
        return self.words[0].start_s

    @property
    def end_s(self) -> float:
        """When the line's last word ends."""
        return self.words[-1].end_s

    @property
    def text(self) -> str:
        """The line's text."""
        return self.separator.join(w.text for w in self.words)


@dataclass(frozen=True)
class CaptionTrack:
    """All caption lines of one clip, in clip time, with the style to burn them in."""

    lines: tuple[CaptionLine, ...]
    style_name: str


@dataclass(frozen=True, slots=True)
class Overlay:
    """A picture-in-picture or full-frame b-roll overlay, in clip time."""

    source: Path
    span: TimeSpan
    source_offset_s: float = 0.0
    full_frame: bool = True
    zoom: float = 1.0
    """Scale a still reaches by the end of its span (a slow push-in); 1.0: no move."""
    origin: CutawayOrigin | None = None
    """Why a b-roll cutaway is here (query, asset, score); None for other overlays (issue 14)."""


@dataclass(frozen=True, slots=True)
class OutputPreset:
    """What a rendered clip must look like."""

    name: str
    width_px: int
    height_px: int
    fps: float


@dataclass(frozen=True, slots=True)
class EncoderProfile:
    """The video encoder chosen for this machine, with its arguments and the reason."""

    name: str
    """ffmpeg encoder name, e.g. ``libx264`` or ``h264_nvenc``."""
    args: tuple[str, ...]
    """Encoder arguments placed after ``-c:v NAME``."""
    reason: str
    hardware: bool = False


@dataclass(frozen=True, slots=True)
class AudioPlan:
    """Audio operations applied in the render."""

    loudness_target_lufs: float
    true_peak_db: float
    bitrate_kbps: int
    sample_rate_hz: int
    cut_fade_s: float = 0.0
    """Fade out and back in over this long at every clean-up cut (0: hard cuts)."""


@dataclass(frozen=True, slots=True)
class BrandPlan:
    """Brand elements burned into a clip in its one render (issue 13), sizes in output pixels."""

    logo: Path | None = None
    logo_xy: tuple[int, int] = (0, 0)
    logo_width_px: int = 0
    logo_opacity: float = 1.0
    progress_bar_colour: str | None = None
    """``#RRGGBB`` of a bar filling along the bottom with time; None: no bar."""
    progress_bar_height_px: int = 0
    intro: Path | None = None
    intro_s: float = 0.0
    intro_has_audio: bool = False
    outro: Path | None = None
    outro_s: float = 0.0
    outro_has_audio: bool = False


@dataclass(frozen=True)
class EditPlan:
    """The one contract between deciding and rendering: everything one clip needs."""

    source: Path
    span: TimeSpan
    preset: OutputPreset
    crop: CropPath
    captions: CaptionTrack
    audio: AudioPlan
    overlays: tuple[Overlay, ...] = ()
    has_audio: bool = True
    layout: ClipLayout | None = None
    """Speaker-aware layout segments; when set and not a single crop, it replaces ``crop``."""
    removed: tuple[TimeSpan, ...] = ()
    """Spans inside ``span`` (source time, sorted, disjoint) cut out: fillers, long pauses."""
    brand: BrandPlan | None = None
    """Logo, progress bar, intro and outro; None: no brand."""

    def kept_spans(self) -> tuple[TimeSpan, ...]:
        """The parts of ``span`` that reach the output, in source time and order."""
        kept: list[TimeSpan] = []
        cursor = self.span.start_s
        for cut in sorted(self.removed, key=lambda r: r.start_s):
            start, end = max(cut.start_s, cursor), min(cut.end_s, self.span.end_s)
            if end <= start:
                continue
            if start > cursor:
                kept.append(TimeSpan(cursor, start))
            cursor = end
        if self.span.end_s > cursor:
            kept.append(TimeSpan(cursor, self.span.end_s))
        return tuple(kept)

    @property
    def output_duration_s(self) -> float:
        """Length of the rendered clip: the span less its removed spans."""
        return sum(k.duration_s for k in self.kept_spans())

    @property
    def total_duration_s(self) -> float:
        """Length of the rendered file: brand intro + the (cleaned) span + brand outro."""
        extra = self.brand.intro_s + self.brand.outro_s if self.brand is not None else 0.0
        return self.output_duration_s + extra


@dataclass(frozen=True)
class ScenePlan:
    """One scene of a generated short: its picture, its place on the timeline, its captions."""

    index: int
    span: TimeSpan
    """Where the scene sits on the short's timeline (frame-aligned)."""
    visual_kind: str
    """``image`` (Ken Burns move), ``video`` (trimmed or looped) or ``card`` (title card)."""
    visual: Path | None
    title: str
    """Text of the title card; the scene's name in the manifest."""
    preset: OutputPreset
    captions: CaptionTrack
    """Caption lines in scene time (0 = the scene's first frame)."""
    source_offset_s: float = 0.0
    """Where a video visual starts playing."""


@dataclass(frozen=True)
class RenderResult:
    """A rendered file and what it cost."""

    path: Path
    wall_s: float
    command: tuple[str, ...]
    size_bytes: int


# --------------------------------------------------------------------------- moments (issue 10)


@dataclass(frozen=True, slots=True)
class Topic:
    """A stretch of the source about one thing, from one topic boundary to the next."""

    index: int
    span: TimeSpan
    first_sentence: int
    last_sentence: int
    keywords: tuple[str, ...]
    evidence: tuple[str, ...] = ()
    """Why a boundary opens this topic: ``text`` (TextTiling depth), ``speaker``, ``pause``,
    ``shot``; empty for the first topic."""


@dataclass(frozen=True, slots=True)
class ScoreGroup:
    """One creator-facing part of a clip's score (0-100) with the evidence behind it."""

    name: str
    score: float
    evidence: str


@dataclass(frozen=True, slots=True)
class SocialCopy:
    """Title, one-line description and hashtags of a clip, built from its own words."""

    title: str
    description: str
    hashtags: tuple[str, ...]
    made_by: str = "yake"
    """``yake`` (offline keyphrases of the clip's words) or ``llm:MODEL``."""


@dataclass(frozen=True)
class Moment:
    """A chosen clip with its readable score, topic, copy and the prompt it answers."""

    clip: ScoredCandidate
    score_100: float
    groups: tuple[ScoreGroup, ...]
    copy: SocialCopy
    topics: tuple[int, ...]
    """Indices of the topics the clip lies in (two when it deliberately spans a boundary)."""
    prompt: str | None = None
    relevance: float | None = None
    """Hybrid prompt relevance (0..1) of the best-matching sentence; None without a prompt."""

    @property
    def spans_topics(self) -> bool:
        """Whether the clip crosses a topic boundary (only when allowed by the config)."""
        return len(self.topics) > 1


@dataclass(frozen=True)
class MomentsResult:
    """Everything the moments step decided: the clips, the topic table and any message."""

    moments: tuple[Moment, ...]
    topics: tuple[Topic, ...]
    message: str | None = None
    """Said to the user when a prompt matched nothing (zero clips, not an error)."""


# --------------------------------------------------------------------------- issue 11: languages


@dataclass(frozen=True, slots=True)
class WindowLanguage:
    """The language heard in one identification window of speech."""

    span: TimeSpan
    """From the first to the last speech sample the window holds (source time)."""
    speech_s: float
    """Seconds of speech in the window."""
    language: str
    probability: float


@dataclass(frozen=True)
class LanguageId:
    """The language a source speaks, how sure that is, and what each window heard."""

    language: str
    """ISO 639-1 code (``und`` when there was no speech to identify)."""
    probability: float
    """Mean probability of ``language`` over the windows, weighted by their speech."""
    windows: tuple[WindowLanguage, ...]
    switches: tuple[str, ...]
    """Other languages some window heard with confidence: the source may switch language."""
    model: str
    wall_s: float

    @property
    def switched(self) -> bool:
        """Whether some window confidently heard another language."""
        return bool(self.switches)


# --------------------------------------------------------------------------- issue 9: layouts


@dataclass(frozen=True)
class LayoutSegment:
    """One stretch of a clip shown in one layout.

    ``span`` is in clip time. ``crops`` hold source-pixel crop paths whose keyframe times are
    relative to the segment's start: one path for ``speaker`` (the framed face), two for
    ``split`` (top half, bottom half), none for ``fit`` (whole frame over a blurred copy).
    """

    span: TimeSpan
    layout: str
    crops: tuple[CropPath, ...]
    track_ids: tuple[int, ...] = ()
    """Face tracks framed, in the order of ``crops``."""
    voice_id: int | None = None
    """The voice speaking when the segment starts (None when unknown)."""

    def as_dict(self) -> dict[str, object]:
        """The segment for the manifest: clip-time span and keyframes ``[t_s, x, y, w, h]``."""
        return {
            "start_s": round(self.span.start_s, 3),
            "end_s": round(self.span.end_s, 3),
            "layout": self.layout,
            "track_ids": list(self.track_ids),
            "voice_id": self.voice_id,
            "crops": [
                [[round(k.t_s + self.span.start_s, 3), k.x, k.y, k.w, k.h] for k in c.keyframes]
                for c in self.crops
            ],
        }


@dataclass(frozen=True)
class ClipLayout:
    """The layout segments of one clip, in order, covering it without gaps."""

    segments: tuple[LayoutSegment, ...]
    detector: str = ""
    """Face detector whose tracks were framed (for the manifest)."""
    blur_sigma: float = 30.0
    """Background blur of ``fit`` segments (gblur sigma in output pixels)."""

    def single_crop(self) -> CropPath | None:
        """The whole clip as ONE crop path (clip time) when every segment is ``speaker``
        with the same crop size (rendered by the plain crop path); else None."""
        if not self.segments or any(s.layout != "speaker" for s in self.segments):
            return None
        keyframes: list[CropKeyframe] = []
        for segment in self.segments:
            for k in segment.crops[0].keyframes:
                t_s = round(k.t_s + segment.span.start_s, 6)
                if keyframes and (keyframes[-1].x, keyframes[-1].y) == (k.x, k.y):
                    continue
                keyframes.append(CropKeyframe(t_s, k.x, k.y, k.w, k.h))
        if len({(k.w, k.h) for k in keyframes}) != 1:
            return None
        return CropPath(tuple(keyframes))


# --- issue 14: b-roll (the contract between the library index and cutaway insertion) ---


@dataclass(frozen=True, slots=True)
class BrollMatch:
    """One b-roll library asset matched to a text query, best first in a result list."""

    path: Path
    """Absolute path of the asset file."""
    rel_path: str
    """The asset's path relative to the library root (what users and the manifest see)."""
    score: float
    """Similarity of the query to the asset (cosine, higher is better)."""
    matched_by: Literal["clip", "text"]
    """``clip``: image embedding of the asset's keyframes; ``text``: its label's embedding."""
    kind: Literal["video", "image"]
    duration_s: float
    """Length of a video asset; 0.0 for an image."""
    width: int
    height: int


class BrollSearcher(Protocol):
    """Anything that ranks a b-roll library's assets for a text query."""

    def search(self, query: str, top_k: int) -> list[BrollMatch]:
        """The ``top_k`` best assets for ``query``, best first."""
        ...


# --------------------------------------------------------------------------- issue 14: cutaways


@dataclass(frozen=True, slots=True)
class CutawayOrigin:
    """Why a b-roll cutaway overlay is in a clip: what was searched and what matched."""

    query: str
    """The words of the clip the footage was searched for."""
    asset: str
    """The asset's path relative to its library (online: its file in the download cache)."""
    score: float
    """The search score of the asset for the query (cosine, higher is better)."""
    matched_by: str
    """``clip`` (image embedding) or ``text`` (label or title embedding)."""
    reason: str
    """What made the moment a cutaway: ``keyphrase``, ``list``, ``number``, ``explanation``."""
    source_span: TimeSpan
    """The cutaway's span in source time (it starts and ends on word boundaries)."""


# --- issue 15: the cheap analysis stream (YUV planes; shots and faces share one decode) ---


@dataclass(frozen=True, slots=True)
class PlaneBatch:
    """Consecutive frames of a planar YUV 4:2:0 analysis decode (limited range, BT.601).

    Each row of ``yuv`` is one frame in I420 layout: the ``height x width`` luma plane, then
    the U and V planes of ``height/2 x width/2`` each. Luma is used as is (shots, motion);
    RGB is made only for the frames that need it (face samples).
    """

    start_index: int
    """Index of the first frame on the analysis timeline (time = index / fps)."""
    fps: float
    yuv: UInt8Array
    """Shape ``(n, height * width * 3 // 2)``."""
    width: int
    height: int
    scale: float
    """Source pixels per analysis pixel (multiply analysis coordinates by it)."""

    def __len__(self) -> int:
        return int(self.yuv.shape[0])

    def luma(self, offset: int) -> UInt8Array:
        """The luma plane of frame ``offset`` of the batch, ``(height, width)`` (a view)."""
        plane: UInt8Array = self.yuv[offset, : self.width * self.height]
        return plane.reshape(self.height, self.width)

    def i420(self, offset: int) -> UInt8Array:
        """Frame ``offset`` as the ``(height * 3 / 2, width)`` image OpenCV reads as I420."""
        frame: UInt8Array = self.yuv[offset]
        return frame.reshape(self.height * 3 // 2, self.width)


# --- issues 15/16: live operations view (per-node stats, sampled by pipeline/ops_metrics.py) ---


@dataclass(frozen=True, slots=True)
class NodeStats:
    """One cluster node's load as sampled on the node itself (the /ops view shows these)."""

    node_id: str
    address: str
    cpu_count: int
    cpu_percent: float | None
    """Whole-node CPU use over a short window, 0..100; None when the node did not answer."""
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    gpu_count: int = 0
    gpu_percent: float | None = None
    """Mean GPU utilization over the node's GPUs, 0..100; None without GPUs or NVML."""
    gpu_memory_used_bytes: int | None = None
    gpu_memory_total_bytes: int | None = None
    running_jobs: tuple[str, ...] = ()
    """Short ids (first 8 hex digits) of the jobs whose job task runs on this node."""

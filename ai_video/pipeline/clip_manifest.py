"""The clip job's output contract: one typed record per clip and one manifest model.

The same objects flow from the render stage to :class:`ClipJobResult`, manifest.json,
clips.parquet and the HTTP API; ``docs/manifest.schema.json`` is generated from
:class:`ClipManifest` (``python -m ai_video.pipeline.clip_manifest``) and checked in tests.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "urn:ai-video:clip-manifest:1"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaptionFiles(_Record):
    """Caption files of one clip (names inside the output directory)."""

    srt: str
    vtt: str
    ass: str


class ClipTimings(_Record):
    """What producing one clip cost."""

    render_wall_s: float


class ScoreGroupRecord(_Record):
    """One creator-facing part of the score (hook, coherence, value, delivery, visual,
    relevance) on 0-100, with the evidence behind it."""

    name: str
    score: float
    evidence: str


class LayoutSegmentRecord(_Record):
    """One stretch of a clip in one layout, in clip time."""

    start_s: float
    end_s: float
    layout: str = Field(description="speaker | split | fit")
    track_ids: list[int] = Field(description="Face tracks framed, top to bottom.")
    voice_id: int | None = Field(description="The voice speaking when the segment starts.")
    crops: list[list[list[float]]] = Field(
        description="Per framed track, crop keyframes [t_s (clip time), x, y, w, h] in source "
        "pixels."
    )


class BrollRecord(_Record):
    """One b-roll cutaway inserted into a clip (issue 14)."""

    query: str = Field(description="The clip's words the footage was searched for.")
    asset: str = Field(
        description="The asset: its path relative to the b-roll library (for footage found "
        "online, the downloaded file's name in the online cache)."
    )
    score: float = Field(description="Search score of the asset for the query (cosine).")
    matched_by: str = Field(
        description="clip (keyframe or thumbnail image embedding) or text (label or title "
        "embedding)."
    )
    reason: str = Field(
        description="Why the moment got a cutaway: keyphrase, list, number or explanation."
    )
    start_s: float = Field(description="Where the cutaway starts, in seconds into the clip.")
    end_s: float = Field(description="Where it ends, in seconds into the clip.")
    source_start_s: float = Field(description="Its start in source time (a word's start).")
    source_end_s: float = Field(description="Its end in source time (a word's end).")
    mode: str = Field(description="full (replaces the frame) or pip (picture in picture).")


class ClipLayoutRecord(_Record):
    """How the clip frames people: segments per speaker turn."""

    detector: str
    segments: list[LayoutSegmentRecord]


class ClipRecord(_Record):
    """One produced clip: its files, where it sits in the source, and why it was chosen."""

    index: int = Field(
        description="Position, 1 = best; with several prompts each prompt's clips follow, best "
        "first."
    )
    file: str = Field(description="The clip's video file name inside the output directory.")
    start_s: float = Field(description="Start in source time (seconds).")
    end_s: float = Field(description="End in source time (seconds).")
    duration_s: float
    score: float = Field(description="Weighted score of the clip (0..1).")
    score_100: float = Field(description="The score on 0-100, from the groups below.")
    groups: list[ScoreGroupRecord] = Field(description="The score grouped as creators read it.")
    features: dict[str, float] = Field(description="Feature values (0..1) behind the score.")
    contributions: dict[str, float] = Field(description="Weighted share of each feature.")
    text: str = Field(description="The clip's spoken text.")
    hook: str = Field(description="The opening sentence.")
    title: str = Field(description="A title built from the clip's own words.")
    description: str = Field(description="A one-line description for social posts.")
    hashtags: list[str] = Field(description="Hashtags from the clip's keyphrases.")
    copy_by: str = Field(
        description="Who wrote title/description/hashtags: 'yake' (offline keyphrases of the "
        "clip's words) or 'llm:MODEL' (the configured OpenAI-compatible endpoint)."
    )
    topics: list[int] = Field(description="Indices of the topics (manifest 'topics') it lies in.")
    spans_topics: bool = Field(description="Whether it deliberately crosses a topic boundary.")
    prompt: str | None = Field(description="The prompt this clip answers, if one was given.")
    relevance: float | None = Field(description="Prompt relevance (0..1) of its best sentence.")
    captions: CaptionFiles
    thumbnail: str
    crop: list[list[float]] = Field(
        description="Crop keyframes [t_s, x, y, w, h] in source pixels, each in force from t_s "
        "(the whole frame when the layout draws split or fit segments)."
    )
    layout: ClipLayoutRecord | None = Field(
        description="Layout segments with the framed face tracks and voices (None when the "
        "main-face reframe was used)."
    )
    timings: ClipTimings
    render_command: list[str] = Field(description="The ffmpeg argv that rendered the clip.")
    removed: list[list[float]] = Field(
        default_factory=list,
        description="Spans cut out of the clip by clean-up (fillers, long pauses): "
        "[start_s, end_s] in source time; duration_s is the span less these.",
    )
    exports: list[str] = Field(
        default_factory=list,
        description="Editor exports of the clip's edit (OTIO, FCPXML, EDL file names).",
    )
    plan: str | None = Field(
        None, description="The clip's EditPlan as JSON (what a fix-and-re-render edits)."
    )
    version: int = Field(1, description="1 for the job's render, +1 per fix re-rendered.")
    broll: list[BrollRecord] = Field(
        default_factory=list,
        description="B-roll cutaways inserted (--broll), in time order; empty without b-roll.",
    )


class ToolInfo(_Record):
    """The program that wrote the manifest."""

    name: str
    version: str
    python: str


class VideoInfo(_Record):
    """The source's video stream."""

    codec: str
    width: int
    height: int
    fps: float
    rotation_deg: int


class AudioInfo(_Record):
    """The source's audio stream."""

    codec: str
    sample_rate_hz: int
    channels: int


class SourceInfo(_Record):
    """The clipped source."""

    path: str
    fingerprint: str
    container: str
    duration_s: float
    size_bytes: int
    video: VideoInfo | None
    audio: AudioInfo | None


class PlatformInfo(_Record):
    """The output preset."""

    name: str
    width_px: int
    height_px: int
    fps: float


class JobOptionsInfo(_Record):
    """The options that shaped the selection."""

    max_clips: int
    prompt: str | None
    min_s: float
    max_s: float


class AsrModelInfo(_Record):
    """The speech model: name, package version and weight checksum where pinned."""

    name: str
    version: str | None
    sha256: str | None
    source: str | None
    label: str = Field(description="The model label the transcript records.")


class NamedModel(_Record):
    """A model known by its name."""

    name: str


class EncoderInfo(_Record):
    """The video encoder and why it was chosen."""

    name: str
    args: list[str]
    reason: str


class ModelsInfo(_Record):
    """Every model and the encoder behind the outputs."""

    asr: AsrModelInfo
    faces: NamedModel
    encoder: EncoderInfo
    text: NamedModel | None = None
    word_timing: str = Field(
        "whisper",
        description="What produced the word times captions and cuts use: 'whisper' (the ASR's "
        "own) or 'refined-vad-energy' (snapped to pauses and onsets in the audio).",
    )


class TopicRecord(_Record):
    """One topic of the source: a stretch about one thing (also in topics.parquet)."""

    index: int
    start_s: float
    end_s: float
    keywords: list[str]
    evidence: list[str] = Field(
        description="What opened the topic: text (TextTiling depth), speaker, pause, shot."
    )


class WindowLanguageRecord(_Record):
    """What one speech window sounded like."""

    start: float
    end: float
    speech_s: float
    language: str
    probability: float


class LanguageRecord(_Record):
    """The spoken language: identified on speech windows, or given by the user."""

    language: str = Field(description="ISO 639-1 code ('und' when there was no speech).")
    probability: float = Field(description="Identification probability (1.0 when given).")
    model: str = Field(description="Model that identified it ('given' when set by the user).")
    switches: list[str] = Field(description="Other languages some window heard with confidence.")
    wall_s: float
    windows: list[WindowLanguageRecord]
    prompt_similarity: str = Field(
        description="How prompts were matched for this language: 'english' (MiniLM), "
        "'multilingual' (multilingual-e5-small), 'english-only-model' (weak) or "
        "'configured-model'."
    )


class ClipManifest(_Record):
    """manifest.json of one clip job."""

    tool: ToolInfo
    source: SourceInfo
    platform: PlatformInfo
    options: JobOptionsInfo
    models: ModelsInfo
    language: LanguageRecord
    transcript_words: int
    stage_wall_s: dict[str, float] = Field(description="Wall seconds per stage, and 'total'.")
    topics: list[TopicRecord] = Field(description="The source's topics, in time order.")
    speaker_turns: str = Field(
        description="File (Parquet) of speaker turns: start_s, end_s, voice_id, "
        "face_track_id, confidence."
    )
    message: str | None = Field(
        description="Said to the user when there are no clips for a reason that is not an "
        "error (e.g. nothing matches the prompt)."
    )
    clips: list[ClipRecord]

    def to_json(self) -> bytes:
        """manifest.json bytes (indented; an unused text model is left out)."""
        data = self.model_dump(mode="json")
        if data["models"]["text"] is None:
            del data["models"]["text"]
        return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def manifest_json_schema() -> dict[str, Any]:
    """JSON Schema of manifest.json (committed as docs/manifest.schema.json)."""
    schema = ClipManifest.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


if __name__ == "__main__":
    sys.stdout.buffer.write(orjson.dumps(manifest_json_schema(), option=orjson.OPT_INDENT_2))
    sys.stdout.write("\n")

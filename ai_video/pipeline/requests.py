"""What a caller asks the pipeline for, and what it gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ProgressFn = Callable[[str, float], None]
"""Called with (stage name, fraction of that stage done in 0..1)."""


def no_progress(stage: str, fraction: float) -> None:
    """A progress callback that ignores everything."""


@dataclass(frozen=True)
class ClipRequest:
    """One video to clip: where it comes from and where its outputs go.

    Options (platform, clip count, lengths, prompt, model) travel in the Settings passed
    alongside, so the cache keys see exactly the fields each stage reads.
    """

    source: str
    out_dir: Path
    video_id: str = ""


@dataclass(frozen=True)
class ClipSummary:
    """One produced clip, as a caller needs it (the manifest has everything)."""

    index: int
    file: Path
    start_s: float
    end_s: float
    score: float
    text: str


@dataclass(frozen=True)
class ClipJobResult:
    """The outcome of one clip job."""

    video_id: str
    out_dir: Path
    manifest: Path
    clips: tuple[ClipSummary, ...]
    stage_wall_s: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0

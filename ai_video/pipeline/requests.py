"""What a caller asks the pipeline for, and what it gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.clip_manifest import ClipManifest, ClipRecord

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
class ClipJobResult:
    """The outcome of one clip job: the manifest (in memory) and where it was written."""

    video_id: str
    out_dir: Path
    manifest_path: Path
    manifest: ClipManifest
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def clips(self) -> list[ClipRecord]:
        """The produced clips, best first."""
        return self.manifest.clips

    @property
    def stage_wall_s(self) -> dict[str, float]:
        """Wall seconds per stage, and 'total'."""
        return self.manifest.stage_wall_s


ClipJobFn = Callable[[ClipRequest, Settings, ProgressFn], ClipJobResult]
"""A clip pipeline entry point (``pipeline.runtime.run_clip_request``)."""

"""A job's source: fetched (URLs), probed, checked, fingerprinted — once per job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.cache import source_fingerprint
from ai_video.types import MediaInfo


@dataclass(frozen=True)
class SourceRef:
    """A probed local source with its content fingerprint."""

    path: Path
    fingerprint: str
    info: MediaInfo


def open_source(
    source: str,
    work_dir: Path,
    settings: Settings,
    needs_video: bool = True,
    needs_audio: bool = True,  # issue 15: `analyze` reads silent videos (shots, faces)
) -> SourceRef:
    """Fetch (URLs) and probe a source; reject input the job cannot use."""
    from ai_video.media.fetch import resolve_source
    from ai_video.media.input_policy import probe_untrusted
    from ai_video.media.probe import require_audio, require_video

    path = resolve_source(source, work_dir, settings.media, settings.url_policy)
    info = probe_untrusted(path, settings.media, settings.input_policy)
    if needs_video:
        require_video(info)
    if needs_audio:
        require_audio(info)
    fingerprint = source_fingerprint(path, settings.tenant.cache_namespace)
    return SourceRef(path=path, fingerprint=fingerprint, info=info)

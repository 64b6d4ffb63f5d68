"""A job's source: fetched (URLs), probed, checked, fingerprinted — once per job.

A local file is probed once: the early check of ``pipeline.runtime`` (before Ray or any model
starts) and the job's own :func:`open_source` share one ffprobe run through
:func:`probe_source`, keyed on the file's identity (path, inode, size, modification time)
and the policy it was held to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ai_video.config import Settings
from ai_video.pipeline.cache import source_fingerprint
from ai_video.types import MediaInfo

_PROBED_KEEP = 32
"""Probe results kept per process (a job needs its source's only for a moment)."""
_probed: OrderedDict[tuple[object, ...], MediaInfo] = OrderedDict()
_probed_lock = threading.Lock()


@dataclass(frozen=True)
class SourceRef:
    """A probed local source with its content fingerprint."""

    path: Path
    fingerprint: str
    info: MediaInfo


def probe_source(path: Path, settings: Settings) -> MediaInfo:
    """Probe a user's file under the input policy; a file unchanged since its last probe in
    this process is not probed again."""
    from ai_video.media.input_policy import probe_untrusted

    try:
        stat = path.stat()
    except OSError:
        return probe_untrusted(path, settings.media, settings.input_policy)  # names the error
    key = (
        str(path),
        stat.st_dev,
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
        settings.media.model_dump_json(),
        settings.input_policy.model_dump_json(),
    )
    with _probed_lock:
        if key in _probed:
            _probed.move_to_end(key)
            return _probed[key]
    info = probe_untrusted(path, settings.media, settings.input_policy)
    with _probed_lock:
        _probed[key] = info
        while len(_probed) > _PROBED_KEEP:
            _probed.popitem(last=False)
    return info


def open_source(
    source: str,
    work_dir: Path,
    settings: Settings,
    needs_video: bool = True,
    needs_audio: bool = True,  # issue 15: `analyze` reads silent videos (shots, faces)
) -> SourceRef:
    """Fetch (URLs) and probe a source; reject input the job cannot use."""
    from ai_video.media.fetch import resolve_source
    from ai_video.media.probe import require_audio, require_video

    path = resolve_source(source, work_dir, settings.media, settings.url_policy)
    info = probe_source(path, settings)
    if needs_video:
        require_video(info)
    if needs_audio:
        require_audio(info)
    fingerprint = source_fingerprint(path, settings.tenant.cache_namespace)
    return SourceRef(path=path, fingerprint=fingerprint, info=info)

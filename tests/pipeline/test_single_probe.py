"""A local source is probed once per job: the early check and the job share one ffprobe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ai_video.config import Settings
from ai_video.pipeline.requests import ClipRequest
from tests.conftest import make_lavfi_clip


class _StopAfterProbe(Exception):
    """Raised from the progress callback once the job has opened its source."""


def test_a_clip_request_probes_its_local_source_once(
    lavfi_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ai_video.media.probe as probe_module
    from ai_video.pipeline.runtime import run_clip_request

    source = tmp_path / "source.mp4"  # its own file: no earlier test's probe is remembered
    source.write_bytes(lavfi_clip.read_bytes())
    settings = Settings().with_overrides({"ray.enabled": False, "cache.enabled": False})
    probes: list[list[str]] = []
    real = probe_module._run_or_refuse

    def counting(binary: str, args: list[str], *rest: Any) -> Any:
        if binary == settings.media.ffprobe_bin and any(str(source) in a for a in args):
            probes.append(args)
        return real(binary, args, *rest)

    monkeypatch.setattr(probe_module, "_run_or_refuse", counting)

    def progress(stage: str, fraction: float) -> None:
        if stage == "probe" and fraction == 1.0:  # the job's open_source has run
            raise _StopAfterProbe

    with pytest.raises(_StopAfterProbe):
        run_clip_request(ClipRequest(str(source), tmp_path / "out"), settings, progress)
    assert len(probes) == 1, f"the source was probed {len(probes)} times"


def test_a_changed_file_is_probed_again(lavfi_clip: Path, tmp_path: Path) -> None:
    from ai_video.pipeline.source import probe_source

    settings = Settings()
    source = tmp_path / "source.mp4"
    source.write_bytes(lavfi_clip.read_bytes())
    first = probe_source(source, settings)
    assert probe_source(source, settings) is first
    make_lavfi_clip(source, duration_s=1.0)  # replaced in place by another file
    assert probe_source(source, settings).duration_s < first.duration_s - 1.0

"""The broll stage's wiring: its cache key follows the library's index, and the online search
(``--broll-search online``) feeds the same cutaway choice with downloaded footage.

The library is two generated stills with labels; the online site is the loopback server of
the online-search tests (search JSON, thumbnails, media), with the loopback allowance set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.analyze.broll_index import index_library
from ai_video.analyze.broll_models import load_label_embedder
from ai_video.config import CutawayConfig, Settings
from ai_video.edit.cutaways import choose_cutaways, find_opportunities
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.pipeline.stages.broll import (
    BROLL,
    cutaways_wanted,
    index_state,
    open_searcher,
)
from ai_video.types import MediaInfo, TimeSpan, Word
from tests.analyze.test_broll_online import _settings as online_settings
from tests.analyze.test_broll_online import site  # noqa: F401  (the loopback site fixture)

pytestmark = pytest.mark.slow


def still(path: Path, colour: str) -> None:
    args = ["-y", "-v", "error", "-f", "lavfi", "-i", f"color=c={colour}:s=64x64"]
    run_ffmpeg("ffmpeg", [*args, "-frames:v", "1", str(path)], timeout_s=30)


def words_of(text: str, start_s: float = 0.0) -> list[Word]:
    return [
        Word(t, start_s + 0.4 * i, start_s + 0.4 * i + 0.3, 1.0) for i, t in enumerate(text.split())
    ]


def test_the_key_follows_the_library_index(tmp_path: Path) -> None:
    from ai_video.pipeline.source import SourceRef

    library = tmp_path / "lib"
    library.mkdir()
    still(library / "red.png", "red")
    (library / "labels.csv").write_text("file,label\nred.png,a red bicycle\n")
    settings = Settings().with_overrides({"cutaway.library": str(library)})
    info = MediaInfo(tmp_path / "x.mp4", "mp4", 1.0, 1, None, None)
    src = SourceRef(tmp_path / "x.mp4", "fingerprint", info)
    assert index_state(Settings()) is None and not cutaways_wanted(Settings())
    assert cutaways_wanted(Settings().with_overrides({"cutaway.search": "online"}))
    embedder = load_label_embedder(settings.broll)
    unindexed = BROLL.key(src, settings)
    index_library(library, settings, text_embedder=embedder)
    indexed = BROLL.key(src, settings)
    assert indexed != unindexed
    index_library(library, settings, text_embedder=embedder)  # nothing new: the same index
    assert BROLL.key(src, settings) == indexed
    still(library / "blue.png", "blue")
    index_library(library, settings, text_embedder=embedder)
    assert BROLL.key(src, settings) != indexed
    other = settings.with_overrides({"cutaway.min_score": 0.5})
    assert BROLL.key(src, other) != BROLL.key(src, settings)


def test_api_jobs_opt_in_to_the_servers_library(tmp_path: Path) -> None:
    from ai_video.errors import ConfigError
    from ai_video.serve.jobs import JobOptions

    with pytest.raises(ConfigError, match="no b-roll library"):
        JobOptions(broll=True).apply(Settings())
    server = Settings().with_overrides({"cutaway.library": str(tmp_path), "cutaway.enabled": False})
    assert not cutaways_wanted(JobOptions().apply(server))
    chosen = JobOptions.model_validate({"broll": "true", "broll_mode": "pip"}).apply(server)
    assert cutaways_wanted(chosen) and chosen.cutaway.mode == "pip"


def test_online_search_feeds_the_cutaways(
    site: tuple[str, list[tuple[float, str]]],  # noqa: F811
    tmp_path: Path,
) -> None:
    base, log = site
    settings = online_settings(base, tmp_path / "cache").with_overrides(
        {"cutaway.search": "online"}
    )
    words = words_of(
        "Welcome back everyone today. I ate a red apple on a wooden table and it was "
        "crisp and sweet and I would eat another one tomorrow"
    )
    clip = TimeSpan(0.0, words[-1].end_s + 0.1)
    cfg: CutawayConfig = settings.cutaway.model_copy(update={"min_score": 0.3})
    searcher = open_searcher(settings)
    try:
        chosen = choose_cutaways(find_opportunities(words, clip, cfg), searcher, clip, cfg)
    finally:
        searcher.close()  # type: ignore[attr-defined]
    assert chosen, log
    apple = [c for c in chosen if "apple" in c.opportunity.query]
    assert apple and apple[0].match.kind == "video"
    assert apple[0].match.path.is_file() and (tmp_path / "cache") in apple[0].match.path.parents
    assert any(path == "/media/apple.mp4" for _, path in log)
    assert not any(path == "/media/long.mp4" for _, path in log)  # over the cap: not fetched

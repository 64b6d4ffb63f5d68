"""The batch runner's queue: a ``priority`` column orders the videos (higher first, list order
within a level); every limit change lands in admission.parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ai_video.config import Settings
from ai_video.errors import InputError
from ai_video.pipeline.backend import LocalBackend
from ai_video.pipeline.batch import read_source_list, run_batch


def test_batch_runs_higher_priority_first_and_keeps_list_order_within_a_level(
    tmp_path: Path,
) -> None:
    # sources that do not exist fail at once, so results.parquet lists them in start order
    rows = [("a", ""), ("b", "2"), ("c", "0"), ("d", "2"), ("e", "-1"), ("f", "7")]
    listing = tmp_path / "sources.csv"
    listing.write_text(
        "video_id,source,priority\n" + "".join(f"{vid},missing-{vid}.mp4,{p}\n" for vid, p in rows)
    )
    items = read_source_list(listing)
    assert [i.priority for i in items] == [0, 2, 0, 2, -1, 7]
    settings = Settings().with_overrides(
        {"ray.enabled": False, "ray.max_concurrent_videos": 1, "cache.dir": str(tmp_path / "c")}
    )
    backend = LocalBackend(settings)
    try:
        results = run_batch(items, tmp_path / "out", settings, backend)
    finally:
        backend.close()
    table = pl.read_parquet(results)
    assert table["video_id"].to_list() == ["f", "b", "d", "a", "c", "e"]
    assert set(table["status"]) == {"failed"}
    limits = pl.read_parquet(tmp_path / "out" / "admission.parquet")
    assert set(limits["scope"]) == {"videos"} and limits["limit"].to_list()[0] == 1


@pytest.mark.parametrize("cell", ["high", "1.5"])
def test_a_priority_that_is_not_a_whole_number_is_refused(tmp_path: Path, cell: str) -> None:
    listing = tmp_path / "sources.csv"
    listing.write_text(f"source,priority\nx.mp4,{cell}\n")
    with pytest.raises(InputError, match="priority"):
        read_source_list(listing)

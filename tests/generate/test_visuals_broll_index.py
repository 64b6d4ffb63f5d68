"""The generate job's visual choice through a b-roll index (the same scores as broll search)."""

from __future__ import annotations

from pathlib import Path

from ai_video.analyze.broll_index import index_library
from ai_video.analyze.broll_search import open_broll_library
from ai_video.analyze.embed import TextEmbedder
from ai_video.config import Settings
from ai_video.generate.script import Scene
from ai_video.generate.visuals import (
    CARD_KIND,
    LibraryIndexScorer,
    VisualItem,
    choose_visuals,
    library_visuals,
)
from tests.analyze.broll_library import solid_image, two_shot_video


def test_scenes_pick_indexed_assets_by_meaning(tmp_path: Path, embedder: TextEmbedder) -> None:
    root = tmp_path / "lib"
    solid_image(root / "a.png", (30, 160, 40))
    (root / "a.txt").write_text("a football pitch with fresh grass")
    solid_image(root / "b.png", (20, 40, 200))
    (root / "b.txt").write_text("waves rolling onto a sandy beach")
    two_shot_video(root / "c.mp4", ("gray", "white"))
    (root / "c.txt").write_text("commuters in a busy train station")
    settings = Settings()
    index_library(root, settings, text_embedder=embedder)
    library = open_broll_library(root, settings, text_embedder=embedder)
    items = library_visuals(library)
    assert {(i.path.name, i.kind) for i in items} == {
        ("a.png", "image"),
        ("b.png", "image"),
        ("c.mp4", "video"),
    }
    scorer = LibraryIndexScorer(library, settings.generate.visual_min_score)
    scenes = [
        Scene(0, "The sea calms everyone.", visual="ocean surf at the coast"),
        Scene(1, "Rush hour is chaos.", visual="people hurrying to catch the subway"),
        Scene(2, "We played all afternoon.", visual="soccer field lawn"),
        Scene(3, "Tax law changed in 1987.", visual="quarterly tax filing deadline"),
    ]
    choices = choose_visuals(scenes, items, scorer, {}, settings.generate)
    picked = [c.path.name if c.path else c.kind for c in choices]
    assert picked == ["b.png", "c.mp4", "a.png", CARD_KIND]
    assert choices[0].method == "broll-index"
    outside = VisualItem(tmp_path / "elsewhere.png", "image", "ocean surf")
    assert scorer.score(["ocean surf"], [outside])[0, 0] == -1.0

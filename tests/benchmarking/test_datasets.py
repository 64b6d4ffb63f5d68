"""The dataset registry reads a user's own labelled set and the shared media by kind and tag."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarking.datasets import Registry, load_registry

HEADER = "path\tduration_s\twidth\theight\tfps\thas_audio\tlanguage\tground_truth\ttags\n"


def test_a_users_own_manifest_is_queried_by_kind_and_tag(tmp_path: Path) -> None:
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "cuts.tsv").write_text(
        "file\tfps\tframes\tcut_frames\nmy_cut.mp4\t25\t100\t12,40\n", encoding="utf-8"
    )
    (tmp_path / "talks").mkdir()
    (tmp_path / "talks" / "a.align").write_text("0 5000 sil\n5000 30000 hello\n", "utf-8")
    (tmp_path / "talks" / "a.txt").write_text("Hello.", encoding="utf-8")
    (tmp_path / "MANIFEST.tsv").write_text(
        HEADER
        + "scenes/my_cut.mp4\t4.0\t640\t360\t25\tno\t-\tscenes/cuts.tsv\t\n"
        + "scenes/cuts.tsv\t\t\t\t\t\t-\t\t\n"
        + "talks/a.mp4\t9.5\t360\t640\t25\tyes\ten\t"
        + "talks/a.txt; talks/a.align\tinterview,two-people\n"
        + "talks/b.mp4\t2.5\t640\t360\t25\tyes\ten\t\t\n",
        encoding="utf-8",
    )
    reg = Registry.load(tmp_path)
    assert [i.rel for i in reg.items] == ["scenes/my_cut.mp4", "talks/a.mp4", "talks/b.mp4"]
    cut = reg.one("scenes", ("cuts",))
    assert reg.cut_frames(cut) == (12, 40)
    talks = reg.query("talks", ("speech",))
    assert [i.name for i in talks] == ["b.mp4", "a.mp4"]  # shortest first
    a = reg.one(tags=("interview", "word-times"))
    assert {"vertical", "transcript", "speech", "video"} <= a.tags
    assert reg.word_times(a) == (("hello", 0.2, 1.2),)
    assert reg.transcript(a) == "Hello."
    assert reg.one("talks", longest=True).name == "a.mp4"
    assert reg.query("talks", without=("transcript",)) == [reg.items[2]]
    with pytest.raises(LookupError):
        reg.one("broll")
    with pytest.raises(FileNotFoundError):
        Registry.load(tmp_path / "scenes")


@pytest.mark.media
def test_shared_media_truth_is_read_through_the_registry(media: Path) -> None:
    reg = load_registry(media)
    scenes = {i.name: reg.cut_frames(i) for i in reg.query("scenes", ("cuts",))}
    assert scenes["testvideo.mp4"] == (30, 180) and scenes["counter.mp4"] == (10, 20)
    grid = reg.one(tags=("word-times",))
    assert [w for w, _, _ in reg.word_times(grid)] == ["set", "white", "with", "p", "two", "soon"]
    assert reg.transcript(grid) == "set white with p two soon"
    jfk = reg.one("speech", ("transcript",), min_s=10.5, max_s=11.5)
    assert reg.transcript(jfk).startswith("And so, my fellow Americans")
    assert reg.transcript(reg.one("speech", ("transcript",))).endswith("has never been surpassed.")
    assert all(i.path.is_file() for i in reg.items)
    assert "speech" not in reg.one("talking", ("face",), without=("speech",)).tags

"""SRT/VTT side files are written atomically and read back to the caption lines."""

from __future__ import annotations

from pathlib import Path

import pysubs2

from ai_video.edit.captions import build_caption_track
from ai_video.render.export import write_caption_files
from ai_video.types import TimeSpan, Word

SPOKEN = "Ask not what your country can do"


def test_caption_files_round_trip(tmp_path: Path) -> None:
    tokens = SPOKEN.split()
    words = [Word(t, 10 + i * 0.4, 10 + i * 0.4 + 0.3, 1.0) for i, t in enumerate(tokens)]
    track = build_caption_track(words, TimeSpan(10.0, 14.0), "tiktok")
    srt, vtt = write_caption_files(track, tmp_path / "out" / "clip_01.mp4")
    assert (srt.name, vtt.name) == ("clip_01.srt", "clip_01.vtt")
    assert sorted(p.name for p in srt.parent.iterdir()) == ["clip_01.srt", "clip_01.vtt"]
    for path in (srt, vtt):
        events = pysubs2.load(str(path)).events
        assert [e.plaintext for e in events] == [line.text for line in track.lines]
        assert events[0].start == 0 and events[-1].end == round(track.lines[-1].end_s * 1000)
    assert " ".join(line.text for line in track.lines) == SPOKEN

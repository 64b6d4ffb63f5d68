"""Subtitle formats of a caption track: word-highlight ASS events, SRT and WebVTT text."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pysubs2

from ai_video.config import CaptionStyle
from ai_video.edit.captions import build_caption_track
from ai_video.render.export import write_ass
from ai_video.render.subtitles import highlight_events, track_to_srt, track_to_vtt
from ai_video.types import TimeSpan, Word
from tests.edit.caption_words import line_texts, spoken_words

HIGHLIGHT_TAG = re.compile(r"\{\\1c&H[0-9A-F]{6}&\}([^{]*)\{\\r\}")


def test_ass_events_never_overlap_and_highlight_one_word_each(tmp_path: Path) -> None:
    text = "Here is a sentence, with a pause. Then more words follow here quickly now"
    track = build_caption_track(spoken_words(text, pauses={6: 0.8}), TimeSpan(0.0, 20.0), "tiktok")
    style = CaptionStyle(highlight_colour="#FFE14D")
    path = write_ass(track, style, (1080, 1920), tmp_path / "c.ass")
    subs = pysubs2.load(str(path))
    assert subs.info["PlayResX"] == "1080" and subs.info["PlayResY"] == "1920"
    ass_style = subs.styles["tiktok"]
    assert ass_style.marginv == round(0.30 * 1920) and ass_style.marginl == round(0.08 * 1080)
    assert ass_style.alignment == pysubs2.Alignment.BOTTOM_CENTER and ass_style.bold
    events = sorted(subs.events, key=lambda e: e.start)
    for prev, cur in pairwise(events):
        assert prev.end <= cur.start
    assert all(e.end > e.start for e in events)
    highlighted = []
    for event in events:
        tags = HIGHLIGHT_TAG.findall(event.text)
        assert len(tags) == 1, event.text
        assert "&H4DE1FF&" in event.text  # #FFE14D as ASS BGR
        highlighted.append(tags[0])
        assert event.plaintext in line_texts(track)
    assert " ".join(highlighted) == text
    # The last word of a line is held for style.hold_s (0.3 s) when the next line is later.
    pause_line = next(i for i, ln in enumerate(track.lines) if ln.text.endswith("pause."))
    last_event = max(
        (e for e in events if e.plaintext == track.lines[pause_line].text), key=lambda e: e.end
    )
    assert last_event.end == round((track.lines[pause_line].end_s + 0.3) * 100) * 10


def test_highlight_events_clip_at_next_line_start() -> None:
    words = [
        Word("a", 0.0, 0.3, 1),
        Word("b", 0.3, 0.9, 1),
        Word("c.", 0.5, 0.7, 1),
        Word("d", 0.7, 1.0, 1),
    ]
    track = build_caption_track(words, TimeSpan(0.0, 2.0), "s")
    events = highlight_events(track, hold_s=0.3)
    spans = [(e.start_ms, e.end_ms) for e in events]
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), spans
    assert len(events) == 4


def test_srt_and_vtt_read_back_match_thespoken_words() -> None:
    text = "She had your dark suit in greasy wash water all year."
    track = build_caption_track(spoken_words(text, start_s=1.0), TimeSpan(1.0, 10.0), "s")
    srt = pysubs2.SSAFile.from_string(track_to_srt(track))
    assert [e.plaintext for e in srt.events] == line_texts(track)
    assert " ".join(e.plaintext for e in srt.events) == text
    assert [(e.start, e.end) for e in srt.events][:2] == [(0, 1150), (1200, 2350)]
    vtt_text = track_to_vtt(track)
    assert vtt_text.startswith("WEBVTT")
    vtt = pysubs2.SSAFile.from_string(vtt_text)
    assert [e.plaintext for e in vtt.events] == line_texts(track)

"""Transcript JSON round trip and SRT/VTT output, read back with pysubs2."""

from __future__ import annotations

import orjson
import pysubs2
import pytest

from ai_video.analyze.transcript_format import (
    transcript_from_json,
    transcript_to_json,
    transcript_to_srt,
    transcript_to_vtt,
)
from ai_video.errors import InputError
from ai_video.types import Segment, Transcript, Word


def _transcript() -> Transcript:
    first = Segment(
        text="And so, my fellow Americans {sic}",
        start_s=0.0,
        end_s=2.26,
        words=(
            Word("And", 0.0, 0.74, 0.67),
            Word("so,", 0.74, 1.08, 0.98),
            Word("my", 1.38, 1.42, 0.97),
            Word("fellow", 1.42, 1.76, 0.999),
            Word("Americans", 1.76, 2.26, 0.87),
            Word("{sic}", 2.26, 2.26, 0.5),
        ),
    )
    second = Segment(
        text="ask what <you> can do & more.",
        start_s=3725.5,
        end_s=3727.125,
        words=(Word("ask", 3725.5, 3726.0, 0.18), Word("more.", 3726.9, 3727.125, 0.99)),
    )
    return Transcript(language="en", segments=(first, second), model="faster-whisper:tiny.en@0.1.0")


def test_json_round_trip_is_lossless() -> None:
    transcript = _transcript()
    data = transcript_to_json(transcript)
    assert transcript_from_json(data) == transcript
    doc = orjson.loads(data)
    assert doc["language"] == "en"
    assert doc["model"] == "faster-whisper:tiny.en@0.1.0"
    assert doc["text"] == transcript.text
    assert doc["segments"][0]["words"][1] == {
        "text": "so,", "start": 0.74, "end": 1.08, "probability": 0.98
    }  # fmt: skip
    empty = Transcript("en", (), "m")
    assert transcript_from_json(transcript_to_json(empty)) == empty


def test_malformed_json_raises_input_error() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        transcript_from_json(b"{not json")
    with pytest.raises(InputError, match="segments"):
        transcript_from_json(b'{"language": "en", "model": "m"}')
    bad_word = b'{"language":"en","model":"m","segments":[{"text":"a","start":0,"end":1,'
    bad_word += b'"words":[{"text":"a","start":"soon","end":1,"probability":1}]}]}'
    with pytest.raises(InputError, match="malformed"):
        transcript_from_json(bad_word)


def test_srt_has_one_cue_per_segment_with_exact_text_and_times() -> None:
    srt = transcript_to_srt(_transcript())
    assert "01:02:05,500 --> 01:02:07,125" in srt
    subs = pysubs2.SSAFile.from_string(srt, format_="srt")
    assert [(e.start, e.end) for e in subs] == [(0, 2260), (3725500, 3727125)]
    assert srt.splitlines()[2] == "And so, my fellow Americans {sic}"
    assert srt.splitlines()[6] == "ask what <you> can do & more."


def test_vtt_escapes_markup_and_keeps_times() -> None:
    vtt = transcript_to_vtt(_transcript())
    assert vtt.startswith("WEBVTT\n")
    assert "01:02:05.500 --> 01:02:07.125" in vtt
    assert "ask what &lt;you&gt; can do &amp; more." in vtt
    assert "And so, my fellow Americans {sic}" in vtt
    assert transcript_to_vtt(Transcript("en", (), "m")).strip() == "WEBVTT"
    assert transcript_to_srt(Transcript("en", (), "m")) == ""

"""Transcript converters: JSON (lossless, for the cache and manifest) and SRT/VTT subtitles."""

from __future__ import annotations

import html
from typing import Any

import orjson
import pysubs2

from ai_video.errors import InputError
from ai_video.types import Segment, Transcript, Word


def transcript_to_json(transcript: Transcript) -> bytes:
    """The transcript as JSON: language, model, timing method, text, segments with timed words.

    A refined word also carries ``asr_start``/``asr_end``, the recogniser's own times.
    """
    return orjson.dumps(
        {
            "language": transcript.language,
            "language_probability": transcript.language_probability,
            "model": transcript.model,
            "timing_method": transcript.timing_method,
            "text": transcript.text,
            "segments": [
                {
                    "text": seg.text,
                    "start": seg.start_s,
                    "end": seg.end_s,
                    "words": [_word_doc(w) for w in seg.words],
                }
                for seg in transcript.segments
            ],
        }
    )


def _word_doc(word: Word) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "text": word.text,
        "start": word.start_s,
        "end": word.end_s,
        "probability": word.probability,
    }
    if word.asr_start_s is not None:
        doc["asr_start"] = word.asr_start_s
    if word.asr_end_s is not None:
        doc["asr_end"] = word.asr_end_s
    return doc


def transcript_from_json(data: bytes) -> Transcript:
    """Read a transcript written by :func:`transcript_to_json`; malformed input raises.

    JSON written before word-timing refinement existed (no ``timing_method``, no
    ``asr_start``/``asr_end``) reads as whisper timing.
    """
    try:
        doc = orjson.loads(data)
        return Transcript(
            language=str(doc["language"]),
            model=str(doc["model"]),
            segments=tuple(_segment(seg) for seg in doc["segments"]),
            timing_method=str(doc.get("timing_method", "whisper")),
            language_probability=_optional_float(doc.get("language_probability")),
        )
    except orjson.JSONDecodeError as exc:
        raise InputError(f"transcript JSON is not valid JSON: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"transcript JSON has a missing or malformed field: {exc!r}") from None


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _segment(seg: dict[str, Any]) -> Segment:
    return Segment(
        text=str(seg["text"]),
        start_s=float(seg["start"]),
        end_s=float(seg["end"]),
        words=tuple(
            Word(
                text=str(w["text"]),
                start_s=float(w["start"]),
                end_s=float(w["end"]),
                probability=float(w["probability"]),
                asr_start_s=_optional_float(w.get("asr_start")),
                asr_end_s=_optional_float(w.get("asr_end")),
            )
            for w in seg["words"]
        ),
    )


def transcript_to_srt(transcript: Transcript) -> str:
    """SubRip subtitles, one cue per segment, text exactly as recognised."""
    return _subtitles(transcript, escape_markup=False).to_string("srt", keep_ssa_tags=True)


def transcript_to_vtt(transcript: Transcript) -> str:
    """WebVTT subtitles, one cue per segment (``&``, ``<``, ``>`` escaped as WebVTT requires)."""
    return _subtitles(transcript, escape_markup=True).to_string("vtt", keep_ssa_tags=True)


def _subtitles(transcript: Transcript, escape_markup: bool) -> pysubs2.SSAFile:
    """One event per non-empty segment; ``keep_ssa_tags`` on output keeps braces literal."""
    subs = pysubs2.SSAFile()
    for seg in transcript.segments:
        if not seg.text:
            continue
        text = html.escape(seg.text, quote=False) if escape_markup else seg.text
        event = pysubs2.SSAEvent(
            start=pysubs2.make_time(s=seg.start_s), end=pysubs2.make_time(s=seg.end_s)
        )
        event.plaintext = text
        subs.append(event)
    return subs

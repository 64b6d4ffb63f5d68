"""Choosing clips: trusted sentences -> topics -> candidates inside a topic -> features and
prompt relevance -> distinct clips with a readable score and social copy
(:func:`find_moments`); without speech, clips from shots, motion and loudness."""

from __future__ import annotations

from ai_video.curate.moments import find_moments

__all__ = ["find_moments"]

"""Titles, descriptions and hashtags are non-empty and made of the clip's own words."""

from __future__ import annotations

import re

from ai_video.config import MomentsConfig
from ai_video.curate.social_copy import keyphrases, social_copy
from tests.curate.long_talk import AUSTEN, COOKING, FOOTBALL, JFK

CFG = MomentsConfig()


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W_]+", text)}


def _camel_parts(tag: str) -> list[str]:
    return [p.lower() for p in re.findall(r"[A-Z][a-z']*|[a-z']+|\d+", tag.lstrip("#"))]


def test_copy_is_built_from_the_clip_words() -> None:
    for sentences in ([JFK], FOOTBALL[:3], COOKING, AUSTEN[1:]):
        copy = social_copy(sentences, CFG)
        said = _words(" ".join(sentences))
        assert copy.title and copy.description
        assert _words(copy.title) <= said, copy.title
        assert _words(copy.description.rstrip("…")) <= said
        assert 1 <= len(copy.hashtags) <= CFG.max_hashtags
        for tag in copy.hashtags:
            assert tag.startswith("#") and " " not in tag
            assert set(_camel_parts(tag)) <= said, tag
    assert len(social_copy(COOKING, CFG).hashtags) >= CFG.min_hashtags


def test_title_prefers_a_short_clause_with_the_key_words() -> None:
    copy = social_copy(["Knead the dough for ten minutes, until it feels smooth and elastic."], CFG)
    assert copy.title == "Knead the dough for ten minutes"
    long = "word " * 80
    assert len(social_copy([long.strip() + "."], CFG).description) <= CFG.description_max_chars


def test_keyphrases_do_not_repeat_each_other() -> None:
    phrases = keyphrases(" ".join(FOOTBALL), 5)
    assert len(phrases) == 5
    lowered = [p.lower() for p in phrases]
    assert not any(a != b and a in b for a in lowered for b in lowered)
    assert keyphrases("   ", 5) == []

"""Titles, one-line descriptions, hashtags and topic keywords, offline, from the clip's words.

Keyphrases come from YAKE (statistical, no model, many languages), run on the clip's own
text, so every title word, hashtag and keyword is a word the clip says.

- title: the clause of the clip (split at , ; : and sentence ends) of 3 to
  ``cfg.title_max_words`` words holding the most keyphrase weight, first letter capitalised;
  the top keyphrases when no clause fits;
- description: the sentence with the most keyphrase weight, other than the one the title
  came from when there is one, cut to ``cfg.description_max_chars`` at a word boundary;
- hashtags: ``cfg.min_hashtags``..``cfg.max_hashtags`` keyphrases in CamelCase, topped up with
  the clip's most frequent long content words when YAKE finds too few.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import yake
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ai_video.config import MomentsConfig
from ai_video.types import SocialCopy

_CLAUSE_SPLIT = re.compile(r"(?<=[,;:.!?…])\s+|\s+[—–-]\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_MIN_TITLE_WORDS = 3
_MIN_TAG_WORD_CHARS = 4


def keyphrases(text: str, count: int, language: str = "en", max_words: int = 3) -> list[str]:
    """Up to ``count`` keyphrases of ``text``, best first (YAKE), none contained in another."""
    if not text.strip() or count <= 0:
        return []
    extractor = yake.KeywordExtractor(lan=language, n=max_words, top=count * 3, dedup_lim=0.7)
    chosen: list[str] = []
    for phrase, _score in extractor.extract_keywords(text):
        lowered = phrase.lower()
        if any(lowered in c.lower() or c.lower() in lowered for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == count:
            break
    return chosen


def _weight(text: str, phrases: Sequence[str]) -> float:
    """Keyphrase weight held by ``text``: earlier (better) phrases weigh more."""
    lowered = text.lower()
    n = len(phrases)
    return sum((n - rank) for rank, p in enumerate(phrases) if p.lower() in lowered)


def _title(sentences: Sequence[str], phrases: Sequence[str], cfg: MomentsConfig) -> tuple[str, int]:
    """The title and the index of the sentence it came from (-1 when built from keyphrases)."""
    best: tuple[float, str, int] | None = None
    for i, sentence in enumerate(sentences):
        for clause in _CLAUSE_SPLIT.split(sentence):
            words = clause.strip().rstrip(",;:.!?…").split()
            if not _MIN_TITLE_WORDS <= len(words) <= cfg.title_max_words:
                continue
            weight = _weight(clause, phrases)
            if best is None or weight > best[0]:
                best = (weight, " ".join(words), i)
    if best is not None and best[0] > 0:
        text = best[1]
        return text[0].upper() + text[1:], best[2]
    fallback = " · ".join(p[0].upper() + p[1:] for p in phrases[:2])
    return fallback or " ".join(sentences[0].split()[: cfg.title_max_words]), -1


def _cut(text: str, max_chars: int) -> str:
    """``text`` cut at a word boundary to at most ``max_chars`` characters (ellipsis added)."""
    if len(text) <= max_chars:
        return text
    head = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return head + "…"


def _camel(phrase: str) -> str:
    return "".join(w[0].upper() + w[1:] for w in _WORD.findall(phrase))


def _hashtags(text: str, phrases: Sequence[str], cfg: MomentsConfig) -> tuple[str, ...]:
    tags: list[str] = []
    for phrase in phrases:
        tag = _camel(phrase)
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
        if len(tags) == cfg.max_hashtags:
            break
    if len(tags) < cfg.min_hashtags:
        words = [
            w
            for w in _WORD.findall(text)
            if len(w) >= _MIN_TAG_WORD_CHARS and w.lower() not in ENGLISH_STOP_WORDS
        ]
        for word, _n in Counter(w.lower() for w in words).most_common():
            if len(tags) >= cfg.min_hashtags:
                break
            if all(word not in t.lower() for t in tags):
                tags.append(word[0].upper() + word[1:])
    return tuple("#" + t for t in tags)


def social_copy(sentences: Sequence[str], cfg: MomentsConfig, language: str = "en") -> SocialCopy:
    """Title, description and hashtags of a clip whose sentences are ``sentences``."""
    text = " ".join(sentences)
    phrases = keyphrases(text, cfg.max_hashtags, language)
    title, title_sentence = _title(sentences, phrases, cfg)
    others = [i for i in range(len(sentences)) if i != title_sentence] or [0]
    described = max(others, key=lambda i: (_weight(sentences[i], phrases), -i))
    description = _cut(sentences[described], cfg.description_max_chars)
    return SocialCopy(title=title, description=description, hashtags=_hashtags(text, phrases, cfg))

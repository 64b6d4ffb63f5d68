"""B-roll cutaways of one clip: where footage helps, what to search for, which asset to show.

A clip's moments that gain from a cutaway are its concrete keyphrases (YAKE on the clip's own
words, the same extractor that writes titles) and the sentences where the speaker is not the
point: lists (commas, "first ... second"), numbers, and long explanations. Each becomes a
query and a span that starts on the first word of its phrase and ends on a word end
``min_s``..``max_s`` later (preferring a sentence end or a pause near ``target_s``). Spans stay
clear of the opening hook, of each other (with ``min_gap_s`` of speaker between) and of a
``max_share`` of the clip; each is matched through a :class:`BrollSearcher` with a minimum
score, and no asset is shown twice in one clip. Everything here is a pure function of the
words, the settings and the searcher it is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ai_video.config import CutawayConfig
from ai_video.curate.sentences import ends_sentence, split_sentences
from ai_video.curate.social_copy import keyphrases
from ai_video.errors import ConfigError
from ai_video.types import (
    BrollMatch,
    BrollSearcher,
    CutawayOrigin,
    EditPlan,
    Overlay,
    Sentence,
    TimeSpan,
    Word,
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# fmt: off
_NUMBER_WORDS = frozenset({
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion",
    "billions", "trillion", "percent", "dozen", "half", "double", "triple",
})
_ORDINALS = frozenset({
    "first", "second", "third", "fourth", "fifth", "firstly", "secondly", "finally", "next",
})
# fmt: on
_LONG_SENTENCE_S = 60.0  # sentences are split on punctuation, only cut when this long


@dataclass(frozen=True)
class CutawayOpportunity:
    """A moment of a clip that benefits from a cutaway, and what to search for."""

    query: str
    span: TimeSpan
    """Source time; starts on a word start, ends on a word end."""
    reason: str
    """``keyphrase``, or the strongest of ``list``, ``number``, ``explanation``."""
    weight: float
    """Higher first: keyphrase rank plus a bonus per reason."""


@dataclass(frozen=True)
class Cutaway:
    """A chosen cutaway: the moment and the asset that matched it."""

    opportunity: CutawayOpportunity
    match: BrollMatch


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (punctuation dropped)."""
    return [t.lower() for t in _TOKEN.findall(text)]


def _is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or token in _NUMBER_WORDS


def search_query(phrase: str) -> str:
    """The words of ``phrase`` worth searching footage for (counts dropped: 'twelve crabs')."""
    return " ".join(t for t in phrase.split() if not _is_number(t.lower().strip(",.;:!?")))


def sentence_reasons(sentence: Sentence, cfg: CutawayConfig) -> list[str]:
    """Why the speaker is not the point of ``sentence``: ``list``, ``number``, ``explanation``."""
    words = [tokens(w.text) for w in sentence.words]
    flat = [t for ts in words for t in ts]
    reasons = []
    commas = sum(w.text.count(",") for w in sentence.words)
    if commas >= cfg.list_min_commas or sum(t in _ORDINALS for t in flat) >= 2:
        reasons.append("list")
    if any(_is_number(t) for t in flat) or any("%" in w.text for w in sentence.words):
        reasons.append("number")
    if sentence.span.duration_s >= cfg.explanation_min_s:
        reasons.append("explanation")
    return reasons


def cutaway_span(
    words: Sequence[Word], first: int, last: int, cfg: CutawayConfig
) -> TimeSpan | None:
    """A span from the start of ``words[first]`` to a word end at or after ``words[last]``.

    Its length is within ``cfg.min_s``..``cfg.max_s``; among the word ends that fit, the one
    nearest ``cfg.target_s`` wins, a sentence end or a pause of ``cfg.end_pause_s`` counting
    as half a second nearer. None when no word end fits (a long pause, the clip's end).
    """
    start = words[first].start_s
    best: tuple[float, int] | None = None
    for j in range(last, len(words)):
        length = words[j].end_s - start
        if length > cfg.max_s + 1e-9:
            break
        if length < cfg.min_s - 1e-9:
            continue
        nxt = words[j + 1] if j + 1 < len(words) else None
        pause = nxt is None or nxt.start_s - words[j].end_s >= cfg.end_pause_s
        natural = pause or ends_sentence(words[j].text, None if nxt is None else nxt.text)
        cost = abs(length - cfg.target_s) - (0.5 if natural else 0.0)
        if best is None or cost < best[0]:
            best = (cost, j)
    return None if best is None else TimeSpan(start, words[best[1]].end_s)


def _find_phrase(words: Sequence[Word], phrase: str, from_s: float) -> tuple[int, int] | None:
    """First and last word index of the first occurrence of ``phrase`` starting at ``from_s``."""
    want = tokens(phrase)
    if not want:
        return None
    flat = [(i, t) for i, w in enumerate(words) for t in tokens(w.text)]
    for k in range(len(flat) - len(want) + 1):
        if [t for _, t in flat[k : k + len(want)]] == want and words[flat[k][0]].start_s >= from_s:
            return flat[k][0], flat[k + len(want) - 1][0]
    return None


def find_opportunities(
    words: Sequence[Word], clip: TimeSpan, cfg: CutawayConfig, language: str = "en"
) -> list[CutawayOpportunity]:
    """Moments of the clip ``clip`` (source time) that benefit from a cutaway, best first."""
    inside = [w for w in words if clip.contains((w.start_s + w.end_s) / 2) and w.text.strip()]
    if not inside:
        return []
    from_s = clip.start_s + cfg.hook_guard_s
    sentences = split_sentences(inside, _LONG_SENTENCE_S)
    reasons_at = {id(w): sentence_reasons(s, cfg) for s in sentences for w in s.words}
    text = " ".join(w.text.strip() for w in inside)
    out: list[CutawayOpportunity] = []
    phrases = keyphrases(text, cfg.keyphrases, language, cfg.keyphrase_max_words)
    for rank, phrase in enumerate(phrases):
        found = _find_phrase(inside, phrase, from_s)
        if found is None or not search_query(phrase):
            continue
        span = cutaway_span(inside, found[0], found[1], cfg)
        if span is None:
            continue
        reasons = reasons_at[id(inside[found[0]])]
        weight = 1.0 / (1.0 + rank) + cfg.reason_bonus * len(reasons)
        reason = (reasons or ["keyphrase"])[0]
        out.append(CutawayOpportunity(search_query(phrase), span, reason, weight))
    out += _reason_only(inside, sentences, out, from_s, (cfg, language))
    return sorted(out, key=lambda o: (-o.weight, o.span.start_s))


def _reason_only(
    inside: Sequence[Word],
    sentences: Sequence[Sentence],
    found: Sequence[CutawayOpportunity],
    hook_end_s: float,
    options: tuple[CutawayConfig, str],
) -> list[CutawayOpportunity]:
    """Opportunities for list/number/explanation sentences no clip keyphrase landed in."""
    cfg, language = options
    out = []
    for sentence in sentences:
        reasons = sentence_reasons(sentence, cfg)
        if not reasons or any(sentence.span.overlaps(o.span) for o in found):
            continue
        from_s = max(sentence.span.start_s, hook_end_s)
        for phrase in keyphrases(sentence.text, 1, language, cfg.keyphrase_max_words):
            where = _find_phrase(inside, phrase, from_s)
            span = None if where is None else cutaway_span(inside, where[0], where[1], cfg)
            if span is not None and search_query(phrase):
                weight = cfg.reason_bonus * len(reasons)
                out.append(CutawayOpportunity(search_query(phrase), span, reasons[0], weight))
    return out


def choose_cutaways(
    opportunities: Sequence[CutawayOpportunity],
    searcher: BrollSearcher,
    clip: TimeSpan,
    cfg: CutawayConfig,
) -> list[Cutaway]:
    """Cutaways for the best opportunities that fit: no overlap, a share cap, matched assets.

    Opportunities are taken best first; one is skipped when it comes within ``min_gap_s`` of a
    chosen one, would push the cutaways past ``max_share`` of the clip, or finds no asset
    scoring ``min_score`` that this clip has not shown yet. Returned in time order.
    """
    if not cfg.min_s <= cfg.target_s <= cfg.max_s:
        raise ConfigError(
            f"cutaway lengths need min_s <= target_s <= max_s, got {cfg.min_s}, "
            f"{cfg.target_s}, {cfg.max_s}"
        )
    chosen: list[Cutaway] = []
    budget_s = cfg.max_share * clip.duration_s
    used: set[str] = set()
    for opp in opportunities:
        if len(chosen) >= cfg.max_per_clip:
            break
        padded = TimeSpan(opp.span.start_s - cfg.min_gap_s, opp.span.end_s + cfg.min_gap_s)
        if any(padded.overlaps(c.opportunity.span) for c in chosen):
            continue
        if sum(c.opportunity.span.duration_s for c in chosen) + opp.span.duration_s > budget_s:
            continue
        match = next(
            (m for m in searcher.search(opp.query, cfg.top_k)
             if m.score >= cfg.min_score and m.rel_path not in used),
            None,
        )  # fmt: skip
        if match is not None:
            used.add(match.rel_path)
            chosen.append(Cutaway(opp, match))
    return sorted(chosen, key=lambda c: c.opportunity.span.start_s)


def output_time(plan: EditPlan, t_s: float) -> float:
    """Where source time ``t_s`` lands in the rendered clip (after clean-up cuts)."""
    out = 0.0
    for kept in plan.kept_spans():
        if t_s <= kept.start_s:
            break
        out += min(t_s, kept.end_s) - kept.start_s
    return out


def cutaway_overlays(
    plan: EditPlan, cutaways: Sequence[Cutaway], cfg: CutawayConfig
) -> tuple[Overlay, ...]:
    """The plan's overlays for ``cutaways``: clip-time spans, video assets from their middle,
    stills with a slow push-in to ``cfg.image_zoom``, full frame or boxed per ``cfg.mode``."""
    overlays = []
    for cut in cutaways:
        opp, match = cut.opportunity, cut.match
        span = TimeSpan(output_time(plan, opp.span.start_s), output_time(plan, opp.span.end_s))
        if span.duration_s <= 0:
            continue
        offset = (
            max(0.0, (match.duration_s - span.duration_s) / 2) if match.kind == "video" else 0.0
        )
        origin = CutawayOrigin(
            query=opp.query, asset=match.rel_path, score=match.score,
            matched_by=match.matched_by, reason=opp.reason, source_span=opp.span,
        )  # fmt: skip
        zoom = cfg.image_zoom if match.kind == "image" else 1.0
        full = cfg.mode == "full"
        overlays.append(Overlay(match.path, span, offset, full, zoom=zoom, origin=origin))
    return tuple(overlays)


def with_cutaways(plan: EditPlan, cutaways: Sequence[Cutaway], cfg: CutawayConfig) -> EditPlan:
    """``plan`` with ``cutaways`` added to its overlays (unchanged when there are none)."""
    if not cutaways:
        return plan
    return replace(plan, overlays=(*plan.overlays, *cutaway_overlays(plan, cutaways, cfg)))

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
_ITEM_SPLIT = re.compile(r"[,;]|\s(?:and|or)\s", re.IGNORECASE)
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


def list_items(text: str) -> list[str]:
    """The parts of ``text`` between commas, semicolons and 'and'/'or': a list's items."""
    return [p.strip() for p in _ITEM_SPLIT.split(text) if p and p.strip(" .!?")]


def sentence_reasons(sentence: Sentence, cfg: CutawayConfig) -> list[str]:
    """Why the speaker is not the point of ``sentence``: ``list``, ``number``, ``explanation``."""
    flat = [t for w in sentence.words for t in tokens(w.text)]
    reasons = []
    items = list_items(sentence.text)
    if len(items) >= cfg.list_min_items or sum(t in _ORDINALS for t in flat) >= 2:
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
    """Moments of the clip ``clip`` (source time) that benefit from a cutaway, best first.

    Candidates are the clip's keyphrases (weight by rank, 1 for the best) and each sentence's
    own top ``cfg.sentence_keyphrases`` (ranked after them), each at its first occurrence
    after the hook; a sentence's reasons (list, number, explanation) add ``reason_bonus``.
    """
    inside = [w for w in words if clip.contains((w.start_s + w.end_s) / 2) and w.text.strip()]
    if not inside:
        return []
    hook_end_s = clip.start_s + cfg.hook_guard_s
    sentences = split_sentences(inside, _LONG_SENTENCE_S)
    text = " ".join(w.text.strip() for w in inside)
    wanted = [
        (phrase, 1.0 / (1.0 + rank), hook_end_s)
        for rank, phrase in enumerate(
            keyphrases(text, cfg.keyphrases, language, cfg.keyphrase_max_words)
        )
    ]
    for sentence in sentences:
        own = keyphrases(sentence.text, cfg.sentence_keyphrases, language, cfg.keyphrase_max_words)
        if "list" in sentence_reasons(sentence, cfg):  # each item is something to show
            own += [p for item in list_items(sentence.text) for p in keyphrases(item, 1, language)]
        start_s = max(sentence.span.start_s, hook_end_s)
        wanted += [(phrase, 1.0 / (2.0 + cfg.keyphrases), start_s) for phrase in own]
    best: dict[tuple[str, float], CutawayOpportunity] = {}
    for phrase, weight, from_s in wanted:
        opp = _opportunity(inside, sentences, phrase, weight, from_s, cfg)
        key = (opp.query, opp.span.start_s) if opp is not None else None
        if (
            opp is not None
            and key is not None
            and (key not in best or best[key].weight < opp.weight)
        ):
            best[key] = opp
    return sorted(best.values(), key=lambda o: (-o.weight, o.span.start_s))


def _opportunity(
    inside: Sequence[Word],
    sentences: Sequence[Sentence],
    phrase: str,
    weight: float,
    from_s: float,
    cfg: CutawayConfig,
) -> CutawayOpportunity | None:
    """``phrase`` at its first occurrence from ``from_s`` as an opportunity (None: no fit)."""
    query = search_query(phrase)
    found = _find_phrase(inside, phrase, from_s) if query else None
    span = None if found is None else cutaway_span(inside, found[0], found[1], cfg)
    if span is None:
        return None
    home = next((s for s in sentences if s.span.start_s <= span.start_s < s.span.end_s), None)
    reasons = sentence_reasons(home, cfg) if home is not None else []
    weight += cfg.reason_bonus * len(reasons)
    return CutawayOpportunity(query, span, (reasons or ["keyphrase"])[0], weight)


def choose_cutaways(
    opportunities: Sequence[CutawayOpportunity],
    searcher: BrollSearcher,
    clip: TimeSpan,
    cfg: CutawayConfig,
) -> list[Cutaway]:
    """Cutaways for the best opportunities that fit: no overlap, a share cap, matched assets.

    Every opportunity is searched once per query; those with an asset scoring ``min_score``
    are taken by weight plus their best score (an important moment with good footage
    first). One is skipped when it comes within ``min_gap_s`` of a chosen one, would push
    the cutaways past ``max_share`` of the clip, or has no matching asset this clip has not
    shown yet. Returned in time order.
    """
    if not cfg.min_s <= cfg.target_s <= cfg.max_s:
        raise ConfigError(
            f"cutaway lengths need min_s <= target_s <= max_s, got {cfg.min_s}, "
            f"{cfg.target_s}, {cfg.max_s}"
        )
    results: dict[str, list[BrollMatch]] = {}
    ranked = []
    for opp in opportunities:
        if opp.query not in results:
            found = searcher.search(opp.query, cfg.top_k)
            results[opp.query] = [m for m in found if m.score >= cfg.min_score]
        if results[opp.query]:
            ranked.append((opp.weight + results[opp.query][0].score, opp))
    ranked.sort(key=lambda r: (-r[0], r[1].span.start_s))
    chosen: list[Cutaway] = []
    budget_s, used = cfg.max_share * clip.duration_s, set()
    for _, opp in ranked:
        padded = TimeSpan(opp.span.start_s - cfg.min_gap_s, opp.span.end_s + cfg.min_gap_s)
        if len(chosen) >= cfg.max_per_clip or any(
            padded.overlaps(c.opportunity.span) for c in chosen
        ):
            continue
        if sum(c.opportunity.span.duration_s for c in chosen) + opp.span.duration_s > budget_s:
            continue
        match = next((m for m in results[opp.query] if m.rel_path not in used), None)
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


def retimed_cutaways(plan: EditPlan) -> EditPlan:
    """``plan`` with its cutaway overlays moved to its current span and cuts (after a trim
    or new clean-up cuts): each keeps its source span, clipped to what is still in the clip;
    one left with nothing is dropped. Other overlays are untouched."""
    overlays = []
    for overlay in plan.overlays:
        if overlay.origin is None:
            overlays.append(overlay)
            continue
        source = overlay.origin.source_span
        span = TimeSpan(output_time(plan, source.start_s), output_time(plan, source.end_s))
        if span.duration_s > 0:
            overlays.append(replace(overlay, span=span))
    return replace(plan, overlays=tuple(overlays))

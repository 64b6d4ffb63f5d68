"""Cutaway moments and their matches, on hand-made transcripts whose answers are known.

Words are laid out at known times (0.3 s each, 0.1 s apart, 0.4 s more after a sentence),
so every expected span boundary is a known word's start or end. The searcher is a small
keyword library (an asset scores high when its label word is in the query), enough to know
by construction which asset each moment must get.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ai_video.config import CaptionStyle, CutawayConfig
from ai_video.edit.cutaways import (
    Cutaway,
    CutawayOpportunity,
    choose_cutaways,
    cutaway_span,
    find_opportunities,
    output_time,
    search_query,
    sentence_reasons,
    tokens,
    with_cutaways,
)
from ai_video.errors import ConfigError
from ai_video.types import (
    AudioPlan,
    BrollMatch,
    CaptionTrack,
    CropKeyframe,
    CropPath,
    EditPlan,
    OutputPreset,
    Segment,
    Sentence,
    TimeSpan,
    Transcript,
    Word,
)

TALK = (
    "Bicycles are great. Today I rode my red bicycle to the old lighthouse by the sea. "
    "We counted three hundred seagulls, twelve crabs, and four boats. "
    "Then we ate fresh pizza at the harbour, and the pizza was wonderful."
)


def lay_out(text: str, start_s: float = 0.0) -> list[Word]:
    """Words of ``text`` at known times: 0.3 s long, 0.1 s apart, +0.4 s after a full stop."""
    words, t = [], start_s
    for token in text.split():
        words.append(Word(token, round(t, 3), round(t + 0.3, 3), 1.0))
        t += 0.4 + (0.4 if token.endswith(".") else 0.0)
    return words


class KeywordLibrary:
    """A b-roll searcher by label word: 0.9 when the label is in the query, else ``floor``."""

    def __init__(self, labels: dict[str, str], floor: float = 0.05) -> None:
        self.labels = labels
        self.floor = floor
        self.queries: list[str] = []

    def search(self, query: str, top_k: int) -> list[BrollMatch]:
        self.queries.append(query)
        words = set(tokens(query))
        scored = [
            (0.9 if set(tokens(label)) & words else self.floor, name)
            for name, label in self.labels.items()
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [_match(name, score) for score, name in scored[:top_k]]


def _match(name: str, score: float) -> BrollMatch:
    kind = "video" if name.endswith(".mp4") else "image"
    duration = 10.0 if kind == "video" else 0.0
    return BrollMatch(Path("/lib") / name, name, score, "text", kind, duration, 640, 360)


LIBRARY = {
    "bike.png": "bicycle",
    "lighthouse.mp4": "lighthouse",
    "gulls.jpg": "seagulls",
    "pizza.png": "pizza",
    "harbour.mp4": "harbour",
}


def word_starts_ends(words: list[Word]) -> tuple[set[float], set[float]]:
    return {w.start_s for w in words}, {w.end_s for w in words}


def test_opportunities_are_keyphrases_on_word_boundaries_after_the_hook() -> None:
    words = lay_out(TALK)
    clip = TimeSpan(0.0, words[-1].end_s + 0.2)
    cfg = CutawayConfig()
    found = find_opportunities(words, clip, cfg)
    starts, ends = word_starts_ends(words)
    queries = {o.query for o in found}
    assert {"red bicycle", "lighthouse", "pizza", "seagulls", "boats"} <= queries, queries
    assert "great" not in queries  # said only inside the opening hook
    for o in found:
        assert o.span.start_s in starts and o.span.end_s in ends, o
        assert cfg.min_s - 1e-9 <= o.span.duration_s <= cfg.max_s + 1e-9, o
        assert o.span.start_s >= clip.start_s + cfg.hook_guard_s, o
    by_query = {o.query: o for o in found}
    lighthouse = next(w for w in words if w.text == "lighthouse")
    assert by_query["lighthouse"].span.start_s == lighthouse.start_s
    # the list sentence (commas, numbers) outranks plain keyphrases and says why
    assert by_query["seagulls"].reason == "list"
    assert by_query["seagulls"].weight > by_query["lighthouse"].weight
    assert by_query["red bicycle"].reason == "keyphrase"


def test_a_span_prefers_to_end_at_a_sentence_end_near_the_target() -> None:
    words = lay_out("Look at the red lighthouse. It is tall and white.")
    red = next(i for i, w in enumerate(words) if w.text == "red")
    cfg = CutawayConfig(min_s=0.5, target_s=1.1, max_s=4.0)
    # 'lighthouse.' ends 0.7 s after 'red' starts, 'It' 1.5 s: both 0.4 s off the target;
    # the sentence end wins
    assert cutaway_span(words, red, red, cfg) == TimeSpan(1.2, 1.9)
    assert cutaway_span(words, red, red, cfg.model_copy(update={"target_s": 1.5})) == TimeSpan(
        1.2, 2.7
    )
    # no word end fits inside max_s after a long pause: no span at all
    paused = [Word("lighthouse", 0.0, 0.3, 1.0), Word("later", 6.0, 6.3, 1.0)]
    assert cutaway_span(paused, 0, 0, CutawayConfig()) is None


@pytest.mark.parametrize(
    ("text", "duration_s", "expected"),
    [
        ("We need flour, sugar, eggs and butter.", 2.0, ["list"]),
        ("First the dough, second the oven.", 2.0, ["list"]),
        ("It costs 42 dollars.", 1.0, ["number"]),
        ("Sales grew forty percent.", 1.0, ["number"]),
        ("The reason is subtle.", 7.0, ["explanation"]),
        ("I like this.", 1.0, []),
    ],
)
def test_reasons_the_speaker_is_not_the_point(
    text: str, duration_s: float, expected: list[str]
) -> None:
    tokens_ = text.split()
    step = duration_s / len(tokens_)
    words = tuple(Word(t, i * step, (i + 1) * step, 1.0) for i, t in enumerate(tokens_))
    assert sentence_reasons(Sentence(0, words), CutawayConfig()) == expected


def test_search_query_drops_counts() -> None:
    assert search_query("twelve crabs") == "crabs"
    assert search_query("300 seagulls") == "seagulls"
    assert search_query("fifty") == ""


def test_choices_fit_the_share_never_overlap_and_match_by_label() -> None:
    words = lay_out(TALK)
    clip = TimeSpan(0.0, words[-1].end_s + 0.2)
    cfg = CutawayConfig(max_share=0.35, min_gap_s=0.5)
    library = KeywordLibrary(LIBRARY)
    chosen = choose_cutaways(find_opportunities(words, clip, cfg), library, clip, cfg)
    assert chosen, library.queries
    spans = [c.opportunity.span for c in chosen]
    assert spans == sorted(spans, key=lambda s: s.start_s)
    for a, b in itertools.pairwise(spans):
        assert b.start_s - a.end_s >= cfg.min_gap_s - 1e-9
    assert sum(s.duration_s for s in spans) <= cfg.max_share * clip.duration_s + 1e-9
    for c in chosen:
        assert c.match.score >= cfg.min_score
        assert LIBRARY[c.match.rel_path] in tokens(c.opportunity.query)
    # the list sentence is the best moment, and its matchable word is 'seagulls'
    assert "gulls.jpg" in {c.match.rel_path for c in chosen}


def test_an_asset_is_not_shown_twice_and_weak_matches_are_refused() -> None:
    words = lay_out(TALK)
    clip = TimeSpan(0.0, words[-1].end_s + 0.2)
    cfg = CutawayConfig(max_share=1.0, min_gap_s=0.0, max_per_clip=10)
    everything = KeywordLibrary({"generic.png": "red bicycle lighthouse seagulls pizza boats"})
    chosen = choose_cutaways(find_opportunities(words, clip, cfg), everything, clip, cfg)
    assert [c.match.rel_path for c in chosen] == ["generic.png"]
    weak = KeywordLibrary({"x.png": "nothing said here"}, floor=cfg.min_score - 0.01)
    assert choose_cutaways(find_opportunities(words, clip, cfg), weak, clip, cfg) == []
    assert weak.queries  # it was asked, and every answer was under the minimum score


def test_bad_lengths_are_a_config_error() -> None:
    opp = CutawayOpportunity("x", TimeSpan(3.0, 5.0), "keyphrase", 1.0)
    cfg = CutawayConfig(min_s=3.0, target_s=2.0, max_s=4.0)
    with pytest.raises(ConfigError):
        choose_cutaways([opp], KeywordLibrary({}), TimeSpan(0, 10), cfg)


def _plan(span: TimeSpan, removed: tuple[TimeSpan, ...] = ()) -> EditPlan:
    return EditPlan(
        source=Path("/src.mp4"), span=span, preset=OutputPreset("t", 1080, 1920, 30.0),
        crop=CropPath((CropKeyframe(0.0, 0, 0, 100, 200),)), captions=CaptionTrack((), "t"),
        audio=AudioPlan(-14.0, -1.5, 128, 48000), removed=removed,
    )  # fmt: skip


def test_overlays_land_in_clip_time_after_clean_up_cuts() -> None:
    plan = _plan(TimeSpan(10.0, 30.0), removed=(TimeSpan(12.0, 13.5),))
    assert output_time(plan, 11.0) == pytest.approx(1.0)
    assert output_time(plan, 12.7) == pytest.approx(2.0)  # inside a cut: where the cut is
    assert output_time(plan, 20.0) == pytest.approx(8.5)
    video = _match("harbour.mp4", 0.8)
    image = _match("pizza.png", 0.7)
    cuts = [
        _cut("harbour", TimeSpan(15.0, 17.5), video),
        _cut("pizza", TimeSpan(20.0, 22.0), image),
    ]
    cfg = CutawayConfig(mode="pip", image_zoom=1.08)
    first, second = with_cutaways(plan, cuts, cfg).overlays
    assert (first.span.start_s, first.span.end_s) == pytest.approx((3.5, 6.0))
    assert first.source_offset_s == pytest.approx((10.0 - 2.5) / 2)  # the asset's middle
    assert first.zoom == 1.0 and not first.full_frame
    assert second.zoom == 1.08 and second.source_offset_s == 0.0
    assert second.origin is not None and second.origin.asset == "pizza.png"
    assert second.origin.source_span == TimeSpan(20.0, 22.0)
    assert with_cutaways(plan, [], cfg) is plan


def _cut(query: str, span: TimeSpan, match: BrollMatch) -> Cutaway:
    return Cutaway(CutawayOpportunity(query, span, "keyphrase", 1.0), match)


def test_cutaways_follow_a_trim_and_survive_the_stored_plan(tmp_path: Path) -> None:
    from ai_video.edit.revise import ClipEdit, revise_plan
    from ai_video.pipeline.revise import load_plan, store_plan

    words = lay_out(TALK, start_s=10.0)
    plan = _plan(TimeSpan(10.0, words[-1].end_s + 0.1))
    cuts = [
        _cut("bicycle", TimeSpan(words[8].start_s, words[12].end_s), _match("bike.png", 0.9)),
        _cut("pizza", TimeSpan(words[-6].start_s, words[-3].end_s), _match("pizza.png", 0.8)),
    ]
    planned = with_cutaways(plan, cuts, CutawayConfig())
    stored = load_plan(store_plan(planned, tmp_path / "plan.json"))
    assert stored == planned  # origins (query, asset, source span) round-trip
    transcript = Transcript("en", (Segment(TALK, 10.0, words[-1].end_s, tuple(words)),), "test")
    trim_to = words[10].start_s  # the new start falls inside the first cutaway
    revised = revise_plan(stored, ClipEdit(start_s=trim_to), transcript, CaptionStyle())
    first, second = revised.overlays
    start = revised.span.start_s
    assert first.span.start_s == pytest.approx(0.0)  # clipped to what is left of it
    assert first.span.end_s == pytest.approx(words[12].end_s - start)
    assert second.span.start_s == pytest.approx(words[-6].start_s - start)
    cut_all = revise_plan(stored, ClipEdit(start_s=words[20].start_s), transcript, CaptionStyle())
    assert [o.origin.query for o in cut_all.overlays if o.origin] == ["pizza"]

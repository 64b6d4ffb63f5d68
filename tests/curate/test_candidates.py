"""Candidates: whole sentences, cuts in the silences, lengths inside the allowed range."""

from __future__ import annotations

import itertools
import random

import pytest

from ai_video.config import CurateConfig
from ai_video.curate.candidates import cut_is_in_gap, find_candidates
from ai_video.errors import ConfigError
from ai_video.types import TimeSpan, Transcript, Word
from tests.curate.talk import sentence_at, talk

CFG = CurateConfig(edge_pad_s=0.25, min_gap_s=0.05, cut_margin_s=0.02, max_extra_pad_s=1.0)


def _four_sentences() -> Transcript:
    """Sentences at 1-4, 5-9, 9.02-12 (no usable pause before it) and 12.5-20.5 s."""
    segments = (
        sentence_at("We started here today.", 1.0, 4.0),
        sentence_at("The plan was simple and it worked well.", 5.0, 9.0),
        sentence_at("Everyone agreed with it.", 9.02, 12.0),
        sentence_at("Then came the long part of the story that took a while.", 12.5, 20.5),
    )
    return Transcript("en", segments, "hand-built")


def _spans(transcript: Transcript, min_s: float, max_s: float) -> list[tuple[float, ...]]:
    found = find_candidates(transcript, min_s, max_s, CFG, media_duration_s=22.0)
    return [
        (round(c.span.start_s, 6), round(c.span.end_s, 6), c.first_sentence, c.last_sentence)
        for c in found
    ]


def test_candidates_are_exactly_the_runs_that_fit_with_padding_in_the_pauses() -> None:
    assert _spans(_four_sentences(), 5.0, 12.0) == [
        (0.75, 12.25, 0, 2),
        (4.75, 12.25, 1, 2),
        (12.25, 20.75, 3, 3),
    ]


def test_padding_is_trimmed_to_fit_the_longest_length() -> None:
    # Sentences 0-2 hold 11 s of speech; 0.5 s of padding is trimmed to 0.2 s (0.1 s a side).
    assert _spans(_four_sentences(), 5.0, 11.2)[0] == (0.9, 12.1, 0, 2)


def test_padding_extends_into_silence_to_reach_the_shortest_length_but_not_into_words() -> None:
    spans = _spans(_four_sentences(), 4.9, 12.0)
    # 3 s of speech + 0.5 s padding, extended by 0.7 s a side; the next word starts at 5.0 s.
    assert spans[0] == (0.05, 4.95, 0, 0)
    # 1.48 s of silence is available around sentence 0, so 5.0 s cannot be reached.
    assert all(s[2:] != (0, 0) for s in _spans(_four_sentences(), 5.0, 12.0))


def test_no_candidate_when_every_run_is_too_long_or_too_short() -> None:
    assert _spans(_four_sentences(), 30.0, 40.0) == []
    assert _spans(_four_sentences(), 1.0, 2.0) == []
    empty = Transcript("en", (), "hand-built")
    assert find_candidates(empty, 8.0, 15.0, CFG, 10.0) == []
    with pytest.raises(ConfigError):
        find_candidates(_four_sentences(), 10.0, 5.0, CFG, 22.0)


def _random_talk(seed: int) -> Transcript:
    rng = random.Random(seed)
    sentences, pauses = [], []
    for i in range(40):
        n_words = rng.randint(3, 14)
        ending = rng.choice([".", "?", "!"])
        sentences.append(" ".join(f"w{i}_{k}" for k in range(n_words)) + ending)
        pauses.append(rng.choice([0.0, 0.01, 0.04, 0.2, 0.35, 0.6, 1.5]))
    return talk(sentences, pauses, start_s=rng.choice([0.0, 0.1, 2.0]))


@pytest.mark.parametrize("seed", range(8))
def test_every_candidate_cuts_in_a_usable_pause_and_fits_the_range(seed: int) -> None:
    transcript = _random_talk(seed)
    words = transcript.words
    duration_s = words[-1].end_s + 0.1
    found = find_candidates(transcript, 8.0, 15.0, CFG, duration_s)
    assert len(found) >= 10
    for cand in found:
        assert 8.0 - 1e-9 <= cand.span.duration_s <= 15.0 + 1e-9
        assert cand.span.start_s >= 0.0 and cand.span.end_s <= duration_s
        assert cut_is_in_gap(cand.span, words)
        inside = transcript.words_in(cand.span)
        assert " ".join(w.text.strip() for w in inside) == cand.text
        assert cand.text.startswith(cand.hook_text) and cand.hook_text.endswith((".", "?", "!"))
        before = [w for w in words if w.end_s <= inside[0].start_s]
        after = [w for w in words if w.start_s >= inside[-1].end_s]
        if before:
            assert inside[0].start_s - before[-1].end_s >= CFG.min_gap_s
            assert cand.span.start_s >= before[-1].end_s + min(CFG.cut_margin_s, 0.0125) - 1e-9
        if after:
            assert after[0].start_s - inside[-1].end_s >= CFG.min_gap_s
            assert cand.span.end_s <= after[0].start_s - min(CFG.cut_margin_s, 0.0125) + 1e-9


def test_candidates_on_either_side_of_one_pause_do_not_overlap_without_extension() -> None:
    transcript = talk(["a b c d e f g h i j."] * 6, 0.3)
    found = find_candidates(transcript, 3.0, 8.0, CFG, 30.0)
    singles = sorted(
        (c for c in found if c.first_sentence == c.last_sentence), key=lambda c: c.first_sentence
    )
    assert len(singles) == 6
    for left, right in itertools.pairwise(singles):
        assert left.span.end_s == pytest.approx(right.span.start_s)
        assert not left.span.overlaps(right.span)


def test_cut_is_in_gap_detects_cuts_inside_words() -> None:
    words = [Word("a", 1.0, 2.0, 1.0), Word("b", 2.5, 3.0, 1.0)]
    assert cut_is_in_gap(TimeSpan(0.5, 2.2), words)
    assert cut_is_in_gap(TimeSpan(1.0, 3.0), words)
    assert not cut_is_in_gap(TimeSpan(1.5, 2.2), words)
    assert not cut_is_in_gap(TimeSpan(0.5, 2.7), words)
    assert cut_is_in_gap(TimeSpan(0.0, 1.0), [])


def test_candidates_keep_to_allowed_starts_ends_and_segments() -> None:
    from ai_video.config import CurateConfig
    from ai_video.curate.candidates import candidates_from_sentences
    from ai_video.types import Sentence
    from tests.curate.talk import talk as build_talk

    spoken = build_talk(["One two three four five six."] * 4, 0.6)
    sentences = [Sentence(i, seg.words) for i, seg in enumerate(spoken.segments)]
    cfg = CurateConfig()
    every = candidates_from_sentences(sentences, 1.0, 30.0, cfg, 20.0)
    assert any(c.first_sentence == 1 and c.last_sentence == 2 for c in every)
    inside = candidates_from_sentences(sentences, 1.0, 30.0, cfg, 20.0, segment_of=[0, 0, 1, 1])
    assert inside and all((c.first_sentence < 2) == (c.last_sentence < 2) for c in inside)
    spanning = candidates_from_sentences(
        sentences, 1.0, 30.0, cfg, 20.0, segment_of=[0, 0, 1, 1], max_segments=2
    )
    assert len(spanning) == len(every)
    gated = candidates_from_sentences(
        sentences,
        1.0,
        30.0,
        cfg,
        20.0,
        may_start=[True, False, True, True],
        may_end=[False, True, True, True],
    )
    assert gated and all(c.first_sentence != 1 and c.last_sentence != 0 for c in gated)

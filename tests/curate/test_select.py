"""Clip selection: non-overlapping, best first, limited by count and minimum score."""

from __future__ import annotations

import random

from ai_video.curate.select import select_clips
from ai_video.types import Candidate, ClipScore, ScoredCandidate, TimeSpan


def _scored(start_s: float, end_s: float, total: float) -> ScoredCandidate:
    cand = Candidate(TimeSpan(start_s, end_s), 0, 0, "text", "text")
    return ScoredCandidate(cand, ClipScore(total, {"hook": total}, {"hook": total}))


def test_best_first_without_overlap_and_ties_go_to_the_earlier_start() -> None:
    pool = [
        _scored(0.0, 10.0, 0.5),
        _scored(5.0, 15.0, 0.9),
        _scored(15.0, 25.0, 0.7),
        _scored(30.0, 40.0, 0.7),
        _scored(24.0, 31.0, 0.95),
    ]
    chosen = select_clips(pool, max_clips=5, min_score=0.0)
    assert [(c.candidate.span.start_s, c.score.total) for c in chosen] == [
        (24.0, 0.95),
        (5.0, 0.9),
    ]
    pool[4] = _scored(26.0, 29.0, 0.95)
    chosen = select_clips(pool, max_clips=2, min_score=0.0)
    assert [c.candidate.span.start_s for c in chosen] == [26.0, 5.0]
    chosen = select_clips(pool, max_clips=10, min_score=0.0)
    # 15-25 touches 5-15 (half-open spans) and wins the 0.7 tie over 30-40 by starting first.
    assert [c.candidate.span.start_s for c in chosen] == [26.0, 5.0, 15.0, 30.0]


def test_min_score_and_empty_inputs() -> None:
    pool = [_scored(0.0, 10.0, 0.85), _scored(20.0, 30.0, 0.79), _scored(40.0, 50.0, 0.8)]
    chosen = select_clips(pool, max_clips=5, min_score=0.8)
    assert [c.score.total for c in chosen] == [0.85, 0.8]
    assert select_clips([], 5, 0.0) == []
    assert select_clips(pool, 0, 0.0) == []


def test_random_pools_give_disjoint_clips_ranked_by_score() -> None:
    rng = random.Random(7)
    for _ in range(50):
        pool = []
        for _ in range(rng.randint(1, 60)):
            start = rng.uniform(0, 300)
            pool.append(_scored(start, start + rng.uniform(8, 15), round(rng.random(), 2)))
        chosen = select_clips(pool, max_clips=5, min_score=0.3)
        totals = [c.score.total for c in chosen]
        assert totals == sorted(totals, reverse=True)
        assert all(t >= 0.3 for t in totals) and len(chosen) <= 5
        spans = [c.candidate.span for c in chosen]
        assert not any(a.overlaps(b) for i, a in enumerate(spans) for b in spans[i + 1 :])
        best = max(pool, key=lambda s: (s.score.total, -s.candidate.span.start_s))
        if best.score.total >= 0.3:
            assert chosen[0] is best

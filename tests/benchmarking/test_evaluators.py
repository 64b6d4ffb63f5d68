"""The quality evaluators on hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from benchmarking.evaluate.asr import asr_score, corpus_score, normalize
from benchmarking.evaluate.boundaries import boundary_score
from benchmarking.evaluate.onsets import onset_score
from benchmarking.evaluate.reframe import face_hold_share, inside_fraction
from benchmarking.evaluate.shots import cut_score


def test_wer_and_cer_count_substitutions_deletions_insertions() -> None:
    assert normalize("Ask not, what-your COUNTRY!") == "ask not what your country"
    same = asr_score("And so, my fellow Americans", "and so my fellow americans")
    assert same.wer == 0.0 and same.cer == 0.0 and same.reference_words == 5
    # one substitution (cat->hat) and one deletion (the) out of 6 reference words
    score = asr_score("the cat sat on the mat", "the hat sat on mat")
    assert score.wer == pytest.approx(2 / 6)
    # characters: "abcd" vs "abxd" is 1 substitution out of 4
    assert asr_score("abcd", "abxd").cer == pytest.approx(1 / 4)
    # pooled: 2 errors over 6 + 0 over 2 reference words
    pooled = corpus_score(
        [("the cat sat on the mat", "the hat sat on mat"), ("hi there", "hi there")]
    )
    assert pooled.wer == pytest.approx(2 / 8) and pooled.reference_words == 8
    with pytest.raises(ValueError):
        asr_score("  ", "x")


def test_onset_error_pairs_words_by_text_and_reports_median_and_p95() -> None:
    ref = [("set", 0.49, 0.77), ("white", 0.77, 1.09), ("with", 1.09, 1.22), ("p", 1.22, 1.44)]
    # 'with' misrecognised as 'width': unmatched; errors +10 ms, -30 ms, +50 ms
    hyp = [("Set", 0.50, 0.7), ("white,", 0.74, 1.0), ("width", 1.0, 1.2), ("P", 1.27, 1.4)]
    score = onset_score(ref, hyp)
    assert score.matched == 3 and score.reference_words == 4
    assert score.median_ms == pytest.approx(30.0)
    assert score.p95_ms == pytest.approx(30 + 0.9 * 20)  # linear percentile of 10, 30, 50
    empty = onset_score(ref, [("nothing", 0.0, 1.0)])
    assert empty.matched == 0 and math.isnan(empty.median_ms)


def test_cut_score_matches_one_to_one_within_the_tolerance() -> None:
    # truth 30, 180; found 31 (hit), 179 and 181 (one hit, one false), 394 (false)
    score = cut_score([30, 180], [31, 179, 181, 394], tolerance=2)
    assert (score.true_positives, score.detected, score.truth) == (2, 4, 2)
    assert score.precision == 0.5 and score.recall == 1.0
    assert score.f1 == pytest.approx(2 * 0.5 / 1.5)
    assert cut_score([10, 20], [13], tolerance=2).true_positives == 0
    assert cut_score([], [], tolerance=1).f1 == 1.0
    total = cut_score([30], [30], 1) + cut_score([84, 167], [], 1)
    assert (total.true_positives, total.detected, total.truth) == (1, 1, 3)
    assert total.recall == pytest.approx(1 / 3)


def test_reframe_share_counts_frames_whose_crop_holds_the_face() -> None:
    crop = (100.0, 0.0, 200.0, 400.0)
    assert inside_fraction((150.0, 50.0, 50.0, 50.0), crop) == 1.0
    assert inside_fraction((275.0, 50.0, 50.0, 50.0), crop) == pytest.approx(0.5)
    faces = [(150.0, 50.0, 50.0, 50.0), (275.0, 50.0, 50.0, 50.0), None, (0.0, 0.0, 10.0, 10.0)]
    # frame 3 has no reference face: 1 of the 3 others is held
    assert face_hold_share(faces, [crop] * 4) == pytest.approx(1 / 3)
    assert math.isnan(face_hold_share([None], [crop]))
    with pytest.raises(ValueError):
        face_hold_share(faces, [crop])


def test_boundary_score_checks_word_gaps_and_sentence_edges() -> None:
    words = [(0.0, 0.4), (0.5, 0.9), (1.0, 1.5), (2.0, 2.3), (2.4, 3.0)]
    sentences = [(0.0, 1.5), (2.0, 3.0)]
    # clip A 0.0-1.6: both edges in gaps, starts and ends a sentence (4 of 4 so far)
    # clip B 0.7-2.2: start cuts word 2, end cuts word 4; its only whole word (1.0-1.5)
    # starts no sentence but ends one
    score = boundary_score([(0.0, 1.6), (0.7, 2.2)], words, sentences)
    assert score.edges == 4
    assert score.in_word_gaps == pytest.approx(2 / 4)
    assert score.on_sentences == pytest.approx(3 / 4)
    assert math.isnan(boundary_score([], words, sentences).in_word_gaps)

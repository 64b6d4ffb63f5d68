"""Trusted sentence units: rules on hand-built words, and fragment rate on the long talk."""

from __future__ import annotations

from ai_video.config import MomentsConfig
from ai_video.curate.sentence_units import opens_after, sentence_units, starts_like_sentence
from ai_video.curate.sentences import split_sentences
from ai_video.types import Word
from tests.curate.long_talk import long_talk
from tests.curate.talk import timed_words

CFG = MomentsConfig()


def _w(text: str, start_s: float) -> Word:
    return Word(" " + text, start_s, start_s + 0.3, 0.9)


def test_a_lower_case_word_never_opens_a_sentence() -> None:
    assert not opens_after(_w("Exhibition.", 0.0), _w("in", 2.0), CFG.pause_boundary_s)
    assert opens_after(_w("Exhibition.", 0.0), _w("In", 0.4), CFG.pause_boundary_s)
    assert starts_like_sentence(' "Quoted') and starts_like_sentence("1455")
    assert not starts_like_sentence(" and")


def test_a_long_pause_opens_a_sentence_only_when_nothing_hangs() -> None:
    pause = CFG.pause_boundary_s + 0.1
    assert opens_after(_w("modern", 0.0), _w("Printing", 0.3 + pause), CFG.pause_boundary_s)
    assert not opens_after(_w("modern", 0.0), _w("Printing", 0.5), CFG.pause_boundary_s)
    for hanging in ("Netherlands,", "the", "of", "and"):
        assert not opens_after(_w(hanging, 0.0), _w("Gutenberg", 0.3 + pause), CFG.pause_boundary_s)


def test_a_sentence_split_by_a_pause_and_a_false_full_stop_is_rejoined() -> None:
    words = timed_words("It has never been.", 0.0) + timed_words("surpassed in beauty.", 3.0)
    words += timed_words("Printing came later.", 6.0)
    units = sentence_units(words, CFG, 15.0)
    assert [s.text for s in units.sentences] == [
        "It has never been. surpassed in beauty.",
        "Printing came later.",
    ]
    assert units.opens == (True, True) and units.closes == (True, True)
    old = split_sentences(words, 15.0)
    assert len(old) == 3  # the punctuation-only splitter trusted the false full stop


def test_pieces_of_a_sentence_too_long_for_a_clip_are_flagged() -> None:
    words = timed_words(" ".join(["word"] * 30) + ".", 0.0)
    units = sentence_units([Word(" Long", -0.4, -0.1, 0.9), *words], CFG, 5.0)
    assert len(units.sentences) > 1
    assert units.opens[0] and not any(units.opens[1:])
    assert units.closes[-1] and not any(units.closes[:-1])


def test_no_unit_on_the_long_talk_opens_on_a_fragment() -> None:
    talk = long_talk()
    units = sentence_units(talk.transcript.words, CFG, 15.0)
    truth = {round(t, 6) for t in talk.sentence_starts_s}
    openers = [
        s.words[0].start_s for s, opens in zip(units.sentences, units.opens, strict=True) if opens
    ]
    fragments = [t for t in openers if round(t, 6) not in truth]
    assert fragments == []
    found = {round(t, 6) for t in openers}
    assert len(truth & found) / len(truth) == 1.0  # every reference sentence start is found
    # the old splitter opens units on ASR fragments ("in being comparatively modern.")
    old_fragments = [
        s
        for s in split_sentences(talk.transcript.words, 15.0)
        if round(s.words[0].start_s, 6) not in truth
    ]
    assert len(old_fragments) >= 2


def test_a_voice_turn_always_ends_a_unit() -> None:
    words = timed_words("and it was the best of", 0.0) + timed_words("Times are hard.", 2.3)
    assert len(sentence_units(words, CFG, 15.0).sentences) == 1
    units = sentence_units(words, CFG, 15.0, turn_changes_s=[2.2])
    assert [s.text for s in units.sentences] == ["and it was the best of", "Times are hard."]
    assert units.opens == (False, True)


def test_sentences_end_and_open_in_scripts_without_letter_case() -> None:
    # Japanese pieces as whisper gives them (no spaces), Hindi with a danda, Spanish with ¿
    words = [
        Word("今日は", 0.0, 0.3, 0.9),
        Word("料理の", 0.3, 0.6, 0.9),
        Word("話です。", 0.6, 0.9, 0.9),
        Word("次は", 0.95, 1.2, 0.9),
        Word("何ですか？", 1.2, 1.5, 0.9),
        Word("नमस्ते।", 1.55, 1.8, 0.9),
        Word("¿Qué", 1.85, 2.1, 0.9),
        Word("tal?", 2.1, 2.3, 0.9),
    ]
    units = sentence_units(words, CFG, 60.0)
    starts = [u.words[0].text for u in units.sentences]
    assert starts == ["今日は", "次は", "नमस्ते।", "¿Qué"]
    assert not starts_like_sentence(" aber")  # lower case still never opens one

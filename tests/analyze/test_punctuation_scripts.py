"""Sentence marks of every script, display width, writing system and direction of text."""

from __future__ import annotations

import pytest

from ai_video.analyze.punctuation import (
    is_clause_end,
    is_sentence_end,
    sentence_break_before,
    starts_sentence,
)
from ai_video.analyze.scripts import (
    display_width,
    dominant_script,
    is_right_to_left,
    written_without_spaces,
)


@pytest.mark.parametrize(
    ("token", "language"),
    [
        ("done.", "en"),
        ("really?!", "en"),
        ("wait…", "en"),
        ('"Stop!"', "en"),
        ("»Ja.«", "de"),
        ("¿Qué?", "es"),
        ("吗？", "zh"),
        ("です。", "ja"),
        ("「はい。」", "ja"),
        ("हैं।", "hi"),
        ("॥", "sa"),
        ("لماذا؟", "ar"),
        ("ہے۔", "ur"),
        ("τι;", "el"),
    ],
)
def test_sentence_ends_in_every_script(token: str, language: str) -> None:
    assert is_sentence_end(token, language)


@pytest.mark.parametrize(
    ("token", "language"),
    [("and", "en"), ("well,", "en"), ("word;", "en"), ("¿Qué", "es"), ("今天", "zh"), ("", "en")],
)
def test_not_sentence_ends(token: str, language: str) -> None:
    assert not is_sentence_end(token, language)


def test_openers_and_clauses() -> None:
    assert starts_sentence("¿Dónde") and starts_sentence("¡Hola!") and starts_sentence('"¿Sí')
    assert not starts_sentence("Dónde")
    assert sentence_break_before("casa", "¿Dónde", "es")  # no mark before, but ¿ opens
    assert not sentence_break_before("la", "casa", "es")
    for token in ("well,", "first:", "今天，", "然后、", "لكن،", "word;"):
        assert is_clause_end(token), token
    assert not is_clause_end("τι;", "el")  # a question mark in Greek, not a semicolon


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("hello") == 5
    assert display_width("今日は") == 6
    assert display_width("ｶﾀｶﾅ") == 4  # half-width katakana
    assert display_width("e\u0301") == 1  # combining accent takes no column
    assert display_width("مرحبا") == 5
    assert display_width("a\x07b") == 2  # a control character counts nothing


def test_scripts_and_direction() -> None:
    cases = {
        "hello there": ("latin", False, False),
        "今天天气很好": ("han", False, True),
        "今日は晴れです": ("japanese", False, True),  # kana make kanji text Japanese
        "안녕하세요": ("hangul", False, False),
        "مرحبا بكم": ("arabic", True, False),
        "שלום לכם": ("hebrew", True, False),
        "नमस्ते दुनिया": ("devanagari", False, False),
        "สวัสดีครับ": ("thai", False, True),
        "Привет мир": ("cyrillic", False, False),
    }
    for text, (script, rtl, unspaced) in cases.items():
        assert dominant_script(text) == script, text
        assert is_right_to_left(text) is rtl, text
        assert written_without_spaces(text) is unspaced, text
    assert dominant_script("123 !?") is None


def test_language_id_json_round_trip() -> None:
    from ai_video.analyze.language_format import (
        given_language,
        language_id_from_json,
        language_id_to_dict,
        language_id_to_json,
    )
    from ai_video.errors import InputError
    from ai_video.types import LanguageId, TimeSpan, WindowLanguage

    result = LanguageId(
        "de",
        0.8,
        (
            WindowLanguage(TimeSpan(1.0, 9.5), 8.0, "de", 0.97),
            WindowLanguage(TimeSpan(20.0, 28.0), 7.5, "es", 0.71),
        ),
        ("es",),
        "faster-whisper:base@1.0.0",
        0.42,
    )
    assert language_id_from_json(language_id_to_json(result)) == result
    assert language_id_to_dict(result)["windows"][1] == {
        "start": 20.0, "end": 28.0, "speech_s": 7.5, "language": "es", "probability": 0.71
    }  # fmt: skip
    assert language_id_from_json(language_id_to_json(given_language("fr"))).language == "fr"
    with pytest.raises(InputError, match="missing or malformed"):
        language_id_from_json(b'{"language": "fr"}')

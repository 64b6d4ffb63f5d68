"""Caption lines for any language: CJK pieces grouped by display width, fonts by script."""

from __future__ import annotations

from ai_video.analyze.scripts import display_width
from ai_video.config import CaptionStyle, LanguageConfig
from ai_video.edit.caption_lines import (
    caption_font,
    language_caption_track,
    style_for_track,
    uses_spaces,
)
from ai_video.render.subtitles import track_to_srt
from ai_video.types import TimeSpan, Word

STYLE = CaptionStyle()
CFG = LanguageConfig()


def _words(
    pieces: list[str], step_s: float = 0.2, pauses: dict[int, float] | None = None
) -> list[Word]:
    words, t = [], 0.0
    for i, text in enumerate(pieces):
        t += (pauses or {}).get(i, 0.0)
        words.append(Word(text, t, t + step_s * 0.9, 0.9))
        t += step_s
    return words


JA = ["今日", "は", "家", "で", "料理", "を", "する", "こと", "に", "つい", "て",
      "話", "します", "。", "おいしい", "食べ物", "は", "高く", "なく", "ても",
      "いい", "です", "。"]  # fmt: skip


def test_japanese_pieces_join_without_spaces_and_fit_the_width() -> None:
    words = _words(JA)
    track = language_caption_track(words, TimeSpan(0, 10), "c", STYLE, "ja", CFG)
    texts = [line.text for line in track.lines]
    print(texts)
    assert "".join(texts) == "".join(JA)  # every piece once, in order, no spaces added
    assert all(" " not in t for t in texts)
    assert all(display_width(t) <= STYLE.max_chars_per_line for t in texts)
    assert len(track.lines) >= 3
    assert any(t.endswith("。") for t in texts[:-1])  # a sentence end closes a line
    assert not any(t.startswith("。") for t in texts)
    srt = track_to_srt(track)
    assert texts[0] in srt


def test_japanese_pause_breaks_a_line() -> None:
    words = _words(["今日", "は", "晴れ", "です", "明日", "は", "雨", "です"], pauses={4: 1.0})
    track = language_caption_track(words, TimeSpan(0, 10), "c", STYLE, "ja", CFG)
    assert [line.text for line in track.lines] == ["今日は晴れです", "明日は雨です"]


def test_spaced_languages_keep_word_lines() -> None:
    text = "Aujourd'hui, je veux parler de la cuisine à la maison."
    words = _words(text.split(" "))
    track = language_caption_track(words, TimeSpan(0, 10), "c", STYLE, "fr", CFG)
    assert " ".join(line.text for line in track.lines) == " ".join(w.text for w in words)
    assert all(2 <= len(line.words) <= 4 for line in track.lines)
    assert all(line.separator == " " for line in track.lines)


def test_arabic_lines_break_on_arabic_question_mark() -> None:
    words = _words(["هل", "تحب", "الطبخ؟", "أنا", "أحب", "الطبخ", "كثيرا."])
    track = language_caption_track(words, TimeSpan(0, 10), "c", STYLE, "ar", CFG)
    assert track.lines[0].text == "هل تحب الطبخ؟"


def test_width_not_character_count_limits_lines() -> None:
    # 12 two-character pieces = 48 columns: cannot share one 22-column line
    words = _words(["料理"] * 12)
    track = language_caption_track(words, TimeSpan(0, 10), "c", STYLE, "zh", CFG)
    assert all(display_width(line.text) <= 22 for line in track.lines)
    assert len(track.lines) >= 3


def test_unknown_language_is_judged_by_its_text() -> None:
    assert not uses_spaces(None, _words(["今日", "は"]))
    assert uses_spaces("und", _words(["hello", "there"]))
    assert not uses_spaces("th", _words(["สวัสดี"]))
    assert uses_spaces("fr", _words(["bonjour"]))


def test_font_follows_the_script() -> None:
    assert caption_font("Bonjour à tous", STYLE, CFG) == "DejaVu Sans"
    assert caption_font("今日は晴れ", STYLE, CFG) == "Noto Sans CJK JP"
    assert caption_font("今天天气很好", STYLE, CFG) == "Noto Sans CJK SC"
    assert caption_font("مرحبا", STYLE, CFG) == "Noto Sans Arabic"
    assert caption_font("שלום", STYLE, CFG) == "Noto Sans Hebrew"
    assert caption_font("नमस्ते", STYLE, CFG) == "Noto Sans Devanagari"
    assert caption_font("123", STYLE, CFG) == STYLE.font_name
    track = language_caption_track(_words(JA[:6]), TimeSpan(0, 5), "c", STYLE, "ja", CFG)
    assert style_for_track(track, STYLE, CFG).font_name == "Noto Sans CJK JP"
    latin = language_caption_track(_words(["a", "b"]), TimeSpan(0, 5), "c", STYLE, "en", CFG)
    assert style_for_track(latin, STYLE, CFG) is STYLE

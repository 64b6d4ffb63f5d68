"""Script parsing: scenes from headings or paragraphs, visual lines, markup, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_video.errors import InputError
from ai_video.generate.script import build_script, parse_script, read_script

HEADED = """# Morning in the *city*

## Dawn
visual: city street with cars
The **city** wakes before the [sun](https://example.org).
Vans hum.

## Market

visual: fruit.jpg

Fresh fruit arrives:

- oranges
- limes

```
code is not spoken
```
"""


def test_headings_make_scenes_with_title_visual_and_plain_text() -> None:
    script = parse_script(HEADED)
    assert script.title == "Morning in the city"
    assert [s.title for s in script.scenes] == ["Dawn", "Market"]
    assert [s.visual for s in script.scenes] == ["city street with cars", "fruit.jpg"]
    assert script.scenes[0].text == "The city wakes before the sun. Vans hum."
    assert script.scenes[1].text == "Fresh fruit arrives: oranges limes"
    assert script.scenes[0].words == (
        "The",
        "city",
        "wakes",
        "before",
        "the",
        "sun.",
        "Vans",
        "hum.",
    )


def test_paragraphs_make_scenes_and_a_lone_visual_line_goes_to_the_next() -> None:
    text = "First one.\n\nvisual: trees\n\nSecond one.\nStill second.\n\nThird.\n\nvisual: stars"
    script = parse_script(text)
    assert [s.text for s in script.scenes] == ["First one.", "Second one. Still second.", "Third."]
    assert [s.visual for s in script.scenes] == [None, "trees", "stars"]
    assert script.title is None


def test_markdown_round_trip_keeps_texts_and_visuals() -> None:
    script = parse_script(HEADED)
    again = parse_script(script.to_markdown())
    assert [(s.text, s.visual) for s in again.scenes] == [(s.text, s.visual) for s in script.scenes]
    assert again.title == script.title


@pytest.mark.parametrize("text", ["", "   \n\n\t", "# Only a title\n", "---\n\n***\n"])
def test_empty_script_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match=r"empty|no scenes"):
        parse_script(text)


def test_scene_without_speakable_text_is_named() -> None:
    with pytest.raises(InputError, match=r"scene 2 \('Quiet'\) has no speakable text"):
        parse_script("## Loud\nHello there.\n\n## Quiet\nvisual: sky\n\n## End\nBye.")


def test_read_script_refuses_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_script(tmp_path / "missing.md")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        read_script(binary)


def test_build_script_validates_llm_parts() -> None:
    script = build_script("  A  title ", [("One  two.", " sky "), ("Three.", None)], "llm")
    assert script.title == "A title"
    assert [(s.text, s.visual) for s in script.scenes] == [("One two.", "sky"), ("Three.", None)]
    with pytest.raises(InputError, match="scene 2"):
        build_script(None, [("Fine.", None), ("!!!", None)], "llm")

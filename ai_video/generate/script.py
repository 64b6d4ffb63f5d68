"""A narration script: Markdown or plain text split into scenes, each with an optional visual.

Rules, in order:
- a first-level heading (``# Title``) is the script's title; it is shown, not spoken;
- when the text has second-level (or deeper) headings, each heading starts a scene whose
  spoken text is every paragraph under it, and the heading is the scene's title;
- otherwise every paragraph (text between blank lines) is a scene;
- a line ``visual: QUERY-OR-FILE`` sets the visual of the scene it sits in; standing alone
  between blank lines (paragraph mode) it applies to the next scene, or to the last one when
  no scene follows.
Markdown markup (emphasis, links, lists, quotes) is reduced to its words; code blocks, images
and HTML are not spoken. Markdown parsing is markdown-it-py's (CommonMark).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ai_video.errors import InputError

_VISUAL_LINE = re.compile(r"^\s*visual\s*:\s*(?P<value>.*?)\s*$", re.IGNORECASE)
_SPEAKABLE = re.compile(r"[^\W_]")
_SPACES = re.compile(r"\s+")
_TEXT_CHILDREN = {"text", "code_inline"}
_LINE_BREAKS = {"softbreak", "hardbreak"}


@dataclass(frozen=True, slots=True)
class Scene:
    """One scene: the words it speaks, an optional title, and an optional visual request."""

    index: int
    text: str
    """Spoken text, markup removed, whitespace collapsed."""
    title: str | None = None
    """The ``##`` heading that started the scene, if any."""
    visual: str | None = None
    """The ``visual:`` line's value: a search query or a file name."""

    @property
    def words(self) -> tuple[str, ...]:
        """The spoken words as written (punctuation attached), in order."""
        return tuple(self.text.split())


@dataclass(frozen=True, slots=True)
class Script:
    """A whole script: title and scenes in order."""

    title: str | None
    scenes: tuple[Scene, ...]

    @property
    def text(self) -> str:
        """Every scene's spoken text, joined by blank lines."""
        return "\n\n".join(s.text for s in self.scenes)

    def to_markdown(self) -> str:
        """The script as Markdown that :func:`parse_script` reads back to the same texts."""
        parts = [f"# {self.title}"] if self.title else []
        for scene in self.scenes:
            parts.append(f"## {scene.title or f'Scene {scene.index + 1}'}")
            parts.append(f"visual: {scene.visual}\n{scene.text}" if scene.visual else scene.text)
        return "\n\n".join(parts) + "\n"


@dataclass
class _Block:
    """A paragraph-like block on its way to becoming (part of) a scene."""

    kind: str
    """``title``, ``heading`` or ``paragraph``."""
    lines: list[str]
    visual: str | None = None


def read_script(path: Path) -> Script:
    """Read and parse a script file; unreadable or invalid scripts raise :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: script file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: script is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read script ({exc.strerror})") from None
    return parse_script(text, source=str(path))


def parse_script(text: str, source: str = "script") -> Script:
    """Split Markdown/plain text into scenes; raise :class:`InputError` if nothing is speakable."""
    if not _SPEAKABLE.search(text):
        raise InputError(f"{source}: the script is empty (no words to speak)")
    blocks = _blocks(MarkdownIt("commonmark").parse(text))
    title = next((" ".join(b.lines) for b in blocks if b.kind == "title"), None)
    body = [b for b in blocks if b.kind != "title"]
    if any(b.kind == "heading" for b in body):
        drafts = _scenes_by_heading(body)
    else:
        drafts = _scenes_by_paragraph(body)
    scenes = tuple(
        Scene(index=i, text=text_, title=title_, visual=visual)
        for i, (title_, text_, visual) in enumerate(drafts)
    )
    _check_speakable(scenes, source)
    return Script(title=title, scenes=scenes)


def build_script(title: str | None, parts: Sequence[tuple[str, str | None]], source: str) -> Script:
    """A script from ``(text, visual)`` pairs (e.g. an LLM's answer), validated like a file."""
    scenes = tuple(
        Scene(index=i, text=_SPACES.sub(" ", text).strip(), visual=(visual or "").strip() or None)
        for i, (text, visual) in enumerate(parts)
    )
    _check_speakable(scenes, source)
    clean_title = _SPACES.sub(" ", title).strip() if title else None
    return Script(title=clean_title or None, scenes=scenes)


def _blocks(tokens: Sequence[Token]) -> list[_Block]:
    """Headings and paragraphs (list items and quotes included) as plain-text lines."""
    blocks: list[_Block] = []
    pending_kind: str | None = None
    seen_title = False
    for token in tokens:
        if token.type == "heading_open":
            is_title = token.tag == "h1" and not seen_title and not blocks
            pending_kind = "title" if is_title else "heading"
            seen_title = seen_title or is_title
        elif token.type == "paragraph_open":
            pending_kind = "paragraph"
        elif token.type == "inline" and pending_kind is not None:
            blocks.append(_inline_block(pending_kind, token))
            pending_kind = None
    return blocks


def _inline_block(kind: str, token: Token) -> _Block:
    """One block's lines as plain text, with its ``visual:`` line taken out."""
    lines: list[str] = [""]
    for child in token.children or ():
        if child.type in _TEXT_CHILDREN:
            lines[-1] += child.content
        elif child.type in _LINE_BREAKS:
            lines.append("")
    block = _Block(kind=kind, lines=[])
    for line in lines:
        match = _VISUAL_LINE.match(line) if kind != "title" else None
        if match is not None:
            block.visual = match.group("value") or None
        elif line.strip():
            block.lines.append(_SPACES.sub(" ", line).strip())
    return block


def _scenes_by_heading(blocks: Sequence[_Block]) -> list[tuple[str | None, str, str | None]]:
    """Each heading opens a scene; paragraphs before the first heading form their own scene."""
    drafts: list[tuple[str | None, list[str], str | None]] = []
    for block in blocks:
        if block.kind == "heading":
            drafts.append((" ".join(block.lines) or None, [], block.visual))
            continue
        if not drafts:
            drafts.append((None, [], None))
        title, lines, visual = drafts[-1]
        drafts[-1] = (title, [*lines, *block.lines], block.visual or visual)
    return [(title, " ".join(lines), visual) for title, lines, visual in drafts]


def _scenes_by_paragraph(blocks: Sequence[_Block]) -> list[tuple[str | None, str, str | None]]:
    """Each paragraph is a scene; a paragraph that is only a ``visual:`` line goes to the next."""
    drafts: list[tuple[str | None, str, str | None]] = []
    carried: str | None = None
    for block in blocks:
        if not block.lines:
            carried = block.visual or carried
            continue
        drafts.append((None, " ".join(block.lines), block.visual or carried))
        carried = None
    if carried is not None and drafts:
        title, text, visual = drafts[-1]
        drafts[-1] = (title, text, visual or carried)
    return drafts


def _check_speakable(scenes: Sequence[Scene], source: str) -> None:
    """Every scene must speak at least one word; say which one does not."""
    if not scenes:
        raise InputError(f"{source}: the script has no scenes (no paragraphs of text)")
    for scene in scenes:
        if not _SPEAKABLE.search(scene.text):
            name = f" ({scene.title!r})" if scene.title else ""
            raise InputError(
                f"{source}: scene {scene.index + 1}{name} has no speakable text; give it a "
                "sentence to narrate or remove it"
            )

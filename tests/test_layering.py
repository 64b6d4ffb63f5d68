"""The package structure holds: no upward import, no package cycle, ray and I/O in their places.

The layer table is read from docs/architecture.md (the ``layers`` block), so the page and the
test cannot drift apart. Every module under ai_video/ is parsed (nothing is imported), and
every import counts: module level, ``__init__``, ``__main__`` and imports inside functions.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ai_video"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

RAY_PACKAGES = frozenset({"pipeline"})
IO_PACKAGES = frozenset({"media"})
IO_MODULES = (
    "subprocess",
    "httpx",
    "requests",
    "urllib.request",
    "http.client",
    "yt_dlp",
    "wave",
    "soundfile",
    "av",
    "imageio",
)
"""Modules that start processes, talk to the network, or read/write media containers."""
CV2_CODECS = frozenset({"VideoCapture", "VideoWriter", "imread", "imwrite", "imdecode", "imencode"})

# Upward imports and cycles that exist where this test was written, each with its reason.
# An entry that no longer matches anything fails the test, so fixed ones get pruned.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class ImportSite:
    """One import statement: who imports what, where."""

    module: Path
    package: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.module.relative_to(ROOT)}:{self.line} imports {self.target}"


def layer_table() -> dict[str, int]:
    """Package name -> rank (0 = bottom) from the ``layers`` block of docs/architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = re.search(r"^```layers\n(?P<body>.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert block is not None, "docs/architecture.md lost its ```layers block"
    rows = [ln.split(":", 1)[1].split() for ln in block.group("body").splitlines() if ":" in ln]
    return {name: len(rows) - 1 - i for i, row in enumerate(rows) for name in row}


def package_of(path: Path) -> str:
    """``ai_video/media/ffmpeg.py`` -> ``media``; ``ai_video/cli.py`` -> ``cli``."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def modules() -> list[Path]:
    """Every Python module of the package (web assets and caches excluded)."""
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    """The absolute module name of a (possibly relative) ``from ... import``."""
    if node.level == 0:
        return node.module or ""
    parts = ["ai_video", *path.relative_to(PACKAGE).parent.parts]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_sites(path: Path) -> Iterator[ImportSite]:
    """Every module name imported anywhere in ``path`` (``from a import b`` yields a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportSite(path, package, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, path)
            yield ImportSite(path, package, base, node.lineno)
            for alias in node.names:
                yield ImportSite(path, package, f"{base}.{alias.name}", node.lineno)


def internal_package(target: str) -> str | None:
    """``ai_video.media.ffmpeg`` -> ``media``; ``ai_video`` -> ``__init__``; others None."""
    parts = target.split(".")
    if parts[0] != "ai_video":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return "__init__"
    return parts[1]


ALL_SITES = [site for path in modules() for site in import_sites(path)]


def test_every_package_is_in_the_layer_table() -> None:
    table = layer_table()
    missing = sorted({package_of(p) for p in modules()} - set(table))
    assert not missing, f"add these packages to the layers block of docs/architecture.md: {missing}"


def test_no_package_imports_upward() -> None:
    table = layer_table()
    upward: dict[tuple[str, str], list[str]] = defaultdict(list)
    for site in ALL_SITES:
        target = internal_package(site.target)
        if target is None or target == site.package or target not in table:
            continue
        if table[target] > table[site.package]:
            upward[(site.package, target)].append(str(site))
    unexpected = {k: v for k, v in upward.items() if k not in ALLOWED_UPWARD}
    assert not unexpected, "upward imports:\n" + "\n".join(
        line for lines in unexpected.values() for line in lines
    )
    stale = sorted(set(ALLOWED_UPWARD) - set(upward))
    assert not stale, f"ALLOWED_UPWARD entries no longer needed (remove them): {stale}"


def test_no_import_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for site in ALL_SITES:
        target = internal_package(site.target)
        if target is not None and target != site.package:
            graph[site.package].add(target)
    cycles = {tuple(sorted(c)) for c in _cycles(graph)}
    allowed = {tuple(sorted(pair)) for pair in ALLOWED_UPWARD}
    assert cycles <= allowed, f"package import cycles: {sorted(cycles - allowed)}"


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_only_pipeline_imports_ray() -> None:
    offenders = [
        str(s)
        for s in ALL_SITES
        if s.target.split(".")[0] == "ray" and s.package not in RAY_PACKAGES
    ]
    assert not offenders, "ray outside pipeline/:\n" + "\n".join(offenders)


def test_only_media_starts_processes_or_talks_to_the_network() -> None:
    def is_io(target: str) -> bool:
        return any(target == m or target.startswith(m + ".") for m in IO_MODULES)

    offenders = [str(s) for s in ALL_SITES if is_io(s.target) and s.package not in IO_PACKAGES]
    assert not offenders, "process/network/container I/O outside media/:\n" + "\n".join(offenders)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_media_decodes_pictures(path: Path) -> None:
    if package_of(path) in IO_PACKAGES:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and (
            (node.value.id == "cv2" and node.attr in CV2_CODECS)
            or (node.value.id == "Image" and node.attr == "open")
        )
    ]
    assert not calls, "picture decoding/encoding outside media/: " + ", ".join(calls)


def test_the_checks_see_real_imports() -> None:
    """Guard against a walker that silently finds nothing: known imports must be seen."""
    seen = {(s.package, s.target) for s in ALL_SITES}
    assert ("media", "subprocess") in seen
    assert ("pipeline", "ray") in seen
    assert ("generate", "ai_video.media.http") in seen
    assert any(p == "cli" and t.startswith("ai_video.serve") for p, t in seen)  # lazy import

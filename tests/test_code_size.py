"""Size limits (STYLE.md 10): a function over 60 lines or a module over 400 is split.

Lines are physical lines: a module's whole file, a function from its first decorator to its
last line (docstring included). The allow-list is short and every entry says why; an entry
that no longer exceeds its limit fails the test, so fixed ones get pruned.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ai_video"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400

ALLOWED = {
    "ai_video/config.py": "every default in one place by rule (STYLE.md 2): declarations, no logic",
    "ai_video/types.py": "the shared record vocabulary, appended to by rule; dataclasses only",
    "ai_video/cli.py": "one Typer command per subcommand with its option declarations",
}


def _sizes() -> dict[str, int]:
    """``path`` -> lines and ``path::qualified.function`` -> lines, for every module."""
    sizes: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        sizes[name] = len(source.splitlines())
        _functions(ast.parse(source), f"{name}::", sizes)
    return sizes


def _functions(node: ast.AST, prefix: str, sizes: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            sizes[prefix + child.name] = (child.end_lineno or child.lineno) - start + 1
            _functions(child, f"{prefix}{child.name}.", sizes)
        elif isinstance(child, ast.ClassDef):
            _functions(child, f"{prefix}{child.name}.", sizes)


def _too_big(sizes: dict[str, int]) -> dict[str, int]:
    return {
        name: lines
        for name, lines in sizes.items()
        if lines > (MAX_FUNCTION_LINES if "::" in name else MAX_MODULE_LINES)
    }


def test_functions_and_modules_stay_small() -> None:
    too_big = _too_big(_sizes())
    unexpected = {name: lines for name, lines in too_big.items() if name not in ALLOWED}
    assert not unexpected, (
        f"over {MAX_FUNCTION_LINES} lines per function / {MAX_MODULE_LINES} per module "
        f"(split it): {unexpected}"
    )


def test_allow_list_is_current() -> None:
    too_big = _too_big(_sizes())
    stale = sorted(name for name in ALLOWED if name not in too_big)
    assert not stale, f"no longer over the limit, remove from ALLOWED: {stale}"
    assert all(reason.strip() for reason in ALLOWED.values())


def test_sizes_are_measured() -> None:
    """Guard against a walker that finds nothing: known functions must be measured."""
    sizes = _sizes()
    assert sizes["ai_video/media/files.py::write_atomic"] > 3
    assert "ai_video/generate/llm.py::ChatClient.complete_json" in sizes

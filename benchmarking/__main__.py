"""``python -m benchmarking NAME [args]``: run the benchmark module ``benchmarking/NAME.py``;
``python -m benchmarking all [--quick] [--media DIR] [--out DIR] [--address ADDR]``: all of them.

Any module of this package that defines a top-level ``main(argv)`` is a benchmark; ``--help``
lists them with the first line of their docstring, read without importing them. Every suite
takes ``--quick --media DIR --out DIR`` (``common.suite_parser``).
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
NOT_BENCHMARKS = frozenset({"__init__", "__main__", "common"})


def available_benchmarks() -> dict[str, str]:
    """Benchmark name -> one-line description, for every module here that defines ``main``."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        if path.stem in NOT_BENCHMARKS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        defines_main = any(
            isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body
        )
        if defines_main:
            doc = ast.get_docstring(tree) or ""
            found[path.stem] = doc.strip().splitlines()[0] if doc.strip() else ""
    return found


def usage(benchmarks: dict[str, str]) -> str:
    """The help text: how to call, and the benchmarks present."""
    width = max((len(name) for name in benchmarks), default=0)
    lines = ["usage: python -m benchmarking NAME [args]   (NAME --help for its options)"]
    lines.append("every suite: python -m benchmarking all [--quick] [--media DIR] [--out DIR] "
                 "[--address ADDR]")  # fmt: skip
    lines.append("")
    lines.append("benchmarks:")
    lines += [f"  {name:<{width}}  {doc}" for name, doc in benchmarks.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to ``benchmarking.NAME.main(rest)``; 2 on an unknown name or no name."""
    args = list(sys.argv[1:] if argv is None else argv)
    benchmarks = available_benchmarks()
    if not args or args[0] in ("-h", "--help"):
        print(usage(benchmarks))
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name == "all":
        return run_all(rest, list(benchmarks))
    if name not in benchmarks:
        print(f"unknown benchmark {name!r}\n\n{usage(benchmarks)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"benchmarking.{name}")
    code: int = module.main(rest)
    return code


def run_all(argv: Sequence[str], names: list[str]) -> int:
    """``all``: run every suite here, or submit that run as a Ray job with ``--address``."""
    from benchmarking import runner

    args = runner.all_parser(names).parse_args(list(argv))
    if args.address and not args.in_ray_job:
        from benchmarking.ray_job import submit_and_wait

        return submit_and_wait(args)
    return runner.run_all(args, names)


if __name__ == "__main__":
    sys.exit(main())

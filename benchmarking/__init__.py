"""Benchmarks of ai_video, run as ``python -m benchmarking NAME [args]``.

Each benchmark module defines ``main(argv) -> int``, runs the compared sides in the same run,
and writes a Parquet of raw runs plus a Markdown report under ``benchmarking/results/NAME/``.
"""

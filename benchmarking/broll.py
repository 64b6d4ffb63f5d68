"""B-roll: CLIP image-embedding speed (images/s, batch 32, CPU); cosine top-k numba vs numpy.

Image embedding: the configured ``broll.clip_model`` with its weights when set; otherwise the
same architecture the docs recommend (``ViT-B-32``) built with random weights, because no
package ships open_clip weights usable offline (speed does not depend on the weights; the
report says which was used). Pictures are the shared b-roll stills (``--media``), cycled, or
random pixels when the folder is absent. Top-k: ``k`` best of ``N x 512`` unit float32 rows
(random, seeded) for 1 and for 8 queries, ``kernels.similarity.cosine_top_k`` (numba) against
``numpy_top_k`` (BLAS product + argpartition), both on rows already normalised, after one
warm-up call; the answers are compared. Writes runs.parquet, report.md and broll.png.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from ai_video.analyze.broll_files import IMAGE_SUFFIXES
from ai_video.analyze.broll_models import load_clip_model
from ai_video.analyze.image_text import ImageTextModel
from ai_video.kernels.similarity import (
    F32Array,
    I64Array,
    cosine_top_k,
    gpu_available,
    normalised_rows,
    numpy_top_k,
)
from ai_video.media.images import RgbImage, image_rgb
from benchmarking.common import (
    bar_chart,
    bench_settings,
    machine_info,
    markdown_table,
    media_root,
    results_dir,
    write_report,
)

DIMENSION = 512
TOP_K = 10
FALLBACK_ARCHITECTURE = "ViT-B-32"


def _pictures(media: Path, count: int) -> tuple[list[RgbImage], str]:
    """``count`` pictures: the shared b-roll stills cycled, else random pixels."""
    folder = media / "broll" / "images"
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if files:
        stills = [image_rgb(p) for p in files]
        return [stills[i % len(stills)] for i in range(count)], f"{len(files)} b-roll stills"
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(count)], "random"


def _clip_model() -> tuple[ImageTextModel, str]:
    """The configured CLIP model, or ViT-B-32 with random weights (said in the label)."""
    configured = load_clip_model(bench_settings({}).broll)
    if configured is not None:
        return configured, f"{configured.name} (configured weights)"
    model = ImageTextModel.random(FALLBACK_ARCHITECTURE)
    return model, f"{FALLBACK_ARCHITECTURE} with RANDOM weights (no offline weights exist)"


def embedding_runs(media: Path, images: int, batch: int, repeats: int) -> list[dict[str, object]]:
    """Images per second of ``embed_pictures`` at ``batch``, ``repeats`` times."""
    import torch

    model, label = _clip_model()
    pictures, source = _pictures(media, images)
    model.embed_pictures(pictures[:batch], batch)  # warm-up
    rows: list[dict[str, object]] = []
    for repeat in range(repeats):
        started = time.perf_counter()
        vectors = model.embed_pictures(pictures, batch)
        seconds = time.perf_counter() - started
        rows.append(
            {
                "measure": "image_embedding", "impl": label, "n": images, "queries": 0,
                "batch": batch, "repeat": repeat, "seconds": seconds,
                "value": images / seconds, "unit": "images/s", "agree": vectors.shape[0] == images,
                "note": f"{source}; torch threads {torch.get_num_threads()}",
            }
        )  # fmt: skip
    return rows


def top_k_runs(rows_n: int, repeats: int) -> list[dict[str, object]]:
    """Milliseconds per cosine top-k call, numba vs numpy (and cupy with a GPU)."""
    rng = np.random.default_rng(42)
    matrix = normalised_rows(rng.normal(size=(rows_n, DIMENSION)).astype(np.float32))
    impls: dict[str, Callable[[F32Array], tuple[I64Array, F32Array]]] = {
        "numba": lambda q: cosine_top_k(q, matrix, TOP_K, normalised=True),
        "numpy": lambda q: numpy_top_k(q, matrix, TOP_K, normalised=True),
    }
    if gpu_available():
        impls["cupy"] = lambda q: cosine_top_k(q, matrix, TOP_K, device="gpu", normalised=True)
    out: list[dict[str, object]] = []
    for count in (1, 8):
        queries = rng.normal(size=(count, DIMENSION)).astype(np.float32)
        reference = numpy_top_k(queries, matrix, TOP_K, normalised=True)[0]
        for name, run in impls.items():
            agree = bool(np.array_equal(run(queries)[0], reference))  # also the warm-up/JIT
            for repeat in range(repeats):
                started = time.perf_counter()
                run(queries)
                seconds = time.perf_counter() - started
                out.append(
                    {
                        "measure": "cosine_top_k", "impl": name, "n": rows_n, "queries": count,
                        "batch": 0, "repeat": repeat, "seconds": seconds,
                        "value": seconds * 1000.0, "unit": "ms/call", "agree": agree,
                        "note": f"k={TOP_K}, d={DIMENSION}",
                    }
                )  # fmt: skip
    return out


def _summary(raw: pl.DataFrame) -> pl.DataFrame:
    """Median per (measure, impl, queries)."""
    return (
        raw.group_by(["measure", "impl", "n", "queries", "batch", "unit"], maintain_order=True)
        .agg(
            pl.col("value").median().alias("median"),
            pl.col("value").min().alias("best"),
            pl.col("agree").all().alias("same_answer"),
            pl.len().alias("runs"),
        )
        .sort(["measure", "queries", "impl"])
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements in one run and write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarking broll")
    parser.add_argument("--quick", action="store_true", help="fewer images, rows and repeats")
    parser.add_argument("--media", type=Path, default=None, help="shared test media folder")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--rows", type=int, default=None, help="top-k matrix rows (100000)")
    args = parser.parse_args(list(argv or []))
    media = args.media or media_root()
    rows_n = args.rows or (20_000 if args.quick else 100_000)
    raw = pl.DataFrame(
        embedding_runs(media, 64 if args.quick else 128, 32, 2)
        + top_k_runs(rows_n, 3 if args.quick else 10)
    )
    summary = _summary(raw)
    out = args.out or results_dir("broll", fresh=True)
    out.mkdir(parents=True, exist_ok=True)
    top = summary.filter(pl.col("measure") == "cosine_top_k")
    ratios = [
        f"{q} quer{'y' if q == 1 else 'ies'}: numpy / numba = {numpy_ms / numba_ms:.2f}"
        for q in (1, 8)
        for numba_ms in top.filter((pl.col("impl") == "numba") & (pl.col("queries") == q))["median"]
        for numpy_ms in top.filter((pl.col("impl") == "numpy") & (pl.col("queries") == q))["median"]
    ]
    markdown = (
        "# B-roll benchmark\n\n"
        f"{machine_info().line()}\n\n{markdown_table(summary)}\n\n"
        f"Top-k over {rows_n} x {DIMENSION} (median ms, lower is better): "
        + "; ".join(ratios) + ".\n"
    )  # fmt: skip
    write_report(out, raw, markdown)
    chart = {
        f"top-k {r['impl']} q={r['queries']} (ms)": float(r["median"])
        for r in top.iter_rows(named=True)
    }
    for r in summary.filter(pl.col("measure") == "image_embedding").iter_rows(named=True):
        chart["CLIP images/s (batch 32)"] = float(r["median"])
    bar_chart(
        chart,
        f"b-roll: top-k over {rows_n}x{DIMENSION}, CLIP embedding",
        "value",
        out / "broll.png",
    )
    print(markdown)
    return 0

"""The whole clip job against the bare commands doing its core work, side by side in one run.

The job is ``ai-video clip`` (the user's command: a fresh process, cache off, 5 clips), with
Ray (the default) and with ``--no-ray``. The bare side is what a user could script by hand:
faster-whisper tiny.en (int8, beam 5, word times, VAD) on the file, one gray 320 px 2 fps
decode of the picture, and one plain ffmpeg ``veryfast`` 9:16 render per clip span the job
chose. Both sides load their models inside the timed span. Sides alternate per repeat so
both see the same machine load; the input is a talk built by repeating one shared talking
head, scaled and padded to 1280x720 (made once in the out dir, never committed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ai_video.config import MediaConfig
from ai_video.media.ffmpeg import run_ffmpeg
from ai_video.media.probe import probe
from benchmarking.common import results_dir

E2E_TARGET = 1.10
SIDES = ("bare", "ai-video --no-ray", "ai-video (Ray)")


def build_talk(source: Path, minutes: float, out: Path) -> Path:
    """A 1280x720 talk of ``minutes``: ``source`` repeated, scaled and padded (made once)."""
    target = out / f"talk_{minutes:g}min_720p.mp4"
    if target.is_file():
        return target
    out.mkdir(parents=True, exist_ok=True)
    repeats = math.ceil(minutes * 60.0 / probe(source, MediaConfig()).duration_s)
    listing = out / "talk.txt"
    quoted = str(source.resolve()).replace("'", "'\\''")
    listing.write_text(f"file '{quoted}'\n" * repeats, encoding="utf-8")
    part = target.with_suffix(".part.mp4")
    scale = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:-1:-1,setsar=1"
    args = ["-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing)]
    args += ["-t", f"{minutes * 60.0:.3f}", "-vf", scale, "-c:v", "libx264", "-preset"]
    args += ["veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", str(part)]
    run_ffmpeg("ffmpeg", args, 3600.0)
    os.replace(part, target)
    listing.unlink()
    return target


def run_job(source: Path, out_dir: Path, ray: bool) -> tuple[float, list[tuple[float, float]]]:
    """``ai-video clip`` in a fresh process: wall seconds and the clip spans it chose."""
    cmd = [sys.executable, "-m", "ai_video.cli", "clip", str(source), "--out", str(out_dir)]
    cmd += ["--no-cache", "--max-clips", "5", *([] if ray else ["--no-ray"])]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"ai-video clip failed ({done.returncode}): {tail}")
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    return wall, [(float(c["start_s"]), float(c["end_s"])) for c in manifest["clips"]]


def bare_asr(source: Path) -> int:
    """faster-whisper tiny.en on the file (model load included); returns the word count."""
    from faster_whisper import WhisperModel

    from ai_video.analyze.models import resolve_asr_model

    ref = resolve_asr_model("tiny.en")
    model = WhisperModel(str(ref.path), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(
        str(source), language="en", beam_size=5, word_timestamps=True, vad_filter=True
    )
    return sum(len(seg.words or []) for seg in segments)


def bare_decode(source: Path) -> int:
    """One gray 320 px 2 fps decode of the picture; returns the bytes read."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), "-an", "-vf"]
    cmd += ["fps=2,scale=320:-2,format=gray", "-f", "rawvideo", "-"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        total = 0
        while chunk := proc.stdout.read(1 << 20):
            total += len(chunk)
    if proc.returncode != 0:
        raise RuntimeError(f"decode of {source} failed ({proc.returncode})")
    return total


def bare_render(source: Path, span: tuple[float, float], out: Path) -> Path:
    """One plain 1080x1920 centre-crop render of ``span``: libx264 veryfast + AAC."""
    start, end = span
    args = ["-y", "-v", "error", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}"]
    args += ["-i", str(source), "-vf", "crop=ih*9/16:ih,scale=1080:1920", "-c:v", "libx264"]
    args += ["-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)]
    run_ffmpeg("ffmpeg", args, 3600.0)
    return out


def run_bare(source: Path, spans: Sequence[tuple[float, float]], out: Path) -> float:
    """The bare commands one after another; their wall seconds."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    bare_asr(source)
    bare_decode(source)
    for i, span in enumerate(spans):
        bare_render(source, span, out / f"bare_{i + 1:02d}.mp4")
    return time.perf_counter() - started


def compare(source: Path, out: Path, repeats: int, with_ray: bool = True) -> pl.DataFrame:
    """Alternate job (--no-ray, then Ray) and bare ``repeats`` times: one row per side run."""
    rows: list[dict[str, object]] = []
    for repeat in range(repeats):
        wall, spans = run_job(source, out / f"job_local_{repeat}", ray=False)
        rows.append({"side": SIDES[1], "repeat": repeat, "wall_s": wall, "clips": len(spans)})
        bare = run_bare(source, spans, out / f"bare_{repeat}")
        rows.append({"side": SIDES[0], "repeat": repeat, "wall_s": bare, "clips": len(spans)})
        if with_ray:
            wall, spans = run_job(source, out / f"job_ray_{repeat}", ray=True)
            rows.append({"side": SIDES[2], "repeat": repeat, "wall_s": wall, "clips": len(spans)})
    return pl.DataFrame(rows)


def e2e_lines(runs: pl.DataFrame, source: Path, duration_s: float) -> list[str]:
    """Markdown lines: median wall per side and each job's ratio to the bare commands."""
    medians = runs.group_by("side").agg(pl.col("wall_s").median()).sort("side")
    wall = dict(zip(medians["side"], medians["wall_s"], strict=True))
    bare = float(wall[SIDES[0]])
    lines = [
        f"#### End to end: `{source.name}` ({duration_s:.0f} s, 1280x720) -> 5 clips",
        "",
        f"- bare commands (tiny.en on the file, gray 320 px 2 fps decode, one veryfast render "
        f"per clip span, in sequence): **{bare:.1f} s**",
    ]
    for side in SIDES[1:]:
        if side in wall:
            ratio = float(wall[side]) / bare
            verdict = "meets" if ratio <= E2E_TARGET else "misses"
            lines.append(
                f"- `{side}`: **{float(wall[side]):.1f} s**, **{ratio:.2f}x** bare "
                f"(target <= {E2E_TARGET}x: {verdict})"
            )
    return lines


def e2e_arguments(parser: argparse.ArgumentParser) -> None:
    """The clip suite's end-to-end flags (the comparison is skipped under ``--quick``)."""
    parser.add_argument(
        "--e2e-minutes", type=float, default=8.0, help="end-to-end talk length (0 skips it)"
    )
    parser.add_argument("--e2e-repeats", type=int, default=1, help="end-to-end rounds")
    parser.add_argument("--e2e-no-ray", action="store_true", help="end to end without Ray only")


def end_to_end(
    args: argparse.Namespace, source: Path, out: Path, raw: pl.DataFrame
) -> tuple[pl.DataFrame, str]:
    """The end-to-end comparison: the clip suite's raw rows with these added, its Markdown."""
    talk = build_talk(source, args.e2e_minutes, results_dir("inputs"))  # kept between runs
    runs = compare(talk, out / "e2e", args.e2e_repeats, with_ray=not args.e2e_no_ray)
    rows = runs.select(
        pl.lit("e2e").alias("section"),
        pl.col("side").alias("name"),
        pl.col("repeat").cast(pl.Int64),
        pl.col("wall_s"),
        pl.lit(None, dtype=pl.Float64).alias("cpu_s"),
    )
    markdown = "\n".join(e2e_lines(runs, talk, args.e2e_minutes * 60.0)) + "\n\n"
    return pl.concat([raw, rows], how="diagonal"), markdown

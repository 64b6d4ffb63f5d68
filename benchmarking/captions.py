"""Caption sync: word-onset error of whisper's times vs refined times, and the refinement's cost.

Truth: two constructed sets (words and phrases synthesised with espeak-ng and piper at known
offsets over a -40 dBFS pink noise bed; set A was used to choose the thresholds, set B never
was), and every registry clip with word times (GRID's ``.align``). For each:
median and p95 absolute onset error and the share of onsets within one video frame (33 ms at
30 fps), before (whisper) and after (refined). Cost: transcription and refinement wall time
on the longest registry talk (target: refinement <= 5 % of transcription). ``--quick``: set B and
the word-timed clips only, cost on the shortest talk.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
from faster_whisper.audio import decode_audio

from ai_video.analyze.speech import voice_spans
from ai_video.analyze.transcribe import Transcriber
from ai_video.analyze.word_timing import refine_word_times
from ai_video.config import Settings
from benchmarking.common import (
    bar_chart,
    bench_settings,
    machine_info,
    markdown_table,
    open_suite,
    stopwatch,
    suite_parser,
    write_report,
)
from benchmarking.datasets import MediaItem, Registry
from tests.analyze.word_truth import (
    ConstructedSpeech,
    TruthWord,
    held_out_set,
    onset_errors,
    tuning_set,
)

RATE_HZ = 16000
FRAME_S = 1 / 30


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; write ``runs.parquet``, ``report.md``, ``onsets.png`` into ``--out``."""
    args = _parse(argv)
    suite = open_suite("captions", args)
    settings = bench_settings({"cache.enabled": False})
    out = suite.out
    transcriber = Transcriber(settings.asr)
    datasets: dict[str, ConstructedSpeech] = {}
    if not suite.quick:
        datasets["constructed A (tuned on)"] = tuning_set()
    datasets["constructed B (held out)"] = held_out_set()
    for item in suite.registry.query(tags=("word-times",)):
        datasets[item.name] = _aligned(suite.registry, item)
    cost_item = suite.registry.one("talking", ("speech",), longest=not suite.quick)
    repeats = 1 if suite.quick else args.repeats
    rows: list[dict[str, object]] = []
    for name, speech in datasets.items():
        whisper = transcriber(speech.samples)
        spans = voice_spans(speech.samples, settings.speech)
        refined = refine_word_times(speech.samples, RATE_HZ, whisper, spans, settings.word_timing)
        for method, transcript in (("whisper", whisper), (refined.timing_method, refined)):
            for subset, only_after_pause in (("all", False), ("after a pause", True)):
                errors = onset_errors(speech.words, transcript.words, only_after_pause)
                if len(errors.errors) == 0:
                    continue
                rows.append(
                    {
                        "dataset": name,
                        "onsets": subset,
                        "method": method,
                        "matched": f"{len(errors.errors)}/{errors.truth_words}",
                        "median_ms": errors.median_ms,
                        "p95_ms": errors.p95_ms,
                        "within_33ms": errors.within(FRAME_S),
                    }
                )
    accuracy = pl.DataFrame(rows)
    cost = _cost(cost_item.path, transcriber, settings, repeats)
    markdown = "\n\n".join(
        [
            "# Caption sync (word onsets)",
            machine_info().line(),
            "## Onset error, whisper vs refined",
            markdown_table(accuracy, decimals=3),
            f"## Cost on {cost_item.rel}",
            markdown_table(cost, decimals=3),
        ]
    )
    ratio = float(cost["refine_share_of_asr"][0])
    refined_rows = accuracy.filter((pl.col("method") != "whisper") & (pl.col("onsets") == "all"))
    headline: dict[str, object] = {
        f"{r['dataset']} median/p95 ms": f"{r['median_ms']:.0f} / {r['p95_ms']:.0f}"
        for r in refined_rows.iter_rows(named=True)
    }
    headline["refine_share_of_asr"] = ratio
    parquet, report = write_report(out, accuracy, markdown + "\n", headline)
    all_onsets = accuracy.filter(pl.col("onsets") == "all")
    medians = {
        f"{r['dataset'][:24]} {r['method']}": float(r["median_ms"])
        for r in all_onsets.iter_rows(named=True)
    }
    bar_chart(medians, "caption onset error (median)", "ms", out / "onsets.png")
    print(markdown)
    print(f"\nwrote {parquet} and {report}")
    return 0 if ratio <= 0.05 else 1


def _aligned(registry: Registry, item: MediaItem) -> ConstructedSpeech:
    """A registry clip and its word alignment as truth."""
    samples = np.asarray(decode_audio(str(item.path), RATE_HZ), np.float32)
    words = registry.word_times(item)
    return ConstructedSpeech(samples, tuple(TruthWord(w, s, e, False) for w, s, e in words))


def _cost(path: Path, transcriber: Transcriber, settings: Settings, repeats: int) -> pl.DataFrame:
    """Wall time of transcription and of refinement (median of ``repeats``) on one file."""
    samples = np.asarray(decode_audio(str(path), RATE_HZ), np.float32)
    with stopwatch() as asr:
        transcript = transcriber(samples)
    spans = voice_spans(samples, settings.speech)
    times = []
    for _ in range(repeats):
        with stopwatch() as refine:
            refine_word_times(samples, RATE_HZ, transcript, spans, settings.word_timing)
        times.append(refine[0])
    refine_s = statistics.median(times)
    return pl.DataFrame(
        {
            "audio_s": [len(samples) / RATE_HZ],
            "words": [len(transcript.words)],
            "transcribe_s": [asr[0]],
            "refine_s": [refine_s],
            "refine_share_of_asr": [refine_s / asr[0]],
        }
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = suite_parser("captions", __doc__)
    parser.add_argument("--repeats", type=int, default=5, help="refinement timing repeats")
    return parser.parse_args(argv)

"""Caption sync: word-onset error of whisper's times vs refined times, and the refinement's cost.

Truth: two constructed sets (words and phrases synthesised with espeak-ng and piper at known
offsets over a -40 dBFS pink noise bed; set A was used to choose the thresholds, set B never
was), and GRID's word alignment (``talking/grid/id2_vcd_swwp2s.align``). For each:
median and p95 absolute onset error and the share of onsets within one video frame (33 ms at
30 fps), before (whisper) and after (refined). Cost: transcription and refinement wall time
on the 71 s sample ``talking/dfrf_cnn2_25fps.mp4`` (target: refinement <= 5 % of transcription).
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
    bench_settings,
    machine_info,
    markdown_table,
    media_root,
    results_dir,
    stopwatch,
    write_report,
)
from tests.analyze.word_truth import (
    ConstructedSpeech,
    TruthWord,
    held_out_set,
    onset_errors,
    tuning_set,
)

RATE_HZ = 16000
FRAME_S = 1 / 30
COST_SAMPLE = "talking/dfrf_cnn2_25fps.mp4"
GRID_CLIP = "talking/grid/id2_vcd_swwp2s"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; write ``benchmarking/results/captions/{runs.parquet,report.md}``."""
    args = _parse(argv)
    settings = bench_settings({"cache.enabled": False})
    media = media_root()
    out = results_dir("captions", fresh=True)
    transcriber = Transcriber(settings.asr)
    datasets = {
        "constructed A (tuned on)": tuning_set(),
        "constructed B (held out)": held_out_set(),
        "GRID id2_vcd_swwp2s": _grid(media),
    }
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
    cost = _cost(media / COST_SAMPLE, transcriber, settings, args.repeats)
    markdown = "\n\n".join(
        [
            "# Caption sync (word onsets)",
            machine_info().line(),
            "## Onset error, whisper vs refined",
            markdown_table(accuracy, decimals=3),
            f"## Cost on {COST_SAMPLE}",
            markdown_table(cost, decimals=3),
        ]
    )
    parquet, report = write_report(out, accuracy, markdown + "\n")
    print(markdown)
    print(f"\nwrote {parquet} and {report}")
    ratio = float(cost["refine_share_of_asr"][0])
    return 0 if ratio <= 0.05 else 1


def _grid(media: Path) -> ConstructedSpeech:
    """GRID's clip and its word alignment (1/25000 s units) as truth."""
    samples = np.asarray(decode_audio(str(media / f"{GRID_CLIP}.mpg"), RATE_HZ), np.float32)
    truth = []
    for line in (media / f"{GRID_CLIP}.align").read_text().splitlines():
        start, end, label = line.split()
        if label != "sil":
            truth.append(TruthWord(label, int(start) / 25000, int(end) / 25000, False))
    return ConstructedSpeech(samples, tuple(truth))


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
    parser = argparse.ArgumentParser(prog="python -m benchmarking captions", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="refinement timing repeats")
    return parser.parse_args(argv)

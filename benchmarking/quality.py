"""ASR quality: WER and CER of the clip job's transcriber on every registry file with a
reference transcript (speech readings, GRID sentences), per file and pooled.

Text is normalised (case, punctuation, hyphens) before scoring; LJSpeech references spell
numbers out, GRID's letters and digits are spelled too, so a recogniser writing 'K7' is
counted wrong there: the pooled figure over the plain readings is the headline. The other
quality figures live beside what they judge: caption onsets in ``captions``, cut F1 in
``peers``, clip edges and reframing in ``clip``, moments in ``moments``. ``--quick``: the 3
shortest files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ai_video.analyze.transcribe import Transcriber
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
from benchmarking.evaluate.asr import asr_score, corpus_score

RATE_HZ = 16000


def main(argv: Sequence[str] | None = None) -> int:
    """Transcribe every reference file; write runs.parquet, report.md and wer.png."""
    args = suite_parser("quality", __doc__).parse_args(argv)
    suite = open_suite("quality", args)
    settings = bench_settings({"cache.enabled": False})
    items = suite.registry.query(None, ("speech", "transcript"), limit=3 if suite.quick else None)
    from faster_whisper.audio import decode_audio

    transcriber = Transcriber(settings.asr)
    rows, pairs, readings = [], [], []
    for item in items:
        samples = np.asarray(decode_audio(str(item.path), RATE_HZ), np.float32)
        with stopwatch() as wall:
            heard = transcriber(samples)
        reference = suite.registry.transcript(item)
        hypothesis = " ".join(w.text for w in heard.words)
        score = asr_score(reference, hypothesis)
        pairs.append((reference, hypothesis))
        if item.kind != "talking":
            readings.append((reference, hypothesis))
        rows.append({"file": item.rel, "kind": item.kind, "audio_s": item.duration_s,
                     "words": score.reference_words, "wer": score.wer, "cer": score.cer,
                     "asr_wall_s": wall[0], "hypothesis": hypothesis})  # fmt: skip
    raw = pl.DataFrame(rows)
    pooled = corpus_score(pairs)
    plain = corpus_score(readings) if readings else pooled
    markdown = "\n\n".join(
        [
            f"# ASR quality ({settings.asr.model})",
            f"{machine_info().line()}. {len(items)} registry files with reference text.",
            f"Pooled: WER **{pooled.wer:.3f}**, CER {pooled.cer:.3f} over {pooled.reference_words} "
            f"words; readings only (no GRID codes): WER **{plain.wer:.3f}**, CER {plain.cer:.3f}.",
            markdown_table(raw.drop("hypothesis"), 3),
        ]
    )
    headline = {"wer_readings": plain.wer, "cer_readings": plain.cer, "wer_all": pooled.wer,
                "files": len(items), "model": settings.asr.model}  # fmt: skip
    write_report(suite.out, raw, markdown + "\n", headline)
    wers = {str(r["file"]).rsplit("/", 1)[-1][:28]: float(str(r["wer"])) for r in rows}
    bar_chart(wers, "word error rate per file", "WER", suite.out / "wer.png")
    print(markdown)
    return 0

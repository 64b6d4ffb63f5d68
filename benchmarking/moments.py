"""Moments: fragments, boundary crossings, duplicates, topic P/R and prompt hits on built talks.

Two inputs with ground truth by construction: the hand-built long talk (exact word times,
ASR-style faults at pauses; see ``tests/curate/long_talk.py``) with and without the MiniLM
embedder, and real speech (JFK, LJSpeech, LibriVox, a repeated passage) concatenated at known
times and transcribed with whisper tiny.en (``tests/curate/test_moments_media.py``).
Writes ``runs.parquet``, ``report.md``, ``fragments.png``; ``--quick`` skips the real-ASR input.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ai_video.analyze.embed import TextEmbedder
from ai_video.config import CurateConfig, MomentsConfig, Settings
from ai_video.curate.distinct import content_words, jaccard
from ai_video.curate.moments import find_moments
from ai_video.types import MomentsResult, SpeechActivity, Topic, Transcript
from benchmarking.common import (
    bar_chart,
    machine_info,
    markdown_table,
    open_suite,
    suite_parser,
    write_report,
)

PROMPTS = (
    "ask what you can do for your country",
    "serve your nation instead of asking what it gives you",
    "what citizens owe to their homeland",
)
ABSENT = "quantum computing and semiconductor chips"
HEADLINE = ("clips", "fragment_starts", "boundary_crossings", "topic_precision", "topic_recall")


@dataclass(frozen=True)
class Case:
    """One evaluation input and its truth."""

    name: str
    transcript: Transcript
    speech: SpeechActivity | None
    duration_s: float
    sentence_starts_s: tuple[float, ...]
    turns_s: tuple[float, ...]
    topic_gaps_s: tuple[float, ...]
    """A time inside every true topic gap (voice turns and text-only changes)."""
    target_s: tuple[float, float]
    start_tolerance_s: tuple[float, float]


def _cases(with_real: bool, media: Path) -> list[Case]:
    from tests.curate.long_talk import long_talk

    talk = long_talk()
    cases = [
        Case(
            "hand-built",
            talk.transcript,
            None,
            talk.duration_s,
            talk.sentence_starts_s,
            talk.speaker_changes_s,
            tuple(t - 0.1 for t in talk.topic_starts_s),
            talk.target_span_s,
            (0.0, 0.0),
        )
    ]
    if with_real:
        from tests.curate.test_moments_media import build_real_talk

        real = build_real_talk(media)
        cases.append(
            Case(
                "real ASR",
                real.transcript,
                real.speech,
                real.duration_s,
                real.sentence_starts_s,
                real.turns_s,
                real.turns_s,
                real.target_s,
                (-0.5, 1.0),
            )
        )
    return cases


def _run(case: Case, embedder: TextEmbedder | None, prompts: str | None) -> MomentsResult:
    settings = Settings()
    return find_moments(
        case.transcript,
        case.speech,
        None,
        case.duration_s,
        settings.preset("tiktok"),
        (8.0, 15.0),
        (CurateConfig(max_clips=5), MomentsConfig()),
        embedder,
        speaker_changes_s=case.turns_s,
        prompts=prompts,
    )


def _topic_pr(topics: Sequence[Topic], truth_s: Sequence[float]) -> tuple[float, float]:
    gaps = [(a.span.end_s - 0.5, b.span.start_s + 0.5) for a, b in itertools.pairwise(topics)]
    hit = sum(any(lo <= t <= hi for t in truth_s) for lo, hi in gaps)
    caught = sum(any(lo <= t <= hi for lo, hi in gaps) for t in truth_s)
    return (hit / len(gaps) if gaps else 1.0), caught / len(truth_s)


def _measure(case: Case, embedder: TextEmbedder | None) -> dict[str, object]:
    started = time.perf_counter()
    result = _run(case, embedder, None)
    wall_s = time.perf_counter() - started
    words = case.transcript.words
    lo_tol, hi_tol = case.start_tolerance_s
    fragments = crossings = 0
    for m in result.moments:
        inside = case.transcript.words_in(m.clip.candidate.span)
        first = inside[0].start_s if inside else words[0].start_s
        fragments += not any(
            lo_tol - 1e-6 <= first - s <= hi_tol + 1e-6 for s in case.sentence_starts_s
        )
        crossings += any(inside[0].start_s < b < inside[-1].end_s for b in case.topic_gaps_s)
    texts = [content_words(m.clip.candidate.text) for m in result.moments]
    duplicates = sum(jaccard(a, b) >= 0.5 for a, b in itertools.combinations(texts, 2))
    precision, recall = _topic_pr(result.topics, case.topic_gaps_s)
    row: dict[str, object] = {
        "input": case.name,
        "embedder": "MiniLM" if embedder else "TF-IDF",
        "clips": len(result.moments),
        "fragment_starts": fragments,
        "boundary_crossings": crossings,
        "near_duplicate_pairs": duplicates,
        "topic_precision": precision,
        "topic_recall": recall,
        "titles_ok": sum(bool(m.copy.title and m.copy.hashtags) for m in result.moments),
        "wall_s": wall_s,
    }
    if embedder is not None:
        prompted = _run(case, embedder, ";".join(PROMPTS))
        lo, hi = case.target_s
        for k, prompt in enumerate(PROMPTS):
            mine = [m for m in prompted.moments if m.prompt == prompt]
            top = mine[0].clip.candidate.span if mine else None
            row[f"prompt{k + 1}_target_top"] = bool(
                top and min(top.end_s, hi) - max(top.start_s, lo) >= 0.7 * (hi - lo)
            )
        absent = _run(case, embedder, ABSENT)
        row["absent_prompt_clips"] = len(absent.moments)
    return row


def main(argv: Sequence[str] | None = None) -> int:
    """Run the moments evaluation and write the report (``--quick``: the hand-built talk only)."""
    parser = suite_parser("moments", __doc__)
    parser.add_argument("--no-real", action="store_true", help="skip the real-ASR input")
    args = parser.parse_args(argv)
    suite = open_suite("moments", args)
    embedder = TextEmbedder("bundled:all-MiniLM-L6-v2", device="cpu")
    rows = []
    for case in _cases(not (args.no_real or suite.quick), suite.registry.root):
        rows.append(_measure(case, None))
        rows.append(_measure(case, embedder))
    frame = pl.DataFrame(rows)
    info = machine_info()
    markdown = (
        "# Moments evaluation\n\n"
        f"{info.date} on {info.host} ({info.cpu_model}, {info.logical_cpus} CPUs, "
        f"load {info.load_avg_1m:.1f})\n\n{markdown_table(frame)}\n"
    )
    best = frame.filter(pl.col("embedder") == "MiniLM").row(-1, named=True)
    headline = {f"{best['input']} MiniLM {k}": best[k] for k in HEADLINE}
    write_report(suite.out, frame, markdown, headline)
    labels = [f"{r['input']} {r['embedder']}" for r in rows]
    fragments = dict(zip(labels, frame["fragment_starts"].cast(float), strict=True))
    bar_chart(fragments, "clips starting mid-sentence", "clips", suite.out / "fragments.png")
    print(markdown)
    return 0

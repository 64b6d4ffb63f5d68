"""Speaker analysis cost: analysis with and without faces+tracks+diarization, per source.

For each source: the shared analysis pass as before (main face only, tracked search) and
with the speaker collector (every face, landmarks, mouth motion), plus track linking,
diarization and voice-to-face matching; audio decoding, VAD and ASR are not timed (they
run either way). Each variant runs ``--repeats`` times and the least CPU time counts (the
machine is shared; the ffmpeg decode process is not counted). Prints a Markdown table
and writes ``runs.parquet``, ``report.md`` and ``throughput.png``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ai_video.analyze.diarize import VoiceEncoder, diarize
from ai_video.analyze.face_tracks import FaceCollector, link_face_tracks
from ai_video.analyze.faces import load_face_detector
from ai_video.analyze.speakers import speaker_turns
from ai_video.analyze.speech import speech_activity
from ai_video.analyze.visual import analyze_visuals
from ai_video.config import Settings
from ai_video.media.audio import decode_audio
from ai_video.media.frames import analysis_fps, stream_frames
from ai_video.media.probe import probe
from benchmarking.common import (
    bar_chart,
    machine_info,
    markdown_table,
    open_suite,
    suite_parser,
    write_report,
)


def _fastest(action: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Least CPU seconds of this process (all threads) over ``repeats`` runs, and the value.

    CPU time, not wall time: the machine is shared, and the ffmpeg decode (a separate
    process, the same in every variant) is left out on purpose.
    """
    best, value = float("inf"), None
    for _ in range(repeats):
        started = time.process_time()
        value = action()
        best = min(best, time.process_time() - started)
    return best, value


def measure(
    source: Path, settings: Settings, encoder: VoiceEncoder, repeats: int
) -> dict[str, Any]:
    """CPU seconds of each part for one source (analysis decode excluded)."""
    info = probe(source, settings.media)
    fps = analysis_fps(info, settings.analysis)
    detector = load_face_detector(settings.faces)

    def plain() -> object:
        frames = stream_frames(info, settings.analysis, settings.media)
        return analyze_visuals(frames, settings.shots, settings.faces, detector, fps)

    def with_speakers() -> FaceCollector:
        collector = FaceCollector(detector, settings.speakers, fps)
        frames = stream_frames(info, settings.analysis, settings.media)
        analyze_visuals(frames, settings.shots, settings.faces, detector, fps, collector)
        return collector

    plain_s, _ = _fastest(plain, repeats)
    collect_s, collector = _fastest(with_speakers, repeats)
    link_s, tracks = _fastest(
        lambda: link_face_tracks(collector.detections(), settings.speakers), repeats
    )
    row: dict[str, Any] = {"source": source.name, "duration_s": info.duration_s}
    diar_s = match_s = 0.0
    if info.audio is not None:
        audio = decode_audio(info, settings.media)
        activity = speech_activity(audio, 16000, settings.speech)
        diar_s, voices = _fastest(
            lambda: diarize(audio, activity, encoder, settings.speakers), repeats
        )
        match_s, _ = _fastest(lambda: speaker_turns(voices, tracks), repeats)
    extra = collect_s - plain_s + link_s + diar_s + match_s
    total = collect_s + link_s + diar_s + match_s
    row.update(
        visual_plain_s=plain_s,
        visual_with_faces_s=collect_s,
        link_s=link_s,
        diarize_s=diar_s,
        match_s=match_s,
        speaker_share=extra / total,
        throughput_plain=info.duration_s / plain_s,
        throughput_speakers=info.duration_s / total,
        detector=detector.name,
    )
    return row


def main(argv: Sequence[str]) -> int:
    """Run the speaker-analysis benchmark; 0 on success."""
    parser = suite_parser("speakers", __doc__)
    parser.add_argument("sources", nargs="*", type=Path, help="videos (default: registry)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(list(argv))
    suite = open_suite("speakers", args)
    reg = suite.registry
    if args.sources:
        sources = list(args.sources)
    elif suite.quick:
        sources = [reg.one("talking", ("speech", "face")).path]
    else:
        speech = reg.one("talking", ("speech", "face"), longest=True)
        sources = [speech.path, reg.one("talking", ("face",), without=("speech",)).path]
    repeats = args.repeats  # 2: the first run of each part also warms its models up
    settings = Settings()
    encoder = VoiceEncoder()
    rows = [measure(Path(s), settings, encoder, repeats) for s in sources]
    table = pl.DataFrame(rows)
    markdown = "\n\n".join(
        [
            "# Speaker analysis cost (CPU seconds, least of repeats)",
            f"{machine_info().line()}; {repeats} repeat(s).",
            markdown_table(table, 3),
        ]
    )
    first = rows[0]
    headline = {
        "source": first["source"],
        "speaker_share": first["speaker_share"],
        "src_s_per_cpu_s_with_speakers": first["throughput_speakers"],
    }
    write_report(suite.out, table, markdown + "\n", headline)
    speeds = {str(r["source"]): float(r["throughput_speakers"]) for r in rows}
    bar_chart(speeds, "speaker analysis", "source s per CPU s", suite.out / "throughput.png")
    print(markdown)
    return 0

"""Narration and music: loudness measurement and the filter graph that mixes them.

The mix is: voice and music each brought to a measured loudness (voice at the target, music
``music_gain_db`` under it), the music ducked under the voice by ``sidechaincompress`` keyed
on the voice, the two summed without amix's level scaling, then a peak limiter at the
true-peak ceiling. Levels come from one audio-only measuring run of ``loudnorm`` (EBU R128),
so the final pass needs no dynamic normalisation and keeps the voice's own dynamics.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from ai_video.config import GenerateConfig, MediaConfig, RenderConfig, Settings
from ai_video.errors import MediaError
from ai_video.media.ffmpeg import local_input, run_ffmpeg

MIX_SAMPLE_RATE_HZ = 48000
_MAX_GAIN_DB = 40.0
_SILENT_LUFS = -70.0
_EBUR128 = "ebur128@{name}=framelog=verbose:peak=sample"
_NUMBER = r"-?inf|-?[0-9.]+"
_EBUR128_SUMMARY = re.compile(
    r"\[ebur128@(?P<name>\w+) @ [^\]]*\] Summary:\s+Integrated loudness:\s+"
    rf"I:\s+(?P<i>{_NUMBER}) LUFS.*?LRA:\s+(?P<lra>{_NUMBER}) LU.*?"
    rf"Peak:\s+(?P<peak>{_NUMBER}) dBFS",
    re.DOTALL,
)
_JSON_BLOCK = re.compile(r"\[loudnorm@(?P<name>\w+) @ [^\]]*\]\s*(?P<json>\{.*?\})", re.DOTALL)
_FORMAT = f"aformat=sample_fmts=fltp:sample_rates={MIX_SAMPLE_RATE_HZ}:channel_layouts=stereo"


@dataclass(frozen=True, slots=True)
class Loudness:
    """EBU R128 measurements of one signal."""

    integrated_lufs: float
    peak_db: float
    """Peak level in dB: true peak from loudnorm, sample peak from ebur128."""
    range_lu: float

    @property
    def silent(self) -> bool:
        """Whether the signal is too quiet to measure (gating removed everything)."""
        return not math.isfinite(self.integrated_lufs) or self.integrated_lufs < _SILENT_LUFS


def measure_loudness(
    voice: Path, music: Path | None, duration_s: float, media: MediaConfig
) -> tuple[Loudness, Loudness | None]:
    """Loudness of the voice track and of the music looped/cut to ``duration_s`` (one run)."""
    args = ["-v", "info", *mix_inputs(voice, music, duration_s)]
    graph = f"[0:a:0]{_FORMAT},{_EBUR128.format(name='voice')}[voice]"
    outputs = ["-map", "[voice]", "-f", "null", "-"]
    if music is not None:
        graph += f";[1:a:0]{_FORMAT},{_EBUR128.format(name='music')}[music]"
        outputs += ["-map", "[music]", "-f", "null", "-"]
    result = run_ffmpeg(
        media.ffmpeg_bin, [*args, "-filter_complex", graph, *outputs], media.ffmpeg_timeout_s
    )
    found = parse_ebur128_report(result.stderr)
    if "voice" not in found or (music is not None and "music" not in found):
        raise MediaError(f"ebur128 reported no measurement (got {sorted(found)})")
    return found["voice"], found.get("music")


def parse_ebur128_report(stderr: str) -> dict[str, Loudness]:
    """The last summary of each named ``ebur128@NAME`` filter (peak = sample peak).

    ffmpeg configures a graph twice; the first, empty summaries come from the probe run.
    """
    found: dict[str, Loudness] = {}
    for match in _EBUR128_SUMMARY.finditer(stderr):
        found[match.group("name")] = Loudness(
            integrated_lufs=float(match.group("i")),
            peak_db=float(match.group("peak")),
            range_lu=float(match.group("lra")),
        )
    return found


def file_loudness(path: Path, media: MediaConfig) -> Loudness:
    """Loudness of the first audio stream of a media file."""
    args = ["-v", "info", *local_input(path), "-map", "0:a:0", "-vn"]
    args += ["-af", "loudnorm@file=print_format=json", "-f", "null", "-"]
    found = parse_loudnorm_report(run_ffmpeg(media.ffmpeg_bin, args, media.ffmpeg_timeout_s).stderr)
    if "file" not in found:
        raise MediaError(f"{path}: loudnorm reported no measurement")
    return found["file"]


def mixed_loudness(
    voice: Path,
    music: Path | None,
    gains_db: tuple[float, float],
    duration_s: float,
    gen: GenerateConfig,
    render: RenderConfig,
    media: MediaConfig,
) -> float:
    """Integrated loudness (LUFS) of the finished mix at these gains (audio-only run)."""
    graph = mix_graph(0, 1 if music else None, gains_db[0], gains_db[1], gen, render)
    graph = graph.removesuffix("[aout]") + "," + _EBUR128.format(name="mix") + "[aout]"
    args = ["-v", "info", *mix_inputs(voice, music, duration_s), "-filter_complex", graph]
    stderr = run_ffmpeg(
        media.ffmpeg_bin, [*args, "-map", "[aout]", "-f", "null", "-"], media.ffmpeg_timeout_s
    ).stderr
    found = parse_ebur128_report(stderr)
    if "mix" not in found:
        raise MediaError("ebur128 reported no integrated loudness for the mix")
    return found["mix"].integrated_lufs


def fit_mix_gains(
    voice: Path,
    music: Path | None,
    gains_db: tuple[float, float],
    duration_s: float,
    settings: Settings,
) -> tuple[tuple[float, float], float]:
    """Shift both gains until the limited mix measures at the target; gains and its loudness.

    The limiter takes back part of any gain, so the shift is found by the secant method over
    a few audio-only runs; the music keeps its level relative to the voice.
    """
    gen, render, media = settings.generate, settings.render, settings.media
    target = render.loudness_target_lufs
    shifts: list[float] = []
    levels: list[float] = []
    shift = 0.0
    for _ in range(max(1, gen.loudness_fit_passes)):
        shifted = (gains_db[0] + shift, gains_db[1] + shift)
        level = mixed_loudness(voice, music, shifted, duration_s, gen, render, media)
        shifts.append(shift)
        levels.append(level)
        if not math.isfinite(level) or abs(target - level) <= gen.loudness_tolerance_lu:
            break
        slope = 1.0
        if len(shifts) >= 2 and abs(levels[-1] - levels[-2]) > 1e-3:
            slope = max(0.2, (levels[-1] - levels[-2]) / (shifts[-1] - shifts[-2]))
        shift = max(-_MAX_GAIN_DB, min(_MAX_GAIN_DB, shift + (target - level) / slope))
    best = min(range(len(levels)), key=lambda i: abs(target - levels[i]))
    return (gains_db[0] + shifts[best], gains_db[1] + shifts[best]), levels[best]


def mix_inputs(voice: Path, music: Path | None, duration_s: float) -> list[str]:
    """Input arguments: the voice, then the music looped and cut to ``duration_s``."""
    args = list(local_input(voice))
    if music is not None:
        args += ["-stream_loop", "-1", "-t", f"{duration_s:.3f}", *local_input(music)]
    return args


def parse_loudnorm_report(stderr: str) -> dict[str, Loudness]:
    """Measurements printed by named ``loudnorm@NAME=print_format=json`` filters."""
    found: dict[str, Loudness] = {}
    for match in _JSON_BLOCK.finditer(stderr):
        try:
            data = orjson.loads(match.group("json"))
            found[match.group("name")] = Loudness(
                integrated_lufs=float(data["input_i"]),
                peak_db=float(data["input_tp"]),
                range_lu=float(data["input_lra"]),
            )
        except (orjson.JSONDecodeError, KeyError, ValueError) as exc:
            raise MediaError(f"unreadable loudnorm report: {exc}") from None
    return found


def level_gain_db(measured: Loudness, target_lufs: float) -> float:
    """Gain that brings ``measured`` to ``target_lufs`` (0 for silence; bounded)."""
    if measured.silent:
        return 0.0
    return max(-_MAX_GAIN_DB, min(_MAX_GAIN_DB, target_lufs - measured.integrated_lufs))


def mix_graph(
    voice_input: int,
    music_input: int | None,
    voice_gain_db: float,
    music_gain_db: float,
    gen: GenerateConfig,
    render: RenderConfig,
) -> str:
    """Filter graph from the voice (and music) inputs to ``[aout]``: duck, sum, limit."""
    limit = min(1.0, max(0.0625, 10 ** (render.true_peak_db / 20)))
    tail = (
        f"alimiter=limit={limit:.4f}:level=false:latency=true,aresample={MIX_SAMPLE_RATE_HZ}[aout]"
    )
    voice = f"[{voice_input}:a:0]{_FORMAT},volume={voice_gain_db:.2f}dB"
    if music_input is None:
        return f"{voice},{tail}"
    duck = (
        f"sidechaincompress=threshold={gen.duck_threshold}:ratio={gen.duck_ratio}"
        f":attack={gen.duck_attack_ms}:release={gen.duck_release_ms}"
    )
    return (
        f"{voice},asplit=2[voice][key];"
        f"[{music_input}:a:0]{_FORMAT},volume={music_gain_db:.2f}dB[music];"
        f"[music][key]{duck}[ducked];"
        f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,{tail}"
    )

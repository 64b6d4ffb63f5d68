"""Clean-up cuts inside a clip: filler words and long pauses (``--clean fillers,silences``).

A filler is found two ways. Whisper often writes it (``um``, ``uh``, language-aware list in
``config.CleanupConfig``; ``like`` and phrases such as ``you know`` only when set off by a
pause or comma on both sides), and often drops it from its text: then it shows as a gap
between two words that holds voice (loudness near the clip's speech level for long enough).
Either way the cut runs from the previous kept word's end to the next kept word's start, less
a short kept pause on each side, so no real word is touched. A pause longer than
``max_pause_s`` is shortened to ``keep_pause_s`` the same way. Cut bounds sit on the output
frame grid, so picture and sound cut at the same instant. The plan's captions are re-timed to
the shortened clip; the renderer cuts with trim+concat inside its one ffmpeg process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ai_video.config import CleanupConfig, Settings, caption_style
from ai_video.edit.captions import build_caption_track
from ai_video.types import EditPlan, FloatArray, TimeSpan, Transcript, Word

_PUNCT = re.compile(r"[^\w\s']+")
_SET_OFF_S = 0.12
_EDGE_S = 0.05  # loudness hops this close to a word edge belong to the word
_LOUD_PERCENTILE = 90.0
_MAX_OUTWARD_S = 0.15
_MIN_PAUSE_S = 0.06  # a quiet run shorter than this may be a stop closure inside a word
_SPLIT_PAUSE_S = 0.1  # a pause this long inside one word's span separates two sounds
_ISLAND_MIN_S, _ISLAND_MAX_S = 0.08, 0.6  # how long a filler sound lasts


@dataclass(frozen=True)
class Loudness:
    """RMS level of the source audio on a fine hop (10 ms), in dBFS."""

    hop_s: float
    db: FloatArray

    def window(self, start_s: float, end_s: float) -> FloatArray:
        """The hops whose start lies in ``[start_s, end_s)``."""
        first = max(0, math.ceil(start_s / self.hop_s - 1e-9))
        last = max(first, math.ceil(end_s / self.hop_s - 1e-9))
        return self.db[first:last]


def find_removals(
    words: Sequence[Word],
    span: TimeSpan,
    loudness: Loudness | None,
    kinds: Sequence[str],
    cfg: CleanupConfig,
    language: str = "en",
    fps: float = 30.0,
) -> tuple[TimeSpan, ...]:
    """Spans (source time, sorted, disjoint, on the clip's frame grid) to cut out of ``span``."""
    ordered = sorted((w for w in words if span.contains((w.start_s + w.end_s) / 2)),
                     key=lambda w: w.start_s)  # fmt: skip
    filler_at = filler_indices(ordered, cfg, language) if "fillers" in kinds else set()
    fillers = [ordered[i] for i in sorted(filler_at)]
    kept = [w for i, w in enumerate(ordered) if i not in filler_at]
    level = _speech_level_db(loudness, span)
    quiet_db = level + cfg.quiet_db
    if "fillers" in kinds and loudness is not None:
        kept, dropped = split_dropped_fillers(kept, loudness, quiet_db)
        fillers = sorted([*fillers, *dropped], key=lambda w: w.start_s)
    cuts: list[TimeSpan] = []
    bounds = [span.start_s, *[x for w in kept for x in (w.start_s, w.end_s)], span.end_s]
    for gap_start, gap_end in zip(bounds[::2], bounds[1::2], strict=True):
        gap = TimeSpan(gap_start, max(gap_start, gap_end))
        inside = [w for w in fillers if gap.contains((w.start_s + w.end_s) / 2)]
        edges = (gap_start == span.start_s, gap_end == span.end_s)
        if not _should_cut(gap, bool(inside), any(edges), loudness, level, kinds, cfg):
            continue
        cut = _shortened(gap, cfg.keep_pause_s, *edges)
        if inside:  # the filler's own sound goes whatever the kept pause
            cut = TimeSpan(min(cut.start_s, inside[0].start_s), max(cut.end_s, inside[-1].end_s))
        if loudness is not None:
            if inside and not edges[1]:
                cut = _through_first_island(
                    cut, inside[0].start_s, loudness, quiet_db, cfg.keep_pause_s
                )
            cut = _edges_in_quiet(cut, loudness, quiet_db, edges)
        if cut.duration_s > 0:
            cuts.append(cut)
    return _on_frame_grid(cuts, span, fps, cfg.min_segment_s)


def split_dropped_fillers(
    words: Sequence[Word], loudness: Loudness, quiet_db: float
) -> tuple[list[Word], list[Word]]:
    """Words with a filler whisper left out of its text taken out of their span.

    Whisper often writes nothing for an "uh" and stretches the next (or previous) word over
    it; the word then holds a short island of sound cut off from the rest by a pause longer
    than any inside a word. That island becomes a filler and the word keeps the rest.
    """
    kept: list[Word] = []
    dropped: list[Word] = []
    for word in words:
        islands = _islands(loudness, quiet_db, word.start_s, word.end_s)
        if len(islands) < 2:
            kept.append(word)
            continue
        lead_alone = _quiet_around(loudness, quiet_db, islands[0][0] - _SPLIT_PAUSE_S)
        tail_alone = _quiet_around(loudness, quiet_db, islands[-1][1])
        if lead_alone and _filler_like(islands[0], islands[1]):
            dropped.append(Word("", islands[0][0], islands[0][1], 0.0))
            word = replace(word, start_s=islands[1][0])
        elif tail_alone and _filler_like(islands[-1], islands[-2], trailing=True):
            dropped.append(Word("", islands[-1][0], islands[-1][1], 0.0))
            word = replace(word, end_s=islands[-2][1])
        kept.append(word)
    return kept, dropped


def _quiet_around(loudness: Loudness, quiet_db: float, start_s: float) -> bool:
    """Whether ``[start_s, start_s + _SPLIT_PAUSE_S)`` is all quiet (a filler stands alone)."""
    hops = loudness.window(max(0.0, start_s), start_s + _SPLIT_PAUSE_S)
    return bool(len(hops)) and bool((hops <= quiet_db).all())


def _islands(
    loudness: Loudness, quiet_db: float, start_s: float, end_s: float
) -> list[tuple[float, float]]:
    """Runs of sound inside ``[start_s, end_s)`` separated by pauses (quiet >= a closure)."""
    hop = loudness.hop_s
    first = max(0, round(start_s / hop))
    quiet = loudness.window(first * hop, end_s) <= quiet_db
    out: list[tuple[float, float]] = []
    i = 0
    while i < len(quiet):
        if quiet[i]:
            i += 1
            continue
        j = i
        while j < len(quiet) and (not quiet[j] or not _in_pause(quiet, j, hop)):
            j += 1
        out.append(((first + i) * hop, (first + j) * hop))
        i = j
    return out


def _filler_like(
    island: tuple[float, float], neighbour: tuple[float, float], trailing: bool = False
) -> bool:
    """A short island set off from the word's main sound by a long pause."""
    pause = island[0] - neighbour[1] if trailing else neighbour[0] - island[1]
    length = island[1] - island[0]
    return _ISLAND_MIN_S <= length <= _ISLAND_MAX_S and pause >= _SPLIT_PAUSE_S


def filler_indices(words: Sequence[Word], cfg: CleanupConfig, language: str) -> set[int]:
    """Indices of words that are fillers (single words, and set-off phrases and 'like')."""
    lang = language.split("-")[0].lower()
    entries = [e.split() for e in cfg.filler_words.get(lang, [])]
    if lang == "en" and cfg.like_as_filler:
        entries.append(["like"])
    tokens = [_token(w.text) for w in words]
    found: set[int] = set()
    for entry in entries:
        n = len(entry)
        for i in range(len(words) - n + 1):
            if tokens[i : i + n] != entry:
                continue
            # filler sounds (um, uh) always; real words used as fillers only when set off
            if (n == 1 and entry[0] != "like") or _set_off(words, i, i + n - 1):
                found.update(range(i, i + n))
    return found


def _token(text: str) -> str:
    return _PUNCT.sub("", text).strip().lower()


def _set_off(words: Sequence[Word], first: int, last: int) -> bool:
    """Whether words[first..last] have a pause or comma before and after them."""
    before = first == 0 or (
        words[first].start_s - words[first - 1].end_s >= _SET_OFF_S
        or words[first - 1].text.rstrip().endswith((",", "."))
    )
    after = last == len(words) - 1 or (
        words[last + 1].start_s - words[last].end_s >= _SET_OFF_S
        or words[last].text.rstrip().endswith((",", "."))
    )
    return before and after


def _should_cut(
    gap: TimeSpan,
    holds_filler: bool,
    edge: bool,
    loudness: Loudness | None,
    level_db: float,
    kinds: Sequence[str],
    cfg: CleanupConfig,
) -> bool:
    """Whether a gap between kept words is cut: it holds a filler, or is too long a pause."""
    if holds_filler:
        return True
    if "silences" in kinds and gap.duration_s > cfg.max_pause_s:
        return True
    if "fillers" not in kinds or edge or loudness is None:
        return False
    if not cfg.sounded_gap_min_s <= gap.duration_s <= cfg.sounded_gap_max_s:
        return False
    hops = loudness.window(gap.start_s + _EDGE_S, gap.end_s - _EDGE_S)
    voiced_s = float((hops >= level_db + cfg.voice_level_db).sum()) * loudness.hop_s
    return voiced_s >= cfg.sounded_min_s


def _speech_level_db(loudness: Loudness | None, span: TimeSpan) -> float:
    """The clip's speech level: a high percentile of its loudness hops."""
    hops = loudness.window(span.start_s, span.end_s) if loudness is not None else None
    if hops is None or len(hops) == 0:
        return 0.0
    return float(np.percentile(hops, _LOUD_PERCENTILE))


def _shortened(gap: TimeSpan, keep_s: float, edge_start: bool, edge_end: bool) -> TimeSpan:
    """The part of ``gap`` cut so ``keep_s`` remains (half each side; none at a clip edge)."""
    start = gap.start_s if edge_start else gap.start_s + keep_s / 2
    end = gap.end_s if edge_end else gap.end_s - keep_s / 2
    return TimeSpan(start, max(start, end))


def _edges_in_quiet(
    cut: TimeSpan, loudness: Loudness, quiet_db: float, edges: tuple[bool, bool]
) -> TimeSpan:
    """Move each cut edge that lands on sound to the nearest quiet hop.

    Word times can be off by a syllable (and whisper sometimes swallows a word into a
    filler): an edge on sound is moved to the nearest pause (a quiet run of at least
    ``_MIN_PAUSE_S``, not a stop closure), inward (the cut shrinks) or at most
    ``_MAX_OUTWARD_S`` outward (a filler's own sound reaches the edge), so a cut begins and
    ends in a pause, never inside a kept word.
    """
    hop, db = loudness.hop_s, loudness.db
    quiet = db <= quiet_db
    lo = max(0, min(round(cut.start_s / hop), len(db) - 1))
    hi = max(lo, min(round(cut.end_s / hop) - 1, len(db) - 1))
    start, end = cut.start_s, cut.end_s
    reach = round(_MAX_OUTWARD_S / hop)
    if not edges[0] and not quiet[lo]:
        inward = next((i for i in range(lo, hi + 1) if _in_pause(quiet, i, hop)), None)
        outward = next(
            (i for i in range(lo - 1, max(-1, lo - reach), -1) if _in_pause(quiet, i, hop)), None
        )
        start = _nearer(lo, inward, outward) * hop
    if not edges[1] and not quiet[hi]:
        inward = next((j for j in range(hi, lo - 1, -1) if _in_pause(quiet, j, hop)), None)
        outward = next(
            (j for j in range(hi + 1, min(len(db), hi + reach)) if _in_pause(quiet, j, hop)), None
        )
        end = (_nearer(hi, inward, outward) + 1) * hop
    return TimeSpan(start, max(start, end))


def _through_first_island(
    cut: TimeSpan, filler_start_s: float, loudness: Loudness, quiet_db: float, keep_s: float
) -> TimeSpan:
    """End a filler cut in the first pause after the filler's sound.

    A filler is one island of sound; whisper sometimes stretches the filler word over the
    real word after it. The cut stops in the first pause that follows the filler's onset, so
    that word is kept, leaving half the kept pause before it.
    """
    hop, quiet = loudness.hop_s, loudness.db <= quiet_db
    i = max(0, round(filler_start_s / hop))
    stop = min(len(quiet), round(cut.end_s / hop))
    while i < stop and quiet[i]:  # to the filler's first sound
        i += 1
    while i < stop and not _in_pause(quiet, i, hop):  # through it, to the pause after it
        i += 1
    if i >= stop:
        return cut
    j = i
    while j + 1 < len(quiet) and quiet[j + 1]:
        j += 1
    end = min(cut.end_s, max((i + j + 1) / 2 * hop, (j + 1) * hop - keep_s / 2))
    return TimeSpan(cut.start_s, max(cut.start_s, end))


def _in_pause(quiet: npt.NDArray[np.bool_], i: int, hop: float) -> bool:
    """Whether hop ``i`` lies in a quiet run at least ``_MIN_PAUSE_S`` long (not a closure)."""
    if not quiet[i]:
        return False
    lo, hi = i, i
    while lo > 0 and quiet[lo - 1]:
        lo -= 1
    while hi + 1 < len(quiet) and quiet[hi + 1]:
        hi += 1
    return (hi - lo + 1) * hop >= _MIN_PAUSE_S


def _nearer(at: int, inward: int | None, outward: int | None) -> int:
    """The quiet hop nearer to ``at`` (inward on a tie); ``at`` when there is none."""
    options = [i for i in (inward, outward) if i is not None]
    return min(options, key=lambda i: abs(i - at)) if options else at


def _on_frame_grid(
    cuts: Sequence[TimeSpan], span: TimeSpan, fps: float, min_segment_s: float
) -> tuple[TimeSpan, ...]:
    """Cuts rounded to output frames (clip time), merged, with no kept sliver left between."""
    frames: list[list[int]] = []
    last_frame = math.floor(span.duration_s * fps + 1e-6)
    min_frames = math.ceil(min_segment_s * fps)
    for cut in sorted(cuts, key=lambda c: c.start_s):
        # inward: a cut never grows past its quiet edges
        a = max(0, math.ceil((cut.start_s - span.start_s) * fps - 1e-6))
        b = min(last_frame, math.floor((cut.end_s - span.start_s) * fps + 1e-6))
        if b <= a:
            continue
        if frames and a - frames[-1][1] < min_frames:
            frames[-1][1] = max(frames[-1][1], b)
        else:
            frames.append([a, b])
    if frames and frames[0][0] < min_frames:
        frames[0][0] = 0
    if frames and last_frame - frames[-1][1] < min_frames:
        frames[-1][1] = last_frame
    out = [TimeSpan(span.start_s + a / fps, span.start_s + b / fps) for a, b in frames]
    kept = sum(c.duration_s for c in out)
    return tuple(out) if kept < span.duration_s - 1e-6 else ()


def retime_words(words: Sequence[Word], span: TimeSpan, removed: Sequence[TimeSpan]) -> list[Word]:
    """Words of ``span`` moved onto the shortened clip (``span.start_s`` + output time).

    A word mostly inside a removed span is dropped (a filler); one partly inside is clamped.
    """
    out: list[Word] = []
    for word in words:
        inside = sum(_overlap(word, r) for r in removed)
        if inside > 0.5 * max(word.end_s - word.start_s, 1e-6):
            continue
        start = span.start_s + output_time(word.start_s, span, removed)
        end = span.start_s + output_time(word.end_s, span, removed)
        out.append(replace(word, start_s=start, end_s=max(end, start)))
    return out


def output_time(t_s: float, span: TimeSpan, removed: Sequence[TimeSpan]) -> float:
    """Where source time ``t_s`` lands in the cleaned clip (removed time collapses to a point)."""
    before = sum(max(0.0, min(t_s, r.end_s) - r.start_s) for r in removed if r.start_s < t_s)
    return t_s - span.start_s - before


def _overlap(word: Word, cut: TimeSpan) -> float:
    return max(0.0, min(word.end_s, cut.end_s) - max(word.start_s, cut.start_s))


def clean_plan(
    plan: EditPlan, transcript: Transcript, loudness: Loudness | None, settings: Settings
) -> EditPlan:
    """The plan with its clean-up cuts, captions re-timed to them, and fades at each cut."""
    fin = settings.finishing
    if not fin.clean:
        return plan
    words = transcript.words_in(plan.span)
    removed = find_removals(
        words, plan.span, loudness, fin.clean, fin.cleanup, transcript.language, plan.preset.fps
    )
    if not removed:
        return plan
    style = caption_style(settings)
    cleaned = replace(plan, removed=removed)
    shortened = TimeSpan(plan.span.start_s, plan.span.start_s + cleaned.output_duration_s)
    captions = build_caption_track(
        retime_words(words, plan.span, removed), shortened, plan.captions.style_name,
        style.min_words_per_line, style.max_words_per_line,
        break_pause_s=style.line_break_pause_s, max_chars=style.max_chars_per_line,
    )  # fmt: skip
    audio = replace(plan.audio, cut_fade_s=fin.cleanup.fade_ms / 1000)
    return replace(cleaned, captions=captions, audio=audio)

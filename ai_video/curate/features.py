"""Per-candidate features in 0..1, as one Polars table (one row per candidate).

Text features are Polars string expressions over the whole column; loudness and face
features are computed for all candidates at once from prefix sums. A feature that cannot be
measured is null (a row) or missing (a column), and the score is renormalised over the rest.

- ``hook``: signals in the opening sentence (question, number, "you", strong claim,
  superlative, imperative, short and punchy; filler openers subtract), weighted by
  ``cfg.hook_signal_weights`` and clipped to 0..1.
- ``completeness``: half for ending on terminal punctuation, half for not opening with a
  continuation ("and", "but", "so", "because"...).
- ``speech_density``: words per second over ``cfg.dense_speech_wps``, capped at 1.
- ``energy_dynamics``: std of the loudness of voiced hops in the span, mapped linearly from
  ``cfg.energy_flat_std_db`` (0) to ``cfg.energy_full_std_db`` (1); null with fewer than two
  voiced hops.
- ``face_presence``: fraction of analysed frames in the span that show a face.
- ``duration_fit``: 1 at the platform's target length, 0.5 at the farther end of the allowed
  range, 0 at twice that distance.
- ``prompt_similarity``: cosine similarity of the candidate's text to the prompt, in 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ai_video.config import CurateConfig
from ai_video.errors import ConfigError
from ai_video.types import Candidate, FaceTrack, FloatArray, SpeechActivity

FEATURE_NAMES: tuple[str, ...] = (
    "hook",
    "completeness",
    "speech_density",
    "energy_dynamics",
    "face_presence",
    "duration_fit",
    "prompt_similarity",
)
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "start_s",
    "end_s",
    "first_sentence",
    "last_sentence",
    "text",
    "hook_text",
)

_NUMBER = (
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|trillion|percent|half|double|twice)\b"
)
_YOU = r"\b(?:you|your|you're|yours|yourself)\b"
_CLAIM = (
    r"\b(?:never|always|secret|truth|mistake|wrong|everyone|everybody|nobody|nothing|"
    r"everything|actually|proven|guaranteed|must|shocking|surprising|important|crazy|insane|"
    r"huge|impossible|myth|lie|lies|problem|changed|change)\b"
)
_SUPERLATIVE = (
    r"\b(?:best|worst|most|least|biggest|smallest|greatest|largest|fastest|slowest|easiest|"
    r"hardest|simplest|strongest|cheapest|richest|highest|lowest|latest|first|only|top|ever)\b"
)
_IMPERATIVE = (
    r"^\W*(?:stop|imagine|look|listen|think|remember|try|forget|watch|consider|picture|meet|"
    r"learn|let's|don't|never|start|quit|ask|check|notice|avoid|join|here's)\b"
)
_FILLER = r"^\W*(?:u+m+|u+h+|e+r+|so|well|like|okay|ok|yeah|anyway|right|you know|i mean)\b"
_CONTINUATION = (
    r"^\W*(?:and|but|so|because|'cause|cause|or|nor|then|also|which|plus|anyway|though|"
    r"however|yet)\b"
)
_TERMINAL_END = r"(?:[.!?…])[\"')\]]*$"


def _hook_expression(cfg: CurateConfig) -> pl.Expr:
    """The hook feature of the ``hook_text`` column, clipped to 0..1."""
    opening = pl.col("hook_text").str.to_lowercase()
    signals: dict[str, pl.Expr] = {
        "question": opening.str.contains(r"\?"),
        "number": opening.str.contains(_NUMBER),
        "you": opening.str.contains(_YOU),
        "claim": opening.str.contains(_CLAIM),
        "superlative": opening.str.contains(_SUPERLATIVE),
        "imperative": opening.str.contains(_IMPERATIVE),
        "punchy": pl.col("hook_text").str.count_matches(r"\S+") <= cfg.punchy_max_words,
        "filler": opening.str.contains(_FILLER),
    }
    unknown = sorted(set(cfg.hook_signal_weights) - set(signals))
    if unknown:
        raise ConfigError(
            f"unknown hook signal(s) {', '.join(unknown)} in curate.hook_signal_weights "
            f"(known: {', '.join(signals)})"
        )
    weighted = [
        signals[name].cast(pl.Float64) * weight for name, weight in cfg.hook_signal_weights.items()
    ]
    if not weighted:
        return pl.lit(0.0, dtype=pl.Float64)
    return pl.sum_horizontal(weighted).clip(0.0, 1.0)


def _completeness_expression() -> pl.Expr:
    """Half for a terminal ending, half for not opening with a continuation word."""
    ends_whole = pl.col("text").str.contains(_TERMINAL_END)
    starts_whole = ~pl.col("text").str.to_lowercase().str.contains(_CONTINUATION)
    return 0.5 * ends_whole.cast(pl.Float64) + 0.5 * starts_whole.cast(pl.Float64)


def _duration_fit_expression(min_s: float, max_s: float, target_s: float) -> pl.Expr:
    """1 at the target, 0.5 at the farther end of ``[min_s, max_s]``, 0 at twice that."""
    target = min(max(target_s, min_s), max_s)
    tolerance_s = max(target - min_s, max_s - target, 1e-6)
    distance = (pl.col("duration_s") - target).abs() / tolerance_s
    return 1.0 - 0.5 * distance.clip(0.0, 2.0)


def _span_sums(
    times_s: FloatArray, values: FloatArray, starts: FloatArray, ends: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per span ``[start, end)``: the sum of ``values`` and the count of samples in it."""
    cumulative = np.concatenate(([0.0], np.cumsum(values)))
    lo = np.searchsorted(times_s, starts, side="left")
    hi = np.searchsorted(times_s, ends, side="left")
    return cumulative[hi] - cumulative[lo], (hi - lo).astype(np.float64)


def loudness_spread_db(speech: SpeechActivity, starts: FloatArray, ends: FloatArray) -> FloatArray:
    """Std (dB) of the loudness of voiced hops in each span; NaN with fewer than two."""
    times = speech.times_s()
    voiced = speech.voiced.astype(np.float64)
    level = np.where(speech.voiced, speech.loudness_db, 0.0)
    total, _ = _span_sums(times, level, starts, ends)
    total_sq, _ = _span_sums(times, level * level, starts, ends)
    count, _ = _span_sums(times, voiced, starts, ends)
    safe = np.maximum(count, 1.0)
    variance = np.maximum(total_sq / safe - (total / safe) ** 2, 0.0)
    return np.where(count >= 2, np.sqrt(variance), np.nan)


def face_presence(faces: FaceTrack, starts: FloatArray, ends: FloatArray) -> FloatArray:
    """Fraction of analysed frames in each span that show a face; NaN where none was analysed."""
    shown = (~np.isnan(faces.boxes[:, 0])).astype(np.float64)
    with_face, frames = _span_sums(faces.times_s, shown, starts, ends)
    return np.where(frames > 0, with_face / np.maximum(frames, 1.0), np.nan)


def _candidate_frame(candidates: Sequence[Candidate]) -> pl.DataFrame:
    """The candidates as table columns (``CANDIDATE_COLUMNS`` plus counts)."""
    frame = pl.DataFrame(
        {
            "start_s": [c.span.start_s for c in candidates],
            "end_s": [c.span.end_s for c in candidates],
            "first_sentence": [c.first_sentence for c in candidates],
            "last_sentence": [c.last_sentence for c in candidates],
            "text": [c.text for c in candidates],
            "hook_text": [c.hook_text for c in candidates],
        },
        schema={
            "start_s": pl.Float64,
            "end_s": pl.Float64,
            "first_sentence": pl.Int64,
            "last_sentence": pl.Int64,
            "text": pl.String,
            "hook_text": pl.String,
        },
    )
    return frame.with_columns(
        duration_s=pl.col("end_s") - pl.col("start_s"),
        word_count=pl.col("text").str.count_matches(r"\S+"),
    ).with_columns(words_per_s=pl.col("word_count") / pl.col("duration_s"))


def build_features(
    candidates: Sequence[Candidate],
    speech: SpeechActivity | None,
    faces: FaceTrack | None,
    clip_range_s: tuple[float, float, float],
    cfg: CurateConfig,
    prompt_similarity: FloatArray | None = None,
) -> pl.DataFrame:
    """The feature table: candidate columns, raw counts, and each available feature in 0..1.

    ``clip_range_s`` is ``(min_s, max_s, target_s)``. ``prompt_similarity`` (one value per
    candidate, 0..1) adds that feature; without it the column is absent.
    """
    min_s, max_s, target_s = clip_range_s
    table = _candidate_frame(candidates).with_columns(
        hook=_hook_expression(cfg),
        completeness=_completeness_expression(),
        speech_density=(pl.col("words_per_s") / cfg.dense_speech_wps).clip(0.0, 1.0),
        duration_fit=_duration_fit_expression(min_s, max_s, target_s),
    )
    starts = table["start_s"].to_numpy()
    ends = table["end_s"].to_numpy()
    measured: dict[str, FloatArray] = {}
    if speech is not None and len(speech.loudness_db) > 0:
        spread = loudness_spread_db(speech, starts, ends)
        span_db = max(cfg.energy_full_std_db - cfg.energy_flat_std_db, 1e-6)
        relative = (spread - cfg.energy_flat_std_db) / span_db
        measured["energy_dynamics"] = np.clip(relative, 0.0, 1.0)
    if faces is not None and len(faces.times_s) > 0:
        measured["face_presence"] = face_presence(faces, starts, ends)
    if prompt_similarity is not None:
        if len(prompt_similarity) != len(candidates):
            raise ValueError(
                f"prompt_similarity has {len(prompt_similarity)} values for "
                f"{len(candidates)} candidates"
            )
        measured["prompt_similarity"] = np.clip(prompt_similarity, 0.0, 1.0)
    columns = [
        pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
        for name, values in measured.items()
    ]
    table = table.with_columns(columns)
    present = [name for name in FEATURE_NAMES if name in table.columns]
    return table.select(*[c for c in table.columns if c not in present], *present)

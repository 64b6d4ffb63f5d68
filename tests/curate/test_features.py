"""Feature table: each feature's value on hand-built candidates, loudness and faces."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ai_video.config import CurateConfig
from ai_video.curate.features import FEATURE_NAMES, build_features
from ai_video.errors import ConfigError
from ai_video.types import Candidate, FaceTrack, SpeechActivity, TimeSpan

CFG = CurateConfig()
RANGE = (8.0, 15.0, 12.0)


def _cand(hook: str, rest: str = "", start_s: float = 0.0, duration_s: float = 12.0) -> Candidate:
    text = f"{hook} {rest}".strip()
    return Candidate(TimeSpan(start_s, start_s + duration_s), 0, 0, text, hook)


def _column(cands: list[Candidate], name: str, **kwargs: object) -> list[float | None]:
    table = build_features(cands, None, None, RANGE, CFG, **kwargs)  # type: ignore[arg-type]
    return table[name].to_list()


def test_hook_ranks_question_and_number_openers_above_filler() -> None:
    hooks = _column(
        [
            _cand("Why do 90% of startups fail?"),
            _cand("Um, so, yeah, we were kind of talking about the thing earlier on today."),
            _cand("Here's the biggest mistake you will ever make with money."),
            _cand("We were talking about the thing earlier on, in the meeting room today."),
        ],
        "hook",
    )
    # question 0.30 + number 0.20 + punchy 0.15 | filler -0.30 + 0 (13 words), clipped to 0 |
    # imperative "here's" 0.15 + superlative 0.20 + claim 0.20 + you 0.15 + punchy (10 words)
    # 0.15 | nothing in 13 plain words
    assert hooks == pytest.approx([0.65, 0.0, 0.85, 0.0])


def test_unknown_hook_signal_is_a_config_error() -> None:
    cfg = CurateConfig(hook_signal_weights={"question": 1.0, "emoji": 0.5})
    with pytest.raises(ConfigError, match="emoji"):
        build_features([_cand("Hi.")], None, None, RANGE, cfg)


def test_completeness_penalises_continuation_openers_and_missing_endings() -> None:
    values = _column(
        [
            _cand("This works.", "It really does!"),
            _cand("But it works.", "Really."),
            _cand("And then it broke", "down"),
            _cand("So what?", 'He said "fine."'),
        ],
        "completeness",
    )
    assert values == [1.0, 0.5, 0.0, 0.5]


def test_speech_density_and_duration_fit() -> None:
    cands = [
        _cand(" ".join(["word"] * 30), duration_s=10.0),
        _cand(" ".join(["word"] * 15), duration_s=10.0),
        _cand("short", duration_s=12.0),
        _cand("short", duration_s=8.0),
        _cand("short", duration_s=15.0),
    ]
    table = build_features(cands, None, None, RANGE, CFG)
    assert table["speech_density"].to_list()[:2] == pytest.approx([1.0, 0.5])
    # target 12, tolerance max(12-8, 15-12) = 4: 10 s -> 0.75, 8 s -> 0.5, 15 s -> 0.625
    assert table["duration_fit"].to_list() == pytest.approx([0.75, 0.75, 1.0, 0.5, 0.625])
    assert table["words_per_s"].to_list()[:2] == pytest.approx([3.0, 1.5])


def test_energy_dynamics_from_voiced_loudness_and_null_without_voice() -> None:
    hops = 300  # 30 s at 0.1 s
    loudness = np.full(hops, -90.0)
    voiced = np.zeros(hops, dtype=bool)
    loudness[0:100] = np.where(np.arange(100) % 2 == 0, -20.0, -30.0)  # std 5 dB
    loudness[100:200] = -20.0
    voiced[0:200] = True
    speech = SpeechActivity(0.1, loudness, voiced, (TimeSpan(0.0, 20.0),))
    cands = [
        _cand("a.", start_s=0.0, duration_s=10.0),
        _cand("b.", start_s=10.0, duration_s=10.0),
        _cand("c.", start_s=20.0, duration_s=10.0),
        _cand("d.", start_s=5.0, duration_s=10.0),
    ]
    table = build_features(cands, speech, None, RANGE, CFG)
    energy = table["energy_dynamics"].to_list()
    flat_db, full_db = CFG.energy_flat_std_db, CFG.energy_full_std_db
    assert energy[0] == pytest.approx((5.0 - flat_db) / (full_db - flat_db))
    assert energy[1] == 0.0
    assert energy[2] is None
    # half alternating, half flat: values -20 x75, -30 x25 -> std = 10 * sqrt(0.75 * 0.25)
    assert energy[3] == pytest.approx((10 * np.sqrt(0.1875) - flat_db) / (full_db - flat_db))


def test_face_presence_matches_facetrack_and_is_null_without_frames() -> None:
    times = np.arange(0.0, 20.0, 0.2)
    boxes = np.full((len(times), 4), np.nan)
    boxes[(times >= 3.0) & (times < 9.0)] = [10.0, 10.0, 50.0, 50.0]
    faces = FaceTrack(times, boxes, np.ones(len(times)), np.zeros(len(times), np.int32), "test")
    cands = [_cand("a.", start_s=s, duration_s=d) for s, d in [(0, 10), (2, 12), (6, 3), (25, 3)]]
    presence = build_features(cands, None, faces, RANGE, CFG)["face_presence"].to_list()
    for cand, value in zip(cands[:3], presence[:3], strict=True):
        assert value == pytest.approx(faces.presence(cand.span))
    assert presence[:3] == pytest.approx([0.6, 0.5, 1.0])
    assert presence[3] is None


def test_table_columns_and_prompt_similarity_only_when_given() -> None:
    cands = [_cand("a."), _cand("b.")]
    plain = build_features(cands, None, None, RANGE, CFG)
    assert "prompt_similarity" not in plain.columns
    assert plain.height == 2
    with_prompt = build_features(cands, None, None, RANGE, CFG, np.array([0.9, 1.2]))
    assert with_prompt["prompt_similarity"].to_list() == [0.9, 1.0]
    assert [c for c in with_prompt.columns if c in FEATURE_NAMES][-1] == "prompt_similarity"
    for name in ("hook", "completeness", "speech_density", "duration_fit"):
        values = with_prompt[name]
        assert values.dtype == pl.Float64
        assert np.all((values.to_numpy() >= 0.0) & (values.to_numpy() <= 1.0))
    with pytest.raises(ValueError):
        build_features(cands, None, None, RANGE, CFG, np.array([0.5]))
    empty = build_features([], None, None, RANGE, CFG)
    assert empty.height == 0 and "hook" in empty.columns

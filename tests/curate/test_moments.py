"""The moments step end to end on the constructed long talk, and on a video without speech."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ai_video.config import CurateConfig, MomentsConfig, Settings
from ai_video.curate.distinct import content_words, jaccard
from ai_video.curate.moments import find_moments
from ai_video.types import (
    FaceTrack,
    Moment,
    MomentsResult,
    Shot,
    SpeechActivity,
    TimeSpan,
    Transcript,
    VisualAnalysis,
)
from tests.curate.long_talk import JFK, LongTalk, long_talk

SETTINGS = Settings()
PRESET = SETTINGS.preset("tiktok")


def _run(
    talk: LongTalk, embedder: object = None, prompts: str | None = None, **moments: object
) -> MomentsResult:
    cfgs = (CurateConfig(max_clips=6), MomentsConfig(**moments))  # type: ignore[arg-type]
    return find_moments(
        talk.transcript,
        None,
        None,
        talk.duration_s,
        PRESET,
        (8.0, 15.0),
        cfgs,
        embedder,  # type: ignore[arg-type]
        speaker_changes_s=talk.speaker_changes_s,
        prompts=prompts,
    )


def fragment_starts(moments: tuple[Moment, ...], talk: LongTalk) -> int:
    """Clips whose first word is not the first word of a reference sentence."""
    truth = {round(t, 6) for t in talk.sentence_starts_s}
    words = talk.transcript.words
    bad = 0
    for m in moments:
        span = m.clip.candidate.span
        first = next(w for w in words if w.start_s >= span.start_s)
        bad += round(first.start_s, 6) not in truth
    return bad


def crossings(moments: tuple[Moment, ...], boundaries_s: tuple[float, ...]) -> int:
    """Clips that contain a true topic/voice boundary strictly inside them."""
    return sum(
        any(
            m.clip.candidate.span.start_s < b - 0.3 < m.clip.candidate.span.end_s
            for b in boundaries_s
        )
        for m in moments
    )


def near_duplicate_pairs(moments: tuple[Moment, ...], cfg: MomentsConfig) -> int:
    """Pairs of clips whose content words overlap at least ``cfg.duplicate_jaccard``."""
    words = [content_words(m.clip.candidate.text) for m in moments]
    return sum(jaccard(a, b) >= cfg.duplicate_jaccard for a, b in itertools.combinations(words, 2))


def _check_clips(result: MomentsResult, talk: LongTalk, boundaries_s: tuple[float, ...]) -> None:
    moments = result.moments
    assert moments
    assert fragment_starts(moments, talk) == 0
    assert crossings(moments, boundaries_s) == 0
    assert near_duplicate_pairs(moments, MomentsConfig()) == 0
    for a, b in itertools.combinations(moments, 2):
        assert not a.clip.candidate.span.overlaps(b.clip.candidate.span)
    for m in moments:
        assert 0 <= m.score_100 <= 100
        assert m.score_100 == pytest.approx(100 * m.clip.score.total, abs=0.06)
        names = [g.name for g in m.groups]
        assert {"hook", "coherence", "value"} <= set(names)
        hook = next(g for g in m.groups if g.name == "hook")
        assert m.clip.candidate.hook_text in hook.evidence
        assert m.copy.title and m.copy.description and m.copy.hashtags
        assert len(m.topics) == 1 and not m.spans_topics


def test_clips_open_on_sentences_stay_in_topics_and_are_distinct() -> None:
    talk = long_talk()
    result = _run(talk)
    # without the embedder (TF-IDF) the voice turns are boundaries, the text-only change not
    voice_turns = talk.topic_starts_s[:-1]
    _check_clips(result, talk, voice_turns)
    assert len(result.moments) == 6
    assert result.message is None
    assert len(result.topics) >= 5
    assert [t.index for t in result.topics] == list(range(len(result.topics)))


def test_repeated_passage_gives_one_clip_even_when_it_scores_best() -> None:
    talk = long_talk()
    texts = [m.clip.candidate.text for m in _run(talk).moments]
    repeated = [t for t in texts if "forty-two line Bible" in t]
    assert len(repeated) <= 1
    lax = _run(talk, duplicate_jaccard=1.01, duplicate_cosine=1.01)
    lax_texts = [m.clip.candidate.text for m in lax.moments]
    assert sum("forty-two line Bible" in t for t in lax_texts) == 2  # the check is what stops it


def test_spanning_clips_only_when_allowed_and_marked() -> None:
    talk = long_talk()
    spanning = _run(talk, allow_spanning=True, spanning_coherence=1.0, max_hashtags=5)
    marked = [m for m in spanning.moments if m.spans_topics]
    assert all(len(m.topics) == 2 for m in marked)
    strict = _run(talk)
    assert not any(m.spans_topics for m in strict.moments)


@pytest.mark.slow
def test_prompt_search_finds_the_target_for_the_literal_prompt_and_paraphrases(
    minilm: object,
) -> None:
    talk = long_talk()
    prompts = [
        "ask what you can do for your country",
        "serve your nation instead of asking what it gives you",
        "what citizens owe to their homeland",
    ]
    result = _run(talk, minilm, ";".join(prompts))
    assert result.message is None
    for prompt in prompts:
        mine = [m for m in result.moments if m.prompt == prompt]
        assert mine, prompt
        top = mine[0].clip.candidate
        assert top.span.start_s <= talk.target_span_s[0] and talk.target_span_s[1] <= top.span.end_s
        assert JFK in top.text
        relevance = next(g for g in mine[0].groups if g.name == "relevance")
        assert "country" in relevance.evidence
        # clips are distinct per prompt (two prompts may choose the same clip)
        _check_clips(MomentsResult(tuple(mine), result.topics), talk, talk.topic_starts_s)


@pytest.mark.slow
def test_with_the_embedder_no_clip_crosses_any_topic_boundary(minilm: object) -> None:
    talk = long_talk()
    result = _run(talk, minilm)
    _check_clips(result, talk, talk.topic_starts_s)
    assert len(result.moments) == 6


@pytest.mark.slow
def test_an_absent_topic_gives_no_clips_and_says_so(minilm: object) -> None:
    talk = long_talk()
    result = _run(talk, minilm, "quantum computing and semiconductor chips")
    assert result.moments == ()
    assert result.message is not None and "quantum computing" in result.message
    mixed = _run(talk, minilm, "fresh pasta; volcanic eruptions")
    assert {m.prompt for m in mixed.moments} == {"fresh pasta"}
    assert mixed.message is not None and "volcanic eruptions" in mixed.message


def _no_speech_video(
    duration_s: float, cuts_s: list[float]
) -> tuple[VisualAnalysis, SpeechActivity]:
    fps = 10.0
    frames = int(duration_s * fps)
    bounds = [0.0, *cuts_s, duration_s]
    shots = tuple(
        Shot(i, TimeSpan(a, b), int(a * fps), int(b * fps))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    )
    motion = np.full(frames, 2.0)
    motion[int(30 * fps) : int(42 * fps)] = 15.0  # the action is in shot 30-42 s
    faces = FaceTrack(
        np.zeros(0), np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int32), "none"
    )
    hops = int(duration_s / 0.1)
    loud = np.full(hops, -40.0)
    loud[300:420] = -18.0
    speech = SpeechActivity(0.1, loud, np.zeros(hops, dtype=bool), ())
    return VisualAnalysis(fps, frames, shots, faces, motion), speech


def test_a_video_without_speech_gets_clips_cut_on_shot_boundaries() -> None:
    cuts = [9.0, 18.5, 30.0, 42.0, 50.0]
    visual, speech = _no_speech_video(60.0, cuts)
    empty = Transcript("en", (), "none")
    result = find_moments(
        empty,
        speech,
        visual,
        60.0,
        PRESET,
        (8.0, 15.0),
        (CurateConfig(max_clips=3), MomentsConfig()),
        None,
    )
    assert result.moments
    bounds = {0.0, *cuts, 60.0}
    for m in result.moments:
        span = m.clip.candidate.span
        assert span.start_s in bounds and span.end_s in bounds
        assert 8.0 <= span.duration_s <= 15.0
        assert {g.name for g in m.groups} >= {"hook", "coherence", "visual", "delivery"}
        assert m.copy.title
    assert result.moments[0].clip.candidate.span == TimeSpan(30.0, 42.0)
    assert len(result.topics) == len(cuts) + 1


def test_results_survive_a_json_round_trip() -> None:
    import orjson

    from ai_video.curate.moments_json import result_from_json, result_to_json

    result = _run(long_talk())
    blob = orjson.dumps(result_to_json(result))
    back = result_from_json(orjson.loads(blob))
    assert [m.clip.candidate for m in back.moments] == [m.clip.candidate for m in result.moments]
    assert [m.copy for m in back.moments] == [m.copy for m in result.moments]
    assert [m.groups for m in back.moments] == [m.groups for m in result.moments]
    assert back.message == result.message
    assert [(t.index, t.keywords, t.evidence) for t in back.topics] == [
        (t.index, t.keywords, t.evidence) for t in result.topics
    ]


def test_sentences_longer_than_a_clip_are_cut_at_their_pauses_not_on_shots() -> None:
    from ai_video.curate.candidates import cut_is_in_gap
    from ai_video.types import Segment, Word

    # one 12 s sentence with breath pauses every four words; clips may be 2-4 s
    words, t = [], 0.0
    for i, token in enumerate([*("Today we talk about " * 6).split(), "cooking."]):
        words.append(Word(" " + token, t, t + 0.4, 0.9))
        t += 0.4 + (0.5 if i % 4 == 3 else 0.05)
    transcript = Transcript("en", (Segment("", 0.0, t, tuple(words)),), "test")
    visual, speech = _no_speech_video(t + 1.0, [])
    result = find_moments(
        transcript,
        speech,
        visual,
        t + 1.0,
        PRESET,
        (2.0, 4.0),
        (CurateConfig(max_clips=2), MomentsConfig()),
        None,
    )
    assert result.moments and result.message is None
    for m in result.moments:
        assert m.clip.candidate.text.strip()
        assert cut_is_in_gap(m.clip.candidate.span, words)
        assert 2.0 <= m.clip.candidate.span.duration_s <= 4.0

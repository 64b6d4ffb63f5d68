"""The whole curation step: sentences -> candidates -> features -> score -> selection."""

from __future__ import annotations

import pytest

from ai_video.config import CurateConfig, Settings
from ai_video.curate import curate
from ai_video.curate.candidates import cut_is_in_gap
from ai_video.errors import InputError
from ai_video.types import Transcript
from tests.curate.talk import talk

FOOTBALL = [
    "The striker scored again late in the game.",
    "The keeper dived left but missed the ball.",
    "Fans sang loudly as the final whistle blew.",
]
COOKING = [
    "Fresh pasta needs flour and eggs and salt.",
    "Knead the dough until it feels smooth again.",
    "Boil it briefly in a large salted pot.",
]
FINANCE = [
    "Index funds hold small pieces of many companies.",
    "Low fees matter a lot over long periods.",
    "Investors buy shares and hold them for decades.",
]
PRESET = Settings().preset("tiktok")


def _three_topics() -> Transcript:
    """Three 9.25 s blocks of three 8-word sentences; 0.5 s pauses inside, 10 s between.

    Runs that mix two blocks are longer than 15 s, so each block is exactly one candidate.
    """
    pauses = [0.5, 0.5, 10.0] * 3
    return talk(FOOTBALL + COOKING + FINANCE, pauses)


def _run(cfg: CurateConfig, embedder: object = None) -> list[str]:
    transcript = _three_topics()
    chosen = curate(transcript, None, None, 60.0, PRESET, 8.0, 15.0, cfg, embedder)  # type: ignore[arg-type]
    for item in chosen:
        assert cut_is_in_gap(item.candidate.span, transcript.words)
        assert 8.0 <= item.candidate.span.duration_s <= 15.0
        assert sum(item.score.contributions.values()) == pytest.approx(item.score.total)
    return [item.candidate.hook_text for item in chosen]


def test_without_prompt_equal_blocks_tie_and_keep_time_order() -> None:
    assert _run(CurateConfig()) == [FOOTBALL[0], COOKING[0], FINANCE[0]]
    assert _run(CurateConfig(max_clips=2)) == [FOOTBALL[0], COOKING[0]]


def test_prompt_without_embedder_is_an_input_error() -> None:
    with pytest.raises(InputError, match="embedder"):
        _run(CurateConfig(prompt="investing"))


@pytest.mark.slow
def test_prompt_similarity_ranks_the_on_topic_clip_first() -> None:
    from ai_video.analyze.embed import TextEmbedder

    embedder = TextEmbedder("bundled:all-MiniLM-L6-v2", device="cpu")
    cfg = CurateConfig(prompt="how to invest money for retirement")
    assert _run(cfg, embedder)[0] == FINANCE[0]
    cooking_first = CurateConfig(prompt="a recipe for homemade pasta")
    assert _run(cooking_first, embedder)[0] == COOKING[0]

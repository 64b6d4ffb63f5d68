"""Topic segmentation: depth scores, boundary evidence, and precision/recall on the long talk."""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.config import MomentsConfig
from ai_video.curate.sentence_units import sentence_units
from ai_video.curate.social_copy import keyphrases
from ai_video.curate.text_vectors import text_vectors
from ai_video.curate.topics import depth_scores, segment_topics
from ai_video.types import Sentence, Topic
from tests.curate.long_talk import LongTalk, long_talk
from tests.curate.talk import timed_words

CFG = MomentsConfig()


def _keywords(text: str, count: int) -> list[str]:
    return keyphrases(text, count)


def boundary_precision_recall(
    topics: list[Topic], truth_s: tuple[float, ...], tolerance_s: float = 0.5
) -> tuple[float, float]:
    """Precision and recall of topic starts against the true topic starts."""
    found = [t.span.start_s for t in topics[1:]]
    hits = sum(1 for f in found if any(abs(f - t) <= tolerance_s for t in truth_s))
    caught = sum(1 for t in truth_s if any(abs(f - t) <= tolerance_s for f in found))
    precision = hits / len(found) if found else 1.0
    return precision, caught / len(truth_s)


def test_depth_peaks_where_the_vectors_change() -> None:
    vectors = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 4)
    depth = depth_scores(vectors, 2)
    assert int(np.argmax(depth)) == 3  # the gap before sentence 4
    assert depth[3] > 1.5 and np.all(np.delete(depth, 3) < depth[3] / 2)
    assert depth_scores(vectors[:1], 2).shape == (0,)


def _sentences(count: int, pause_s: float) -> list[Sentence]:
    out, t = [], 0.0
    for i in range(count):
        words = tuple(timed_words("Same words here.", t))
        out.append(Sentence(i, words))
        t = words[-1].end_s + pause_s
    return out


def test_voice_turn_alone_is_not_a_boundary_but_with_a_long_pause_it_is() -> None:
    sentences = _sentences(6, 0.6)
    vectors = np.ones((6, 3)) / np.sqrt(3)
    turn_s = sentences[3].words[0].start_s - 0.3
    topics, _ = segment_topics(sentences, vectors, CFG, _keywords, speaker_changes_s=[turn_s])
    assert len(topics) == 1  # same text, short pause: a question and its answer stay together
    paused = _sentences(3, 0.6)
    late = [
        Sentence(
            3 + s.index,
            tuple(w.__class__(w.text, w.start_s + 20, w.end_s + 20, 0.9) for w in s.words),
        )
        for s in paused
    ]
    gap_mid = (paused[-1].words[-1].end_s + late[0].words[0].start_s) / 2
    topics, topic_of = segment_topics(
        paused + late, vectors, CFG, _keywords, speaker_changes_s=[gap_mid]
    )
    assert topic_of == [0, 0, 0, 1, 1, 1]
    assert topics[1].evidence == ("speaker", "pause")
    assert topics[0].keywords and topics[0].span.end_s < topics[1].span.start_s


def _segment(talk: LongTalk, embedder: object) -> list[Topic]:
    units = sentence_units(talk.transcript.words, CFG, 15.0)
    vectors = text_vectors([s.text for s in units.sentences], embedder)  # type: ignore[arg-type]
    topics, _ = segment_topics(
        units.sentences, vectors, CFG, _keywords, speaker_changes_s=talk.speaker_changes_s
    )
    return topics


def test_tfidf_topics_find_every_voice_turn_on_the_long_talk() -> None:
    talk = long_talk()
    topics = _segment(talk, None)
    precision, recall = boundary_precision_recall(topics, talk.topic_starts_s)
    assert precision == 1.0
    assert recall >= 0.8  # the four voice turns; the text-only change needs the embedder


@pytest.mark.slow
def test_minilm_topics_also_find_the_text_only_change(minilm: object) -> None:
    talk = long_talk()
    topics = _segment(talk, minilm)
    assert boundary_precision_recall(topics, talk.topic_starts_s) == (1.0, 1.0)
    assert topics[-1].evidence == ("text",)
    assert any("pasta" in k.lower() for k in topics[-1].keywords)

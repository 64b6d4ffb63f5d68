"""Moments as plain JSON values: for the stage cache, the manifest, the API and the web page.

Pure conversions (no I/O): :func:`result_to_json` gives dicts and lists of str, float, int,
bool and None; :func:`result_from_json` rebuilds the same records from them.
"""

from __future__ import annotations

from typing import Any

from ai_video.types import (
    Candidate,
    ClipScore,
    Moment,
    MomentsResult,
    ScoredCandidate,
    ScoreGroup,
    SocialCopy,
    TimeSpan,
    Topic,
)


def topic_to_json(topic: Topic) -> dict[str, Any]:
    """One row of the topic table."""
    return {
        "index": topic.index,
        "start_s": round(topic.span.start_s, 3),
        "end_s": round(topic.span.end_s, 3),
        "first_sentence": topic.first_sentence,
        "last_sentence": topic.last_sentence,
        "keywords": list(topic.keywords),
        "evidence": list(topic.evidence),
    }


def moment_to_json(moment: Moment) -> dict[str, Any]:
    """One clip: span, text, the 0-100 score with its groups, copy, topics and prompt."""
    c = moment.clip.candidate
    return {
        "start_s": c.span.start_s,
        "end_s": c.span.end_s,
        "first_sentence": c.first_sentence,
        "last_sentence": c.last_sentence,
        "text": c.text,
        "hook_text": c.hook_text,
        "score_100": moment.score_100,
        "total": moment.clip.score.total,
        "features": dict(moment.clip.score.features),
        "contributions": dict(moment.clip.score.contributions),
        "groups": [
            {"name": g.name, "score": g.score, "evidence": g.evidence} for g in moment.groups
        ],
        "title": moment.copy.title,
        "description": moment.copy.description,
        "hashtags": list(moment.copy.hashtags),
        "copy_by": moment.copy.made_by,
        "topics": list(moment.topics),
        "spans_topics": moment.spans_topics,
        "prompt": moment.prompt,
        "relevance": moment.relevance,
    }


def result_to_json(result: MomentsResult) -> dict[str, Any]:
    """The whole result: clips, topic table and message."""
    return {
        "moments": [moment_to_json(m) for m in result.moments],
        "topics": [topic_to_json(t) for t in result.topics],
        "message": result.message,
    }


def _moment_from_json(item: dict[str, Any]) -> Moment:
    candidate = Candidate(
        span=TimeSpan(item["start_s"], item["end_s"]),
        first_sentence=item["first_sentence"],
        last_sentence=item["last_sentence"],
        text=item["text"],
        hook_text=item["hook_text"],
    )
    score = ClipScore(item["total"], dict(item["features"]), dict(item["contributions"]))
    return Moment(
        clip=ScoredCandidate(candidate, score),
        score_100=item["score_100"],
        groups=tuple(ScoreGroup(g["name"], g["score"], g["evidence"]) for g in item["groups"]),
        copy=SocialCopy(
            item["title"],
            item["description"],
            tuple(item["hashtags"]),
            item.get("copy_by", "yake"),
        ),
        topics=tuple(item["topics"]),
        prompt=item["prompt"],
        relevance=item["relevance"],
    )


def result_from_json(data: dict[str, Any]) -> MomentsResult:
    """The :class:`MomentsResult` that :func:`result_to_json` described."""
    topics = tuple(
        Topic(
            index=t["index"],
            span=TimeSpan(t["start_s"], t["end_s"]),
            first_sentence=t["first_sentence"],
            last_sentence=t["last_sentence"],
            keywords=tuple(t["keywords"]),
            evidence=tuple(t["evidence"]),
        )
        for t in data["topics"]
    )
    moments = tuple(_moment_from_json(m) for m in data["moments"])
    return MomentsResult(moments, topics, data["message"])

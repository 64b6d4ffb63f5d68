"""B-roll cutaways of the clip job (``--broll DIR``, issue 14): one stage after curate.

The stage finds each selected clip's cutaway moments in the refined words and matches them
against the b-roll library's index (or online search); its key chains the words and the
moments, and adds the state of the library's index, so re-indexing a library (or changing
the b-roll settings) recomputes the matches and nothing upstream. The cutaways are then laid
on the clips' EditPlans (after clean-up, which moves clip time) as overlays that the one
render pass composites.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal, cast

import orjson
import xxhash

from ai_video.config import Settings
from ai_video.edit.cutaways import Cutaway, CutawayOpportunity, with_cutaways
from ai_video.pipeline.backend import Backend, JobScope
from ai_video.pipeline.source import SourceRef
from ai_video.pipeline.stage import Stage
from ai_video.pipeline.stages.audio import WORD_TIMING
from ai_video.pipeline.stages.clips import CURATE
from ai_video.types import BrollMatch, BrollSearcher, EditPlan, MomentsResult, TimeSpan, Transcript

log = logging.getLogger(__name__)


def open_searcher(settings: Settings) -> BrollSearcher:
    """The b-roll search of this job: online search (``--broll-search online``), else the
    library's index (built first when the library has none)."""
    from ai_video.analyze.broll_index import index_library
    from ai_video.analyze.broll_online import OnlineBrollSearch
    from ai_video.analyze.broll_search import open_broll_library
    from ai_video.analyze.broll_store import has_index

    if settings.cutaway.search == "online":
        return OnlineBrollSearch(settings)
    root = settings.cutaway.library
    assert root is not None, "library search needs a library (--broll DIR)"
    if not has_index(root, settings.broll.index_dir):
        log.info("b-roll library %s has no index yet: indexing it", root)
        index_library(root, settings)
    return open_broll_library(root, settings)


def cutaways_wanted(settings: Settings) -> bool:
    """Whether this job inserts cutaways: a library is given, or online search is chosen."""
    cfg = settings.cutaway
    return cfg.enabled is not False and (cfg.library is not None or cfg.search == "online")


def produce_cutaways(
    out: Path,
    src: SourceRef,
    settings: Settings,
    model: None,
    transcript: Transcript,
    moments: MomentsResult,
) -> None:
    """Per selected clip, its cutaways: moments worth showing footage for, matched assets."""
    from ai_video.edit.cutaways import choose_cutaways, find_opportunities

    cfg = settings.cutaway
    searcher = open_searcher(settings)
    clips = []
    try:
        for moment in moments.moments:
            span = moment.clip.candidate.span
            found = find_opportunities(transcript.words, span, cfg, transcript.language)
            clips.append([_to_json(c) for c in choose_cutaways(found, searcher, span, cfg)])
    finally:
        close = getattr(searcher, "close", None)
        if callable(close):
            close()  # the online search's connection pool
    (out / "cutaways.json").write_bytes(orjson.dumps({"clips": clips}))


def load_cutaways(entry: Path) -> list[list[Cutaway]]:
    """The cutaways written by :func:`produce_cutaways`, one list per selected clip."""
    data = orjson.loads((entry / "cutaways.json").read_bytes())
    return [[_from_json(item) for item in clip] for clip in data["clips"]]


def _to_json(cut: Cutaway) -> dict[str, Any]:
    opp, match = cut.opportunity, cut.match
    return {
        "query": opp.query, "span": [opp.span.start_s, opp.span.end_s], "reason": opp.reason,
        "weight": opp.weight, "path": str(match.path), "rel_path": match.rel_path,
        "score": match.score, "matched_by": match.matched_by, "kind": match.kind,
        "duration_s": match.duration_s, "width": match.width, "height": match.height,
    }  # fmt: skip


def _from_json(item: dict[str, Any]) -> Cutaway:
    opp = CutawayOpportunity(item["query"], TimeSpan(*item["span"]), item["reason"], item["weight"])
    match = BrollMatch(
        path=Path(item["path"]), rel_path=item["rel_path"], score=float(item["score"]),
        matched_by=cast(Literal["clip", "text"], item["matched_by"]),
        kind=cast(Literal["video", "image"], item["kind"]), duration_s=float(item["duration_s"]),
        width=int(item["width"]), height=int(item["height"]),
    )  # fmt: skip
    return Cutaway(opp, match)


def index_state(settings: Settings) -> str | None:
    """A digest of the library's index files (names and contents): the key's part that
    changes when re-indexing changed the index. None without a library."""
    root = settings.cutaway.library
    if root is None:
        return None
    folder = Path(root) / settings.broll.index_dir
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    digest = xxhash.xxh3_128()
    digest.update(str(Path(root).resolve()).encode())
    for path in files:
        digest.update(f"{path.relative_to(folder)}\0".encode())
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


BROLL = Stage[list[list[Cutaway]]](
    name="broll",
    version=1,
    produce=produce_cutaways,
    load=load_cutaways,
    reads=("cutaway", "broll"),
    key_extra=index_state,
    upstream=(WORD_TIMING, CURATE),
    reads_source=False,
)


def cutaway_plans(
    be: Backend, job: JobScope, words: Any, moments: Any, plans: list[EditPlan]
) -> list[EditPlan]:
    """The plans with their b-roll cutaways as overlays (unchanged without ``--broll``)."""
    cfg = job.settings.cutaway
    if not cutaways_wanted(job.settings) or not plans:
        return plans
    per_clip: list[list[Cutaway]] = be.get(be.submit(BROLL, job, words, moments))
    return [with_cutaways(p, cuts, cfg) for p, cuts in zip(plans, per_clip, strict=True)]

"""Clean-up cuts inside the one render graph: trim+concat of the kept pieces of a clip.

The picture is cut after crop and scale (the crop path stays in uncut clip time) and before
overlays and captions (both in output time); the sound is cut before loudness normalisation,
with a short fade out and in at every cut so no sample jumps. Video pieces are trimmed by
frame index of the constant-rate stream and audio pieces at the same instants, so picture
and sound stay together across every cut.
"""

from __future__ import annotations

from ai_video.types import EditPlan


def kept_frames(plan: EditPlan) -> list[tuple[int, int]]:
    """Kept pieces as ``[first, end)`` output-rate frame indices of the uncut clip."""
    fps, start = plan.preset.fps, plan.span.start_s
    return [
        (round((k.start_s - start) * fps), round((k.end_s - start) * fps))
        for k in plan.kept_spans()
    ]


def cut_video(head: str, plan: EditPlan) -> tuple[list[str], str]:
    """Chains that split ``head`` into kept pieces, and the concat head that continues it."""
    if not plan.removed:
        return [], head
    pieces = kept_frames(plan)
    n = len(pieces)
    chains = [head + ",split=" + str(n) + "".join(f"[cv{i}]" for i in range(n))]
    for i, (first, end) in enumerate(pieces):
        chains.append(f"[cv{i}]trim=start_frame={first}:end_frame={end},setpts=PTS-STARTPTS[kv{i}]")
    return chains, "".join(f"[kv{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0"


def cut_audio(head: str, plan: EditPlan) -> tuple[list[str], str]:
    """Chains that split ``head`` into kept pieces with fades, and the concat head after them."""
    if not plan.removed:
        return [], head
    pieces = kept_frames(plan)
    fps, fade = plan.preset.fps, plan.audio.cut_fade_s
    n = len(pieces)
    chains = [head + ",asplit=" + str(n) + "".join(f"[ca{i}]" for i in range(n))]
    for i, (first, end) in enumerate(pieces):
        start_s, end_s = first / fps, end / fps
        chain = f"[ca{i}]atrim=start={start_s:.6f}:end={end_s:.6f},asetpts=PTS-STARTPTS"
        if fade > 0 and i > 0:
            chain += f",afade=t=in:st=0:d={fade:.4f}"
        if fade > 0 and i < n - 1:
            chain += f",afade=t=out:st={max(0.0, end_s - start_s - fade):.6f}:d={fade:.4f}"
        chains.append(chain + f"[ka{i}]")
    return chains, "".join(f"[ka{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1"

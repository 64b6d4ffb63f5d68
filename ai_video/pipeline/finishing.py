"""Finishing steps of the clip job (issue 13): clean-up cuts on the plans before rendering.

The computation lives in ``edit/cleanup.py``; here the job's audio is read into the fine
loudness curve it needs (one plain backend call, next to the audio on Ray).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ai_video.config import Settings
from ai_video.edit.brand import plan_brand
from ai_video.edit.cleanup import Loudness, clean_plan
from ai_video.pipeline.backend import Backend
from ai_video.types import EditPlan, Transcript


def fine_loudness(wav: Path, hop_s: float) -> Loudness:
    """The RMS level of the job's analysis audio on a ``hop_s`` grid."""
    from ai_video.analyze.speech import rms_dbfs
    from ai_video.media.audio import read_wav

    samples, rate = read_wav(wav)
    hop = max(1, round(hop_s * rate))
    return Loudness(hop_s=hop / rate, db=rms_dbfs(samples, hop))


def cleaned_plans(
    be: Backend, wav: Any, transcript: Transcript, plans: list[EditPlan], settings: Settings
) -> list[EditPlan]:
    """The plans with fillers and long pauses cut out (unchanged without ``--clean``)."""
    if not settings.finishing.clean or not plans:
        return plans
    hop_s = settings.finishing.cleanup.loudness_hop_s
    loudness: Loudness = be.get(be.call(fine_loudness, wav, hop_s))
    return [clean_plan(p, transcript, loudness, settings) for p in plans]


def finish_plans(
    be: Backend, wav: Any, transcript: Transcript, plans: list[EditPlan], settings: Settings
) -> list[EditPlan]:
    """The plans with their clean-up cuts (``--clean``) and brand elements (``--brand``)."""
    return branded_plans(cleaned_plans(be, wav, transcript, plans, settings), settings)


def branded_plans(plans: list[EditPlan], settings: Settings) -> list[EditPlan]:
    """The plans with the brand kit's logo, bar, intro and outro (unchanged without one)."""
    from ai_video.media.images import image_rgb
    from ai_video.media.probe import probe

    kit = settings.finishing.brand
    if kit is None or not plans:
        return plans
    logo_size = None
    if kit.logo is not None:
        height, width = image_rgb(kit.logo).shape[:2]
        logo_size = (int(width), int(height))
    intro = probe(kit.intro, settings.media) if kit.intro is not None else None
    outro = probe(kit.outro, settings.media) if kit.outro is not None else None
    return [replace(p, brand=plan_brand(kit, p.preset, logo_size, intro, outro)) for p in plans]

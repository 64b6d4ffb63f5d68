"""Brand elements inside the one render graph: logo, progress bar, intro and outro.

The clip's own chains end in ``[v]`` and ``[a]``; with a brand they are relabelled and
continued: the logo (a looped still, scaled, at its opacity) and the progress bar (a bar of
colour sliding in from the left with time) go over the clip's picture, then the intro and the
outro, fitted to the output size and rate (silence where they have no sound), are joined
before and after it with one ``concat``. Captions, logo and bar cover the clip, not the
intro and outro.
"""

from __future__ import annotations

from ai_video.media.ffmpeg import local_input
from ai_video.types import BrandPlan, EditPlan

_VIDEO_OUT, _AUDIO_OUT = "[v]", "[a]"


def brand_inputs(plan: EditPlan) -> list[str]:
    """Input options for the brand's files, in the order :func:`brand_chains` numbers them."""
    brand = plan.brand
    if brand is None:
        return []
    args: list[str] = []
    if brand.logo is not None:
        args += ["-loop", "1", "-t", f"{plan.output_duration_s:.3f}", *local_input(brand.logo)]
    for clip in (brand.intro, brand.outro):
        if clip is not None:
            args += local_input(clip)
    return args


def brand_chains(plan: EditPlan, chains: list[str], first_input: int, rate: str) -> list[str]:
    """``chains`` (ending in ``[v]``/``[a]``) continued through the brand's elements."""
    brand = plan.brand
    if brand is None:
        return chains
    out = [_relabel(c) for c in chains]
    video, index = "[vclip]", first_input
    if brand.logo is not None:
        out.append(
            f"[{index}:v:0]scale={brand.logo_width_px}:-2,format=rgba,"
            f"colorchannelmixer=aa={brand.logo_opacity:.3f}[logo]"
        )
        x, y = brand.logo_xy
        out.append(f"{video}[logo]overlay=x={x}:y={y}:eof_action=pass[vlogo]")
        video, index = "[vlogo]", index + 1
    if brand.progress_bar_colour is not None and brand.progress_bar_height_px > 0:
        out += _progress_bar(plan, brand, video, rate)
        video = "[vbar]"
    has_audio = any(c.endswith(_AUDIO_OUT) for c in chains)
    pieces = []
    for clip, seconds, sound, name in (
        (brand.intro, brand.intro_s, brand.intro_has_audio, "intro"),
        (None, 0.0, False, "clip"),
        (brand.outro, brand.outro_s, brand.outro_has_audio, "outro"),
    ):
        if name == "clip":
            pieces.append((video, "[aclip]"))
            continue
        if clip is None:
            continue
        out += _fitted(plan, index, seconds, sound, name, rate, has_audio)
        pieces.append((f"[v{name}]", f"[a{name}]"))
        index += 1
    if len(pieces) == 1:
        out.append(f"{video}null{_VIDEO_OUT}")
        if has_audio:
            out.append(f"[aclip]anull{_AUDIO_OUT}")
        return out
    if not has_audio:
        labels = "".join(v for v, _ in pieces)
        return [*out, f"{labels}concat=n={len(pieces)}:v=1:a=0{_VIDEO_OUT}"]
    out.append("[aclip]aformat=sample_fmts=fltp:channel_layouts=stereo[aclipf]")
    labels = "".join(v + (a if a != "[aclip]" else "[aclipf]") for v, a in pieces)
    return [*out, f"{labels}concat=n={len(pieces)}:v=1:a=1{_VIDEO_OUT}{_AUDIO_OUT}"]


def _relabel(chain: str) -> str:
    """The clip's final ``[v]``/``[a]`` renamed so the brand chains can continue them."""
    if chain.endswith(_VIDEO_OUT):
        return chain[: -len(_VIDEO_OUT)] + "[vclip]"
    if chain.endswith(_AUDIO_OUT):
        return chain[: -len(_AUDIO_OUT)] + "[aclip]"
    return chain


def _progress_bar(plan: EditPlan, brand: BrandPlan, video: str, rate: str) -> list[str]:
    """A full-width bar of the brand colour sliding in from the left over the clip."""
    width, height = plan.preset.width_px, brand.progress_bar_height_px
    duration = max(plan.output_duration_s, 1e-3)
    colour = "0x" + str(brand.progress_bar_colour).lstrip("#")[:6]
    return [
        f"color=c={colour}:s={width}x{height}:r={rate}:d={duration:.3f}[bar]",
        f"{video}[bar]overlay=x='-w+w*t/{duration:.3f}':y=H-h:eval=frame:eof_action=pass[vbar]",
    ]


def _fitted(
    plan: EditPlan, index: int, seconds: float, sound: bool, name: str, rate: str, audio: bool
) -> list[str]:
    """An intro/outro input fitted to the output frame and rate, with sound or silence."""
    w, h = plan.preset.width_px, plan.preset.height_px
    chains = [
        f"[{index}:v:0]scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={rate},format=yuv420p,"
        f"trim=duration={seconds:.3f},setpts=PTS-STARTPTS[v{name}]"
    ]
    if not audio:
        return chains
    rate_hz = plan.audio.sample_rate_hz
    if sound:
        chains.append(
            f"[{index}:a:0]aformat=sample_fmts=fltp:channel_layouts=stereo,aresample={rate_hz},"
            f"atrim=duration={seconds:.3f},apad=whole_dur={seconds:.3f},asetpts=PTS-STARTPTS"
            f"[a{name}]"
        )
    else:
        chains.append(
            f"anullsrc=r={rate_hz}:cl=stereo:d={seconds:.3f},aformat=sample_fmts=fltp[a{name}]"
        )
    return chains

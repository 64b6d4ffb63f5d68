"""Node capabilities advertised to Ray as custom resources (``nvenc``, ``nvdec``, ``gpu``)."""

from __future__ import annotations

import logging
import shutil

from ai_video.config import MediaConfig, RenderConfig

log = logging.getLogger(__name__)


def detect_node_resources(
    render: RenderConfig | None = None, media: MediaConfig | None = None
) -> dict[str, float]:
    """Custom resources this node really has, each proven by a test (not by a listing).

    ``nvenc``: a one-frame h264_nvenc encode worked (H100/H200/A100 have no NVENC: their nodes
    advertise ``gpu``/``nvdec`` only and render on CPU). ``nvdec``: a CUDA hwaccel decode
    worked. ``gpu``: an NVIDIA GPU is visible.
    """
    from ai_video.media.encoders import check_capabilities, detect_encoder

    render = render or RenderConfig()
    media = media or MediaConfig()
    resources: dict[str, float] = {}
    if shutil.which("nvidia-smi") is not None:
        resources["gpu"] = 1.0
    if detect_encoder(render, media).hardware:
        resources["nvenc"] = float(render.nvenc_sessions)
    if any(c.name == "nvdec" and c.ok for c in check_capabilities(media)):
        resources["nvdec"] = 1.0
    log.info("node resources: %s", resources or "none (CPU only)")
    return resources

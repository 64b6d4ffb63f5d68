"""Shared fixtures: test media location, tiny generated clips, and the ERROR-log guard."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ai_video.config import Settings
from ai_video.pipeline.local_ray import LOCAL_RAY_ENV

ROOT = Path(__file__).resolve().parents[1]

# Ray reads these when first imported: every local Ray of the session stays on 127.0.0.1.
os.environ.update(LOCAL_RAY_ENV)


def media_root() -> Path:
    """Where the shared test media lives (env AI_VIDEO_TEST_MEDIA, default ../shared/media)."""
    return Path(os.environ.get("AI_VIDEO_TEST_MEDIA", ROOT.parent / "shared" / "media")).resolve()


@pytest.fixture(scope="session")
def media() -> Path:
    """The shared media folder; tests that need it are skipped with a reason when absent."""
    root = media_root()
    if not (root / "MANIFEST.tsv").is_file():
        pytest.skip(f"test media not found at {root} (set AI_VIDEO_TEST_MEDIA)")
    return root


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Default settings with the cache disabled (tests opt into it explicitly)."""
    return Settings().with_overrides({"cache.enabled": False})


@pytest.fixture(autouse=True)
def _fail_on_error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test that logs at ERROR level unless it marks the log as expected."""
    caplog.set_level(logging.WARNING)
    yield
    if os.environ.get("AI_VIDEO_ALLOW_ERROR_LOGS"):
        return
    errors = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR
        and not getattr(r, "expected", False)
        and r.name.startswith("ai_video")
    ]
    if errors:
        pytest.fail("unexpected ERROR log: " + "; ".join(r.getMessage() for r in errors))


def make_lavfi_clip(
    out: Path,
    duration_s: float = 3.0,
    size: str = "640x360",
    fps: int = 25,
    audio: bool = True,
    video: bool = True,
    extra_video_filter: str = "",
) -> Path:
    """Generate a small test clip with ffmpeg's lavfi sources (testsrc2 + sine)."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]
    if video:
        src = f"testsrc2=size={size}:rate={fps}:duration={duration_s}"
        if extra_video_filter:
            src += "," + extra_video_filter
        args += ["-f", "lavfi", "-i", src]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={duration_s}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "64k"]
    args += ["-shortest", str(out)]
    subprocess.run(args, check=True)
    return out


@pytest.fixture(scope="session")
def lavfi_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s 640x360 25 fps H.264+AAC test clip."""
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed (make install installs it)")
    return make_lavfi_clip(tmp_path_factory.mktemp("lavfi") / "clip.mp4")


@dataclass(frozen=True)
class RayTestCluster:
    """Two raylets on 127.0.0.1: the head (``head_node``) and a worker (``render_node``)."""

    address: str
    head_node_id: str
    worker_node_id: str


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayTestCluster]:
    """One Ray instance for the whole test session: a two-node cluster on loopback.

    The worker node alone advertises the ``render_node`` resource, so tests can see that
    tasks asking for it land only there.
    """
    os.environ.update(LOCAL_RAY_ENV)
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 2,
            "resources": {"head_node": 1},
            "object_store_memory": 300 * 1024**2,
            "include_dashboard": False,
        },
    )
    worker = cluster.add_node(
        num_cpus=2, resources={"render_node": 2}, object_store_memory=300 * 1024**2
    )
    ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False)
    try:
        yield RayTestCluster(
            address=cluster.address,
            head_node_id=str(cluster.head_node.node_id),
            worker_node_id=str(worker.node_id),
        )
    finally:
        ray.shutdown()
        cluster.shutdown()

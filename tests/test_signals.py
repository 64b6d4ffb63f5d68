"""``ai-video serve`` on a local Ray stops every process it started on SIGTERM and SIGINT.

The server runs as a subprocess with a marker in its environment; Ray's GCS, raylet,
dashboard, agents and workers inherit that environment, so after the signal the test looks
for any live process carrying the marker (zombies waiting to be reaped are dead and pass).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]
MARK = "AI_VIDEO_SIGNAL_TEST"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _marked(token: str) -> list[str]:
    """Live processes (not zombies) whose environment carries ``MARK=token``."""
    found = []
    needle = f"{MARK}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if "State:\tZ" in (entry / "status").read_text():
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name} {command.strip()}")  # whole: install paths can be long
        except OSError:
            continue
    return found


def _start(tmp_path: Path, token: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    ray_tmp = Path(f"/tmp/rs-{token[:8]}")  # Ray's socket paths must stay short
    ray_tmp.mkdir()
    env = os.environ | {
        MARK: token,
        "RAY_TMPDIR": str(ray_tmp),
        "AI_VIDEO_SERVE__DATA_DIR": str(tmp_path / "data"),
        "AI_VIDEO_RAY__NUM_CPUS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_video.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
        start_new_session=True,
    )
    return proc, port


def _up(port: int, timeout_s: float) -> bool:
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    return False


def _wait_gone(token: str, timeout_s: float) -> list[str]:
    ends = time.monotonic() + timeout_s
    while (left := _marked(token)) and time.monotonic() < ends:
        time.sleep(0.5)
    return left


def _cleanup(token: str) -> None:
    """Kill what a failed test left behind (only this test's marked processes)."""
    for line in _marked(token):
        os.kill(int(line.split()[0]), signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_leaves_no_ray_process_after_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    token = uuid.uuid4().hex
    proc, port = _start(tmp_path, token)
    try:
        assert _up(port, 120), (tmp_path / "serve.log").read_text()[-2000:]
        started = _marked(token)
        assert any("raylet" in p for p in started) and any("gcs_server" in p for p in started)
        proc.send_signal(sig)
        proc.wait(timeout=90)
        left = _wait_gone(token, 30)
        assert not left, f"left running after {sig.name}: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
        _cleanup(token)


def test_sigterm_while_ray_starts_leaves_nothing(tmp_path: Path) -> None:
    """The signal lands while ``ray.init`` is still starting the node's processes."""
    token = uuid.uuid4().hex
    proc, _ = _start(tmp_path, token)
    try:
        ends = time.monotonic() + 60
        while not any("raylet" in p for p in _marked(token)) and time.monotonic() < ends:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
        left = _wait_gone(token, 30)
        assert not left, f"left running: {left}"
        assert proc.returncode != 0
    finally:
        if proc.poll() is None:
            proc.kill()
        _cleanup(token)

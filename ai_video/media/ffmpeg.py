"""The one place that runs ffmpeg and ffprobe.

Every call is an argv list (never a shell string), starts with ``-nostdin -hide_banner``,
has a timeout, captures stderr, and raises :class:`FFmpegError` carrying the last
meaningful stderr lines on failure. Input files are passed as ``file:PATH`` so a name that
starts with ``-`` can never become an option, and local inputs are read with
``-protocol_whitelist file,pipe``.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ai_video.errors import FFmpegError, FFmpegTimeout

log = logging.getLogger(__name__)

LOCAL_PROTOCOLS = "file,pipe"
_NOISE_PREFIXES = ("frame=", "size=", "video:", "Press [q]", "  ")


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What a finished ffmpeg/ffprobe run produced."""

    stdout: bytes
    stderr: str


def local_input(path: Path) -> list[str]:
    """``-protocol_whitelist file,pipe -i file:PATH``: a local input that cannot be an option."""
    return ["-protocol_whitelist", LOCAL_PROTOCOLS, "-i", file_url(path)]


def file_url(path: Path) -> str:
    """``file:`` URL for a local path (absolute, so it never starts with ``-``)."""
    return "file:" + str(Path(path).absolute())


def stderr_tail(stderr: str, max_lines: int = 6) -> str:
    """The last meaningful lines of ffmpeg's stderr (progress lines dropped)."""
    lines = [
        ln.rstrip()
        for ln in stderr.replace("\r", "\n").splitlines()
        if ln.strip() and not ln.startswith(_NOISE_PREFIXES)
    ]
    return "\n".join(lines[-max_lines:])


def run_ffmpeg(
    binary: str,
    args: Sequence[str],
    timeout_s: float,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run ``binary -nostdin -hide_banner ARGS`` and return its output; raise on failure."""
    cmd = _command(binary, args, has_stdin=stdin is not None)
    log.debug("run: %s", shlex.join(cmd))
    try:
        proc = subprocess.run(
            cmd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"").decode("utf-8", "replace")
        tail = stderr_tail(err) + f"\ntimed out after {timeout_s:.0f} s"
        raise FFmpegTimeout(cmd, -9, tail) from None
    except FileNotFoundError:
        raise FFmpegError(cmd, 127, f"{binary} not found on PATH (install ffmpeg)") from None
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, stderr_tail(err))
    return ProcessResult(stdout=proc.stdout, stderr=err)


@contextmanager
def stream_ffmpeg(binary: str, args: Sequence[str], timeout_s: float) -> Iterator[IO[bytes]]:
    """Run ffmpeg writing to stdout and yield the pipe; raise on failure when the block exits.

    stderr goes to a temporary file so a chatty process can never block on a full pipe.
    Leaving the block early (an exception in the reader) kills the process.
    """
    import tempfile

    cmd = _command(binary, args, has_stdin=False)
    log.debug("stream: %s", shlex.join(cmd))
    with tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file
            )
        except FileNotFoundError:
            raise FFmpegError(cmd, 127, f"{binary} not found on PATH (install ffmpeg)") from None
        assert proc.stdout is not None
        completed = False
        try:
            yield proc.stdout
            completed = True
        finally:
            if not completed:
                proc.kill()
            proc.stdout.close()
            try:
                code = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                err_file.seek(0)
                tail = stderr_tail(err_file.read().decode("utf-8", "replace"))
                tail += f"\ntimed out after {timeout_s:.0f} s"
                raise FFmpegTimeout(cmd, -9, tail) from None
        if completed and code != 0:
            err_file.seek(0)
            raise FFmpegError(cmd, code, stderr_tail(err_file.read().decode("utf-8", "replace")))


def _command(binary: str, args: Sequence[str], has_stdin: bool) -> list[str]:
    head = [binary, "-hide_banner"]
    if not has_stdin and Path(binary).name.startswith("ffmpeg"):
        head.insert(1, "-nostdin")
    return [*head, *args]

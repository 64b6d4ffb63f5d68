"""The one place that runs ffmpeg and ffprobe.

Every call is an argv list (never a shell string), starts with ``-nostdin -hide_banner``,
has a timeout, captures stderr, and raises :class:`FFmpegError` carrying the last
meaningful stderr lines on failure. Input files are passed as ``file:PATH`` so a name that
starts with ``-`` can never become an option, and local inputs are read with
``-protocol_whitelist file,pipe``.
"""

from __future__ import annotations

import logging
import os
import select
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ai_video.errors import FFmpegError, FFmpegTimeout

log = logging.getLogger(__name__)

LOCAL_PROTOCOLS = "file,pipe"
_NOISE_PREFIXES = ("frame=", "size=", "video:", "Press [q]", "  ")
_READ_CHUNK = 1 << 20
_DEADLINE: ContextVar[float | None] = ContextVar("ffmpeg_job_deadline", default=None)
"""Monotonic time at which the current job's media processes must be gone (None: no limit)."""


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
    """Run ``binary -nostdin -hide_banner ARGS`` and return its output; raise on failure.

    The process runs in its own process group, killed whole at ``timeout_s`` or at the
    :func:`job_deadline` of the calling context, whichever comes first.
    """
    cmd = _command(binary, args, has_stdin=stdin is not None)
    log.debug("run: %s", shlex.join(cmd))
    limit_s = _time_left(timeout_s, cmd)
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise FFmpegError(cmd, 127, f"{binary} not found on PATH (install ffmpeg)") from None
    try:
        out, err_bytes = proc.communicate(input=stdin, timeout=limit_s)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        _, err_bytes = proc.communicate()
        tail = stderr_tail(err_bytes.decode("utf-8", "replace"))
        raise FFmpegTimeout(cmd, -9, tail + f"\ntimed out after {limit_s:.0f} s") from None
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise
    err = err_bytes.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, stderr_tail(err))
    return ProcessResult(stdout=out, stderr=err)


@contextmanager
def stream_ffmpeg(
    binary: str, args: Sequence[str], timeout_s: float, stall_timeout_s: float | None = None
) -> Iterator[TimedPipe]:
    """Run ffmpeg writing to stdout and yield the pipe; raise on failure when the block exits.

    stderr goes to a temporary file so a chatty process can never block on a full pipe.
    Every read waits at most ``stall_timeout_s`` for bytes and never past ``timeout_s`` or
    the :func:`job_deadline`; a stalled process is killed with its whole process group.
    Leaving the block early (an exception in the reader) kills the process.
    """
    import tempfile

    cmd = _command(binary, args, has_stdin=False)
    log.debug("stream: %s", shlex.join(cmd))
    ends_at = time.monotonic() + _time_left(timeout_s, cmd)
    with tempfile.TemporaryFile() as err_file:
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err_file,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise FFmpegError(cmd, 127, f"{binary} not found on PATH (install ffmpeg)") from None
        assert proc.stdout is not None
        completed = False
        try:
            yield TimedPipe(proc.stdout, cmd, stall_timeout_s or timeout_s, ends_at)
            completed = True
        finally:
            if not completed:
                kill_group(proc)
            proc.stdout.close()
            try:
                code = proc.wait(timeout=max(ends_at - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait()
                err_file.seek(0)
                tail = stderr_tail(err_file.read().decode("utf-8", "replace"))
                tail += f"\ntimed out after {timeout_s:.0f} s"
                raise FFmpegTimeout(cmd, -9, tail) from None
        if completed and code != 0:
            err_file.seek(0)
            raise FFmpegError(cmd, code, stderr_tail(err_file.read().decode("utf-8", "replace")))


class TimedPipe:
    """The read end of a process's stdout where no read waits longer than its limits."""

    def __init__(self, pipe: IO[bytes], cmd: list[str], stall_s: float, ends_at: float) -> None:
        """Wrap ``pipe``; reads give up after ``stall_s`` without bytes or at ``ends_at``."""
        self._fd = pipe.fileno()
        self._cmd = cmd
        self._stall_s = stall_s
        self._ends_at = ends_at

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end of the stream); raises on a stall."""
        chunks: list[bytes] = []
        remaining = size
        while remaining > 0:
            left_s = self._ends_at - time.monotonic()
            wait_s = min(self._stall_s, left_s)
            ready, _, _ = select.select([self._fd], [], [], max(wait_s, 0.0))
            if not ready:
                why = "stalled" if wait_s < left_s else "ran past its time limit"
                raise FFmpegTimeout(self._cmd, -9, f"{why}: no output for {wait_s:.1f} s")
            chunk = os.read(self._fd, min(remaining, _READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group ``proc`` leads (it was started with ``start_new_session``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


@contextmanager
def job_deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, no ffmpeg/ffprobe process started here outlives ``seconds`` from now
    (None: no deadline of its own; an enclosing one still holds)."""
    if seconds is None:
        yield
        return
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _time_left(timeout_s: float, cmd: list[str]) -> float:
    """``timeout_s``, shortened to what is left of the job's deadline; raises once it passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout_s
    left_s = deadline - time.monotonic()
    if left_s <= 0:
        raise FFmpegTimeout(cmd, -9, "the job ran past its deadline")
    return min(timeout_s, left_s)


def _command(binary: str, args: Sequence[str], has_stdin: bool) -> list[str]:
    head = [binary, "-hide_banner"]
    if not has_stdin and Path(binary).name.startswith("ffmpeg"):
        head.insert(1, "-nostdin")
    return [*head, *args]

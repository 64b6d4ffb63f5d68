"""Typed errors. Library code raises these; only cli.py and serve/ turn them into exit codes."""

from __future__ import annotations

from collections.abc import Sequence


class AiVideoError(Exception):
    """Base class of every error ai_video raises on purpose."""

    exit_code = 1


class InputError(AiVideoError):
    """The user's input is unusable (missing, unreadable, wrong kind of media, bad option)."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration value or file is invalid."""


class MediaError(AiVideoError):
    """A media operation failed for a reason other than bad input."""


class FFmpegError(MediaError):
    """An ffmpeg/ffprobe process failed; carries the command and the useful end of stderr."""

    def __init__(self, cmd: Sequence[str], returncode: int, stderr_tail: str) -> None:
        self.cmd = tuple(cmd)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        tool = self.cmd[0].rsplit("/", 1)[-1] if self.cmd else "ffmpeg"
        last = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else "no output"
        super().__init__(f"{tool} exited with {returncode}: {last}")


class FFmpegTimeout(FFmpegError):
    """An ffmpeg/ffprobe process ran past its time limit and was killed."""


class ModelUnavailable(AiVideoError):
    """A model is missing or failed its checksum; the message says what, where, how to fix."""

    exit_code = 2


class PlanError(AiVideoError):
    """An edit plan breaks the contract render/ relies on (an internal error, not bad input)."""


class StageError(AiVideoError):
    """A pipeline stage failed for one item; wraps the cause with the stage name."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        self.stage = stage
        self.cause = cause
        super().__init__(f"stage {stage!r} failed: {cause}")
        self.exit_code = getattr(cause, "exit_code", 1)

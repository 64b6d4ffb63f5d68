"""Speech recognition with word timings: faster-whisper, loaded once, called per audio track."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from ai_video.analyze.models import ModelRef, resolve_asr_model
from ai_video.config import ASR_SAMPLE_RATE_HZ, AsrConfig
from ai_video.errors import InputError, ModelUnavailable
from ai_video.types import NO_SPACE_LANGUAGES, Segment, Transcript, Word

log = logging.getLogger(__name__)

UNDETERMINED_LANGUAGE = "und"


class Transcriber:
    """faster-whisper loaded once; call it with 16 kHz mono float32 audio to get a Transcript."""

    def __init__(self, cfg: AsrConfig) -> None:
        """Resolve and verify the configured model, then load it on the chosen device."""
        import ctranslate2
        from faster_whisper import WhisperModel

        self._cfg = cfg
        self._model_ref = resolve_asr_model(cfg.model)
        self.device = _choose_device(cfg.device, ctranslate2.get_cuda_device_count())
        self.compute_type = cfg.gpu_compute_type if self.device == "cuda" else cfg.compute_type
        threads = cfg.cpu_threads or _usable_cores()
        load_from = str(self._model_ref.path) if self._model_ref.path else cfg.model
        log.info(
            "loading faster-whisper %s on %s (%s, %d threads)",
            self._model_ref.label,
            self.device,
            self.compute_type,
            threads,
        )
        try:
            self._model = WhisperModel(
                load_from, device=self.device, compute_type=self.compute_type, cpu_threads=threads
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelUnavailable(
                f"could not load faster-whisper model {cfg.model!r} from {load_from} on "
                f"{self.device} ({self.compute_type}): {exc}; a model name needs network access "
                "to download once, or set asr.model to 'tiny.en' (bundled) or a local "
                "CTranslate2 directory"
            ) from exc

    @property
    def model_ref(self) -> ModelRef:
        """The resolved model this transcriber runs."""
        return self._model_ref

    @property
    def whisper(self) -> Any:
        """The loaded ``faster_whisper.WhisperModel`` (language identification reuses it)."""
        return self._model

    @property
    def model_label(self) -> str:
        """``faster-whisper:NAME@VERSION``, recorded in every Transcript it makes."""
        return f"faster-whisper:{self._model_ref.label}"

    def __call__(
        self,
        audio: npt.NDArray[np.floating[Any]],
        language: str | None = None,
        initial_prompt: str | None = None,
    ) -> Transcript:
        """Transcribe mono 16 kHz audio; silence or empty audio gives an empty Transcript.

        ``language`` (an ISO 639-1 code) overrides the configured language for this call,
        so one multilingual model serves every language. ``initial_prompt`` (default: the
        config's) is text whisper continues from.
        """
        samples = _as_mono_float32(audio)
        language = language or self._cfg.language
        if samples.size == 0:
            return self._empty(language)
        segments, info = self._windowed(samples, language, initial_prompt)
        heard = info.language or language or UNDETERMINED_LANGUAGE
        converted = _convert_segments(
            (seg for seg in segments if not _is_hallucination(seg, self._cfg)),
            join_pieces=heard not in NO_SPACE_LANGUAGES,
        )
        return Transcript(
            language=heard,
            segments=converted,
            model=self.model_label,
            language_probability=None if language else info.language_probability,
        )

    def _windowed(
        self, samples: npt.NDArray[np.float32], language: str | None, initial_prompt: str | None
    ) -> tuple[Iterator[Any], Any]:
        """faster-whisper's segments for the whole audio, one window at a time (times in
        source seconds), and the first window's info; short audio is a single window."""
        bounds = window_bounds(
            samples, ASR_SAMPLE_RATE_HZ, self._cfg.window_s, self._cfg.window_cut_search_s
        )
        first, info = self._transcribe(
            samples[bounds[0][0] : bounds[0][1]], language, initial_prompt
        )
        language = language or info.language

        def segments() -> Iterator[Any]:
            yield from first
            for start, end in bounds[1:]:
                found, _ = self._transcribe(samples[start:end], language, initial_prompt)
                yield from (_shifted(seg, start / ASR_SAMPLE_RATE_HZ) for seg in found)

        return segments(), info

    def _transcribe(
        self, samples: npt.NDArray[np.float32], language: str | None, initial_prompt: str | None
    ) -> tuple[Iterable[Any], Any]:
        return self._model.transcribe(  # type: ignore[no-any-return]
            samples,
            language=language,
            beam_size=self._cfg.beam_size,
            word_timestamps=True,
            vad_filter=self._cfg.vad_filter,
            no_speech_threshold=self._cfg.no_speech_threshold,
            initial_prompt=initial_prompt or self._cfg.initial_prompt,
        )

    def _empty(self, language: str | None) -> Transcript:
        return Transcript(
            language=language or UNDETERMINED_LANGUAGE,
            segments=(),
            model=self.model_label,
        )


def _choose_device(requested: str, cuda_devices: int) -> str:
    """``cuda`` when asked for or when ``auto`` and CTranslate2 sees a GPU, else ``cpu``."""
    if requested == "auto":
        return "cuda" if cuda_devices > 0 else "cpu"
    if requested == "cuda" and cuda_devices == 0:
        raise ModelUnavailable(
            "asr.device is 'cuda' but CTranslate2 sees no CUDA device; set asr.device to "
            "'auto' or 'cpu'"
        )
    return requested


def window_bounds(
    samples: npt.NDArray[np.float32], rate_hz: int, window_s: float, search_s: float
) -> list[tuple[int, int]]:
    """``(start, end)`` sample ranges of about ``window_s`` covering ``samples``, each cut at
    the quietest 100 ms within ``search_s`` before the window's end (one range when short)."""
    window, search = int(window_s * rate_hz), max(int(search_s * rate_hz), 1)
    frame = max(rate_hz // 10, 1)
    bounds: list[tuple[int, int]] = []
    start = 0
    while samples.size - start > window > 0:
        lo = start + max(window - search, frame)
        n_frames = (start + window - lo) // frame
        if n_frames <= 0:
            bounds.append((start, start + window))
            start += window
            continue
        region = samples[lo : lo + n_frames * frame].reshape(n_frames, frame)
        quietest = int(np.argmin(np.einsum("ij,ij->i", region, region)))
        cut = lo + quietest * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, int(samples.size)))
    return bounds


def _shifted(seg: Any, offset_s: float) -> Any:
    """A faster-whisper segment (and its words) moved ``offset_s`` later."""
    words = [
        dataclasses.replace(w, start=w.start + offset_s, end=w.end + offset_s)
        for w in (seg.words or ())
    ]
    return dataclasses.replace(
        seg, start=seg.start + offset_s, end=seg.end + offset_s, words=words or seg.words
    )


def _usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _as_mono_float32(audio: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """The samples as a contiguous 1-D float32 array; anything else is refused."""
    if audio.ndim != 1:
        raise InputError(
            f"ASR needs mono audio as a 1-D array at {ASR_SAMPLE_RATE_HZ} Hz, "
            f"got shape {audio.shape}"
        )
    if not np.issubdtype(audio.dtype, np.floating):
        raise InputError(f"ASR needs float samples in [-1, 1], got dtype {audio.dtype}")
    return np.ascontiguousarray(audio, dtype=np.float32)


def _is_hallucination(seg: Any, cfg: AsrConfig) -> bool:
    """A segment the model rates as probably silence and whose words it barely believes."""
    if seg.no_speech_prob <= cfg.no_speech_threshold or not seg.words:
        return False
    mean_probability = sum(w.probability for w in seg.words) / len(seg.words)
    return bool(mean_probability < cfg.min_suspect_word_probability)


def _convert_segments(segments: Iterable[Any], join_pieces: bool = True) -> tuple[Segment, ...]:
    """faster-whisper segments as our records; words keep their attached punctuation.

    ``join_pieces`` False (languages without spaces) keeps every word piece as a word.
    """
    converted: list[Segment] = []
    for seg in segments:
        words = _joined_words(seg.words or (), join_pieces)
        text = seg.text.strip()
        if not text and not words:
            continue
        converted.append(
            Segment(text=text, start_s=float(seg.start), end_s=float(seg.end), words=words)
        )
    return tuple(converted)


def _joined_words(raw_words: Iterable[Any], join_pieces: bool = True) -> tuple[Word, ...]:
    """Words with leading space stripped; a piece without one ("-line") joins the word before.

    faster-whisper starts a new word at a punctuation token, so "42-line" arrives as " 42" and
    "-line"; joining them keeps captions and sentence text as the segment text spells them.
    """
    words: list[Word] = []
    for raw in raw_words:
        text = raw.word.strip()
        if not text:
            continue
        start_s, end_s = float(raw.start), max(float(raw.end), float(raw.start))
        if join_pieces and words and not raw.word[:1].isspace():
            prev = words[-1]
            words[-1] = Word(
                text=prev.text + text,
                start_s=prev.start_s,
                end_s=max(prev.end_s, end_s),
                probability=min(prev.probability, float(raw.probability)),
            )
            continue
        words.append(
            Word(text=text, start_s=start_s, end_s=end_s, probability=float(raw.probability))
        )
    return tuple(words)

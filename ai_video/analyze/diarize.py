"""Speaker diarization: who speaks when, by voice alone (voice turns with voice ids).

Speech regions come from the existing voice-activity detector (:mod:`ai_video.analyze.speech`).
Inside them, overlapping windows of ``voice_window_s`` are embedded by Resemblyzer's voice
encoder (a 3-layer LSTM over 40 mel bands; its weights ship inside the ``resemblyzer``
wheel, loaded here directly so resemblyzer's webrtcvad import is never needed). The window
embeddings are clustered by average-linkage agglomerative clustering on cosine distance,
cut at ``voice_threshold`` (so the number of voices is found, not given). Every voiced hop
then takes the voice whose centroid is closest to the mean embedding of the windows that
cover it, and runs of hops become turns.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ai_video.analyze.models import verify_sha256
from ai_video.config import SpeakerConfig
from ai_video.errors import ModelUnavailable
from ai_video.types import FloatArray, SpeechActivity

SAMPLE_RATE_HZ = 16000
_MEL_WINDOW_SAMPLES = 400  # 25 ms
_MEL_HOP_SAMPLES = 160  # 10 ms
_MEL_BANDS = 40
_MEL_BLOCK_FRAMES = 30_000  # 5 minutes of frames per block (issue 15: flat memory)
_HIDDEN = 256
_LAYERS = 3
_BATCH = 256
RESEMBLYZER_VERSION = "0.1.4"
RESEMBLYZER_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
VOICE_TURN_SCHEMA = {"start_s": pl.Float64, "end_s": pl.Float64, "voice_id": pl.Int64}


class VoiceEncoder:
    """Resemblyzer's speaker encoder (weights from the ``resemblyzer`` wheel), on the CPU."""

    def __init__(self, weights: Path | None = None) -> None:
        import torch
        from torch import nn

        path = weights if weights is not None else resemblyzer_weights()
        if weights is None:
            verify_sha256(
                path,
                RESEMBLYZER_SHA256,
                f"pip install --force-reinstall 'resemblyzer=={RESEMBLYZER_VERSION}'",
            )
        self._torch = torch
        self._lstm = nn.LSTM(_MEL_BANDS, _HIDDEN, _LAYERS, batch_first=True)
        self._linear = nn.Linear(_HIDDEN, _HIDDEN)
        state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
        self._lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self._linear.load_state_dict(
            {k[7:]: v for k, v in state.items() if k.startswith("linear.")}
        )
        self._lstm.eval()
        self._linear.eval()
        self.name = f"resemblyzer@{_version('resemblyzer')}"

    def embed_mels(self, mels: npt.NDArray[np.float32]) -> FloatArray:
        """L2-normalised 256-d embeddings of ``(windows, frames, 40)`` mel windows."""
        if len(mels) == 0:
            return np.zeros((0, _HIDDEN), dtype=np.float64)
        parts = []
        with self._torch.no_grad():
            for start in range(0, len(mels), _BATCH):
                chunk = self._torch.from_numpy(np.ascontiguousarray(mels[start : start + _BATCH]))
                _, (hidden, _) = self._lstm(chunk)
                parts.append(self._torch.relu(self._linear(hidden[-1])).numpy())
        raw = np.concatenate(parts).astype(np.float64)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return np.asarray(raw / np.maximum(norms, 1e-9), dtype=np.float64)


def resemblyzer_weights() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer package (not imported)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the resemblyzer package (voice encoder weights) is not installed; run "
            f"`pip install 'resemblyzer=={RESEMBLYZER_VERSION}'`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise ModelUnavailable(f"resemblyzer voice encoder weights missing at {path}")
    return path


def mel_frames(
    samples: npt.NDArray[np.float32], trailing_zeros: int = 0
) -> npt.NDArray[np.float32]:
    """Resemblyzer's input: power mel spectrogram (40 bands, 25 ms / 10 ms), ``(frames, 40)``,
    of ``samples`` followed by ``trailing_zeros`` zeros. Long audio is done in blocks of
    frames (the same frames; memory stays flat instead of a whole-track spectrogram)."""
    audio = np.asarray(samples, dtype=np.float32)
    length = len(audio) + trailing_zeros
    total = 1 + length // _MEL_HOP_SAMPLES
    if total <= _MEL_BLOCK_FRAMES:
        padded = np.concatenate([audio, np.zeros(trailing_zeros, np.float32)])
        return _mel(padded, center=True) if trailing_zeros else _mel(audio, center=True)
    half = _MEL_WINDOW_SAMPLES // 2  # center=True pads this many zeros on each side
    out = np.empty((total, _MEL_BANDS), np.float32)
    for first in range(0, total, _MEL_BLOCK_FRAMES):
        last = min(first + _MEL_BLOCK_FRAMES, total)
        lo, hi = first * _MEL_HOP_SAMPLES - half, (last - 1) * _MEL_HOP_SAMPLES + half
        piece = audio[max(lo, 0) : max(min(hi, len(audio)), 0)]
        before = max(0, -lo)
        piece = np.pad(piece, (before, hi - lo - before - len(piece)))
        out[first:last] = _mel(piece, center=False)
    return out


def _mel(y: npt.NDArray[np.float32], center: bool) -> npt.NDArray[np.float32]:
    import librosa

    mel = librosa.feature.melspectrogram(
        y=y,
        sr=SAMPLE_RATE_HZ,
        n_fft=_MEL_WINDOW_SAMPLES,
        hop_length=_MEL_HOP_SAMPLES,
        n_mels=_MEL_BANDS,
        center=center,
    )
    return np.ascontiguousarray(mel.astype(np.float32).T)


def diarize(
    samples: npt.NDArray[np.floating[Any]],
    activity: SpeechActivity,
    encoder: VoiceEncoder,
    cfg: SpeakerConfig,
) -> pl.DataFrame:
    """Voice turns ``(start_s, end_s, voice_id)`` over 16 kHz mono ``samples``.

    ``voice_id`` numbers voices 0.. by first appearance. Empty when nobody speaks.
    """
    audio = _normalised(np.asarray(samples, dtype=np.float32))
    starts = window_starts(activity, len(audio) / SAMPLE_RATE_HZ, cfg)
    if len(starts) == 0:
        return pl.DataFrame(schema=VOICE_TURN_SCHEMA)
    frames = round(cfg.voice_window_s * SAMPLE_RATE_HZ / _MEL_HOP_SAMPLES)
    mel = mel_frames(audio, trailing_zeros=frames * _MEL_HOP_SAMPLES)
    first = np.round(starts * SAMPLE_RATE_HZ / _MEL_HOP_SAMPLES).astype(np.int64)
    windows = np.stack([mel[f : f + frames] for f in first])
    embeddings = encoder.embed_mels(windows)
    labels = cluster_voices(embeddings, cfg)
    hop_voice = _hop_voices(activity, starts, cfg.voice_window_s, embeddings, labels)
    return _turns(hop_voice, activity.hop_s, cfg)


def window_starts(activity: SpeechActivity, duration_s: float, cfg: SpeakerConfig) -> FloatArray:
    """Start times of the embedded windows: every ``voice_hop_s`` through each speech span.

    A span shorter than a window gets one window centred on it.
    """
    out: list[float] = []
    width = cfg.voice_window_s
    for span in activity.speech_spans:
        if span.duration_s <= width:
            centre = (span.start_s + span.end_s) / 2
            out.append(min(max(0.0, centre - width / 2), max(0.0, duration_s - width)))
            continue
        t_s = span.start_s
        while t_s + width <= span.end_s + 1e-9:
            out.append(t_s)
            t_s += cfg.voice_hop_s
        if out[-1] + width < span.end_s - cfg.voice_hop_s / 2:
            out.append(span.end_s - width)
    return np.asarray(out, dtype=np.float64)


def cluster_voices(embeddings: FloatArray, cfg: SpeakerConfig) -> npt.NDArray[np.int64]:
    """Voice labels 0.. (by first appearance) for unit-norm window embeddings.

    Average-linkage agglomerative clustering on cosine distance; the number of voices is
    the cut of the tree (2..``max_voices``) with the best mean silhouette, or one voice
    when no cut reaches ``min_silhouette``. Clusters holding fewer than
    ``min_voice_share`` of the windows (windows straddling two voices) join the nearest
    large cluster, and clusters whose mean embeddings are at least ``same_voice_cosine``
    alike are one voice (one speaker's delivery varies; a single talker otherwise splits).
    """
    count = len(embeddings)
    if count < 3:
        return np.zeros(count, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(embeddings, method="average", metric="cosine")
    distance = np.clip(1.0 - embeddings @ embeddings.T, 0.0, 2.0)
    best = np.zeros(count, dtype=np.int64)
    best_score = cfg.min_silhouette
    for k in range(2, min(cfg.max_voices, count - 1) + 1):
        raw = np.asarray(fcluster(tree, t=k, criterion="maxclust"), dtype=np.int64) - 1
        raw = _absorb_small(embeddings, raw, cfg.min_voice_share)
        if raw.max() < 1:
            continue
        score = _silhouette(distance, raw)
        if score > best_score:
            best, best_score = raw, score
    best = _merge_same_voices(embeddings, best, cfg.same_voice_cosine)
    _, first = np.unique(best, return_index=True)
    order = {int(best[i]): rank for rank, i in enumerate(sorted(first))}
    return np.asarray([order[int(r)] for r in best], dtype=np.int64)


def _merge_same_voices(
    embeddings: FloatArray, labels: npt.NDArray[np.int64], min_cosine: float
) -> npt.NDArray[np.int64]:
    """Labels with the most alike pair of clusters merged while their centroids' cosine is at
    least ``min_cosine``."""
    out = labels.copy()
    while out.max() > 0:
        ids = np.unique(out)
        centroids = np.stack([embeddings[out == v].mean(axis=0) for v in ids])
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        alike = centroids @ centroids.T
        np.fill_diagonal(alike, -1.0)
        i, j = np.unravel_index(int(np.argmax(alike)), alike.shape)
        if alike[i, j] < min_cosine:
            break
        out[out == ids[j]] = ids[i]
    _, dense = np.unique(out, return_inverse=True)
    return np.asarray(dense, dtype=np.int64)


def _absorb_small(
    embeddings: FloatArray, labels: npt.NDArray[np.int64], min_share: float
) -> npt.NDArray[np.int64]:
    """Labels with clusters below ``min_share`` of the windows moved to the nearest big one."""
    ids, sizes = np.unique(labels, return_counts=True)
    big = ids[sizes >= max(2, min_share * len(labels))]
    if len(big) == 0:
        return np.zeros(len(labels), dtype=np.int64)
    centroids = np.stack([embeddings[labels == b].mean(axis=0) for b in big])
    out = labels.copy()
    small = ~np.isin(labels, big)
    if small.any():
        out[small] = big[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    _, dense = np.unique(out, return_inverse=True)
    return np.asarray(dense, dtype=np.int64)


def _silhouette(distance: FloatArray, labels: npt.NDArray[np.int64]) -> float:
    """Mean silhouette of a labelling from a precomputed distance matrix."""
    voices = int(labels.max()) + 1
    mean_to = np.stack([distance[:, labels == v].mean(axis=1) for v in range(voices)], axis=1)
    sizes = np.bincount(labels, minlength=voices).astype(np.float64)
    own = mean_to[np.arange(len(labels)), labels] * sizes[labels] / np.maximum(sizes[labels] - 1, 1)
    mean_to[np.arange(len(labels)), labels] = np.inf
    other = mean_to.min(axis=1)
    values = (other - own) / np.maximum(np.maximum(other, own), 1e-12)
    return float(np.mean(values))


def _hop_voices(
    activity: SpeechActivity,
    starts: FloatArray,
    width_s: float,
    embeddings: FloatArray,
    labels: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Voice of each voiced hop (-1 when unvoiced): nearest centroid to its covering windows."""
    voices = int(labels.max()) + 1
    centroids = np.stack([embeddings[labels == v].mean(axis=0) for v in range(voices)])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    similarity = embeddings @ centroids.T
    centres = (np.arange(len(activity.voiced)) + 0.5) * activity.hop_s
    out = np.full(len(centres), -1, dtype=np.int64)
    ends = starts + width_s
    for hop in np.flatnonzero(activity.voiced):
        t_s = centres[hop]
        covering = (starts <= t_s) & (ends > t_s)
        if not covering.any():
            nearest = int(np.argmin(np.abs(starts + width_s / 2 - t_s)))
            covering = np.zeros(len(starts), dtype=np.bool_)
            covering[nearest] = True
        out[hop] = int(np.argmax(similarity[covering].mean(axis=0)))
    return out


def _turns(hop_voice: npt.NDArray[np.int64], hop_s: float, cfg: SpeakerConfig) -> pl.DataFrame:
    """Runs of one voice, short pauses bridged, turns below ``min_voice_turn_s`` absorbed."""
    runs: list[list[float]] = []
    for i, voice in enumerate(hop_voice):
        if voice < 0:
            continue
        start, end = i * hop_s, (i + 1) * hop_s
        if runs and runs[-1][2] == voice and start - runs[-1][1] <= cfg.turn_join_gap_s + 1e-9:
            runs[-1][1] = end
        else:
            runs.append([start, end, float(voice)])
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for k, run in enumerate(runs):
            if run[1] - run[0] >= cfg.min_voice_turn_s:
                continue
            prev = runs[k - 1] if k > 0 else None
            nxt = runs[k + 1] if k + 1 < len(runs) else None
            target = (
                prev
                if prev is not None and (nxt is None or (run[0] - prev[1]) <= (nxt[0] - run[1]))
                else nxt
            )
            assert target is not None
            target[0], target[1] = min(target[0], run[0]), max(target[1], run[1])
            del runs[k]
            changed = True
            break
        merged: list[list[float]] = []
        for run in runs:
            if merged and merged[-1][2] == run[2] and run[0] - merged[-1][1] <= cfg.turn_join_gap_s:
                merged[-1][1] = max(merged[-1][1], run[1])
            else:
                merged.append(run)
        runs = merged
    return pl.DataFrame(
        {
            "start_s": [round(r[0], 3) for r in runs],
            "end_s": [round(r[1], 3) for r in runs],
            "voice_id": [int(r[2]) for r in runs],
        },
        schema=VOICE_TURN_SCHEMA,
    )


def diarization_error_rate(
    reference: list[tuple[float, float, int]],
    hypothesis: pl.DataFrame,
    step_s: float = 0.01,
) -> float:
    """DER on a ``step_s`` grid: (missed + false alarm + confusion) / reference speech time.

    Hypothesis voice ids are mapped to reference speakers by the assignment that maximises
    the overlap (Hungarian). No forgiveness collar.
    """
    from scipy.optimize import linear_sum_assignment

    end = max([r[1] for r in reference] + hypothesis["end_s"].to_list() + [0.0])
    grid = np.arange(0.0, end, step_s) + step_s / 2
    ref = np.full(len(grid), -1, dtype=np.int64)
    for start, stop, who in reference:
        ref[(grid >= start) & (grid < stop)] = who
    hyp = np.full(len(grid), -1, dtype=np.int64)
    for row in hypothesis.iter_rows(named=True):
        hyp[(grid >= row["start_s"]) & (grid < row["end_s"])] = row["voice_id"]
    n_ref, n_hyp = int(ref.max()) + 1, int(hyp.max()) + 1
    overlap = np.zeros((max(n_ref, 1), max(n_hyp, 1)))
    both = (ref >= 0) & (hyp >= 0)
    np.add.at(overlap, (ref[both], hyp[both]), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = dict(zip(cols.tolist(), rows.tolist(), strict=True))
    mapped = np.asarray([mapping.get(int(h), -2) if h >= 0 else -1 for h in hyp])
    speech = ref >= 0
    missed = np.sum(speech & (hyp < 0))
    false_alarm = np.sum(~speech & (hyp >= 0))
    confusion = np.sum(speech & (hyp >= 0) & (mapped != ref))
    return float((missed + false_alarm + confusion) / max(int(speech.sum()), 1))


def _normalised(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Scaled to -30 dBFS RMS like Resemblyzer's preprocessing (only ever louder)."""
    block = _MEL_BLOCK_FRAMES * _MEL_HOP_SAMPLES  # long audio: no float64 copy of it all
    if len(audio) <= block:
        rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    else:
        squares = sum(
            float(np.square(audio[i : i + block], dtype=np.float64).sum())
            for i in range(0, len(audio), block)
        )
        rms = float(np.sqrt(squares / len(audio)))
    if rms <= 0:
        return audio
    gain = 10 ** (-30 / 20) / rms
    return audio * np.float32(max(gain, 1.0)) if gain > 1.0 else audio


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"

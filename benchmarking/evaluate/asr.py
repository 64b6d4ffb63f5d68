"""ASR accuracy: word and character error rate after the usual text normalisation (jiwer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jiwer

_NOT_WORD = re.compile(r"[^\w\s']+")


def normalize(text: str) -> str:
    """Lower case, punctuation and hyphens to spaces, whitespace collapsed."""
    cleaned = _NOT_WORD.sub(" ", text.lower().replace("-", " "))
    return " ".join(cleaned.replace("'", "").split())


@dataclass(frozen=True)
class AsrScore:
    """Error rates of one hypothesis against its reference (0 = perfect; may exceed 1)."""

    wer: float
    cer: float
    reference_words: int


def asr_score(reference: str, hypothesis: str) -> AsrScore:
    """WER and CER of ``hypothesis`` against ``reference``, both normalised first."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        raise ValueError("empty reference text")
    return AsrScore(
        wer=float(jiwer.wer(ref, hyp)),
        cer=float(jiwer.cer(ref, hyp)),
        reference_words=len(ref.split()),
    )


def corpus_score(pairs: list[tuple[str, str]]) -> AsrScore:
    """Pooled WER/CER over many (reference, hypothesis) pairs (errors / reference length)."""
    refs = [normalize(r) for r, _ in pairs]
    hyps = [normalize(h) for _, h in pairs]
    return AsrScore(
        wer=float(jiwer.wer(refs, hyps)),
        cer=float(jiwer.cer(refs, hyps)),
        reference_words=sum(len(r.split()) for r in refs),
    )

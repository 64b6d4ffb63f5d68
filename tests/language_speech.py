"""Speech with known text in many languages, synthesised with espeak-ng, and error rates.

The texts say the same two sentences in each language. espeak-ng's voices are robotic; whisper
base recognises some of them well (en, de, es, it, pl, tr, ja) and French less so; its
Portuguese, Dutch, Russian, Mandarin and Arabic voices are not recognised reliably (measured:
identified as Latin, Welsh, Polish, English, English), so those are not asserted on.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from ai_video.media.espeak import synthesize_espeak

ASR_RATE_HZ = 16000
WORDS_PER_MINUTE = 150

# language -> (espeak-ng voice, text)
TEXTS: dict[str, tuple[str, str]] = {
    "en": ("en-us", "Today I want to talk about cooking at home. Good food does not need to be "
           "expensive or complicated."),
    "de": ("de", "Heute möchte ich über das Kochen zu Hause sprechen. Gutes Essen muss nicht "
           "teuer oder kompliziert sein."),
    "fr": ("fr-fr", "Aujourd'hui, je veux parler de la cuisine à la maison. Un bon repas n'a pas "
           "besoin d'être cher ou compliqué."),
    "es": ("es", "Hoy quiero hablar de cocinar en casa. La buena comida no tiene que ser cara ni "
           "complicada."),
    "it": ("it", "Oggi voglio parlare di cucinare a casa. Il buon cibo non deve essere costoso o "
           "complicato."),
    "pl": ("pl", "Dzisiaj chcę mówić o gotowaniu w domu. Dobre jedzenie nie musi być drogie ani "
           "skomplikowane."),
    "tr": ("tr", "Bugün evde yemek yapmak hakkında konuşmak istiyorum. İyi yemek pahalı ya da "
           "karmaşık olmak zorunda değil."),
    "ja": ("ja", "きょうは いえで りょうりを する ことに ついて はなします。おいしい たべものは "
           "たかくなくても いいです。"),
}  # fmt: skip


@cache
def speech(language: str) -> npt.NDArray[np.float32]:
    """The language's text spoken by espeak-ng, as 16 kHz mono float32."""
    voice, text = TEXTS[language]
    samples, rate = synthesize_espeak(text, voice, WORDS_PER_MINUTE, "espeak-ng", 60.0)
    resampled = resample_poly(samples, ASR_RATE_HZ, rate).astype(np.float32)
    resampled.setflags(write=False)
    return resampled


def tokens(text: str) -> list[str]:
    """Lower-case words with punctuation removed (any script)."""
    kept = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text.lower())
    return kept.split()


def edit_distance(reference: list[str] | str, hypothesis: list[str] | str) -> int:
    """Levenshtein distance between two token sequences (or two strings, by character)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference``."""
    ref = tokens(reference)
    return edit_distance(ref, tokens(hypothesis)) / len(ref)


def hiragana(text: str) -> str:
    """Japanese text read out in hiragana (kanji by their dictionary reading, via pykakasi).

    espeak-ng's Japanese voice reads kana only, while whisper writes kanji: comparing
    readings measures what was heard, not the writing system chosen.
    """
    import pykakasi

    return "".join(part["hira"] for part in pykakasi.kakasi().convert(text))


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, spaces and punctuation ignored."""
    ref = "".join(tokens(reference))
    return edit_distance(ref, "".join(tokens(hypothesis))) / len(ref)

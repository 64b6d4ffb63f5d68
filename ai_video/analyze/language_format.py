"""Language identification results as JSON: for the stage cache and the manifest."""

from __future__ import annotations

from typing import Any

import orjson

from ai_video.errors import InputError
from ai_video.types import LanguageId, TimeSpan, WindowLanguage


def language_id_to_dict(result: LanguageId) -> dict[str, Any]:
    """The result as plain data (the manifest's ``language`` field)."""
    return {
        "language": result.language,
        "probability": round(result.probability, 4),
        "model": result.model,
        "switches": list(result.switches),
        "wall_s": round(result.wall_s, 3),
        "windows": [
            {
                "start": round(w.span.start_s, 3),
                "end": round(w.span.end_s, 3),
                "speech_s": round(w.speech_s, 3),
                "language": w.language,
                "probability": round(w.probability, 4),
            }
            for w in result.windows
        ],
    }


def language_id_to_json(result: LanguageId) -> bytes:
    """The result as JSON bytes."""
    return orjson.dumps(language_id_to_dict(result))


def language_id_from_json(data: bytes) -> LanguageId:
    """Read what :func:`language_id_to_json` wrote; malformed input raises InputError."""
    try:
        doc = orjson.loads(data)
        return LanguageId(
            language=str(doc["language"]),
            probability=float(doc["probability"]),
            windows=tuple(
                WindowLanguage(
                    span=TimeSpan(float(w["start"]), float(w["end"])),
                    speech_s=float(w["speech_s"]),
                    language=str(w["language"]),
                    probability=float(w["probability"]),
                )
                for w in doc["windows"]
            ),
            switches=tuple(str(s) for s in doc["switches"]),
            model=str(doc["model"]),
            wall_s=float(doc["wall_s"]),
        )
    except orjson.JSONDecodeError as exc:
        raise InputError(f"language JSON is not valid JSON: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"language JSON has a missing or malformed field: {exc!r}") from None


def given_language(code: str) -> LanguageId:
    """The record for a language the user gave (nothing was identified)."""
    return LanguageId(code, 1.0, (), (), "given", 0.0)

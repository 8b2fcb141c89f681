"""Language identification with lingua, restricted to the languages the helpdesk serves.

Restricting the candidate set is what makes short questions reliable: an unrestricted detector confuses
Bulgarian with Macedonian, Dutch with Afrikaans and Romanian with Italian, none of which we serve.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from common.settings import SERVED_LANGUAGES

# Below this many words the detector is guessing; the caller's hint wins when there is one.
SHORT_TEXT_WORDS = 2
_lock = threading.Lock()


def _lingua_language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None  # lingua has no model for it (Maltese)


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]):
    known = [lang for lang in (_lingua_language(c) for c in languages) if lang is not None]
    return LanguageDetectorBuilder.from_languages(*known).with_minimum_relative_distance(0.0).build()


def detect_language(
    text: str,
    hint: str | None = None,
    languages: tuple[str, ...] = SERVED_LANGUAGES,
    default: str = "en",
) -> str:
    """ISO 639-1 code of `text`; `hint` (the caller's language) decides for one- or two-word texts."""
    words = text.split()
    if hint and len(words) <= SHORT_TEXT_WORDS:
        return hint
    if not words:
        return hint or default
    with _lock:  # lingua's detector is shared; keep model loading single-threaded
        found = _detector(tuple(languages)).detect_language_of(text)
    if found is None:
        return hint or default
    return found.iso_code_639_1.name.lower()


def detect_document_language(text: str, languages: tuple[str, ...] = SERVED_LANGUAGES, default: str = "en") -> str:
    """Language of a long text, judged on an evenly spread sample (whole regulations are slow to classify)."""
    sample = text if len(text) <= 6000 else "\n".join(
        text[i : i + 1500] for i in range(0, len(text), max(len(text) // 4, 1500))
    )[:6000]
    return detect_language(sample, None, languages, default)

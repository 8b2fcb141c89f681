"""Language identification with lingua, restricted to the languages the helpdesk serves.

Restricting the candidate set is what makes short questions reliable: an unrestricted detector confuses
Bulgarian with Macedonian, Dutch with Afrikaans and Romanian with Italian, none of which we serve. The restricted
detector cannot say "none of these", so a text written mostly in a script no served language uses (Japanese,
Chinese, Arabic, ...) is named by `unserved_language` instead of being taken for English.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

from babel import Locale

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


# Scripts of the served languages (Latin, Cyrillic, Greek; Irish and Maltese are Latin too).
_SERVED_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# Languages a text in another script is told apart among, for the notice (lingua names).
_OTHER_SCRIPT_LANGUAGES = ("JAPANESE", "CHINESE", "KOREAN", "ARABIC", "PERSIAN", "URDU", "HEBREW", "HINDI",
                           "MARATHI", "BENGALI", "PUNJABI", "GUJARATI", "TAMIL", "TELUGU", "THAI", "GEORGIAN",
                           "ARMENIAN")


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ")[0]


def unserved_language(text: str) -> str | None:
    """ISO 639-1 code (or 'und') of a text written mostly in a script that no served language uses; else None."""
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(_script(c) in _SERVED_SCRIPTS for c in letters) * 2 > len(letters):
        return None
    with _lock:
        found = _other_script_detector().detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found is not None else "und"


@lru_cache(maxsize=1)
def _other_script_detector():
    return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in _OTHER_SCRIPT_LANGUAGES)).build()


def english_name(code: str) -> str:
    return Locale("en").languages.get(code, code)


def unserved_notice(code: str, languages: tuple[str, ...] = SERVED_LANGUAGES) -> str:
    """One line in English: the language is not served, and which ones are."""
    named = "This language is" if code == "und" else f"{english_name(code)} is"
    served = ", ".join(sorted(english_name(c) for c in languages))
    return f"{named} not one of the languages this helpdesk serves; please ask in one of: {served} (or choose one as the answer language)."

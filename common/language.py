"""Language identification with lingua, restricted to the languages the helpdesk serves.

Restricting the candidate set is what makes short questions reliable: an unrestricted detector confuses
Bulgarian with Macedonian, Dutch with Afrikaans and Romanian with Italian, none of which we serve. The restricted
detector cannot say "none of these", so `unserved_language` names a text written mostly in a script no served
language uses (Japanese, Chinese, Arabic, ...), or clearly in an unserved language of a served script (Turkish,
Ukrainian, Catalan, ...), instead of it being taken for the nearest served language.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

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


# An answer is taken to be in another language than the expected one only when it has this many words and lingua
# gives the expected language less than this confidence: close languages (Bulgarian and Russian, Czech and Slovak)
# share words, and a right answer wrongly refused costs more than a rare wrong-language one let through.
OTHER_LANGUAGE_MIN_WORDS = 4
OTHER_LANGUAGE_MAX_CONFIDENCE = 0.1


def other_language(text: str, expected: str, languages: tuple[str, ...] = SERVED_LANGUAGES) -> str | None:
    """The language `text` is clearly written in when that is not `expected`; None when it is `expected`, when it
    is too short to tell, or when lingua cannot tell."""
    if len(text.split()) < OTHER_LANGUAGE_MIN_WORDS or _lingua_language(expected) is None:
        return None
    with _lock:
        confidences = _detector(tuple(languages)).compute_language_confidence_values(text)
    if not confidences:
        return None
    expected_confidence = next((c.value for c in confidences if c.language == _lingua_language(expected)), 0.0)
    top = confidences[0].language.iso_code_639_1.name.lower()
    if top == expected or expected_confidence >= OTHER_LANGUAGE_MAX_CONFIDENCE:
        return None
    return top


def detect_document_language(text: str, languages: tuple[str, ...] = SERVED_LANGUAGES, default: str = "en") -> str:
    """Language of a long text, judged on an evenly spread sample (whole regulations are slow to classify)."""
    sample = text if len(text) <= 6000 else "\n".join(
        text[i : i + 1500] for i in range(0, len(text), max(len(text) // 4, 1500))
    )[:6000]
    return detect_language(sample, None, languages, default)


# Scripts of the served languages (Latin, Cyrillic, Greek; Irish and Maltese are Latin too).
_SERVED_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# Unserved languages the notice can name (lingua names), by whether they share a served language's script.
_UNSERVED = Path(__file__).parent / "data" / "languages.yaml"
# A same-script question is called unserved only when it has this many words and lingua, choosing among the
# served languages and the unserved ones, gives every served language less than this confidence.
UNSERVED_MIN_WORDS = 4
UNSERVED_MAX_SERVED_CONFIDENCE = 0.1


@lru_cache(maxsize=1)
def unserved_names() -> dict[str, tuple[str, ...]]:
    table = yaml.safe_load(_UNSERVED.read_text(encoding="utf-8"))
    return {group: tuple(names) for group, names in table.items()}


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ")[0]


def unserved_language(text: str, languages: tuple[str, ...] = SERVED_LANGUAGES) -> str | None:
    """ISO 639-1 code (or 'und') of a text in a language the helpdesk does not serve; else None.

    A text mostly in a script no served language uses (Japanese, Arabic, ...) is unserved. One in Latin or
    Cyrillic is unserved only when it is long enough and clearly in an unserved language (Turkish, Ukrainian,
    Catalan, ...): a served question wrongly refused costs more than an unserved one answered in a guess."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    if sum(_script(c) in _SERVED_SCRIPTS for c in letters) * 2 <= len(letters):
        with _lock:
            found = _other_script_detector().detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else "und"
    if len(text.split()) < UNSERVED_MIN_WORDS:
        return None
    served = {lang for lang in (_lingua_language(c) for c in languages) if lang is not None}
    with _lock:
        confidences = _same_script_detector(tuple(sorted(served, key=str))).compute_language_confidence_values(text)
    if not confidences or confidences[0].language in served:
        return None
    if max((c.value for c in confidences if c.language in served), default=0.0) >= UNSERVED_MAX_SERVED_CONFIDENCE:
        return None
    return confidences[0].language.iso_code_639_1.name.lower()


@lru_cache(maxsize=1)
def _other_script_detector():
    return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in unserved_names()["other_scripts"])).build()


@lru_cache(maxsize=4)
def _same_script_detector(served: tuple):
    unserved = [getattr(Language, n) for n in unserved_names()["same_scripts"]]
    return LanguageDetectorBuilder.from_languages(*served, *unserved).build()


def english_name(code: str) -> str:
    return Locale("en").languages.get(code, code)


def unserved_notice(code: str, languages: tuple[str, ...] = SERVED_LANGUAGES) -> str:
    """One line in English: the language is not served, and which ones are."""
    named = "This language is" if code == "und" else f"{english_name(code)} is"
    served = ", ".join(sorted(english_name(c) for c in languages))
    return f"{named} not one of the languages this helpdesk serves; please ask in one of: {served} (or choose one as the answer language)."

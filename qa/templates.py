"""The short texts around an answer, in the asker's language (English for languages without a catalogue).

The texts are data: one catalogue per language, `qa/data/phrases/<code>.yaml`, each with exactly the keys of
`KEYS`. `lead` opens an answer; `other_language` says the quoted passages are in another language; `refusal` says
the documents do not answer; `contact` points to the managing authority. The rest frame a reply draft for helpdesk
staff (qa/draft.py): greeting (with or without a name), thanks, the references heading, the line on points the
documents do not settle, the closing, and `will_check` for a question the documents do not answer. `page`/`pages`
abbreviate "page" in source lines.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError

CATALOGUES = Path(__file__).with_name("data") / "phrases"
# Each key, with the placeholders its text must fill in.
KEYS: dict[str, frozenset[str]] = {
    "lead": frozenset(), "other_language": frozenset({"languages"}), "refusal": frozenset(),
    "contact": frozenset(), "greeting": frozenset(), "greeting_named": frozenset({"name"}), "thanks": frozenset(),
    "references": frozenset(), "open_points": frozenset(), "closing": frozenset(),
    "will_check": frozenset({"topic"}), "page": frozenset(), "pages": frozenset(),
}


class CatalogueError(ValueError):
    """A phrase catalogue lacks a key, has one too many, or a text with the wrong placeholders."""


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_catalogue(path: Path) -> dict[str, str]:
    """One language's texts, checked: every key of KEYS, no other, each a text with its placeholders."""
    texts = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(texts, dict):
        raise CatalogueError(f"{path.name}: expected key: text lines")
    missing, extra = sorted(set(KEYS) - set(texts)), sorted(set(texts) - set(KEYS))
    if missing or extra:
        problems = [f"{what} {keys}" for what, keys in (("missing keys", missing), ("unknown keys", extra)) if keys]
        raise CatalogueError(f"{path.name}: {', '.join(problems)}")
    for key, text in texts.items():
        if not isinstance(text, str) or placeholders(text) != KEYS[key]:
            raise CatalogueError(f"{path.name}: {key!r} must be a text with the placeholders {sorted(KEYS[key])}")
    return texts


def load_catalogues(folder: Path = CATALOGUES) -> dict[str, dict[str, str]]:
    return {path.stem: load_catalogue(path) for path in sorted(folder.glob("*.yaml"))}


TEMPLATES: dict[str, dict[str, str]] = load_catalogues()
FALLBACK = "en"


def phrase(key: str, language: str, **values: str) -> str:
    """The `key` text in `language` (English when that language has no template), with `values` filled in."""
    return TEMPLATES.get(language, TEMPLATES[FALLBACK])[key].format(**values)


@lru_cache(maxsize=1024)
def language_name(code: str, in_language: str) -> str:
    """'fr' named in the asker's language ('френски' for bg), from CLDR data; the code when CLDR has no name."""
    display = in_language if in_language in TEMPLATES else FALLBACK
    try:
        return Locale.parse(display).languages.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code


def refusal(language: str) -> str:
    return f"{phrase('refusal', language)} {phrase('contact', language)}"

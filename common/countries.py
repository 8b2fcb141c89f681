"""Which country a question asks about, and which country a document is from.

National rules differ: a question about the Estonian start-up grant must not be answered from the French
decree's article with the same number. Country names and the names of a country's own language come from
Babel's locale data in every served language, so no name list is kept by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

from common.settings import SERVED_LANGUAGES

_DATA = Path(__file__).with_name("data") / "countries.yaml"
_WORD = re.compile(r"[^\W\d_]+")
# Inflected forms share a stem: "Estonia" / "Estonian" / "Estonie", "Estnisch" / "estnischen".
_MIN_STEM = 4


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(name: str) -> str:
    folded = _fold(name)
    return folded[:-2] if len(folded) >= 8 else folded[:-1] if len(folded) >= 6 else folded


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


def country_codes() -> tuple[str, ...]:
    return tuple(_data()["countries"])


def canonical_country(code: str) -> str | None:
    upper = code.strip().upper()
    upper = _data()["aliases"].get(upper, upper)
    return upper if upper in _data()["countries"] else None


@lru_cache(maxsize=1)
def _stems() -> dict[str, tuple[str, ...]]:
    """First word stem of a name -> (whole folded name stem, country) pairs, for quick lookup."""
    from babel import Locale

    table: dict[str, set[tuple[str, str]]] = {}
    for language in SERVED_LANGUAGES:
        try:
            locale = Locale.parse(language)
        except Exception:  # a served language Babel lacks: its names are simply not known
            continue
        for code, entry in _data()["countries"].items():
            names = [locale.territories.get(entry["territory"])]
            if entry.get("language"):
                names.append(locale.languages.get(entry["language"]))
            for name in filter(None, names):
                words = _WORD.findall(_fold(name))
                if not words or len(words[0]) < _MIN_STEM and len(words) == 1:
                    continue
                stems = tuple([_stem(w) if i == len(words) - 1 else w for i, w in enumerate(words)])
                table.setdefault(stems[0], set()).add((" ".join(stems), code))
    return {first: tuple(sorted(v)) for first, v in table.items()}


def country_mentions(text: str) -> Counter[str]:
    """How often each country is named in `text` (its name or its language's name, in any served language)."""
    words = _WORD.findall(_fold(text))
    stems = _stems()
    counts: Counter[str] = Counter()
    for i, word in enumerate(words):
        for cut in range(len(word), _MIN_STEM - 1, -1):
            candidates = stems.get(word[:cut])
            if not candidates:
                continue
            for whole, code in candidates:
                parts = whole.split(" ")
                following = words[i : i + len(parts)]
                if len(following) == len(parts) and all(w.startswith(p) for w, p in zip(following, parts)):
                    counts[code] += 1
            break
    return counts


def question_countries(question: str) -> list[str]:
    return sorted(country_mentions(question))


def document_country(declared: str | None, title: str, lead: str) -> str | None:
    """Declared country (metadata), else one named in the title, else the one the document's opening text
    names clearly more often than any other (an EU regulation names many and gets none)."""
    if declared:
        return canonical_country(str(declared)) or str(declared).upper()
    in_title = country_mentions(title)
    if len(in_title) == 1:
        return next(iter(in_title))
    mentions = country_mentions(lead)
    if mentions:
        (best, count), *rest = mentions.most_common()
        if count >= 3 and count >= 2 * (rest[0][1] if rest else 0):
            return best
    return None

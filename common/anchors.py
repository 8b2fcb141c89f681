"""Language-neutral anchors: what a question and a passage can share even in different languages.

A dense embedding of a Bulgarian question and a French article is a weak match; the fund (ЕСФ+ = FSE+), the act
(Регламент 2021/1060 = "portant dispositions communes"), the article number and the percentages are not. Both
sides are reduced to keys such as `fund:esf+`, `act:cpr`, `art:112`, `pct:85` and retrieval adds a bonus for
shared keys (qa/retriever.py). Names are data (common/data/anchors.yaml).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

_DATA = Path(__file__).with_name("data") / "anchors.yaml"
_TOKEN = re.compile(r"[^\W_]+\+?|\d+/\d+|\+", re.UNICODE)
_ACT_NUMBER = re.compile(r"(?<![\d/])((?:19|20)\d{2})/(\d{1,4})(?![\d/])")
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d+)?)\s?(?:%|процента?|τοις εκατό|prozent|procent|pour cent|per cent|percent|por ciento|per cento|por cento|la sută|procento|százalék|prosenttia|protsenti|procentų|procenti|odstotkov|posto|fað)", re.IGNORECASE)


def fold(text: str) -> str:
    """Case and accents removed, so that inflected or unaccented spellings meet (matching in every language)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def _stem(word: str) -> str:
    return word[:-2] if len(word) >= 8 else word[:-1] if len(word) >= 6 else word


@lru_cache(maxsize=1)
def _data() -> dict:
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _names() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word -> [(all words, last one stemmed), key]."""
    raw = _data()
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key, names in raw["names"].items():
        for name in names:
            words = _words(name)
            if not words:
                continue
            parts = tuple(words[:-1]) + (_stem(words[-1]) if len(words) > 1 else words[-1],)
            table.setdefault(parts[0] if len(parts) > 1 else parts[0][:4], []).append((parts, key))
    return table


@lru_cache(maxsize=1)
def _article_pattern() -> re.Pattern[str]:
    raw = _data()
    words = sorted({fold(w) for per_language in raw["article_words"].values() for w in per_language},
                   key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?:(?<!\w)(?:{alternatives})\s*(\d{{1,3}}[a-z]?)\b|\b(\d{{1,3}})\.\s*(?:{alternatives}))")


def article_languages() -> set[str]:
    return set(_data()["article_words"])


def name_keys() -> set[str]:
    return set(_data()["names"])


def name_anchors(text: str) -> set[str]:
    """Fund and act keys named in `text`."""
    words = _words(text)
    table = _names()
    found: set[str] = set()
    for i, word in enumerate(words):
        for parts, key in table.get(word, []) + table.get(word[:4], []):
            window = words[i : i + len(parts)]
            if len(window) == len(parts) and all(
                    w == p if j < len(parts) - 1 or len(parts) == 1 else w.startswith(p)
                    for j, (w, p) in enumerate(zip(window, parts))):
                found.add(key)
    for match in _ACT_NUMBER.finditer(text):
        number = f"{match.group(1)}/{match.group(2)}"
        found.add(next((key for key, names in _data()["names"].items() if number in names), f"act:{number}"))
    return found


def article_anchors(text: str) -> set[str]:
    return {f"art:{a or b}" for a, b in _article_pattern().findall(fold(text))}


def percent_anchors(text: str) -> set[str]:
    return {f"pct:{m.group(1).replace(',', '.')}" for m in _PERCENT.finditer(text)}


def version_key(title: str, url: str | None, section: str | None) -> tuple[frozenset[str], str] | None:
    """(the acts a document is a version of, the article a chunk belongs to), when both are known: the same
    article of the same act in another language version has the same key. The act comes from the title or the
    official URL ("…/eli/reg/2021/1060/oj"), the article from the heading path."""
    acts = frozenset(k for k in name_anchors(title) | name_anchors(url or "") if k.startswith("act:"))
    articles = article_anchors(section or "")
    if not acts or len(articles) != 1:
        return None
    return acts, next(iter(articles))


def question_anchors(question: str) -> set[str]:
    return name_anchors(question) | article_anchors(question) | percent_anchors(question)


def chunk_anchors(title: str, section: str | None, body: str) -> list[str]:
    """A chunk's keys: funds and acts its document's title or the chunk names, the articles it belongs to
    (its heading path, not the articles its text cross-references), and the percentages it states."""
    keys = name_anchors(title) | name_anchors(body) | percent_anchors(body)
    keys |= article_anchors(section or "")
    return sorted(keys)

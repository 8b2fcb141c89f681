"""BM25-style sparse vectors, computed client-side so the embedded engine and a Qdrant server see the same ones.

Documents carry saturated term frequencies; the collection's IDF modifier supplies the inverse document
frequency at query time, so adding documents never requires re-encoding the others.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import zlib
from collections import Counter

import snowballstemmer

# Unicode letters and digits (Latin, Cyrillic, Greek alike); apostrophes split words ("l'aide" -> "l", "aide").
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

_SNOWBALL = {
    "cs": "czech", "da": "danish", "de": "german", "el": "greek", "en": "english", "es": "spanish",
    "et": "estonian", "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian", "it": "italian",
    "lt": "lithuanian", "nl": "dutch", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sv": "swedish",
}


# Snowball stemmers keep per-word state in the instance: one per thread, or concurrent requests corrupt each
# other (seen under load as IndexError inside the Greek stemmer).
_local = threading.local()


def _stemmer(language: str | None):
    algorithm = _SNOWBALL.get(language or "")
    if not algorithm:
        return None
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in stemmers:
        stemmers[algorithm] = snowballstemmer.stemmer(algorithm)
    return stemmers[algorithm]


def _strip_accents_greek(token: str) -> str:
    # Greek questions are often typed without tonos; the Snowball Greek stemmer expects none either.
    return "".join(c for c in unicodedata.normalize("NFD", token) if not unicodedata.combining(c))


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Lower-cased, stemmed word tokens; single letters dropped, numbers kept (article numbers matter)."""
    words = [w for w in _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()) if len(w) > 1 or w.isdigit()]
    if language == "el":
        words = [_strip_accents_greek(w) for w in words]
    stemmer = _stemmer(language)
    return stemmer.stemWords(words) if stemmer else words


def term_index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


def _to_sparse(weights: dict[int, float]) -> tuple[list[int], list[float]]:
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]


class BM25Encoder:
    """Document side: BM25 term-frequency saturation with length normalisation; query side: 1 per term."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, avg_len: float = 150.0) -> None:
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def encode_document(self, text: str, language: str | None) -> tuple[list[int], list[float]]:
        tokens = tokenize(text, language)
        norm = self.k1 * (1 - self.b + self.b * len(tokens) / self.avg_len)
        weights: dict[int, float] = {}
        for term, tf in Counter(tokens).items():
            index = term_index(term)
            # crc32 collisions are rare; summing keeps the vector valid when they happen.
            weights[index] = weights.get(index, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return _to_sparse(weights)

    def encode_query(self, text: str, language: str | None) -> tuple[list[int], list[float]]:
        return _to_sparse({term_index(t): 1.0 for t in set(tokenize(text, language))})

"""Evidence matching shared by the evaluation sets and the harness.

A retrieved chunk is relevant to a question when its text contains one of the question's evidence snippets,
both normalised the same way: NFKC, casefolded, all whitespace removed (so line breaks, PDF spacing and
non-breaking spaces do not matter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC-normalised, casefolded `text` with all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


def contains_any(text: str, snippets: Iterable[str]) -> bool:
    """True when `text` contains at least one of `snippets` (both normalised)."""
    haystack = normalize(text)
    return any((needle := normalize(s)) and needle in haystack for s in snippets)

"""Evidence and fact matching shared by the evaluation sets and the harness.

Evidence: a retrieved chunk is relevant to a question when its text contains one of the question's evidence
snippets, both normalised the same way: NFKC, casefolded, all whitespace removed (so line breaks, PDF spacing and
non-breaking spaces do not matter). Snippets are whole phrases, so a substring test cannot match by accident.

Facts are short ("85 %", "31 December 2029"), so they are matched on token boundaries instead: both texts are
NFKC-normalised and casefolded, citation markers such as "[3]" or "[1, 2]" are taken out of the answer, dashes and
apostrophes unified, and the fact's tokens (runs of letters and digits, and single other characters) must follow each other in
the answer. Whitespace between a word and a sign is optional ("85%" = "85 %"); between two words or numbers it is
required ("30" does not match "2030", "1 300" or "[3]").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")
_CITATION = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_UNIFIED = str.maketrans({**{c: "-" for c in "‐‑‒–—―−"}, **{c: "'" for c in "’‘ʼ"}})
# A token: a run of letters, digits or marks (\w plus combining marks), or one other visible character.
_TOKEN = re.compile(r"[^\W_]+|[^\s]", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC-normalised, casefolded `text` with all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


def contains_any(text: str, snippets: Iterable[str]) -> bool:
    """True when `text` contains at least one of `snippets` (both normalised)."""
    haystack = normalize(text)
    return any((needle := normalize(s)) and needle in haystack for s in snippets)


def fact_text(text: str) -> str:
    """`text` as facts are looked for in it: NFKC, casefolded, dashes and apostrophes unified, citation markers blanked."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_UNIFIED)
    return _CITATION.sub(" ", folded)


def fact_tokens(text: str) -> list[str]:
    return _TOKEN.findall(fact_text(text))


@lru_cache(maxsize=4096)
def _fact_pattern(fact: str) -> re.Pattern[str] | None:
    tokens = fact_tokens(fact)
    if not tokens:
        return None
    parts = [re.escape(tokens[0])]
    for before, token in zip(tokens, tokens[1:]):
        # Two words or numbers in a row need whitespace between them, or they would be one token.
        parts.append(r"\s+" if _is_word(before) and _is_word(token) else r"\s*")
        parts.append(re.escape(token))
    head = r"(?<![^\W_])" if _is_word(tokens[0]) else ""
    tail = r"(?![^\W_])" if _is_word(tokens[-1]) else ""
    return re.compile(head + "".join(parts) + tail)


def _is_word(token: str) -> bool:
    return token[0].isalnum()


def contains_fact(text: str, fact: str) -> bool:
    """True when the fact's tokens occur in `text` in order and on token boundaries (see the module doc)."""
    pattern = _fact_pattern(fact)
    return bool(pattern and pattern.search(fact_text(text)))


def contains_any_fact(text: str, alternatives: Iterable[str]) -> bool:
    haystack = fact_text(text)
    return any((pattern := _fact_pattern(a)) is not None and pattern.search(haystack) for a in alternatives)

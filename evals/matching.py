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

from common.answer_types import TypedValue, find_values, number_word, number_words, parse_number

_WHITESPACE = re.compile(r"\s+")
_CITATION = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_UNIFIED = str.maketrans({**{c: "-" for c in "‐‑‒–—―−"}, **{c: "'" for c in "’‘ʼ"}})
# A key-fact line stating a count: its label, a colon and the number alone.
_BARE_COUNT = re.compile(r"[^\d:]+:\s*(\d[\d\s.,\u202f\u00a0]*)")
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


def states_value(line: str, language: str, alternatives: Iterable[str]) -> bool:
    """True when a key-fact line ("Period: 6 months [1]", in the asker's `language`) states the value of one of a
    fact's alternatives as a value: the line writes the value in the asker's locale, with digits, where the gold
    fact is written as its source writes it ("six months", "kuus kuud", or the bare number word "six"). An
    alternative with a unit must agree in number and unit; a bare number word in number only."""
    said = [v.value for v in find_values(line, language)]
    numbers = {value[0] if isinstance(value, tuple) else value for value in said}
    if not said:
        # A count is restated bare ("Anzahl: 6 [1]"): no counted word follows it for the finder to see.
        bare = _BARE_COUNT.fullmatch(_CITATION.sub("", line).strip())
        number = parse_number(bare.group(1)) if bare else None
        if number is None:
            return False
        # Read against the gold's counts ("drie keer") and bare number words ("six") alike.
        return any(("number", number) in _gold_values(alternative) or number in _gold_counts(alternative)
                   for alternative in alternatives)
    for alternative in alternatives:
        gold = _gold_values(alternative)
        if any(value in gold for value in said) or any(("number", n) in gold for n in numbers):
            return True
    return False


@lru_cache(maxsize=4096)
def _gold_found(alternative: str) -> tuple[TypedValue, ...]:
    """The typed values a gold fact's text states, read in every language the value finder has number words for."""
    return tuple(v for language in number_words() for v in find_values(alternative, language))


def _gold_counts(alternative: str) -> frozenset:
    """The counts a gold fact's text states ("drie keer" is 3)."""
    return frozenset(v.value for v in _gold_found(alternative) if v.kind == "count")


@lru_cache(maxsize=4096)
def _gold_values(alternative: str) -> frozenset:
    """The values a gold fact's text states; a bare number word ("четири", "viis") as ("number", n)."""
    values = {v.value for v in _gold_found(alternative)}
    words = alternative.split()
    if not values and len(words) == 1:
        values = {("number", n) for language in number_words()
                  if (n := number_word(words[0], language)) is not None}
    return frozenset(values)

"""A second, independent implementation of token-bounded fact matching, to check evals.matching against.

It shares no code with evals.matching: characters are classified one by one (letters and digits join a word,
whitespace separates, anything else is a token of its own), citation markers are found by scanning, and a fact is
found when its token list is a contiguous run of the text's token list. Written from the definition in the README.
"""

from __future__ import annotations

import unicodedata

DASHES = "‐‑‒–—―−"
APOSTROPHES = "’‘ʼ"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join("-" if ch in DASHES else "'" if ch in APOSTROPHES else ch for ch in text)


def _without_citations(text: str) -> str:
    """Blanks every "[3]", "[1, 2]", "[1-3]": a bracket holding only digits, commas, semicolons, dashes, spaces."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "[":
            j = text.find("]", i)
            inner = text[i + 1:j] if j > 0 else ""
            if inner.strip() and inner.strip()[0].isdigit() and all(ch.isdigit() or ch in ",;- " for ch in inner):
                out.append(" ")
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def tokens(text: str) -> list[str]:
    result, word = [], ""
    for ch in _without_citations(_fold(text)):
        if ch.isalnum():
            word += ch
            continue
        if word:
            result.append(word)
            word = ""
        if not ch.isspace():
            result.append(ch)
    if word:
        result.append(word)
    return result


def found(text: str, fact: str | list[str]) -> bool:
    haystack = tokens(text)
    for alternative in [fact] if isinstance(fact, str) else fact:
        needle = tokens(alternative)
        if needle and any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1)):
            return True
    return False


def fact_recall(answers_and_facts: list[tuple[str, list]]) -> float | None:
    """Mean share of facts found, over the (answer, facts) pairs that have facts."""
    shares = [sum(found(answer, fact) for fact in facts) / len(facts) for answer, facts in answers_and_facts if facts]
    return sum(shares) / len(shares) if shares else None

"""Words a question and a passage's sentences have in common, across languages through the glossary.

A small embedder ranks near-identical legal sentences level with each other; shared words break the tie. For a
sentence in another language than the question's, the question's words are joined by that language's legal term
for each glossary concept the question names (qa/glossary.py), so a Bulgarian question about less developed regions
shares "régions moins développées" with the French article. Used by the extractive composer to pick sentences and by
the retriever to order the passages it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from common.sparse import tokenize
from common.units import quotable_units
from qa.glossary import concepts_in, terms

# Texts whose stemmed words are remembered (a few passages' worth per question, so thousands of questions).
_TOKEN_CACHE_ENTRIES = 20_000


@lru_cache(maxsize=_TOKEN_CACHE_ENTRIES)
def content_tokens(text: str, language: str) -> frozenset[str]:
    """Stemmed words of three or more letters, and numbers; short function words carry no subject. Remembered:
    with unit vectors stored, stemming the same passages' units again is most of what composing costs."""
    return frozenset(t for t in tokenize(text, language) if len(t) > 2 or t.isdigit())


# Passages whose unit texts are remembered: the texts themselves are the keys, so fewer than the tokens above.
_PASSAGE_CACHE_ENTRIES = 4096


@lru_cache(maxsize=_PASSAGE_CACHE_ENTRIES)
def unit_texts(text: str, section: str | None) -> tuple[str, ...]:
    """The texts of a passage's quotable units (common/units.py), remembered: the same passages come back for
    question after question."""
    return tuple(unit.text for unit in quotable_units(text, section))


@lru_cache(maxsize=1024)
def glossary_tokens(named: tuple[str, ...], language: str) -> frozenset[str]:
    """Stemmed words of `language`'s legal term for each named concept. Its other terms (what askers say) hold
    everyday words ("worker", "costs") that lift sentences on another subject."""
    said = terms(language)
    legal = [listed[0] for concept in named if (listed := said.get(concept))]
    return frozenset(t for term in legal for t in content_tokens(term, language))


def asked_words(question: str, language: str, unit_languages: Sequence[str], glossary: bool = True
                ) -> list[frozenset[str]]:
    """The question's words as each unit's language says them: its own stemmed words, and for a unit in another
    language the glossary's legal terms there for the concepts the question names."""
    own = content_tokens(question, language)
    named = tuple(concepts_in(question, language)) if glossary else ()
    return [own | glossary_tokens(named, unit_language) if named and unit_language != language else own
            for unit_language in unit_languages]


def subject_overlap(asked: Sequence[frozenset[str]], unit_tokens: Sequence[frozenset[str]]) -> np.ndarray:
    """Share of the question's words a unit contains (as its language says them, `asked[i]`), each weighted by
    how rare it is among the units: the subject ("Interreg") separates the sentence that answers from sentences
    that merely share the topic ("co-financing rate"). Words no unit contains weigh nothing."""
    count = len(unit_tokens)
    every = frozenset().union(*asked) if asked else frozenset()
    weights = {t: np.log((count + 1) / df) for t in every if (df := sum(t in tokens for tokens in unit_tokens))}
    shares = []
    for words, tokens in zip(asked, unit_tokens):
        total = sum(weights.get(t, 0.0) for t in words)
        shares.append(sum(weights.get(t, 0.0) for t in words if t in tokens) / total if total else 0.0)
    return np.array(shares)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0

"""Dictionary query translation: the funding terms a question names, said in the languages of the documents.

A small embedder matches a Polish question to a French article poorly, but the same concepts named in French
("taux de cofinancement, régions moins développées") find it. The glossary (qa/data/glossary: one file of terms per
served language over one list of concepts) turns the concepts a question names into one search variant per
document language: those languages' terms for them, with the question's years, act numbers and acronyms, which read
the same in any language. No model is needed, so it works offline; a question that names no glossary concept gets no variant.

Matching ignores case and accents and allows inflection: a term's words of four letters or more match question
words that start with the term word less its last three letters (five letters at least; a five-letter word loses
one), in the term's order with at most two words between them; shorter words inside a term are skipped (unless
that would make two concepts' terms alike: "non" in "dépenses non éligibles", or leave one word: "de" in "de
minimis"; a negation is never skipped: "no" in "gastos no subvencionables", negations.yaml), and a term made only of
short words (an acronym) must match a whole word.

The variants compete with the question at a discount (`HELPDESK_SEARCH_GLOSSARY_DISCOUNT`), each only among its own
language's passages, for the index's largest languages (`HELPDESK_SEARCH_GLOSSARY_LANGUAGES`), and only when the
question names two concepts or more (`HELPDESK_SEARCH_GLOSSARY_MIN_CONCEPTS`): qa/retriever.py.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from common.anchors import fold

GLOSSARY_DIR = Path(__file__).with_name("data") / "glossary"
# Apostrophes split words ("l'achat", "dell'importo"); hyphens do not ("co-financing" is not "pre-financing"), but a
# question's hyphenated word also counts as its last part, so Maltese "il-VAT" names "VAT".
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*\+?", re.UNICODE)
# Question words kept as they are besides acronyms: years, periods and act numbers (four digits in a row; "5 000"
# is two words, and alone they say nothing).
_NUMBER = re.compile(r"^(?=.*\d{4})[\w./%,+\-–—]+$")
# libyaml's loader where PyYAML has it: the pure-Python one takes tens of milliseconds a file, in a question's time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SHORT = 3  # words this long or shorter are skipped inside a term
_GAP = 2  # other words allowed between two matched words of a term


class GlossaryError(ValueError):
    """A glossary file is missing a concept, names an unknown one, or is not a mapping of term lists."""


def _stem(word: str) -> str:
    if len(word) <= 4:
        return word
    return word[:4] if len(word) == 5 else word[: max(5, len(word) - 3)]


def _pattern(term: str, keep_short: bool = False, negations: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """What each matched question word must start with, in order; a part written "=word" must be the whole word.
    Short words are skipped unless `keep_short` (then they must be there as they are), negations never."""
    words = _WORD.findall(fold(term))
    if all(len(w) <= _SHORT for w in words):
        return tuple(f"={w}" for w in words)
    # A term that would shrink to one inflectable word keeps its short ones: "de minimis" alone would be any
    # "minimum", "kosten per uur" any "kosten".
    keep_short = keep_short or sum(len(w) > _SHORT for w in words) == 1 < len(words)
    return tuple(_stem(w) if len(w) > _SHORT else f"={w}" for w in words
                 if len(w) > _SHORT or keep_short or w in negations)


@lru_cache(maxsize=1)
def concepts() -> dict[str, str]:
    """Concept id -> what it means (English)."""
    return yaml.safe_load((GLOSSARY_DIR / "concepts.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def terms(language: str) -> dict[str, list[str]]:
    """Concept id -> that language's terms, the first the legal one; {} for a language without a file."""
    path = GLOSSARY_DIR / f"{language}.yaml"
    if not path.is_file():
        return {}
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    if not isinstance(raw, dict):
        raise GlossaryError(f"{path}: not a mapping of concept ids to term lists")
    unknown = set(raw) - set(concepts())
    if unknown:
        raise GlossaryError(f"{path}: unknown concepts {sorted(unknown)}")
    bad = [key for key, value in raw.items()
           if not isinstance(value, list) or not value or not all(isinstance(t, str) and t.strip() for t in value)]
    if bad:
        raise GlossaryError(f"{path}: {bad[0]!r} needs a list of one or more terms")
    return raw


@lru_cache(maxsize=None)
def _patterns(language: str) -> list[tuple[str, tuple[str, ...]]]:
    """(concept, pattern) for every term. Where skipping short words would make two concepts' terms one pattern
    ("dépenses éligibles", "dépenses non éligibles"), the term with the short word keeps it ("non" must be there),
    so that the plain term does not name both concepts."""
    listed = [(concept, term) for concept, said in terms(language).items() for term in said]
    negating = negations().get(language, frozenset())
    owners: dict[tuple[str, ...], set[str]] = {}
    for concept, term in listed:
        owners.setdefault(_pattern(term, negations=negating), set()).add(concept)
    patterns = []
    for concept, term in listed:
        pattern = _pattern(term, negations=negating)
        if len(owners[pattern]) > 1:
            pattern = _pattern(term, keep_short=True)
        if pattern:
            patterns.append((concept, pattern))
    return patterns


def load_all(languages: tuple[str, ...]) -> None:
    """Read and compile every language's terms now (a server's start), not in the first questions' time."""
    for language in languages:
        _patterns(language)


def _matches(words: list[str], pattern: tuple[str, ...]) -> list[tuple[int, ...]]:
    """The question words each match of the pattern takes, one match per word where the first part matches."""
    def fits(word: str, part: str) -> bool:
        return word == part[1:] if part.startswith("=") else word.startswith(part)

    found = []
    for start, word in enumerate(words):
        if not fits(word, pattern[0]):
            continue
        taken = [start]
        for part in pattern[1:]:
            at = next((i for i in range(taken[-1] + 1, min(taken[-1] + 2 + _GAP, len(words))) if fits(words[i], part)),
                      None)
            if at is None:
                break
            taken.append(at)
        else:
            found.append(tuple(taken))
    return found


def contrasts() -> list[frozenset[str]]:
    """Groups of concepts that exclude one another (qa/data/glossary/contrasts.yaml)."""
    return list(contrast_groups().values())


@lru_cache(maxsize=1)
def contrast_groups() -> dict[str, frozenset[str]]:
    """The groups of contrasts.yaml by name."""
    path = GLOSSARY_DIR / "contrasts.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise GlossaryError(f"{path}: not a mapping of group names to concept lists")
    known = set(concepts())
    for name, group in raw.items():
        if not isinstance(group, list) or len(group) < 2 or not set(group) <= known:
            raise GlossaryError(f"{path}: {name!r} needs two or more concepts of concepts.yaml")
    return {name: frozenset(group) for name, group in raw.items()}


@lru_cache(maxsize=1)
def negations() -> dict[str, frozenset[str]]:
    """Per language, the words that negate (negations.yaml), folded as terms are."""
    path = GLOSSARY_DIR / "negations.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not all(
            isinstance(words, list) and words and all(isinstance(w, str) and w.strip() for w in words)
            for words in raw.values()):
        raise GlossaryError(f"{path}: needs a mapping of languages to lists of words")
    return {language: frozenset(fold(w) for w in words) for language, words in raw.items()}


@lru_cache(maxsize=1)
def broad_concepts() -> frozenset[str]:
    """The concepts too broad to say what a question is about (broad.yaml)."""
    path = GLOSSARY_DIR / "broad.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not set(raw) <= set(concepts()):
        raise GlossaryError(f"{path}: needs a list of concepts of concepts.yaml")
    return frozenset(raw)


def contrasting(asked: set[str] | frozenset[str], named: set[str] | frozenset[str]) -> bool:
    """Whether a text naming `named` speaks of another member of a group the question (naming `asked`) picks one
    of, and not of the question's own."""
    return any((asked & group) and (named & group) and not (named & asked & group) for group in contrasts())


@lru_cache(maxsize=None)
def _exclusive(concept: str, other: str) -> bool:
    return concept != other and any(concept in group and other in group for group in contrasts())


def concepts_in(question: str, language: str) -> list[str]:
    """The glossary concepts the question names, in the order it names them."""
    return list(_named_concepts(question, language))


# Search, word ordering and composer each ask for one question's concepts: found once, a few milliseconds each.
@lru_cache(maxsize=4096)
def _named_concepts(question: str, language: str) -> tuple[str, ...]:
    return _named(_words(question), _patterns(language))


def concepts_among(text: str, language: str, among: frozenset[str]) -> frozenset[str]:
    """The concepts of `among` that `text` names: matching only their terms, a sentence costs microseconds, not
    the milliseconds of every concept's."""
    return frozenset(_named(_words(text), _patterns_among(language, among)))


@lru_cache(maxsize=256)
def _patterns_among(language: str, among: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    return [(concept, pattern) for concept, pattern in _patterns(language) if concept in among]


def _words(text: str) -> list[str]:
    words = []
    for word in _WORD.findall(fold(text)):
        words.append(word)
        if "-" in word:
            words.append(word.rsplit("-", 1)[1])
    return words


def _named(words: list[str], patterns: list[tuple[str, tuple[str, ...]]]) -> tuple[str, ...]:
    """The concepts named, in the order named. A match inside the longer match of a concept it excludes
    (contrasts.yaml) does not count: in "regiones menos desarrolladas" the term "regiones más desarrolladas", its
    short "más" skipped, matches "regiones … desarrolladas", but the words name the less developed regions only.
    (A general concept inside a narrower one, "grant" in "start-up grant", is named by both.)"""
    matched: list[tuple[str, frozenset[int], int]] = [
        (concept, frozenset(taken), taken[0]) for concept, pattern in patterns for taken in _matches(words, pattern)]
    found: dict[str, int] = {}
    for concept, taken, start in matched:
        if any(taken < wider and _exclusive(concept, other) for other, wider, _ in matched):
            continue
        if start < found.get(concept, len(words) + 1):
            found[concept] = start
    return tuple(sorted(found, key=found.__getitem__))


def kept_words(question: str) -> list[str]:
    """The question's years and act numbers, and its acronyms, which read the same in the documents' languages.
    Names are not kept: a question says them in its own language ("Francia", "Suomen")."""
    kept = []
    for word in re.findall(r"\S+", question):
        word = word.strip("?!.,;:()«»\"'„“”")
        letters = [c for c in word if c.isalpha()]
        if _NUMBER.match(word) or (len(letters) >= 2 and all(c.isupper() for c in letters)):
            kept.append(word)
    return kept


def glossary_variants(question: str, language: str, targets: list[str], min_concepts: int = 2) -> dict[str, str]:
    """For each target language other than the question's: the named concepts in that language (its legal term
    for each) and the question's kept words. Empty when the question names fewer than `min_concepts` concepts:
    a lone term ("subvention") is too little for the embedder to place, and finds passages at random.
    """
    named = concepts_in(question, language)
    if len(named) < min_concepts:
        return {}
    kept = kept_words(question)
    variants = {}
    for target in targets:
        said = terms(target)
        if target == language or not said:
            continue
        variants[target] = ", ".join([said[c][0] for c in named if c in said] + kept)
    return variants

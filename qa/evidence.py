"""Is there evidence to answer at all? Two checks run before composing; either one failing means a refusal.

1. Similarity: the best cosine between the question and a retrieved passage must reach a threshold
   (calibrated with evals/calibrate_refusal.py). This catches questions off the corpus's subject.
2. Years: a question about a year or period (2028-2034, 2007-2013) that no retrieved passage mentions is about
   another period than the documents. Similarity cannot see this: such near-misses score like answerable ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from common.embedder import Embedder
from common.schema import SearchHit
from common.units import without_addresses

_AMOUNTS = Path(__file__).resolve().parents[1] / "common" / "data" / "amounts.yaml"
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
# "2021-2027", "2021–27", "2014/2020": one period; any of its years in a passage is a match
_PERIOD = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-–/]\s*((?:19|20)?\d{2})(?!\d)")


def passage_similarity(embedder: Embedder, question: str, hits: Sequence[SearchHit],
                       query_vector: Sequence[float] | None = None) -> float:
    """Best cosine similarity between the question and a passage, its addresses taken out (0 when nothing was
    found)."""
    # Addresses left in, a list of links came within the threshold of "What is the boiling point of water?"; a
    # passage left with no word at all is no evidence (an empty text embeds close to anything).
    texts = [text for text in (without_addresses(hit.text) for hit in hits) if any(c.isalpha() for c in text)]
    if not texts:
        return 0.0
    query = (np.asarray(query_vector, dtype=np.float32) if query_vector is not None
             else embedder.embed_queries([question])[0])
    passages = embedder.embed_passages(texts)
    norms = np.linalg.norm(passages, axis=1) * max(float(np.linalg.norm(query)), 1e-9)
    return float(np.max(passages @ query / np.where(norms == 0, 1, norms)))


@lru_cache(maxsize=1)
def _amount_words() -> tuple[frozenset[str], frozenset[str]]:
    """(symbols, words) that follow or precede an amount (common/data/amounts.yaml), casefolded."""
    raw = yaml.safe_load(_AMOUNTS.read_text(encoding="utf-8"))
    return (frozenset(s.casefold() for s in raw["symbols"]),
            frozenset(w.casefold() for words in raw["words"].values() for w in words))


def _is_amount(text: str, start: int, end: int) -> bool:
    """Whether the number at text[start:end] is an amount ("2000 euros", "€ 2000", "2000,50"), not a year."""
    symbols, words = _amount_words()
    before, after = text[:start].rstrip(), text[end:]
    if re.match(r"[.,]\d", after):
        return True  # "2000,50", "2000.000"
    following = re.match(r"\s*([^\W\d_]+|[€$£%])", after)
    if following and (following.group(1).casefold() in words or following.group(1).casefold() in symbols):
        return True
    preceding = re.search(r"([^\W\d_]+|[€$£])\s*$", before)
    return bool(preceding and preceding.group(1).casefold() in symbols)


def question_years(question: str) -> list[str]:
    """Years the question names, amounts left out."""
    return [m.group(1) for m in _YEAR.finditer(question) if not _is_amount(question, m.start(1), m.end(1))]


def unmatched_years(question: str, hits: Sequence[SearchHit]) -> list[str]:
    """Years or periods the question names that no passage mentions (in its text, title, section or file name)."""
    mentioned = {year for hit in hits for field in (hit.text, hit.title, hit.section or "", hit.source)
                 for year in _YEAR.findall(field)}
    missing: list[str] = []
    rest = question
    for match in _PERIOD.finditer(question):
        start, end = match.group(1), match.group(2)
        end = end if len(end) == 4 else start[:2] + end
        if not {start, end} & mentioned:
            missing.append(match.group(0))
        rest = rest.replace(match.group(0), " ")
    missing += [year for year in question_years(rest) if year not in mentioned]
    return missing

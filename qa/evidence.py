"""Is there evidence to answer at all? Two checks run before composing; either one failing means a refusal.

1. Similarity: the best cosine between the question and a retrieved passage must reach a threshold
   (calibrated with evals/calibrate_refusal.py). This catches questions off the corpus's subject.
2. Years: a question about a year or period (2028-2034, 2007-2013) that no retrieved passage mentions is about
   another period than the documents. Similarity cannot see this: such near-misses score like answerable ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from common.embedder import Embedder
from common.schema import SearchHit

_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
# "2021-2027", "2021–27", "2014/2020": one period; any of its years in a passage is a match
_PERIOD = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-–/]\s*((?:19|20)?\d{2})(?!\d)")


def passage_similarity(embedder: Embedder, question: str, hits: Sequence[SearchHit],
                       query_vector: Sequence[float] | None = None) -> float:
    """Best cosine similarity between the question and a passage (0 when nothing was found)."""
    if not hits:
        return 0.0
    query = (np.asarray(query_vector, dtype=np.float32) if query_vector is not None
             else embedder.embed_queries([question])[0])
    passages = embedder.embed_passages([hit.text for hit in hits])
    norms = np.linalg.norm(passages, axis=1) * max(float(np.linalg.norm(query)), 1e-9)
    return float(np.max(passages @ query / np.where(norms == 0, 1, norms)))


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
    missing += [year for year in _YEAR.findall(rest) if year not in mentioned]
    return missing

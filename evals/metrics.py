"""Retrieval and answer metrics, as pure functions over judged rankings and answers.

Ties: a ranking is judged in the order the retriever returned it. Hits with equal scores are not re-sorted and
no average is taken over their possible orders, so a relevant chunk tied with an irrelevant one ranked above it
counts at the lower rank. A metric with no question to judge (e.g. recall over a group of unanswerable
questions) is None, never 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from common.language import detect_language
from common.settings import SERVED_LANGUAGES
from evals.matching import contains_any
from evals.records import QuestionRecord
from qa.compose.answer_types import VALUE_TYPES, detect_answer_type

RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_KEYS = ("fact_recall", "citation_precision", "cited_rate", "language_match", "refusal_accuracy")
LATENCY_KEYS = ("search_p50", "search_p95", "ask_p50", "ask_p95")

# One line each, for the report and the README.
DEFINITIONS: dict[str, str] = {
    "recall@k": "share of answerable questions with evidence whose top k contains a relevant chunk",
    "mrr@10": "mean over those questions of 1/rank of the first relevant chunk in the top 10 (0 when none)",
    "ndcg@10": "DCG of the top 10 with binary gains (1/log2(rank+1) per relevant chunk) over the ideal DCG, "
               "the ideal being every relevant chunk of the index (at most 10) ranked first",
    "fact_recall": "mean over answerable questions with facts of the share of facts found in the answer",
    "citation_precision": "share of cited chunks that are relevant, pooled over questions with evidence",
    "cited_rate": "share of answerable questions whose answer cites at least one source",
    "language_match": "share of answers (refusals included) whose detected language is the question's",
    "refusal_accuracy": "share of all questions where the system's answerable flag equals the gold one",
    "key_fact_accuracy": "over answerable questions with facts whose expected value type (rate, amount, date, "
                         "duration, count) is detected from the question, the share whose answer's opening line "
                         "(citation markers removed) contains a gold fact",
    "opening_language_match": "share of answers (refusals included) whose opening line's words (tokens with a "
                              "letter) are detected in the question's language, which decides for one or two "
                              "words, as for short questions",
    "median_quotes": "median number of quoted lines (sentences, list items, table rows) per answered question",
    "relevant chunk": "its text, NFKC-normalised, casefolded and without whitespace, contains an evidence snippet "
                      "normalised the same way",
    "ties": "rankings are judged in the order returned; equal scores are not re-sorted",
    "latency": "p50/p95 of wall-clock milliseconds per call (linear interpolation between ranks)",
}


def first_relevant_rank(relevance: Sequence[bool], k: int) -> int | None:
    return next((rank for rank, relevant in enumerate(relevance[:k], 1) if relevant), None)


def hit_at_k(relevance: Sequence[bool], k: int) -> float:
    return 1.0 if first_relevant_rank(relevance, k) else 0.0


def reciprocal_rank(relevance: Sequence[bool], k: int = 10) -> float:
    rank = first_relevant_rank(relevance, k)
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(relevance: Sequence[bool], relevant_in_index: int, k: int = 10) -> float:
    """Binary-gain nDCG; `relevant_in_index` sets the ideal ranking (raised to what was retrieved if lower)."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, relevant in enumerate(relevance[:k], 1) if relevant)
    ideal_count = min(max(relevant_in_index, sum(relevance[:k])), k)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_count + 1))
    return dcg / ideal if ideal else 0.0


def facts_found(answer: str, facts: Iterable[str | list[str]]) -> list[bool]:
    """One flag per fact: the answer contains it (or one of its alternatives)."""
    return [contains_any(answer, [fact] if isinstance(fact, str) else fact) for fact in facts]


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def retrieval_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    judged = [r for r in records if r.gold_answerable and r.has_evidence]
    return {
        "recall@1": mean(hit_at_k(r.relevance, 1) for r in judged),
        "recall@5": mean(hit_at_k(r.relevance, 5) for r in judged),
        "recall@10": mean(hit_at_k(r.relevance, 10) for r in judged),
        "mrr@10": mean(reciprocal_rank(r.relevance, 10) for r in judged),
        "ndcg@10": mean(ndcg_at_k(r.relevance, r.relevant_in_index, 10) for r in judged),
    }


def answer_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    answerable = [r for r in records if r.gold_answerable]
    cited = [c.relevant for r in records if r.has_evidence for c in r.citations]
    return {
        "fact_recall": mean(sum(r.facts_found) / len(r.facts_found) for r in answerable if r.facts_found),
        "citation_precision": mean(cited),
        "cited_rate": mean(float(bool(r.citations)) for r in answerable),
        "language_match": mean(float(r.answer_language == r.language) for r in records),
        "refusal_accuracy": mean(float(r.answerable == r.gold_answerable) for r in records),
    }


_MARKERS = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")


def opening_line(answer: str) -> str:
    return next((line for line in answer.splitlines() if line.strip()), "")


def key_fact_in_opening(question: str, language: str, answer: str, facts: Sequence[str | list[str]]) -> bool | None:
    """Whether the opening line states a gold fact; None when not judged (no facts, or no value type asked)."""
    if not facts or detect_answer_type(question, language) not in VALUE_TYPES:
        return None
    return any(facts_found(_MARKERS.sub("", opening_line(answer)), facts))


def quoted_lines(answer: str) -> int:
    return sum(1 for line in answer.splitlines() if line.startswith("- "))


def answer_shape_metrics(records: Sequence[QuestionRecord],
                         languages: Sequence[str] | None = None) -> dict[str, float | None]:
    """key_fact_accuracy, opening_language_match and median_quotes (see DEFINITIONS)."""
    judged = [r.key_fact_found for r in records if r.gold_answerable and r.key_fact_found is not None]
    answered = [quoted_lines(r.answer) for r in records if r.answerable]
    return {
        "key_fact_accuracy": mean(float(found) for found in judged),
        "opening_language_match": mean(float(_opening_language(r, languages) == r.language) for r in records),
        "median_quotes": float(np.median(answered)) if answered else None,
    }


def _opening_language(record: QuestionRecord, languages: Sequence[str] | None) -> str:
    # Only words carry a language ("85 %", "[1]" do not); the question's language decides for a line of one or
    # two words ("Ставка: 85 %"), as it does for short questions.
    words = [w for w in _MARKERS.sub("", opening_line(record.answer)).split() if any(c.isalpha() for c in w)]
    return detect_language(" ".join(words), hint=record.language, languages=tuple(languages or SERVED_LANGUAGES))


def latency_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    search = [r.search_ms for r in records]
    ask = [r.ask_ms for r in records]
    return {
        "search_p50": percentile(search, 50), "search_p95": percentile(search, 95),
        "ask_p50": percentile(ask, 50), "ask_p95": percentile(ask, 95),
    }


def quality_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    """The retrieval and answer metrics in one flat mapping: the shape of a by-language or by-tag group."""
    return {**retrieval_metrics(records), **answer_metrics(records)}


def group_by(records: Sequence[QuestionRecord],
             labels: Callable[[QuestionRecord], Iterable[str]]) -> dict[str, list[QuestionRecord]]:
    groups: dict[str, list[QuestionRecord]] = {}
    for record in records:
        for label in labels(record):
            groups.setdefault(label, []).append(record)
    return dict(sorted(groups.items()))


def summarise(records: Sequence[QuestionRecord], config: dict[str, Any]) -> dict[str, Any]:
    """The run's figures in the `--json` shape."""
    return {
        "n": len(records),
        "n_answerable": sum(r.gold_answerable for r in records),
        "retrieval": retrieval_metrics(records),
        "answer": answer_metrics(records),
        "answer_shape": answer_shape_metrics(records),
        "latency_ms": latency_metrics(records),
        "by_language": {lang: quality_metrics(group) for lang, group in group_by(records, lambda r: [r.language]).items()},
        "by_tag": {tag: quality_metrics(group) for tag, group in group_by(records, lambda r: r.tags).items()},
        "config": config,
    }

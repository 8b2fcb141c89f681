"""Retrieval and answer metrics, as pure functions over judged rankings and answers.

Every rate is the mean of per-unit values in [0, 1] (one per question, or one per citation), so each comes with
its count and a 95 % Wilson interval: two presets whose intervals overlap are not shown to differ. A new metric is
one more `Metric` in ANSWER_METRICS (name, one-line definition, per-unit values).

Ties: a ranking is judged in the order the retriever returned it. Hits with equal scores are not re-sorted and
no average is taken over their possible orders, so a relevant chunk tied with an irrelevant one ranked above it
counts at the lower rank. A metric with no question to judge (e.g. recall over a group of unanswerable
questions) is None, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.matching import contains_any_fact, states_value
from evals.records import QuestionRecord
from common.answer_types import VALUE_TYPES

LATENCY_KEYS = ("search_p50", "search_p95", "ask_p50", "ask_p95")
WILSON_Z = 1.96  # 95 %
# The ranks recall is reported at, when the composer received at least that many passages (its own k is added).
RECALL_RANKS = (1, 3, 5, 10)


@dataclass(frozen=True)
class Metric:
    name: str
    definition: str
    # One value in [0, 1] per judged unit (question or citation); none when nothing can be judged.
    values: Callable[[Sequence[QuestionRecord]], list[float]]


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


def _alternatives(fact: str | list[str]) -> list[str]:
    return [fact] if isinstance(fact, str) else fact


def facts_found(answer: str, facts: Iterable[str | list[str]]) -> list[bool]:
    """One flag per fact: the answer contains it (or one of its alternatives) on token boundaries."""
    return [contains_any_fact(answer, _alternatives(fact)) for fact in facts]


def key_fact_found(line: str, language: str, facts: Iterable[str | list[str]]) -> bool:
    """Whether a key-fact line (in the asker's `language`) states a gold fact, as text or as a value
    (evals.matching.states_value)."""
    return bool(line) and any(contains_any_fact(line, _alternatives(fact))
                              or states_value(line, language, _alternatives(fact)) for fact in facts)


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def wilson_interval(rate: float | None, n: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """The Wilson score interval of a share `rate` of `n` units (for a mean of shares, an approximation)."""
    if rate is None or n == 0:
        return None
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


# --- retrieval ----------------------------------------------------------------------------------------------------

def _judged(records: Sequence[QuestionRecord]) -> list[QuestionRecord]:
    return [r for r in records if r.gold_answerable and r.has_evidence]


def recall_ranks(k: int) -> list[int]:
    return sorted({rank for rank in RECALL_RANKS if rank <= k} | {k})


def retrieval_metric_list(k: int, deep: bool = False) -> list[Metric]:
    """recall@r for r up to k, MRR@k and nDCG@k over the passages the composer received (`hits`), or over the
    separate deeper search (`deep_hits`, names prefixed "deep_")."""
    prefix, where = ("deep_", "of the separate deeper search") if deep else ("", "of the passages the composer received")

    def relevance(record: QuestionRecord) -> list[bool]:
        return record.deep_relevance if deep else record.relevance

    metrics = [Metric(f"{prefix}recall@{rank}", f"share of answerable questions with evidence whose top {rank} "
                      f"{where} contains a relevant chunk",
                      lambda rs, rank=rank: [hit_at_k(relevance(r), rank) for r in _judged(rs)])
               for rank in recall_ranks(k)]
    metrics.append(Metric(f"{prefix}mrr@{k}", f"mean of 1/rank of the first relevant chunk in the top {k} {where} "
                          "(0 when none)", lambda rs: [reciprocal_rank(relevance(r), k) for r in _judged(rs)]))
    metrics.append(Metric(f"{prefix}ndcg@{k}", f"DCG of the top {k} {where} with binary gains over the ideal DCG, "
                          "the ideal being every relevant chunk of the index (at most k) ranked first",
                          lambda rs: [ndcg_at_k(relevance(r), r.relevant_in_index, k) for r in _judged(rs)]))
    return metrics


# --- answers ------------------------------------------------------------------------------------------------------

def _answered(records: Sequence[QuestionRecord]) -> list[QuestionRecord]:
    return [r for r in records if r.answerable]


def _key_fact_judged(records: Sequence[QuestionRecord]) -> list[QuestionRecord]:
    return [r for r in records if r.gold_answerable and r.answerable and r.facts_found]


ANSWER_METRICS: list[Metric] = [
    Metric("fact_recall", "mean over answerable questions with facts of the share of facts found in the answer "
           "(token-bounded, see 'fact found')",
           lambda rs: [sum(r.facts_found) / len(r.facts_found) for r in rs if r.gold_answerable and r.facts_found]),
    Metric("citation_precision", "share of cited chunks that are relevant, pooled over questions with evidence",
           lambda rs: [float(c.relevant) for r in rs if r.has_evidence for c in r.citations]),
    Metric("cited_rate", "share of answerable questions whose answer cites at least one source",
           lambda rs: [float(bool(r.citations)) for r in rs if r.gold_answerable]),
    Metric("language_match", "share of answered questions whose frame (the answer without the spans copied from "
           "the passages) is detected in the question's gold language",
           lambda rs: [float(r.answer_language == r.language) for r in _answered(rs)]),
    Metric("content_language_match", "share of answered questions whose whole answer text, quotes included, is "
           "detected in the question's gold language",
           lambda rs: [float(r.content_language == r.language) for r in _answered(rs)]),
    Metric("refusal_accuracy", "share of all questions where the system's answerable flag equals the gold one",
           lambda rs: [float(r.answerable == r.gold_answerable) for r in rs]),
    Metric("key_fact_accuracy", "over answerable questions with facts whose answer opens with a key-fact line "
           "(\"Ставка: 85 % [1]\"), the share of lines that state a gold fact",
           lambda rs: [float(r.key_fact_found) for r in _key_fact_judged(rs) if r.key_fact]),
    Metric("key_fact_coverage", "over answerable questions with facts that ask for a value (rate, amount, date, "
           "duration, count; a yes/no question naming one asks for a yes or a no), the share whose answer opens "
           "with a key-fact line stating a gold fact",
           lambda rs: [float(r.key_fact_found) for r in _key_fact_judged(rs) if r.answer_type in VALUE_TYPES]),
    Metric("key_fact_unanswerable", "over questions the documents do not answer, the share whose answer opens with "
           "a key-fact line: a value restated for a question that should have been refused (lower is better)",
           lambda rs: [float(bool(r.key_fact)) for r in rs if not r.gold_answerable]),
]
ANSWER_KEYS = tuple(metric.name for metric in ANSWER_METRICS)
DETECTOR_METRIC = Metric(
    "question_language_accuracy", "share of questions whose detected language is the hand-set gold one",
    lambda rs: [float(r.question_language_detected == r.language) for r in rs if r.question_language_detected])

# One line each, for the report and the README; the per-metric lines come from the Metric objects.
NOTES: dict[str, str] = {
    "relevant chunk": "its text, NFKC-normalised, casefolded and without whitespace, contains an evidence snippet "
                      "normalised the same way",
    "fact found": "the fact's tokens occur in order on token boundaries in the answer, both NFKC-normalised and "
                  "casefolded, citation markers removed, whitespace between a word and a sign optional "
                  "(\"85%\" = \"85 %\"; \"30\" is not found in \"2030\", \"[3]\" or \"1 300\")",
    "frame": "the answer's words outside every run of 4 or more words copied from a passage the composer "
             "received; an answer that is all copied text is judged whole",
    "interval": "[low, high] is the 95 % Wilson interval of the rate over n units (questions, or citations); "
                "for means of shares (fact recall, MRR, nDCG) an approximation. Rates whose intervals overlap "
                "are not shown to differ",
    "ties": "rankings are judged in the order returned; equal scores are not re-sorted",
    "latency": "p50/p95 of wall-clock milliseconds per call (linear interpolation between ranks); search is the "
               "retrieval inside ask (embedding, search and any rerank)",
}


def definitions(k: int, deep_k: int | None = None) -> dict[str, str]:
    metrics = [*retrieval_metric_list(k), *(retrieval_metric_list(deep_k, deep=True) if deep_k else []),
               *ANSWER_METRICS, DETECTOR_METRIC]
    return {**{m.name: m.definition for m in metrics}, **NOTES}


def _rates(metrics: Sequence[Metric], records: Sequence[QuestionRecord]) -> dict[str, dict[str, Any]]:
    rates = {}
    for metric in metrics:
        values = metric.values(records)
        rate = mean(values)
        interval = wilson_interval(rate, len(values))
        rates[metric.name] = {"value": rate, "n": len(values), "interval": list(interval) if interval else None}
    return rates


def retrieval_metrics(records: Sequence[QuestionRecord], k: int = 10) -> dict[str, float | None]:
    return {name: rate["value"] for name, rate in _rates(retrieval_metric_list(k), records).items()}


def answer_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    return {name: rate["value"] for name, rate in _rates(ANSWER_METRICS, records).items()}


def answer_shape(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    """How long the answers are: quoted lines per answered question (median and mean), and characters per quoted
    line, pooled over answered questions (median and 90th percentile)."""
    answered = _answered(records)
    quoted = [r.quoted_lines for r in answered]
    chars = [n for r in answered for n in r.quote_chars]
    return {"median_quotes": float(np.median(quoted)) if quoted else None, "mean_quotes": mean(quoted),
            "quote_chars_p50": percentile(chars, 50), "quote_chars_p90": percentile(chars, 90)}


def latency_metrics(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    search = [r.search_ms for r in records]
    ask = [r.ask_ms for r in records]
    return {
        "search_p50": percentile(search, 50), "search_p95": percentile(search, 95),
        "ask_p50": percentile(ask, 50), "ask_p95": percentile(ask, 95),
    }


def quality_metrics(records: Sequence[QuestionRecord], k: int = 10) -> dict[str, float | None]:
    """The retrieval and answer metrics in one flat mapping: the shape of a by-language or by-tag group."""
    return {**retrieval_metrics(records, k), **answer_metrics(records)}


def group_by(records: Sequence[QuestionRecord],
             labels: Callable[[QuestionRecord], Iterable[str]]) -> dict[str, list[QuestionRecord]]:
    groups: dict[str, list[QuestionRecord]] = {}
    for record in records:
        for label in labels(record):
            groups.setdefault(label, []).append(record)
    return dict(sorted(groups.items()))


def language_pairs(records: Sequence[QuestionRecord], k: int) -> dict[str, dict[str, dict[str, float | int]]]:
    """recall@k by the question's language (rows) and the language of the chunks holding its evidence (columns):
    `{question_language: {document_language: {"n", "recall"}}}`. A question whose evidence stands in several
    languages counts in each of their columns."""
    cells: dict[str, dict[str, list[bool]]] = {}
    for record in _judged(records):
        found = hit_at_k(record.relevance, k)
        for language in record.evidence_languages:
            cells.setdefault(record.language, {}).setdefault(language, []).append(bool(found))
    return {row: {column: {"n": len(hits), "recall": round(sum(hits) / len(hits), 4)}
                  for column, hits in sorted(columns.items())}
            for row, columns in sorted(cells.items())}


def summarise(records: Sequence[QuestionRecord], config: dict[str, Any], k: int = 10,
              deep_k: int | None = None) -> dict[str, Any]:
    """The run's figures in the `--json` shape: values by section, and `rates` with n and interval for each."""
    retrieval = _rates(retrieval_metric_list(k), records)
    deep = _rates(retrieval_metric_list(deep_k, deep=True), records) if deep_k else {}
    answer = _rates(ANSWER_METRICS, records)
    detector = _rates([DETECTOR_METRIC], records)
    return {
        "n": len(records),
        "n_answerable": sum(r.gold_answerable for r in records),
        "retrieval": {name: rate["value"] for name, rate in retrieval.items()},
        **({"deep_retrieval": {name: rate["value"] for name, rate in deep.items()}} if deep_k else {}),
        "answer": {name: rate["value"] for name, rate in answer.items()},
        "language_id": {name: rate["value"] for name, rate in detector.items()},
        "rates": {**retrieval, **deep, **answer, **detector},
        "latency_ms": latency_metrics(records),
        "answer_shape": answer_shape(records),
        "by_language": {lang: quality_metrics(group, k)
                        for lang, group in group_by(records, lambda r: [r.language]).items()},
        "by_tag": {tag: quality_metrics(group, k) for tag, group in group_by(records, lambda r: r.tags).items()},
        "by_language_pair": language_pairs(records, k),
        "config": config,
    }

"""Runs evaluation questions through search and ask as a user would (language detected, not given), judging
each ranking and answer against the question's evidence and facts, and summarises the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from common.language import detect_language
from common.runtime import Runtime
from common.schema import STATE_READY
from common.store import VectorStore
from evals.dataset import EvalQuestion
from evals.matching import contains_any, normalize
from evals.metrics import facts_found, key_fact_in_opening, summarise
from evals.presets import apply_preset
from evals.records import Citing, QuestionRecord, RankedHit
from qa.helpdesk import Helpdesk


@dataclass
class RunResult:
    preset: str
    summary: dict[str, Any]
    records: list[QuestionRecord]


def relevant_in_index(store: VectorStore, questions: Sequence[EvalQuestion]) -> dict[str, int]:
    """Per question, the distinct chunk texts of the whole index that contain one of its evidence snippets."""
    texts = {normalize(payload["text"]) for _, payload in store.scroll({"state": STATE_READY}, ["text"])}
    counts = {}
    for question in questions:
        needles = [needle for needle in map(normalize, question.evidence) if needle]
        counts[question.id] = sum(any(needle in text for needle in needles) for text in texts) if needles else 0
    return counts


def evaluate_question(helpdesk: Helpdesk, question: EvalQuestion, *, k: int, composer: str | None,
                      relevant_count: int) -> QuestionRecord:
    def relevant(text: str) -> bool:
        return contains_any(text, question.evidence)

    started = time.perf_counter()
    retrieval = helpdesk.retriever.search(question.question, k=k)
    search_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    answer = helpdesk.ask(question.question, composer=composer)
    ask_ms = (time.perf_counter() - started) * 1000
    return QuestionRecord(
        id=question.id, question=question.question, language=question.language, tags=question.tags,
        gold_answerable=question.answerable, has_evidence=bool(question.evidence),
        hits=[RankedHit(rank=rank, doc_id=hit.doc_id, source=hit.source, language=hit.language,
                        score=hit.score, relevant=relevant(hit.text))
              for rank, hit in enumerate(retrieval.hits, 1)],
        relevant_in_index=relevant_count,
        answer=answer.answer, answerable=answer.answerable, composer=answer.composer,
        answer_language=detect_language(answer.answer, languages=tuple(helpdesk.settings.languages)),
        citations=[Citing(n=c.n, doc_id=c.doc_id, relevant=relevant(c.text)) for c in answer.citations],
        facts_found=facts_found(answer.answer, question.facts),
        key_fact_found=key_fact_in_opening(question.question, question.language, answer.answer, question.facts)
        if question.answerable else None,
        search_ms=round(search_ms, 2), ask_ms=round(ask_ms, 2),
    )


def run_preset(
    runtime: Runtime, questions: Sequence[EvalQuestion], preset: str, *, k: int = 10, composer: str | None = None,
    context: dict[str, Any] | None = None, on_record: Callable[[QuestionRecord], None] | None = None,
) -> RunResult:
    """Every question through one configuration over `runtime`'s index; `context` goes into the summary's config."""
    settings = apply_preset(runtime.settings, preset)
    relevant = relevant_in_index(runtime.store, questions)
    helpdesk = Helpdesk(settings, runtime.store, runtime.embedder)
    records = []
    try:
        if questions:  # untimed: model and detector loading would otherwise land in the first latencies
            helpdesk.ask(questions[0].question, composer=composer)
        for question in questions:
            record = evaluate_question(helpdesk, question, k=k, composer=composer, relevant_count=relevant[question.id])
            records.append(record)
            if on_record:
                on_record(record)
    finally:
        helpdesk.close()
    config = {
        **(context or {}), "preset": preset, "k": k, "composer": composer or settings.answer.composer,
        "composers_used": sorted({r.composer for r in records}), "embed_model": runtime.embedder.name,
        "chunk": settings.chunk.model_dump(), "search": settings.search.model_dump(),
        "answer": settings.answer.model_dump(), "llm_model": settings.llm.model,
        "collection": settings.store.collection,
    }
    return RunResult(preset, summarise(records, config), records)

"""Runs evaluation questions through ask as a user would (language detected, not given), judging the passages the
composer received and the answer against the question's evidence and facts, and summarises the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from common.language import detect_language
from common.runtime import Runtime
from common.schema import STATE_READY, SearchHit
from common.store import VectorStore
from evals.dataset import EvalQuestion
from evals.frame import answer_frame
from evals.matching import contains_any, normalize
from evals.metrics import facts_found, key_fact_found, summarise
from evals.presets import apply_preset
from evals.records import Citing, QuestionRecord, RankedHit
from common.answer_types import detect_answer_type
from qa.helpdesk import Helpdesk
from qa.retriever import Retrieval, Retriever


@dataclass
class RunResult:
    preset: str
    summary: dict[str, Any]
    records: list[QuestionRecord]


@dataclass
class EvidenceInIndex:
    chunks: int  # distinct chunk texts of the whole index that contain one of the question's evidence snippets
    languages: list[str]  # the languages of those chunks


def evidence_in_index(store: VectorStore, questions: Sequence[EvalQuestion]) -> dict[str, EvidenceInIndex]:
    """Per question, where its evidence stands in the whole index."""
    languages: dict[str, set[str]] = {}
    for _, payload in store.scroll({"state": STATE_READY}, ["text", "language"]):
        languages.setdefault(normalize(payload["text"]), set()).add(payload.get("language") or "")
    found = {}
    for question in questions:
        needles = [needle for needle in map(normalize, question.evidence) if needle]
        texts = [text for text in languages if any(needle in text for needle in needles)] if needles else []
        found[question.id] = EvidenceInIndex(len(texts), sorted({lang for t in texts for lang in languages[t] if lang}))
    return found


class RecordingRetriever:
    """The helpdesk's own retriever, keeping the last search it ran: the passages the composer received are the
    ones judged, so retrieval and answer are measured on one search."""

    def __init__(self, retriever: Retriever) -> None:
        self.inner = retriever
        self.last: Retrieval | None = None
        self.last_variants: list[str] | None = None

    def search(self, *args: Any, **kwargs: Any) -> Retrieval:
        self.last = self.inner.search(*args, **kwargs)
        self.last_variants = kwargs.get("variants")
        return self.last

    def deep(self, question: str, k: int, language: str) -> Retrieval:
        """The deeper search, with the translations the answer's own search used (a translate preset), so that
        deep recall measures the same retrieval."""
        return self.inner.search(question, k=k, language=language, variants=self.last_variants)


def evaluate_question(helpdesk: Helpdesk, question: EvalQuestion, *, composer: str | None,
                      evidence: EvidenceInIndex, deep_k: int | None = None) -> QuestionRecord:
    def relevant(text: str) -> bool:
        return contains_any(text, question.evidence)

    def judged(hits: list[SearchHit]) -> list[RankedHit]:
        return [RankedHit(rank=rank, doc_id=hit.doc_id, source=hit.source, language=hit.language, score=hit.score,
                          relevant=relevant(hit.text)) for rank, hit in enumerate(hits, 1)]

    recorder = helpdesk.retriever
    if not isinstance(recorder, RecordingRetriever):
        recorder = helpdesk.retriever = RecordingRetriever(helpdesk.retriever)
    languages = tuple(helpdesk.settings.languages)
    recorder.last, recorder.last_variants = None, None
    started = time.perf_counter()
    answer = helpdesk.ask(question.question, composer=composer)
    ask_ms = (time.perf_counter() - started) * 1000
    received = recorder.last.hits if recorder.last else []
    deep = recorder.deep(question.question, deep_k, answer.language).hits if deep_k else []
    frame = answer_frame(answer.answer, [hit.text for hit in received])
    key_fact = str(answer.diagnostics.get("key_fact", "")) if answer.answerable else ""
    quoted = [line for line in answer.answer.splitlines() if line.startswith("- ")] if answer.answerable else []
    return QuestionRecord(
        id=question.id, question=question.question, language=question.language, tags=question.tags,
        question_language_detected=answer.language,
        gold_answerable=question.answerable, has_evidence=bool(question.evidence),
        hits=judged(received), deep_hits=judged(deep), relevant_in_index=evidence.chunks,
        evidence_languages=evidence.languages,
        answer=answer.answer, answerable=answer.answerable, composer=answer.composer, frame=frame,
        answer_language=detect_language(frame, languages=languages),
        content_language=detect_language(answer.answer, languages=languages),
        citations=[Citing(n=c.n, doc_id=c.doc_id, relevant=relevant(c.text)) for c in answer.citations],
        facts_found=facts_found(answer.answer, question.facts),
        answer_type=detect_answer_type(question.question, answer.language) or "",
        key_fact=key_fact,
        key_fact_found=key_fact_found(key_fact, answer.language, question.facts),
        quoted_lines=len(quoted),
        quote_chars=[len(line) for line in quoted],
        search_ms=round(answer.timings_ms.get("embed", 0.0) + answer.timings_ms.get("search", 0.0), 2),
        ask_ms=round(ask_ms, 2),
    )


def run_preset(
    runtime: Runtime, questions: Sequence[EvalQuestion], preset: str, *, k: int | None = None,
    deep_k: int | None = None, composer: str | None = None, context: dict[str, Any] | None = None,
    on_record: Callable[[QuestionRecord], None] | None = None,
) -> RunResult:
    """Every question through one configuration over `runtime`'s index; `context` goes into the summary's config.

    `k` overrides the passages the composer receives (the preset's search.k otherwise); `deep_k` adds a separate
    search that deep per question, reported apart as deep_recall@r.
    """
    settings = apply_preset(runtime.settings, preset)
    if k:
        settings = settings.model_copy(update={"search": settings.search.model_copy(update={"k": k})})
    k = settings.search.k
    evidence = evidence_in_index(runtime.store, questions)
    helpdesk = Helpdesk(settings, runtime.store, runtime.embedder)
    records = []
    try:
        if questions:  # untimed: model and detector loading would otherwise land in the first latencies
            helpdesk.ask(questions[0].question, composer=composer)
        for question in questions:
            record = evaluate_question(helpdesk, question, composer=composer, evidence=evidence[question.id],
                                       deep_k=deep_k)
            records.append(record)
            if on_record:
                on_record(record)
    finally:
        helpdesk.close()
    config = {
        **(context or {}), "preset": preset, "k": k, "deep_k": deep_k, "composer": composer or settings.answer.composer,
        "composers_used": sorted({r.composer for r in records}), "embed_model": runtime.embedder.name,
        "chunk": settings.chunk.model_dump(), "search": settings.search.model_dump(),
        "answer": settings.answer.model_dump(), "llm_model": settings.llm.model_name,
        "collection": settings.store.collection,
    }
    return RunResult(preset, summarise(records, config, k=k, deep_k=deep_k), records)

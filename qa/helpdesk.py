"""Question in, cited answer or refusal out: the stages of `qa.stages` run in order, each one timed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from common.embedder import Embedder, for_questions
from common.language import unserved_notice
from common.schema import Answer
from common.settings import COMPOSERS, Settings
from common.store import VectorStore
from qa.compose.base import ComposeRequest
from qa.compose.extractive import ExtractiveComposer
from qa.glossary import load_all as load_glossaries
from qa.llm import ChatBackend, LLMNotConfiguredError, chat_backend
from qa.rerank import LLMReranker
from qa.retriever import Retriever
from qa.stages import (
    Compose, Condense, DetectLanguage, EvidenceGate, Rerank, Retrieve, Scrub, StageClock, StreamEvent, Unserved,
)

__all__ = ["Helpdesk", "QuestionError", "StreamEvent"]


class QuestionError(ValueError):
    """The question cannot be asked as given (empty, unknown composer)."""


class Helpdesk:
    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder,
                 llm: ChatBackend | None = None) -> None:
        self.settings = settings
        # Answering embeds sentences and passages of every question: in memory, never into ingest's disk cache.
        embedder = for_questions(embedder, settings.embed.query_cache_entries)
        self.embedder = embedder
        self.llm = llm if llm is not None else chat_backend(settings.llm)
        self.extractive = ExtractiveComposer(embedder, settings.answer)
        if settings.answer.glossary:  # its terms are read now, not in the first questions' time
            load_glossaries(tuple(settings.languages))
        reranker = LLMReranker(self.llm) if settings.answer.rerank == "llm" and self.llm else None
        # The stages, in the order ask_stream runs them.
        self.detect = DetectLanguage(tuple(settings.languages))
        self.condense = Condense(self.llm)
        self.retrieve = Retrieve(settings, Retriever(settings, store, embedder), self.llm)
        self.rerank = Rerank(reranker)
        self.evidence_gate = EvidenceGate(embedder, settings.answer.min_evidence)
        self.compose = Compose(self.extractive, self.llm)
        self.scrub = Scrub()

    @property
    def retriever(self) -> Retriever:
        return self.retrieve.retriever

    @retriever.setter
    def retriever(self, retriever: Retriever) -> None:  # the evals wrap it to record what the composer received
        self.retrieve.retriever = retriever

    def ask(self, question: str, **options: Any) -> Answer:
        """Options: language, language_hint, filters, composer, history, k, mode, max_tokens (see `ask_stream`)."""
        return [event for event in self.ask_stream(question, stream=False, **options)][-1].answer

    def ask_stream(
        self, question: str, *, language: str | None = None, language_hint: str | None = None,
        filters: dict[str, Any] | None = None, composer: str | None = None,
        history: list[dict[str, str]] | None = None, k: int | None = None, mode: str | None = None,
        stream: bool = True, max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """`max_tokens` caps what the LLM composer asks the model for (the caller cuts the text it shows).

        Per-stage milliseconds go to `diagnostics["stages_ms"]`; `timings_ms` keeps its five coarse figures.
        """
        question = " ".join(question.split())
        if not question:
            raise QuestionError("the question is empty")
        use_llm = self._wants_llm(composer)
        clock = StageClock()
        diagnostics: dict[str, Any] = {}

        # Detection comes first: a question in a language we do not serve is answered before any LLM call.
        with clock("detect"):
            languages = self.detect.run(question, language, language_hint, diagnostics)
        if isinstance(languages, Unserved):
            yield StreamEvent(answer=Answer(
                question=question, language="en",
                answer=unserved_notice(languages.language, tuple(self.settings.languages)),
                answerable=False, composer="llm" if use_llm else "extractive",
                diagnostics={"unserved_language": languages.language}))
            return
        with clock("condense"):
            standalone = self.condense.run(question, history, use_llm, diagnostics)
        with clock("retrieve"):
            retrieval = self.retrieve.run(standalone, languages.asked_in, filters, k, mode, diagnostics)
        with clock("rerank"):
            retrieval.hits = self.rerank.run(standalone, retrieval.hits, use_llm, diagnostics)
        request = ComposeRequest(standalone, languages.answer_in, retrieval.hits, retrieval.query_vector,
                                 latest_turn=question if standalone != question else None,
                                 question_language=languages.asked_in)
        with clock("evidence"):
            evidence = self.evidence_gate.run(request, question, diagnostics)
        with clock("compose"):
            composed = yield from self.compose.run(request, evidence, use_llm, stream, max_tokens, diagnostics)
        with clock("scrub"):
            composition = self.scrub.run(composed.composition, request.hits, diagnostics)

        stages = clock.ms
        timings = {
            "detect": stages["detect"], "embed": retrieval.timings_ms.get("embed", 0.0),
            "search": retrieval.timings_ms.get("search", 0.0) + stages["rerank"],
            "compose": stages["evidence"] + stages["compose"] + stages["scrub"],
            "total": clock.total_ms(),
        }
        diagnostics["stages_ms"] = {name: round(ms, 1) for name, ms in stages.items()}
        yield StreamEvent(answer=Answer(
            question=question, language=languages.answer_in, answer=composition.text,
            answerable=composition.answerable, composer=composed.composer,
            citations=composition.citations if composition.answerable else [],
            timings_ms={key: round(value, 1) for key, value in timings.items()},
            diagnostics={**diagnostics, **composition.diagnostics},
        ))

    def _wants_llm(self, composer: str | None) -> bool:
        choice = composer or self.settings.answer.composer
        if choice not in COMPOSERS:
            raise QuestionError(f"unknown composer {choice!r}; use one of: {', '.join(COMPOSERS)}")
        if choice == "llm" and self.llm is None:
            raise LLMNotConfiguredError()
        return choice == "llm" or (choice == "auto" and self.llm is not None)

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()


"""Question in, cited answer or refusal out: condense, detect language, retrieve, rerank, check evidence, compose."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common.embedder import Embedder, for_questions
from common.language import detect_language, unserved_language, unserved_notice
from common.schema import STATE_READY, Answer
from common.settings import COMPOSERS, Settings
from common.store import VectorStore
from qa.compose.base import ComposeRequest, Composition
from qa.compose.extractive import ExtractiveComposer
from qa.compose.llm import LLMComposer, finish
from qa.compose.validate import StreamGuard, remove_foreign_links
from qa.condense import condense
from qa.evidence import passage_similarity, unmatched_years
from qa.llm import ChatBackend, LLMError, LLMNotConfiguredError, chat_backend
from qa.rerank import LLMReranker
from qa.retriever import Retriever
from qa.templates import refusal
from qa.translate import translate_query


class QuestionError(ValueError):
    """The question cannot be asked as given (empty, unknown composer)."""


@dataclass
class StreamEvent:
    """A piece of the answer as the LLM writes it (`delta`), then the checked answer (`answer`)."""

    delta: str | None = None
    answer: Answer | None = None


class Helpdesk:
    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder,
                 llm: ChatBackend | None = None) -> None:
        self.settings = settings
        # Answering embeds sentences and passages of every question: in memory, never into ingest's disk cache.
        embedder = for_questions(embedder, settings.embed.query_cache_entries)
        self.embedder = embedder
        self.retriever = Retriever(settings, store, embedder)
        self.llm = llm if llm is not None else chat_backend(settings.llm)
        self.extractive = ExtractiveComposer(embedder, settings.answer)
        self.reranker = LLMReranker(self.llm) if settings.answer.rerank == "llm" and self.llm else None

    def ask(self, question: str, **options: Any) -> Answer:
        """Options: language, language_hint, filters, composer, history, k, mode, max_tokens (see `ask_stream`)."""
        return [event for event in self.ask_stream(question, stream=False, **options)][-1].answer

    def ask_stream(
        self, question: str, *, language: str | None = None, language_hint: str | None = None,
        filters: dict[str, Any] | None = None, composer: str | None = None,
        history: list[dict[str, str]] | None = None, k: int | None = None, mode: str | None = None,
        stream: bool = True, max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """`max_tokens` caps what the LLM composer asks the model for (the caller cuts the text it shows)."""
        question = " ".join(question.split())
        if not question:
            raise QuestionError("the question is empty")
        use_llm = self._wants_llm(composer)
        started = time.perf_counter()
        diagnostics: dict[str, Any] = {}

        if language is None and (foreign := unserved_language(question)):
            # Not answered in a language we do not serve: the caller may ask again naming a served `language`.
            yield StreamEvent(answer=Answer(
                question=question, language="en", answer=unserved_notice(foreign, tuple(self.settings.languages)),
                answerable=False, composer="llm" if use_llm else "extractive",
                diagnostics={"unserved_language": foreign}))
            return
        t = time.perf_counter()
        # The question's language drives stemming, the keyword filter and word overlap; the answer is written in the
        # requested language, else the question's. A one- or two-word question takes the requested one as its hint.
        asked_in = detect_language(question, hint=language_hint or language, languages=tuple(self.settings.languages))
        lang = language or asked_in
        if asked_in != lang:
            diagnostics["question_language"] = asked_in
        detect_ms = (time.perf_counter() - t) * 1000
        standalone = question
        if history:
            try:
                standalone = condense(history, question, self.llm if use_llm else None)
            except LLMError as exc:
                diagnostics["condense_fallback"] = str(exc)
                standalone = condense(history, question)
            if standalone != question:
                diagnostics["standalone_question"] = standalone

        variants = self._translations(standalone, asked_in, diagnostics)
        retrieval = self.retriever.search(standalone, k=k, mode=mode, language=asked_in, filters=filters,
                                          variants=list(variants.values()))
        if filters and not retrieval.hits:
            diagnostics["filters_match_nothing"] = self.filter_blockers(filters)
        t = time.perf_counter()
        if self.reranker and use_llm and retrieval.hits:
            try:
                retrieval.hits = self.reranker.rerank(standalone, retrieval.hits)
            except LLMError as exc:
                diagnostics["rerank_skipped"] = str(exc)
        rerank_ms = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        request = ComposeRequest(standalone, lang, retrieval.hits, retrieval.query_vector,
                                 latest_turn=question if standalone != question else None, question_language=asked_in)
        similarity = passage_similarity(self.embedder, standalone, request.hits, request.query_vector)
        diagnostics["evidence"] = round(similarity, 4)
        other_years = unmatched_years(question, request.hits)
        if other_years:
            diagnostics["refused_because"] = f"no passage found mentions {', '.join(other_years)}"
        if similarity < self.settings.answer.min_evidence or other_years:
            composition = Composition(refusal(lang), answerable=False)
            composer_name = "llm" if use_llm else "extractive"
        elif use_llm:
            composition = yield from self._compose_with_llm(request, stream, diagnostics, max_tokens)
            composer_name = "llm" if "fallback" not in diagnostics else "extractive"
        else:
            composition = self.extractive.compose(request)
            composer_name = "extractive"
        if not composition.answerable and not composition.text:
            composition.text = refusal(lang)
        # Whatever wrote the answer (a model, or a quote of a hostile document), it embeds no image and no address
        # that is not in the sources.
        composition.text, removed_links = remove_foreign_links(composition.text, request.hits)
        if removed_links:
            diagnostics["removed_links"] = removed_links
        compose_ms = (time.perf_counter() - t) * 1000

        timings = {
            "detect": detect_ms, "embed": retrieval.timings_ms.get("embed", 0.0),
            "search": retrieval.timings_ms.get("search", 0.0) + rerank_ms, "compose": compose_ms,
            "total": (time.perf_counter() - started) * 1000,
        }
        yield StreamEvent(answer=Answer(
            question=question, language=lang, answer=composition.text, answerable=composition.answerable,
            composer=composer_name, citations=composition.citations if composition.answerable else [],
            timings_ms={key: round(value, 1) for key, value in timings.items()},
            diagnostics={**diagnostics, **composition.diagnostics},
        ))

    def _translations(self, question: str, language: str, diagnostics: dict[str, Any]) -> dict[str, str]:
        """The question in HELPDESK_SEARCH_TRANSLATE_TO's languages, when an LLM is there to translate it."""
        targets = self.settings.search.translation_targets
        if not targets or self.llm is None:
            return {}
        t = time.perf_counter()
        try:
            variants = translate_query(self.llm, question, language, targets)
        except LLMError as exc:
            diagnostics["translation_skipped"] = str(exc)
            return {}
        if variants:
            diagnostics["query_translations"] = variants
        diagnostics["translate_ms"] = round((time.perf_counter() - t) * 1000, 1)
        return variants

    def filter_blockers(self, filters: dict[str, Any]) -> dict[str, int]:
        """Filters that together match no document: for each one, the passages that match without it."""
        store = self.retriever.store
        return {key: store.count({"state": STATE_READY, **{k: v for k, v in filters.items() if k != key}})
                for key in filters}

    def _wants_llm(self, composer: str | None) -> bool:
        choice = composer or self.settings.answer.composer
        if choice not in COMPOSERS:
            raise QuestionError(f"unknown composer {choice!r}; use one of: {', '.join(COMPOSERS)}")
        if choice == "llm" and self.llm is None:
            raise LLMNotConfiguredError()
        return choice == "llm" or (choice == "auto" and self.llm is not None)

    def _compose_with_llm(self, request: ComposeRequest, stream: bool, diagnostics: dict[str, Any],
                          max_tokens: int | None = None) -> Iterator[StreamEvent]:
        composer = LLMComposer(self.llm, max_tokens)
        try:
            if not stream:
                return composer.compose(request)
            parts: list[str] = []
            guard = StreamGuard(request.hits)  # nothing reaches the client before it is checked
            for delta in composer.stream(request):
                parts.append(delta)
                if safe := guard.feed(delta):
                    yield StreamEvent(delta=safe)
            if tail := guard.close():
                yield StreamEvent(delta=tail)
            return finish("".join(parts), request)
        except LLMError as exc:
            diagnostics["fallback"] = {"from": "llm", "to": "extractive", "reason": str(exc)}
            return self.extractive.compose(request)

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()


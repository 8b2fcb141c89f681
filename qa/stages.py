"""The stages of answering, each a small component with typed input and output, as Haystack composes components.

`Helpdesk.ask_stream` runs them in order (detect language → condense → retrieve → rerank → evidence gate →
compose → scrub) and `StageClock` times each one. Stages write what the asker or an operator should know (a
fallback, a skipped step) into the answer's `diagnostics` dict they are handed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from common.embedder import Embedder
from common.language import OTHER_LANGUAGE_MIN_WORDS, detect_language, unserved_language
from common.schema import STATE_READY, Answer, SearchHit
from common.settings import Settings
from qa.compose.base import ComposeRequest, Composition
from qa.compose.extractive import ExtractiveComposer
from qa.compose.llm import LLMComposer, check_language, finish
from qa.compose.validate import StreamGuard, remove_foreign_links
from qa.condense import condense
from qa.evidence import passage_similarity, unmatched_years
from qa.llm import ChatBackend, LLMError
from qa.rerank import Reranker
from qa.retriever import Retrieval, Retriever
from qa.templates import refusal
from qa.translate import translate_query

Diagnostics = dict[str, Any]


@dataclass
class StreamEvent:
    """A piece of the answer as the LLM writes it (`delta`), then the checked answer (`answer`)."""

    delta: str | None = None
    answer: Answer | None = None


class StageClock:
    """Milliseconds per stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.ms[stage] = self.ms.get(stage, 0.0) + (time.perf_counter() - t) * 1000

    def total_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


# --- detect language ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Languages:
    asked_in: str  # the question's own language: stemming, the keyword filter and word overlap run in it
    answer_in: str  # the requested language, else the question's: every word we write is in it


@dataclass(frozen=True)
class Unserved:
    language: str  # a language the question is written in that this helpdesk does not serve


class DetectLanguage:
    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages

    def run(self, question: str, requested: str | None, hint: str | None, diagnostics: Diagnostics,
            ) -> Languages | Unserved:
        if requested is None and (foreign := unserved_language(question)):
            # Not answered in a language we do not serve: the caller may ask again naming a served language.
            return Unserved(foreign)
        # A one- or two-word question takes the requested language as its hint.
        asked_in = detect_language(question, hint=hint or requested, languages=self.languages)
        answer_in = requested or asked_in
        if asked_in != answer_in:
            diagnostics["question_language"] = asked_in
        return Languages(asked_in=asked_in, answer_in=answer_in)


# --- condense ----------------------------------------------------------------------------------------------------

class Condense:
    """A follow-up becomes a standalone question; the LLM rewrites it when it composes, else a heuristic does."""

    def __init__(self, llm: ChatBackend | None) -> None:
        self.llm = llm

    def run(self, question: str, history: list[dict[str, str]] | None, use_llm: bool,
            diagnostics: Diagnostics) -> str:
        if not history:
            return question
        try:
            standalone = condense(history, question, self.llm if use_llm else None)
        except LLMError as exc:
            diagnostics["condense_fallback"] = str(exc)
            standalone = condense(history, question)
        if standalone != question:
            diagnostics["standalone_question"] = standalone
        return standalone


# --- retrieve ----------------------------------------------------------------------------------------------------

class Retrieve:
    """Search (with the question's translations when configured); says which filters match nothing."""

    def __init__(self, settings: Settings, retriever: Retriever, llm: ChatBackend | None) -> None:
        self.translation_targets = settings.search.translation_targets
        self.retriever = retriever
        self.llm = llm

    def run(self, question: str, asked_in: str, filters: dict[str, Any] | None, k: int | None, mode: str | None,
            diagnostics: Diagnostics) -> Retrieval:
        variants = self._translations(question, asked_in, diagnostics)
        retrieval = self.retriever.search(question, k=k, mode=mode, language=asked_in, filters=filters,
                                          variants=list(variants.values()))
        if retrieval.glossary_terms:
            diagnostics["glossary_terms"] = retrieval.glossary_terms
        if filters and not retrieval.hits:
            diagnostics["filters_match_nothing"] = self.filter_blockers(filters)
        return retrieval

    def _translations(self, question: str, language: str, diagnostics: Diagnostics) -> dict[str, str]:
        """The question in HELPDESK_SEARCH_TRANSLATE_TO's languages, when an LLM is there to translate it."""
        if not self.translation_targets or self.llm is None:
            return {}
        t = time.perf_counter()
        try:
            variants = translate_query(self.llm, question, language, self.translation_targets)
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


# --- rerank ------------------------------------------------------------------------------------------------------

class Rerank:
    """The LLM reorders the passages (HELPDESK_ANSWER_RERANK=llm, LLM composer only); on its error they keep order."""

    def __init__(self, reranker: Reranker | None) -> None:
        self.reranker = reranker

    def run(self, question: str, hits: list[SearchHit], use_llm: bool, diagnostics: Diagnostics) -> list[SearchHit]:
        if not (self.reranker and use_llm and hits):
            return hits
        try:
            return self.reranker.rerank(question, hits)
        except LLMError as exc:
            diagnostics["rerank_skipped"] = str(exc)
            return hits


# --- evidence gate -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    similarity: float  # best cosine between the question and a passage
    missing_years: list[str] = field(default_factory=list)  # years or periods asked about that no passage names
    sufficient: bool = False


class EvidenceGate:
    """Refuse unless a passage is similar enough to the question and every year it names is in the passages."""

    def __init__(self, embedder: Embedder, min_evidence: float) -> None:
        self.embedder = embedder
        self.min_evidence = min_evidence

    def run(self, request: ComposeRequest, latest_turn: str, diagnostics: Diagnostics) -> Evidence:
        similarity = passage_similarity(self.embedder, request.question, request.hits, request.query_vector)
        diagnostics["evidence"] = round(similarity, 4)
        missing = unmatched_years(latest_turn, request.hits)
        if missing:
            diagnostics["refused_because"] = f"no passage found mentions {', '.join(missing)}"
        return Evidence(similarity, missing, similarity >= self.min_evidence and not missing)


# --- compose -----------------------------------------------------------------------------------------------------

@dataclass
class Composed:
    composition: Composition
    composer: str  # the composer that wrote it: "llm", or "extractive" (chosen, or fallen back to)


class Compose:
    """The refusal when the evidence is short; else the LLM's answer (streamed through a guard) or the extractive one.

    A generator: yields `StreamEvent(delta=...)` as checked text becomes safe to show, returns `Composed`.
    """

    def __init__(self, extractive: ExtractiveComposer, llm: ChatBackend | None) -> None:
        self.extractive = extractive
        self.llm = llm

    def run(self, request: ComposeRequest, evidence: Evidence, use_llm: bool, stream: bool,
            max_tokens: int | None, diagnostics: Diagnostics) -> Iterator[StreamEvent]:
        if not evidence.sufficient:
            composed = Composed(Composition(refusal(request.language), answerable=False),
                                "llm" if use_llm else "extractive")
        elif use_llm:
            composition = yield from self._with_llm(request, stream, max_tokens, diagnostics)
            composed = Composed(composition, "llm" if "fallback" not in diagnostics else "extractive")
        else:
            composed = Composed(self.extractive.compose(request), "extractive")
        if not composed.composition.answerable and not composed.composition.text:
            composed.composition.text = refusal(request.language)
        return composed

    def _with_llm(self, request: ComposeRequest, stream: bool, max_tokens: int | None,
                  diagnostics: Diagnostics) -> Iterator[StreamEvent]:
        composer = LLMComposer(self.llm, max_tokens)
        try:
            if not stream:
                return composer.compose(request)
            parts: list[str] = []
            guard = StreamGuard(request.hits)  # nothing reaches the client before it is checked
            # The opening words are held until they show the answer's language: a wrong one falls back unseen.
            opening, language_checked = "", False
            for delta in composer.stream(request):
                parts.append(delta)
                if safe := guard.feed(delta):
                    if not language_checked:
                        opening += safe
                        if len(opening.split()) < OTHER_LANGUAGE_MIN_WORDS:
                            continue
                        check_language(opening, request)
                        safe, opening, language_checked = opening, "", True
                    yield StreamEvent(delta=safe)
            composition = finish("".join(parts), request)
            if tail := opening + guard.close():
                yield StreamEvent(delta=tail)
            return composition
        except LLMError as exc:
            diagnostics["fallback"] = {"from": "llm", "to": "extractive", "reason": str(exc)}
            return self.extractive.compose(request)


# --- scrub -------------------------------------------------------------------------------------------------------

class Scrub:
    """Whatever wrote the answer (a model, or a quote of a hostile document), it embeds no image and no address that
    is not in the sources."""

    def run(self, composition: Composition, hits: list[SearchHit], diagnostics: Diagnostics) -> Composition:
        composition.text, removed_links = remove_foreign_links(composition.text, hits)
        if removed_links:
            diagnostics["removed_links"] = removed_links
        return composition

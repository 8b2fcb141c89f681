"""The helpdesk as llama-index components: a retriever and a query engine over the helpdesk index.

`HelpdeskRetriever` returns the helpdesk's own retrieval (cross-lingual, filtered, near-duplicates collapsed) as
`NodeWithScore`s; `HelpdeskQueryEngine` returns the helpdesk's checked, cited answer (or refusal) as a `Response`
whose source nodes are the cited passages in citation order. Both open the index the CLI would from the
`HELPDESK_*` environment when built with no arguments; hand them a `Runtime` to share one open index (the embedded
engine admits one handle at a time). Needs the `llamaindex` extra (llama-index-core).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

try:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.response.schema import Response, StreamingResponse
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
    from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilters
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("qa.integrations.llama_index needs llama-index-core: "
                      "pip install 'funding-helpdesk[llamaindex]'") from exc

from common.embedder import text_hash
from common.runtime import Runtime
from common.schema import STATE_READY, Answer, Citation, SearchHit
from common.settings import Settings
from common.store import VectorStore
from qa.helpdesk import Helpdesk
from qa.retriever import FilterError, Retriever, parse_filters

__all__ = ["HelpdeskQueryEngine", "HelpdeskRetriever", "HelpdeskStreamingResponse", "to_conditions"]

# Fields that belong to the document rather than the passage; search results do not carry them, the index does.
DOCUMENT_FIELDS = ("fund", "country", "doc_type", "period")
# What a downstream LLM prompt sees of a node besides its text (llama-index puts metadata into prompts).
_LLM_METADATA = ("title", "language", "page_start", "page_end", "section")

Filters = dict[str, Any] | list[str] | MetadataFilters | None


def to_conditions(filters: Filters) -> dict[str, Any]:
    """Helpdesk filters from a dict, `["fund=ESF+", ...]`, or llama-index `MetadataFilters` (== and `in`, AND)."""
    if not isinstance(filters, MetadataFilters):
        return parse_filters(filters)
    if filters.condition not in (FilterCondition.AND, None) and len(filters.filters) > 1:
        raise FilterError(f"filter condition {filters.condition.value!r} is not supported; the helpdesk ANDs filters")
    pairs: dict[str, list[Any]] = {}
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            raise FilterError("nested MetadataFilters are not supported; give one flat list")
        if item.operator == FilterOperator.EQ:
            values = [item.value]
        elif item.operator == FilterOperator.IN and isinstance(item.value, list):
            values = list(item.value)
        else:
            raise FilterError(f"filter operator {item.operator.value!r} on {item.key!r} is not supported; "
                              "use == or in")
        pairs.setdefault(item.key, []).extend(values)
    return parse_filters(pairs)


class _IndexAccess:
    """The runtime both classes stand on: their own from settings (closed with them) or one they are lent."""

    def __init__(self, settings: Settings | None, runtime: Runtime | None) -> None:
        self.owned = runtime is None
        self.runtime = runtime if runtime is not None else Runtime(settings or Settings())

    def close(self) -> None:
        if self.owned:
            self.runtime.close()


class _Nodes:
    """Search hits and citations as llama-index nodes: id = the chunk's id in the index, metadata = its payload."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store

    def _first(self, must: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        records = self.store.scroll({**must, "state": STATE_READY}, list(DOCUMENT_FIELDS))
        try:
            return next(records, None)
        finally:
            records.close()

    def from_hits(self, hits: list[SearchHit]) -> list[NodeWithScore]:
        documents: dict[str, dict[str, Any]] = {}
        nodes = []
        for hit in hits:
            if hit.doc_id not in documents:
                record = self._first({"doc_id": hit.doc_id})
                documents[hit.doc_id] = record[1] if record else {}
            nodes.append(NodeWithScore(node=_text_node(hit.chunk_id, hit, documents[hit.doc_id]), score=hit.score))
        return nodes

    def from_citations(self, citations: list[Citation]) -> list[NodeWithScore]:
        nodes = []
        for citation in sorted(citations, key=lambda c: c.n):
            record = self._first({"doc_id": citation.doc_id, "chunk_hash": text_hash(citation.text)})
            chunk_id, fields = record if record else (None, {})
            node = _text_node(chunk_id, citation, fields)
            node.metadata["citation"] = citation.n
            nodes.append(NodeWithScore(node=node, score=citation.score))
        return nodes


def _text_node(chunk_id: str | None, passage: SearchHit | Citation, document: dict[str, Any]) -> TextNode:
    metadata = {
        "doc_id": passage.doc_id, "title": passage.title, "source": passage.source, "url": passage.url,
        "language": passage.language, "page_start": passage.page_start, "page_end": passage.page_end,
        "section": passage.section, "fund": list(document.get("fund") or []), "country": document.get("country"),
        "doc_type": document.get("doc_type"), "period": document.get("period"),
    }
    extra = {"id_": chunk_id} if chunk_id else {}
    return TextNode(
        text=passage.text, metadata=metadata, **extra,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.doc_id)},
        # The passages are embedded already; prompts get the citation-worthy fields only.
        excluded_embed_metadata_keys=list(metadata),
        excluded_llm_metadata_keys=[key for key in metadata if key not in _LLM_METADATA] + ["citation"],
    )


class HelpdeskRetriever(BaseRetriever):
    """A llama-index retriever over the helpdesk index (embedded or Qdrant server, as the settings say).

    `k`, `mode` (dense | sparse | hybrid) and `filters` default to the settings; `language` fixes the question
    language instead of detecting it. Node ids are the index's chunk ids; `node.ref_doc_id` is the doc_id.
    """

    def __init__(
        self, settings: Settings | None = None, *, k: int | None = None, filters: Filters = None,
        mode: str | None = None, language: str | None = None, runtime: Runtime | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        self.conditions = to_conditions(filters)  # a bad filter fails here, before the index is opened
        self._access = _IndexAccess(settings, runtime)
        runtime = self._access.runtime
        self.settings = runtime.settings
        self.k, self.mode, self.language = k, mode, language
        self._retriever = Retriever(runtime.settings, runtime.store, runtime.embedder)
        self._nodes = _Nodes(runtime.store)
        super().__init__(callback_manager=callback_manager)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self._retriever.search(query_bundle.query_str, k=self.k, mode=self.mode, language=self.language,
                                        filters=self.conditions)
        return self._nodes.from_hits(result.hits)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Embedding and search are blocking CPU work; a worker thread keeps the caller's event loop free.
        return await asyncio.to_thread(self._retrieve, query_bundle)

    def close(self) -> None:
        self._access.close()

    def __enter__(self) -> "HelpdeskRetriever":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class HelpdeskStreamingResponse(StreamingResponse):
    """The answer as the composer writes it; `source_nodes` and `metadata` fill in when the stream ends.

    The helpdesk checks the streamed draft once it is complete; when the check changes it (a citation dropped,
    a refusal, a fallback to the extractive composer), `metadata["revised"]` is True, and `str(response)`,
    `get_response()` and `response_txt` give the checked answer rather than the draft.
    """

    checked: str | None = None

    def _drain(self) -> None:
        if self.response_txt is None and self.response_gen is not None:
            for _ in self.response_gen:
                pass
        if self.checked is not None:
            self.response_txt = self.checked

    def __str__(self) -> str:
        self._drain()
        return self.response_txt or "None"

    def get_response(self) -> Response:
        self._drain()
        return Response(self.response_txt, self.source_nodes, self.metadata)

    def print_response_stream(self) -> None:
        if self.response_txt is None and self.response_gen is not None:
            streamed = "".join(print(piece, end="", flush=True) or piece for piece in self.response_gen)
            if self.checked is not None and self.checked.strip() != streamed.strip():
                print(f"\n\n{self.checked}", end="")
            print()
        else:
            print(self.response_txt)


class HelpdeskQueryEngine(BaseQueryEngine):
    """A llama-index query engine whose response is the helpdesk's answer.

    `response.response` is the cited answer or the refusal, in the asker's language (or `language`);
    `source_nodes` are the cited passages in citation order ([1] first, `metadata["citation"]` = its number);
    `response.metadata` holds answerable, language, composer, diagnostics, timings_ms and citations. With
    `streaming=True` the query returns a `HelpdeskStreamingResponse`: the LLM composer's text as it is written,
    or the whole answer at once when the composer does not stream (extractive, refusals).
    """

    def __init__(
        self, settings: Settings | None = None, *, k: int | None = None, filters: Filters = None,
        mode: str | None = None, language: str | None = None, composer: str | None = None,
        streaming: bool = False, runtime: Runtime | None = None, helpdesk: Helpdesk | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        """`helpdesk` lends a configured Helpdesk (and its index; `settings` and `runtime` are then unused)."""
        self.conditions = to_conditions(filters)
        # A lent helpdesk brings its own open index; otherwise one is opened (or lent) here.
        self._access = _IndexAccess(settings, runtime) if helpdesk is None else None
        if helpdesk is None:
            runtime = self._access.runtime
            helpdesk = Helpdesk(runtime.settings, runtime.store, runtime.embedder)
        self._owns_helpdesk = self._access is not None
        self.helpdesk = helpdesk
        self.settings = helpdesk.settings
        self.k, self.mode, self.language, self.composer, self.streaming = k, mode, language, composer, streaming
        self._nodes = _Nodes(helpdesk.retriever.store)
        super().__init__(callback_manager=callback_manager)

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}  # the helpdesk's prompts are its own (qa.templates), not llama-index prompt templates

    def _options(self) -> dict[str, Any]:
        return {"language": self.language, "filters": self.conditions, "composer": self.composer, "k": self.k,
                "mode": self.mode}

    def _metadata(self, answer: Answer) -> dict[str, Any]:
        return {"answerable": answer.answerable, "language": answer.language, "composer": answer.composer,
                "diagnostics": answer.diagnostics, "timings_ms": answer.timings_ms,
                "citations": [c.model_dump() for c in answer.citations]}

    def answer(self, question: str) -> Answer:
        """The helpdesk's own answer object, for callers who want it as the API returns it."""
        return self.helpdesk.ask(question, **self._options())

    def _query(self, query_bundle: QueryBundle) -> Response | HelpdeskStreamingResponse:
        if self.streaming:
            return self._stream(query_bundle.query_str)
        answer = self.answer(query_bundle.query_str)
        return Response(answer.answer, self._nodes.from_citations(answer.citations), self._metadata(answer))

    async def _aquery(self, query_bundle: QueryBundle) -> Response | HelpdeskStreamingResponse:
        # The stream (when streaming) stays a plain iterator, consumed by the caller.
        return await asyncio.to_thread(self._query, query_bundle)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """The passages the engine would read, as the retriever returns them."""
        result = self.helpdesk.retriever.search(query_bundle.query_str, k=self.k, mode=self.mode,
                                                language=self.language, filters=self.conditions)
        return self._nodes.from_hits(result.hits)

    def _stream(self, question: str) -> HelpdeskStreamingResponse:
        events = self.helpdesk.ask_stream(question, stream=True, **self._options())
        # Pull the first event now: a bad question, filter or missing LLM fails in query(), not mid-iteration.
        first = next(events)
        response = HelpdeskStreamingResponse(response_gen=iter(()), source_nodes=[], metadata={})

        def pieces() -> Iterator[str]:
            streamed: list[str] = []
            for event in _chain(first, events):
                if event.delta is not None:
                    streamed.append(event.delta)
                    yield event.delta
                    continue
                answer = event.answer
                if not streamed:  # nothing was streamed (extractive, refusal): the answer is the one piece
                    streamed.append(answer.answer)
                    yield answer.answer
                response.source_nodes.extend(self._nodes.from_citations(answer.citations))
                response.metadata.update(self._metadata(answer),
                                         revised="".join(streamed).strip() != answer.answer.strip())
                response.checked = answer.answer
                response.response_txt = answer.answer

        response.response_gen = pieces()
        return response

    def close(self) -> None:
        if self._owns_helpdesk:
            self.helpdesk.close()
        if self._access is not None:
            self._access.close()

    def __enter__(self) -> "HelpdeskQueryEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest

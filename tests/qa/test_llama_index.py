"""The helpdesk as llama-index components, over the sample corpus in a real embedded Qdrant (and qdrant-client's
local mode standing in for a server): retrieval, the query engine whole and streamed, llama-index's evaluator."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("llama_index.core", reason="llama-index-core is not installed (the 'llamaindex' extra)")

from llama_index.core.base.response.schema import Response  # noqa: E402
from llama_index.core.evaluation import RetrieverEvaluator  # noqa: E402
from llama_index.core.schema import TextNode  # noqa: E402
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters  # noqa: E402

from common.schema import STATE_READY  # noqa: E402
from common.settings import LLMSettings  # noqa: E402
from evals.dataset import load_dataset  # noqa: E402
from evals.matching import contains_any  # noqa: E402
from evals.metrics import hit_at_k, reciprocal_rank  # noqa: E402
from qa.helpdesk import Helpdesk, QuestionError  # noqa: E402
from qa.integrations.llama_index import (  # noqa: E402
    HelpdeskQueryEngine, HelpdeskRetriever, HelpdeskStreamingResponse, to_conditions)
from qa.retriever import FilterError, Retriever  # noqa: E402
from qa.templates import refusal  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.qa.openai_server import OpenAIProtocolServer  # noqa: E402

BG_QUESTION = "Какъв е максималният процент на съфинансиране за по-слабо развитите региони?"
NODE_METADATA = {"doc_id", "title", "source", "url", "language", "page_start", "page_end", "section", "fund",
                 "country", "doc_type", "period"}


@pytest.fixture(scope="module")
def retriever(sample_runtime):
    return HelpdeskRetriever(runtime=sample_runtime, k=5)


@pytest.fixture(scope="module")
def engine(sample_runtime):
    return HelpdeskQueryEngine(runtime=sample_runtime, composer="extractive")


def test_retriever_returns_the_helpdesk_ranking_as_nodes_with_document_metadata(retriever, sample_runtime):
    nodes = retriever.retrieve(BG_QUESTION)
    own = Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder).search(BG_QUESTION, k=5)
    assert [n.node.node_id for n in nodes] == [h.chunk_id for h in own.hits]
    assert [n.score for n in nodes] == pytest.approx([h.score for h in own.hits])
    top = nodes[0].node
    assert isinstance(top, TextNode) and set(top.metadata) == NODE_METADATA
    assert "co-financing-rates" in top.metadata["source"] and top.ref_doc_id == top.metadata["doc_id"]
    # Document fields come from the guide's front matter, which search hits themselves do not carry.
    assert "ESF+" in top.metadata["fund"] and top.metadata["country"] == "EU"
    assert top.metadata["doc_type"] == "guide" and top.metadata["period"] == "2021-2027"
    pdf = next(n.node for n in nodes if n.node.metadata["source"].endswith(".pdf"))
    assert isinstance(pdf.metadata["page_start"], int) and pdf.metadata["page_start"] >= 1
    # A downstream prompt sees the citation fields, not ids and paths.
    assert "source:" not in top.get_content(metadata_mode="llm") and "title:" in top.get_content(metadata_mode="llm")


def test_filters_and_k_are_constructor_arguments(sample_runtime):
    as_list = HelpdeskRetriever(runtime=sample_runtime, k=3, filters=["language=fr"]).retrieve("co-financing rates")
    assert len(as_list) == 3 and {n.node.metadata["language"] for n in as_list} == {"fr"}
    llama_filters = MetadataFilters(filters=[
        MetadataFilter(key="language", value=["de", "nl"], operator=FilterOperator.IN),
        MetadataFilter(key="fund", value="ESF+"),
    ])
    nodes = HelpdeskRetriever(runtime=sample_runtime, filters=llama_filters).retrieve("eligible costs")
    assert nodes and all(n.node.metadata["language"] in ("de", "nl") and "ESF+" in n.node.metadata["fund"]
                         for n in nodes)
    with pytest.raises(FilterError, match="unknown filter 'colour'"):
        HelpdeskRetriever(runtime=sample_runtime, filters={"colour": "red"})
    with pytest.raises(FilterError, match="operator '>' on 'period' is not supported"):
        to_conditions(MetadataFilters(filters=[MetadataFilter(key="period", value="2014",
                                                              operator=FilterOperator.GT)]))


def test_async_retrieval_matches_sync(retriever):
    async def both():
        return await asyncio.gather(retriever.aretrieve(BG_QUESTION), retriever.aretrieve("indirect costs flat rate"))

    first, second = asyncio.run(both())
    assert [n.node.node_id for n in first] == [n.node.node_id for n in retriever.retrieve(BG_QUESTION)]
    assert second and second[0].node.node_id != first[0].node.node_id


def test_retriever_plugs_into_llama_index_retrieval_evaluation(retriever, sample_runtime):
    """llama-index's RetrieverEvaluator (hit rate, MRR: no LLM needed) over sample questions, against the
    project's own metrics on the same rankings: the node ids must be the chunk ids the index holds."""
    questions = [q for q in load_dataset(ROOT / "evals" / "datasets" / "sample.jsonl") if q.answerable][:6]
    chunks = list(sample_runtime.store.scroll({"state": STATE_READY}, ["text"]))
    evaluator = RetrieverEvaluator.from_metric_names(["hit_rate", "mrr"], retriever=retriever)
    own = Retriever(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder)
    hit_rates, mrrs = [], []
    for question in questions:
        expected = [chunk_id for chunk_id, payload in chunks if contains_any(payload["text"], question.evidence)]
        result = evaluator.evaluate(query=question.question, expected_ids=expected)
        relevance = [contains_any(h.text, question.evidence) for h in own.search(question.question, k=5).hits]
        assert result.metric_vals_dict["hit_rate"] == hit_at_k(relevance, 5)
        assert result.metric_vals_dict["mrr"] == pytest.approx(reciprocal_rank(relevance, 5))
        hit_rates.append(result.metric_vals_dict["hit_rate"])
        mrrs.append(result.metric_vals_dict["mrr"])
    assert sum(hit_rates) / len(hit_rates) >= 0.8 and sum(mrrs) / len(mrrs) >= 0.5, (hit_rates, mrrs)


def test_query_engine_answers_with_cited_passages_in_citation_order(engine, sample_runtime):
    # Answered from two passages: the English ERDF guide's sentence on Article 112(3) and the co-financing guide's
    # table row, both stating 85 %.
    question = "What is the maximum EU rate for less developed regions?"
    response = engine.query(question)
    answer = Helpdesk(sample_runtime.settings, sample_runtime.store, sample_runtime.embedder).ask(
        question, composer="extractive")
    assert isinstance(response, Response) and response.response == answer.answer
    assert response.metadata["answerable"] is True and response.metadata["language"] == "en"
    assert response.metadata["composer"] == "extractive" and "evidence" in response.metadata["diagnostics"]
    assert len(answer.citations) >= 2
    assert [n.node.metadata["citation"] for n in response.source_nodes] == list(range(1, len(answer.citations) + 1))
    assert [n.node.text for n in response.source_nodes] == [c.text for c in answer.citations]
    for node in response.source_nodes:
        # Each cited passage is found again in the index: its node id is its chunk id, like the retriever's.
        payload = dict(sample_runtime.store.scroll({"doc_id": node.node.metadata["doc_id"]}, ["text"]))
        assert payload[node.node.node_id]["text"] == node.node.text
        assert node.node.metadata["fund"] and node.node.metadata["period"] == "2021-2027"


def test_query_engine_refuses_in_the_askers_language(engine):
    response = engine.query("Какая столица Франции?")
    assert response.response == refusal("ru") and response.source_nodes == []
    assert response.metadata["answerable"] is False and response.metadata["language"] == "ru"
    with pytest.raises(QuestionError, match="empty"):
        engine.query("   ")


def test_async_query(engine):
    response = asyncio.run(engine.aquery("What flat rate can be used to cover indirect costs?"))
    assert "7 %" in response.response and response.source_nodes


@pytest.fixture(scope="module")
def llm_server():
    with OpenAIProtocolServer() as server:
        yield server


def _llm_helpdesk(runtime, server, model: str) -> Helpdesk:
    llm = LLMSettings(base_url=server.base_url, model=model, api_key="test-key", timeout_s=10)
    return Helpdesk(runtime.settings.model_copy(update={"llm": llm}), runtime.store, runtime.embedder)


def test_streaming_yields_the_llm_text_then_fills_sources(sample_runtime, llm_server):
    helpdesk = _llm_helpdesk(sample_runtime, llm_server, "cite-first")
    engine = HelpdeskQueryEngine(helpdesk=helpdesk, streaming=True)
    try:
        response = engine.query(BG_QUESTION)
        # Sources and metadata come with the end of the stream, not before it.
        assert isinstance(response, HelpdeskStreamingResponse) and response.source_nodes == [] == list(response.metadata)
        pieces = list(response.response_gen)
    finally:
        helpdesk.close()
    assert pieces and response.metadata["composer"] == "llm" and response.metadata["revised"] is False
    assert str(response) == "".join(pieces) and response.get_response().response == "".join(pieces)
    assert [n.node.metadata["citation"] for n in response.source_nodes] == [1]


def test_a_streamed_draft_the_helpdesk_replaces_gives_way_to_the_checked_answer(sample_runtime, llm_server):
    """The model breaks off mid-stream: what was streamed is a draft; the answer is the extractive fallback."""
    helpdesk = _llm_helpdesk(sample_runtime, llm_server, "cut-off")
    engine = HelpdeskQueryEngine(helpdesk=helpdesk, streaming=True)
    try:
        response = engine.query(BG_QUESTION)
        draft = "".join(response.response_gen)
    finally:
        helpdesk.close()
    assert draft and response.metadata["revised"] is True and response.metadata["composer"] == "extractive"
    assert "fallback" in response.metadata["diagnostics"] and response.source_nodes
    assert str(response) == response.get_response().response == response.response_txt != draft
    assert "85 %" in str(response)


def test_streaming_with_the_extractive_composer_gives_the_answer_in_one_piece(sample_runtime):
    engine = HelpdeskQueryEngine(runtime=sample_runtime, composer="extractive", streaming=True)
    response = engine.query(BG_QUESTION)
    assert list(response.response_gen) == [response.response_txt] and response.metadata["revised"] is False
    assert response.source_nodes and response.metadata["answerable"] is True


def test_both_build_from_the_environment_over_a_qdrant_server_store(tmp_path, monkeypatch, embedding_cache_dir):
    """No arguments: settings from HELPDESK_*; here a qdrant-client local store stands in for a server."""
    from ingest.llama_index_bridge import ingest_documents
    from llama_index.core import Document

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HELPDESK_QDRANT_LOCAL_PATH", str(tmp_path / "qdrant-local"))
    guide = (ROOT / "corpus" / "guides" / "en" / "simplified-cost-options.md").read_text(encoding="utf-8")
    summary = ingest_documents([Document(text=guide, metadata={"file_path": "guides/sco.md", "fund": "ESF+"})])
    assert summary.ok and summary.new == ["guides/sco.md"]
    with HelpdeskRetriever(k=2) as retriever:
        assert retriever.settings.store.local_path == str(tmp_path / "qdrant-local")
        nodes = retriever.retrieve("What flat rate covers indirect costs?")
    assert len(nodes) == 2 and nodes[0].node.metadata["source"] == "guides/sco.md"
    assert nodes[0].node.metadata["fund"] == ["ESF+"]
    with HelpdeskQueryEngine(composer="extractive") as engine:
        response = engine.query("What flat rate can be used to cover indirect costs?")
    assert "7 %" in response.response and response.source_nodes[0].node.metadata["source"] == "guides/sco.md"

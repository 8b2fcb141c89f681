"""Questions run through the real retriever and helpdesk over a tiny index, judged against their evidence."""

from __future__ import annotations

from evals.corpus_index import open_corpus_index
from evals.dataset import load_dataset
from evals.runner import EvidenceInIndex, evidence_in_index, run_preset


def test_records_judge_rankings_and_answers_and_presets_change_the_search(tiny_corpus, tiny_dataset, make_settings):
    questions = load_dataset(tiny_dataset)
    index = open_corpus_index(tiny_corpus, make_settings())
    seen = []
    try:
        assert evidence_in_index(index.runtime.store, questions) == {
            "coffee": EvidenceInIndex(1, ["en"]), "velo": EvidenceInIndex(1, ["fr"]),
            "bees": EvidenceInIndex(1, ["de"]), "submarine": EvidenceInIndex(0, [])}
        dense = run_preset(index.runtime, questions, "dense", k=5, composer="extractive",
                           context={"dataset": "tiny"}, on_record=seen.append)
        sparse = run_preset(index.runtime, questions, "sparse", k=5, composer="extractive")
        narrow = run_preset(index.runtime, questions[:1], "dense", k=1, deep_k=3, composer="extractive")
    finally:
        index.runtime.close()

    assert [r.id for r in seen] == [q.id for q in questions] == [r.id for r in dense.records]
    records = {r.id: r for r in dense.records}
    # Three one-chunk documents: dense retrieval returns all of them, exactly one relevant per answerable question.
    for qid in ("coffee", "velo", "bees"):
        assert len(records[qid].hits) == 3 and sum(records[qid].relevance) == 1
        assert records[qid].relevant_in_index == 1 and records[qid].has_evidence
        assert records[qid].evidence_languages == [{"coffee": "en", "velo": "fr", "bees": "de"}[qid]]
    assert records["coffee"].hits[0].relevant and records["coffee"].hits[0].source.endswith("coffee.md")
    assert not any(records["submarine"].relevance) and not records["submarine"].has_evidence
    coffee = records["coffee"]
    assert coffee.answerable and "70" in coffee.answer and coffee.facts_found == [True]
    assert coffee.answer_language == "en" and coffee.composer == "extractive"
    assert coffee.citations and coffee.citations[0].relevant
    assert all(r.search_ms > 0 and r.ask_ms > 0 for r in dense.records)
    # One search: what is judged is what the composer received, so every cited passage is among the judged ones.
    for record in dense.records:
        assert {c.doc_id for c in record.citations} <= {h.doc_id for h in record.hits}
        assert record.question_language_detected == record.language and not record.deep_hits
    # --k changes what is composed and judged; a deeper search is only run when asked for, and kept apart.
    (one,) = narrow.records
    assert len(one.hits) == 1 and len(one.deep_hits) == 3 and narrow.summary["config"]["search"]["k"] == 1
    assert list(narrow.summary["deep_retrieval"]) == ["deep_recall@1", "deep_recall@3", "deep_mrr@3", "deep_ndcg@3"]

    summary = dense.summary
    assert summary["retrieval"]["recall@5"] == 1.0 and summary["answer"]["cited_rate"] is not None
    assert summary["config"]["dataset"] == "tiny" and summary["config"]["preset"] == "dense"
    assert summary["config"]["search"]["mode"] == "dense" and summary["config"]["composers_used"] == ["extractive"]
    # Keywords cannot cross from a German question to a French page: sparse misses what dense finds.
    assert sparse.summary["config"]["search"]["mode"] == "sparse"
    assert not any({r.id: r for r in sparse.records}["velo"].relevance)


def test_the_deep_search_uses_the_translations_the_answer_used(tiny_corpus, make_settings):
    """Under a translate preset the answer's search carries the question's translations; the deeper search that
    deep_recall judges carries the same ones, or it would measure another retrieval."""
    from evals.runner import RecordingRetriever
    from qa.retriever import Retriever

    index = open_corpus_index(tiny_corpus, make_settings())
    try:
        runtime = index.runtime
        retriever = Retriever(runtime.settings, runtime.store, runtime.embedder)
        recorder = RecordingRetriever(retriever)
        question, variants = "Kaffee?", ["How much coffee does a barista drink per day?"]
        recorder.search(question, k=1, language="de", variants=variants)
        deep = {h.chunk_id: h.score for h in recorder.deep(question, 3, "de").hits}
        translated = {h.chunk_id: h.score for h in retriever.search(question, k=3, language="de", variants=variants).hits}
        plain = {h.chunk_id: h.score for h in retriever.search(question, k=3, language="de").hits}
        assert deep == translated and deep != plain
    finally:
        index.runtime.close()

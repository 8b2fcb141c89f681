"""Sentence units stored with their chunks: a chunk whose one sentence answers ranks up, and the extractive
composer quotes from the stored vectors, or embeds the sentences itself when a hit has none."""

from __future__ import annotations

import pytest

from common.runtime import Runtime
from common.settings import Settings
from ingest.pipeline import Ingestor
from qa.compose.base import ComposeRequest
from qa.compose.extractive import ExtractiveComposer
from qa.retriever import Retriever

ANSWER = "Projects in the outermost regions may receive a co-financing rate of up to 85 %."
# The answer is one sentence of a long chunk about running a project ...
PROJECT = ("---\ntitle: Managing an ESF+ project\nlanguage: en\n---\n# Managing an ESF+ project\n\n## Running the project\n\n"
           "Beneficiaries keep the originals of timesheets, invoices and attendance lists in a single project file. "
           "Every poster, leaflet and web page about the project shows the EU emblem with the words \"Co-funded by the "
           "European Union\". Progress reports are sent to the intermediate body twice a year, by 31 January and 31 "
           "July. Changes to the project team are notified within ten working days. " + ANSWER + " Audits by the "
           "managing authority can take place up to five years after the final payment, so the file is kept for "
           "that long.\n")
# ... while a chunk that is about the outermost regions as a whole, and states no rate, resembles the question more.
REGIONS = ("---\ntitle: The outermost regions\nlanguage: en\n---\n# The outermost regions\n\n## Which regions are outermost\n\n"
           "The outermost regions of the EU are Guadeloupe, French Guiana, Martinique, Mayotte, Réunion and "
           "Saint-Martin in France, the Azores and Madeira in Portugal, and the Canary Islands in Spain. Their "
           "remoteness, small size and dependence on a few products hold back their development. The outermost "
           "regions receive an additional allocation from the ERDF and ESF+ to offset these handicaps, and their "
           "programmes may support operating costs that other regions cannot cover.\n")
QUESTION = "What co-financing rate applies in the outermost regions?"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, embedding_cache_dir):
    folder = tmp_path_factory.mktemp("units-docs")
    (folder / "project.md").write_text(PROJECT, encoding="utf-8")
    (folder / "regions.md").write_text(REGIONS, encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("units-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    summary = Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder])
    assert summary.ok and summary.units >= 8
    yield runtime
    runtime.close()


def _retriever(runtime, **search) -> Retriever:
    settings = runtime.settings.model_copy(update={"search": runtime.settings.search.model_copy(update=search)})
    return Retriever(settings, runtime.store, runtime.embedder)


def _ranked(runtime, **search) -> list[tuple[str, float]]:
    return [(h.source.rsplit("/", 1)[-1], h.score) for h in _retriever(runtime, **search).search(QUESTION, k=2).hits]


def test_a_chunk_whose_best_sentence_answers_ranks_up(runtime):
    # The order by score alone: the words the sentences share with the question (on by default) would put the
    # answering chunk first by themselves.
    chunk_only = _ranked(runtime, unit_weight=0.0, words_depth=0)
    best_unit = _ranked(runtime, unit_weight=1.0, words_depth=0)
    mixed = dict(_ranked(runtime, words_depth=0))  # the default weight
    assert _ranked(runtime, unit_weight=0.0)[0][0] == "project.md"
    assert chunk_only[0][0] == "regions.md"  # by the chunks alone the topic wins ...
    assert best_unit[0][0] == "project.md"  # ... by their best sentence the answer does
    # The default mixes both: the answering chunk gains on the other.
    assert mixed["project.md"] - mixed["regions.md"] > dict(chunk_only)["project.md"] - dict(chunk_only)["regions.md"]


def test_the_composer_quotes_from_stored_unit_vectors_or_embeds_without_them(runtime, tmp_path, embedding_cache_dir):
    """Units stored alone are the composer's own vectors and it takes them; units stored with title and section
    (the default) serve search only, and the composer embeds its units as it always did: same quotes either way."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "project.md").write_text(PROJECT, encoding="utf-8")
    (folder / "regions.md").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    plain_settings = Settings(data_dir=tmp_path / "data")
    plain_settings = plain_settings.model_copy(update={"chunk": plain_settings.chunk.model_copy(update={"unit_context": False})})
    plain = Runtime(plain_settings)
    try:
        assert Ingestor(plain.settings, plain.store, plain.embedder).ingest([folder]).ok
        compositions = {}
        for name, index in (("alone", plain), ("in context", runtime)):
            retrieval = _retriever(index, unit_weight=1.0).search(QUESTION, k=2)
            if name == "alone":
                assert all(hit.unit_vectors and len(hit.unit_vectors) == len(hit.unit_keys) for hit in retrieval.hits)
            else:  # vectors of texts with title and section could never be the composer's: not even read
                assert all(hit.unit_keys and hit.unit_vectors is None for hit in retrieval.hits)
            composer = ExtractiveComposer(index.embedder, index.settings.answer)
            compositions[name] = composer.compose(ComposeRequest(QUESTION, "en", retrieval.hits,
                                                                 query_vector=retrieval.query_vector))
            units = sum(len(hit.unit_keys) for hit in retrieval.hits)
            # An index from before units, or a hit from elsewhere, is composed as the "in context" one is.
            bare = composer.compose(ComposeRequest(
                QUESTION, "en", [hit.model_copy(update={"unit_vectors": None, "unit_keys": None}) for hit in retrieval.hits],
                query_vector=retrieval.query_vector))
            assert bare.diagnostics["stored_unit_vectors"] == f"0/{units}"
            assert bare.text == compositions[name].text
        assert compositions["alone"].diagnostics["stored_unit_vectors"] == f"{units}/{units}"
        assert compositions["in context"].diagnostics["stored_unit_vectors"].startswith("0/")
        for composition in compositions.values():
            assert composition.answerable and "85 %" in composition.text
            assert composition.citations[0].source.endswith("project.md")
    finally:
        plain.close()

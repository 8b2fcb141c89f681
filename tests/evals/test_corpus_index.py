"""The eval collection of a corpus: built once, reused while corpus and index settings are unchanged."""

from __future__ import annotations

import json

from common.settings import ChunkSettings
from evals.corpus_index import collection_name, index_key, open_corpus_index
from tests.evals.conftest import TINY_DOCS


def _open(corpus, settings):
    index = open_corpus_index(corpus, settings)
    index.runtime.close()
    return index


def test_second_open_reuses_the_collection_without_ingesting(tiny_corpus, make_settings):
    settings = make_settings()
    first = _open(tiny_corpus, settings)
    assert not first.reused and first.built["files"] == 3 and first.built["chunks"] == 3
    assert first.settings.store.collection == collection_name(first.key) == f"eval-{first.key[:12]}"
    assert settings.store.collection == "helpdesk"  # the caller's settings are left alone
    marker = settings.data_dir / "evals" / "index" / f"{collection_name(first.key)}.json"
    assert json.loads(marker.read_text(encoding="utf-8"))["key"] == first.key

    second = _open(tiny_corpus, settings)
    assert second.reused and second.key == first.key and second.built == first.built
    assert second.describe()["reused"] is True and second.describe()["chunks"] == 3


def test_an_edited_file_or_other_chunking_gets_a_new_collection(tiny_corpus, make_settings):
    settings = make_settings()
    first = _open(tiny_corpus, settings)
    (tiny_corpus / "coffee.md").write_text("# Coffee\n\nThe grant now covers 60 % of the equipment.\n",
                                           encoding="utf-8")
    edited = _open(tiny_corpus, settings)
    assert edited.key != first.key and not edited.reused and edited.built["files"] == 3
    rechunked = settings.model_copy(update={"chunk": ChunkSettings(size=500, overlap=50)})
    assert index_key(tiny_corpus, rechunked) != edited.key
    # Back to the first text: that collection is still complete, so it is reused.
    (tiny_corpus / "coffee.md").write_text(TINY_DOCS["coffee.md"], encoding="utf-8")
    assert _open(tiny_corpus, settings).reused


def test_the_key_follows_paths_and_contents_not_timestamps_or_location(tiny_corpus, make_settings, tmp_path):
    settings = make_settings()
    key = index_key(tiny_corpus, settings)
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for path in tiny_corpus.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    assert index_key(copy, settings) == key
    (copy / "velo.md").rename(copy / "velo-renamed.md")
    assert index_key(copy, settings) != key
    (copy / ".hidden").write_text("editor state", encoding="utf-8")
    (copy / "velo-renamed.md").rename(copy / "velo.md")
    assert index_key(copy, settings) == key  # hidden files are not part of the corpus


def test_a_missing_marker_means_an_unfinished_ingest(tiny_corpus, make_settings):
    settings = make_settings()
    first = _open(tiny_corpus, settings)
    (settings.data_dir / "evals" / "index" / f"{collection_name(first.key)}.json").unlink()
    again = _open(tiny_corpus, settings)
    # Ingested again (the pipeline finds every document unchanged, so nothing is embedded).
    assert not again.reused and again.built["embedded"] == 0 and again.built["chunks"] == 3


def test_an_ingest_with_failed_files_is_not_marked_complete(tiny_corpus, make_settings):
    settings = make_settings()
    (tiny_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    partial = _open(tiny_corpus, settings)
    assert partial.built["failed"] and not partial.reused
    marker = settings.data_dir / "evals" / "index" / f"{collection_name(partial.key)}.json"
    assert not marker.exists()
    assert not _open(tiny_corpus, settings).reused  # tried again, never served as a finished index

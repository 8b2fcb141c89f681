"""llama-index reader documents into the index through the file pipeline: page labels become pages, re-reading
unchanged content is a no-op, a crash mid-write leaves the index consistent, `helpdesk ingest --reader` works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="llama-index-core is not installed (the 'llamaindex' extra)")

from llama_index.core import Document, SimpleDirectoryReader  # noqa: E402

from common.runtime import Runtime  # noqa: E402
from common.schema import STATE_READY  # noqa: E402
from ingest.llama_index_bridge import (  # noqa: E402
    DocumentIngest, ReaderError, group_documents, ingest_documents, read_with)
from ingest.pipeline import Ingestor  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.ingest.llama_readers import PdfPageReader  # noqa: E402

# One distinctive sentence per page, so each chunk's page can be checked against where its text was.
PAGE_TEXTS = [
    "Article 1 Scope\nThis programme guide explains how NGOs apply for ESF+ support in Estonia. "
    "Applications are submitted through the e-services portal of the State Shared Service Centre.",
    "Article 2 Eligible costs\nStaff costs of the project team are eligible when timesheets are kept. "
    "Travel costs follow the national rules on business trips and daily allowances.",
    "Article 3 Reporting\nThe beneficiary reports progress every six months with the indicators agreed. "
    "The final report is due within sixty days after the end of the project.",
]


def _payloads(settings) -> dict[str, dict]:
    runtime = Runtime(settings)
    try:
        return dict(runtime.store.scroll({}, ["doc_id", "source", "page_start", "page_end", "text", "state",
                                              "fund", "country", "title", "doc_hash"]))
    finally:
        runtime.close()


@pytest.fixture
def labelled_pdf(tmp_path, dejavu, builders) -> Path:
    path = tmp_path / "ngo-guide.pdf"
    path.write_bytes(builders.pdf(PAGE_TEXTS, title="NGO guide"))
    return path


def test_page_labels_become_chunk_pages_and_reingest_is_a_no_op(labelled_pdf, make_settings):
    documents = PdfPageReader().load_data(labelled_pdf)
    assert [d.metadata["page_label"] for d in documents] == ["1", "2", "3"]
    settings = make_settings()
    first = ingest_documents(documents, settings, metadata={"fund": "ESF+", "country": "ee", "title": "NGO guide"})
    assert first.ok and first.new == [str(labelled_pdf)] and first.chunks >= 1 and first.pages == 3
    payloads = _payloads(settings)
    assert {p["state"] for p in payloads.values()} == {STATE_READY}
    for payload in payloads.values():
        assert payload["source"] == str(labelled_pdf) and payload["title"] == "NGO guide"
        assert payload["fund"] == ["ESF+"] and payload["country"] == "EE"
        pages = [n for n, text in enumerate(PAGE_TEXTS, 1) if text.split("\n")[1][:40] in payload["text"]]
        assert pages and payload["page_start"] == min(pages) and payload["page_end"] == max(pages), payload

    # Read again (new Document objects, new llama-index ids): nothing is embedded, nothing rewritten.
    again = ingest_documents(PdfPageReader().load_data(labelled_pdf), settings,
                             metadata={"fund": "ESF+", "country": "ee", "title": "NGO guide"})
    assert again.unchanged == [str(labelled_pdf)] and again.embedded == 0 and again.chunks == 0
    assert _payloads(settings) == payloads

    changed = [Document(text=d.text.replace("six months", "three months"), metadata=d.metadata) for d in documents]
    third = ingest_documents(changed, settings, metadata={"fund": "ESF+", "country": "ee", "title": "NGO guide"})
    assert third.updated == [str(labelled_pdf)]
    after = _payloads(settings)
    assert len({p["doc_hash"] for p in after.values()}) == 1 and {p["state"] for p in after.values()} == {STATE_READY}
    assert any("three months" in p["text"] for p in after.values())
    assert not any("six months" in p["text"] for p in after.values())


def test_documents_group_by_source_and_labels_that_are_not_numbers_are_named():
    documents = [
        Document(text="Preface text.", metadata={"file_path": "/a.pdf", "page_label": "iv"}),
        Document(text="Body text.", metadata={"file_path": "/a.pdf", "page_label": "7"}),
        Document(text="A web page.", metadata={"url": "https://example.eu/call", "title": "Open call"}),
        Document(text="   ", metadata={"file_path": "/a.pdf", "page_label": "8"}),
    ]
    a, web = group_documents(documents)
    assert a.source == "/a.pdf" and [p.number for p in a.pages] == [None, 7] and a.unlabelled_pages == ["iv"]
    assert web.source == "https://example.eu/call" and web.metadata == {"url": "https://example.eu/call",
                                                                         "title": "Open call"}
    # The version is the content: new Document objects with the same text and kept metadata hash the same.
    again = group_documents([Document(text=d.text, metadata={**d.metadata, "last_modified_date": "today"})
                             for d in documents])
    assert [g.version for g in again] == [a.version, web.version]
    assert "last_modified_date" not in again[0].metadata  # nor stored on the chunks
    [one] = group_documents(documents, source="bundle")
    assert len(one.pages) == 3
    with pytest.raises(ReaderError, match="item 1 of the reader's output is a str"):
        group_documents([documents[0], "not a document"])


def test_a_source_without_text_fails_by_name_and_the_rest_goes_in(make_settings):
    documents = [
        Document(text="", metadata={"file_name": "scan.pdf", "page_label": "1"}),
        Document(text=PAGE_TEXTS[1], metadata={"file_name": "costs.pdf", "page_label": "2"}),
    ]
    summary = ingest_documents(documents, make_settings())
    assert summary.new == ["costs.pdf"] and [(f.path, f.code) for f in summary.failed] == [("scan.pdf", "empty-file")]
    assert "no text" in summary.failed[0].message


class _StoreThatDies:
    """The real store, except that the write of the `fatal`-th upsert batch never happens (a crash there)."""

    def __init__(self, store, fatal: int) -> None:
        self._store, self._fatal, self._upserts = store, fatal, 0

    def upsert(self, points) -> None:
        self._upserts += 1
        if self._upserts == self._fatal:
            raise SystemExit("killed mid-document")
        self._store.upsert(points)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_crash_mid_document_leaves_the_old_version_served_and_a_rerun_completes(make_settings, tmp_path):
    long_text = "\n\n".join(f"Article {n} Rules\n" + " ".join(
        f"Rule {n}.{i} says that cost type {i} of measure {n} is eligible." for i in range(12)) for n in range(1, 7))
    v1 = [Document(text=long_text, metadata={"file_path": "/guides/rules.md"})]
    v2 = [Document(text=long_text.replace("is eligible", "is not eligible"), metadata={"file_path": "/guides/rules.md"})]
    settings = make_settings(ingest={"upsert_batch": 2})
    assert ingest_documents(v1, settings).new == ["/guides/rules.md"]
    served = {k: p for k, p in _payloads(settings).items()}

    runtime = Runtime(settings)
    try:
        dying = Ingestor(settings, _StoreThatDies(runtime.store, fatal=2), runtime.embedder)
        with pytest.raises(SystemExit):
            DocumentIngest(dying).run(group_documents(v2), {})
        ready = dict(runtime.store.scroll({"state": STATE_READY}, ["text", "doc_hash"]))
        assert ready.keys() == served.keys() and runtime.store.count({"state": "pending"}) > 0
    finally:
        runtime.close()

    rerun = ingest_documents(v2, settings)
    clean = make_settings(data_dir=tmp_path / "clean")
    ingest_documents(v2, clean)
    assert rerun.updated == ["/guides/rules.md"] and rerun.embedded == 0  # the crashed run's embeddings are cached
    state = {(p["text"], p["state"]) for p in _payloads(settings).values()}
    assert state == {(p["text"], p["state"]) for p in _payloads(clean).values()}
    assert {s for _, s in state} == {STATE_READY}


def _cli(args, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELPDESK_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "service", "ingest", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_cli_ingests_from_a_reader_function_and_a_reader_class(labelled_pdf, make_settings, tmp_path):
    settings = make_settings()
    reader = "tests.ingest.llama_readers:read_pdfs"
    summary = json.loads(_cli(["--reader", reader, str(labelled_pdf), "--json"], settings.data_dir).stdout)
    assert summary["new"] == [str(labelled_pdf)] and summary["pages"] == 3 and not summary["failed"]
    assert {p["country"] for p in _payloads(settings).values()} == {"EE"}
    again = json.loads(_cli(["--reader", reader, str(labelled_pdf), "--json"], settings.data_dir).stdout)
    assert again["unchanged"] == [str(labelled_pdf)] and again["embedded"] == 0

    # llama-index's own directory reader, named as a class: the CLI calls it with the folder, then load_data().
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "call.txt").write_text("The open call for childcare projects closes on 30 June 2026.", encoding="utf-8")
    result = json.loads(_cli(["--reader", "llama_index.core:SimpleDirectoryReader", str(folder), "--json"],
                             settings.data_dir).stdout)
    assert result["new"] == [str(folder / "call.txt")]


@pytest.mark.parametrize("spec, message", [
    ("no-colon", "is not module:function"),
    ("no_such_module_here:read", "cannot import 'no_such_module_here'"),
    ("tests.ingest.llama_readers:missing", "has no attribute 'missing'"),
    ("tests.ingest.llama_readers:not_documents", "item 0 of the reader's output is a str"),
    ("tests.ingest.llama_readers:broken_reader", "ConnectionError: the archive server refused the connection"),
])
def test_reader_errors_are_named(spec, message, tmp_path):
    with pytest.raises(ReaderError, match=message):
        group_documents(read_with(spec, []))
    if spec.endswith("broken_reader"):
        result = _cli(["--reader", spec], tmp_path / "data", check=False)
        assert result.returncode == 2 and "the archive server refused the connection" in result.stderr

"""Loaders, cleaning and chunking on the real documents in ../shared/corpus (skipped when it is absent)."""

from __future__ import annotations

import pytest

from ingest.chunker import chunk_pages
from ingest.clean import clean_pages
from tests.conftest import SHARED_CORPUS, loaded_document, needs_shared

pytestmark = needs_shared()


@pytest.fixture(scope="module")
def cpr_chunks():
    path = SHARED_CORPUS / "fr" / "reglement_ue_2021_1060.pdf"
    document = loaded_document(path)
    assert document.page_count == 548 and not document.empty_pages
    return chunk_pages(clean_pages(document.pages))


def test_cpr_article_112_chunk_has_rate_page_and_section(cpr_chunks):
    rates = [c for c in cpr_chunks if "85 % pour les régions moins développées" in c.body]
    assert rates
    chunk = rates[0]
    assert chunk.section and "Article 112 Détermination des taux de cofinancement" in chunk.section
    assert chunk.page_start == 90  # page 90 of the PDF (OJ L 231/248)


def test_cpr_running_headers_are_gone_and_hyphenation_is_joined(cpr_chunks):
    bodies = " ".join(c.body for c in cpr_chunks)
    # 548 pages each carried the running header; what is left are mentions in the legal text itself.
    assert bodies.count("Journal officiel de l’Union européenne") < 50
    assert "Article 63 Éligibilité" in {c.section.split(" › ")[-1] for c in cpr_chunks if c.section}


@pytest.mark.parametrize("name", sorted(p.name for p in (SHARED_CORPUS / "tables").glob("*.pdf"))
                         if (SHARED_CORPUS / "tables").is_dir() else [])
def test_table_pdfs_load_and_chunk(name):
    path = SHARED_CORPUS / "tables" / name
    document = loaded_document(path)
    chunks = chunk_pages(clean_pages(document.pages))
    assert chunks and all(c.page_start is not None for c in chunks)
    assert max(len(c.body) for c in chunks) <= 900


def test_estonian_front_matter_stays_out_of_chunks():
    path = SHARED_CORPUS / "et" / "111032022001.md"
    document = loaded_document(path)
    assert document.metadata["title"].startswith("Perioodi 2021–2027")
    chunks = chunk_pages(document.pages)
    assert not any("metadata_version" in c.text or "rt_reference" in c.text for c in chunks)
    assert any(c.section and "§ 6. Liikmesriigi ja korraldusasutuse ülesanded" in c.section for c in chunks)

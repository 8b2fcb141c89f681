"""The real French CPR: a Bulgarian question about co-financing is answered with 85 % and the CPR page.

Ingesting all 548 pages takes minutes, so the test ingests the CPR's pages 86-93 (Articles 108-112) cut out of
the real PDF with pypdf; page numbers are mapped back to the original.
"""

from __future__ import annotations

import pytest
from pypdf import PdfReader, PdfWriter

from common.runtime import Runtime
from ingest.pipeline import Ingestor
from qa.helpdesk import Helpdesk
from qa.templates import phrase
from tests.qa.test_helpdesk import opens_with_lead
from tests.conftest import SHARED_CORPUS, needs_shared

CPR = SHARED_CORPUS / "fr" / "reglement_ue_2021_1060.pdf"
FIRST_PAGE = 86  # 1-based page of the original that becomes page 1 of the excerpt
ARTICLE_112_PAGES = {90, 91}

pytestmark = [needs_shared(), pytest.mark.shared]


@pytest.fixture(scope="module")
def cpr_helpdesk(tmp_path_factory, embedding_cache_dir):
    from common.settings import Settings

    folder = tmp_path_factory.mktemp("cpr")
    writer = PdfWriter()
    for page in PdfReader(CPR).pages[FIRST_PAGE - 1 : FIRST_PAGE + 7]:
        writer.add_page(page)
    with open(folder / "reglement_ue_2021_1060_p86-93.pdf", "wb") as handle:
        writer.write(handle)
    data_dir = tmp_path_factory.mktemp("cpr-data")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    runtime = Runtime(Settings(data_dir=data_dir))
    summary = Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([folder])
    assert summary.ok and summary.pages == 8
    yield Helpdesk(runtime.settings, runtime.store, runtime.embedder)
    runtime.close()


def test_bulgarian_question_gets_85_percent_from_the_french_cpr(cpr_helpdesk):
    answer = cpr_helpdesk.ask("Какъв е максималният процент на съфинансиране за по-слабо развитите региони?")
    assert answer.language == "bg" and answer.answerable
    assert opens_with_lead(answer.answer, "bg") and "френски" in answer.answer
    assert "85 %" in answer.answer
    line = next(l for l in answer.answer.splitlines() if "85 %" in l and "moins développées" in l)
    n = int(line.rsplit("[", 1)[1].split("]")[0])
    citation = next(c for c in answer.citations if c.n == n)
    assert citation.language == "fr" and "112" in (citation.section or "")
    assert citation.page_start + FIRST_PAGE - 1 in ARTICLE_112_PAGES

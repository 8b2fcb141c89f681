"""Page-exact citations end to end: a real PDF whose answer stands on the second page of a chunk that starts on
the first; ingest stores where each page begins, and the answer cites the quote's own page."""

from __future__ import annotations

from common.runtime import Runtime
from ingest.pipeline import Ingestor
from qa.helpdesk import Helpdesk
from tests.ingest.conftest import build_pdf

FIRST_PAGE = ("Article 112 Co-financing rates\nProgrammes are adopted by the Commission after a structured dialogue "
              "with the Member State concerned.")
SECOND_PAGE = ("The co-financing rate at the level of each priority shall not exceed 85 % for the less developed "
               "regions of the Union.")


def test_the_citation_gives_the_page_of_the_quoted_sentence(tmp_path, make_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rates.pdf").write_bytes(build_pdf([FIRST_PAGE, SECOND_PAGE], title="Common Provisions"))
    runtime = Runtime(make_settings())
    try:
        assert Ingestor(runtime.settings, runtime.store, runtime.embedder).ingest([corpus]).ok
        stored = [p for _, p in runtime.store.scroll({}, ["page_start", "page_end", "page_breaks", "text"])]
        # one chunk over both pages: without page breaks its citation could only say "pages 1-2"
        spanning = [p for p in stored if p["page_start"] == 1 and p["page_end"] == 2]
        assert spanning and [page for _, page in spanning[0]["page_breaks"]] == [1, 2]
        answer = Helpdesk(runtime.settings, runtime.store, runtime.embedder).ask(
            "What is the maximum co-financing rate for less developed regions?")
        assert answer.answerable and "85 %" in answer.answer
        cited = [c for c in answer.citations if f"[{c.n}]" in answer.answer]
        assert cited and all((c.page_start, c.page_end) == (2, 2) for c in cited), [
            (c.page_start, c.page_end) for c in cited]
    finally:
        runtime.close()

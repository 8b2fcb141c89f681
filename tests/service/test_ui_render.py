from common.schema import Answer, Citation
from service.ui import answer_block, document_rows, feedback_rating, render_answer, upload_refusal


def test_document_text_cannot_inject_markup_or_links():
    citation = Citation(n=1, doc_id="evil doc", title="<script>alert(1)</script>[x](javascript:alert(1))",
                        source="s", page_start=3, page_end=3, section="<b>§</b>", language="en", score=1.0, text="t")
    answer = Answer(question="q", language="en", answer="- <img src=x onerror=alert(1)> [1]\nContact us.",
                    answerable=True, composer="extractive", citations=[citation])
    rendered = render_answer(answer)
    assert "<script>" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "&lt;script&gt;" in rendered and "&#91;x&#93;(javascript" in rendered
    assert "(/v1/documents/evil%20doc/file#page=3)" in rendered
    assert "\n\nContact us." in rendered  # the closing line is not glued to the last list item


def test_numbered_items_and_tables_render_as_lists_and_tables():
    answer = Answer(question="q", language="en", answerable=True, composer="llm", answer=(
        "According to the documents:\n- 1. Identify the programme [1]\n- 2. Check the call [1]\n"
        "| Category | Rate |\n|---|---|\n| Less developed | 85 % |\nContact us."))
    rendered = render_answer(answer).split("\n")
    assert rendered[:4] == ["According to the documents:", "", "1. Identify the programme &#91;1&#93;",
                            "2. Check the call &#91;1&#93;"]
    assert rendered[5:8] == ["| Category | Rate |", "| --- | --- |", "| Less developed | 85 % |"]
    assert rendered[8:] == ["", "Contact us."]


def test_source_lines_use_the_answers_page_word_and_no_added_section_sign():
    citation = Citation(n=1, doc_id="cpr-bg", title="Регламент (ЕС) 2021/1060", source="s.pdf", page_start=90,
                        page_end=90, section="Член 112", language="bg", score=1.0, text="t")
    answer = Answer(question="q", language="bg", answer="- 85 % [1]", answerable=True, composer="extractive",
                    citations=[citation])
    lines = render_answer(answer).split("\n")
    assert lines[1:3] == ["", "**Източници:**"]  # the sources follow the answer, under a heading, no rule
    assert lines[3].endswith("(bg, стр. 90) — Член 112") and "§" not in lines[3]


def test_like_then_like_again_is_no_rating():
    assert [feedback_rating(v) for v in (True, False, "", None)] == ["up", "down", None, None]


def test_upload_refusals_are_one_sentence_without_paths():
    from fastapi import HTTPException

    from service.api.routes.documents import UploadRefused

    refused = UploadRefused("not-a-pdf", "setup.pdf could not be ingested (not a pdf)")
    assert upload_refusal("setup.pdf", refused, 50) == "setup.pdf was not added: it is not a valid PDF."
    assert upload_refusal("big.md", HTTPException(413, "x"), 0.05) == \
        "big.md was not added: it is larger than the 0.05 MB upload limit."


def test_document_rows_show_a_dash_for_files_without_pages():
    docs = [{"title": "Guide", "language": "en", "doc_type": "guide", "pages": 0, "name": "g.md", "chunk_count": 4},
            {"title": "CPR", "language": "bg", "doc_type": "regulation", "pages": 12, "name": "cpr.pdf",
             "chunk_count": 30}]
    assert document_rows(docs) == [["Guide", "en", "guide", "—", 4], ["CPR", "bg", "regulation", 12, 30]]


def test_a_checklist_quoted_as_one_piece_renders_as_its_numbered_items():
    answer = Answer(question="q", language="en", answerable=True, composer="extractive",
                    answer="- 1. Identify the programme. 2. Read the call: check the 3 criteria. 3. Apply [1]")
    assert render_answer(answer).split("\n") == [
        "1. Identify the programme.", "2. Read the call: check the 3 criteria.", "3. Apply &#91;1&#93;"]


def test_the_answer_block_carries_its_language_and_each_foreign_quote_and_title_its_own():
    """A screen reader switches voice where lang says: the Czech answer, the Estonian quote, the Dutch title."""
    cite = lambda n, lang, title: Citation(n=n, doc_id=f"d{n}", title=title, source="s", page_start=None,
                                           page_end=None, section=None, language=lang, score=1.0, text="t")
    answer = Answer(question="q", language="cs", answerable=True, composer="extractive",
                    citations=[cite(1, "et", "Päevakeskus"), cite(2, "nl", "Subsidiabiliteit")],
                    answer="Podle dokumentů:\n- “Omavalitsus esitab <b>taotluse</b>.” (et) [1]\n- Výdaje do roku 2029 [2]")
    block = answer_block(answer)
    assert block.startswith('<div class="answer" lang="cs">\n\n') and block.endswith("\n\n</div>")
    assert '- <span lang="et">“Omavalitsus esitab &lt;b&gt;taotluse&lt;/b&gt;.”</span> (et) &#91;1&#93;' in block
    assert "- Výdaje do roku 2029 &#91;2&#93;" in block  # in the answer's language: no span of its own
    assert '[<span lang="et">Päevakeskus</span>](/v1/documents/d1/file)' in block
    assert '[<span lang="nl">Subsidiabiliteit</span>](/v1/documents/d2/file)' in block


def test_a_language_code_from_a_document_cannot_break_out_of_its_attribute():
    citation = Citation(n=1, doc_id="d", title="T", source="s", page_start=None, page_end=None, section=None,
                        language='en" onmouseover="alert(1)', score=1.0, text="t")
    answer = Answer(question="q", language="en", answer="- x [1]", answerable=True, composer="extractive",
                    citations=[citation])
    assert '<span lang="und">T</span>' in answer_block(answer)

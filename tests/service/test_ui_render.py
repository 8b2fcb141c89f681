from common.schema import Answer, Citation
from service.ui import render_answer


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

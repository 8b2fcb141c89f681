"""Readers by file type, on real files generated in tmp_path (and the project's own sample PDF)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ingest.clean import clean_pages
from ingest.errors import FrontMatterError, InvalidEncodingError
from ingest.loaders import load_document

REPO = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
HEADER = "Programme Guide ESF+ 2021-2027 – Edition 3"


def _load(path: Path, data: bytes):
    path.write_bytes(data)
    return load_document(path, path.read_bytes())


# --- PDF ---------------------------------------------------------------------------------------------


@pytest.fixture
def guide_pdf(tmp_path, dejavu, builders) -> Path:
    pages = [
        "Член 112 – Ставки\n"
        "The co-financing rate applies to each priority of the programme.\n"
        "Le présent régle-\n"
        "ment fixe les règles communes.\n",
        "Article 63\nÉligibilité\nExpenditure shall be eligible if incurred between two dates.\n",
        "Article 64\nCosts not eligible\nInterest on debt is not eligible for a contribution from the funds.\n",
        "Άρθρο 9 Γενικές διατάξεις\nΟι δαπάνες είναι επιλέξιμες όταν έχουν πληρωθεί.\n",
    ]
    path = tmp_path / "guide.pdf"
    path.write_bytes(builders.pdf(pages, header=HEADER, footer=True, title="Programme guide"))
    return path


def test_pdf_pages_are_numbered_from_one(guide_pdf):
    doc = load_document(guide_pdf, guide_pdf.read_bytes())
    assert doc.page_count == 4
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert doc.empty_pages == []
    assert doc.metadata["title"] == "Programme guide"
    # Each page's own content lands on that page (not merged, not shifted).
    assert "Член 112 – Ставки" in doc.pages[0].text
    assert "Article 63" in doc.pages[1].text and "Article 63" not in doc.pages[0].text
    assert "Άρθρο 9" in doc.pages[3].text
    # Raw extraction still has the running header and the page footer on every page.
    for page in doc.pages:
        assert HEADER in page.text
        assert f"Page {page.number}" in page.text


def test_pdf_clean_removes_running_header_and_footer_and_joins_hyphen(guide_pdf):
    doc = load_document(guide_pdf, guide_pdf.read_bytes())
    cleaned = clean_pages(doc.pages)
    assert [p.number for p in cleaned] == [1, 2, 3, 4]
    for page in cleaned:
        lines = page.text.splitlines()
        assert HEADER not in page.text
        assert not any(re.fullmatch(r"Page \d+", line.strip()) for line in lines), lines
    assert cleaned[0].text.splitlines()[0] == "Член 112 – Ставки"
    assert "réglement fixe les règles communes." in cleaned[0].text
    assert "régle-" not in cleaned[0].text
    # Article headings at the top of pages survive the running-line removal.
    assert cleaned[1].text.splitlines()[:2] == ["Article 63", "Éligibilité"]
    assert cleaned[2].text.splitlines()[0] == "Article 64"


def test_sample_corpus_bulgarian_pdf():
    path = REPO / "corpus" / "guides" / "bg" / "co-financing-rates.pdf"
    if not path.exists():
        pytest.skip("sample corpus PDF not present")
    doc = load_document(path, path.read_bytes())
    assert doc.page_count > 2
    assert [p.number for p in doc.pages] == list(range(1, doc.page_count + 1))
    assert len(CYRILLIC.findall(doc.text)) > 500
    assert "Ставки на съфинансиране" in doc.text
    assert CYRILLIC.search(doc.metadata["title"])


# --- Markdown -------------------------------------------------------------------------------------------

MARKDOWN = """---
title: Kofinanzierungssätze
url: https://eur-lex.europa.eu/eli/reg/2021/1060/oj
date: 2024-03-05
fund: [ESF+, ERDF]
---
####Förderfähige Kosten
Text mit **fett** und einem [Link](https://example.eu/x).

##   Zweite Überschrift ##
Noch ein Satz.
"""


def test_markdown_front_matter_goes_to_metadata_not_text(tmp_path):
    doc = _load(tmp_path / "kofi.md", MARKDOWN.encode("utf-8"))
    assert doc.metadata["title"] == "Kofinanzierungssätze"
    assert doc.metadata["url"] == "https://eur-lex.europa.eu/eli/reg/2021/1060/oj"
    assert doc.metadata["date"] == "2024-03-05"
    assert isinstance(doc.metadata["date"], str)
    assert doc.metadata["fund"] == ["ESF+", "ERDF"]
    assert "---" not in doc.text
    assert "eur-lex" not in doc.text and "2024-03-05" not in doc.text and "title:" not in doc.text
    assert [p.number for p in doc.pages] == [None]


def test_markdown_headings_normalised_and_inline_markup_stripped(tmp_path):
    doc = _load(tmp_path / "kofi.md", MARKDOWN.encode("utf-8"))
    lines = doc.text.splitlines()
    assert lines[0] == "#### Förderfähige Kosten"
    assert "## Zweite Überschrift" in lines
    assert "Text mit fett und einem Link." in lines
    assert "example.eu" not in doc.text


def test_markdown_title_falls_back_to_first_heading(tmp_path):
    doc = _load(tmp_path / "plain.md", "Intro line.\n\n# Leitfaden für Träger\nText.\n".encode())
    assert doc.metadata["title"] == "Leitfaden für Träger"


@pytest.mark.parametrize(
    "front_matter",
    ["title: [unclosed\nurl: x", "- just\n- a list", "title: a: b: c\n  bad indent: [x"],
    ids=["bad-yaml", "not-a-mapping", "bad-indent"],
)
def test_markdown_broken_front_matter_raises(tmp_path, front_matter):
    path = tmp_path / "broken.md"
    with pytest.raises(FrontMatterError) as info:
        _load(path, f"---\n{front_matter}\n---\n# Body\nText.\n".encode())
    assert info.value.code == "bad-front-matter"
    assert str(path) in str(info.value)


# --- HTML -----------------------------------------------------------------------------------------------

HTML = """<!doctype html>
<html lang="et">
<head><title>Toetuse juhend MTÜ-dele</title>
<script>var tracking = "SCRIPT_TEXT";</script><style>.x{color:red}</style></head>
<body>
<nav><a href="/">NAV_TEXT avaleht</a></nav>
<header>HEADER_TEXT logo</header>
<main>
<h1>Juhend</h1>
<p>Esimene   lõik   toetuse kohta.</p>
<h2>Abikõlblikud  kulud</h2>
<p>Kulud peavad olema tõendatud.</p>
</main>
<footer>FOOTER_TEXT kontakt</footer>
</body></html>"""


def test_html_metadata_and_main_text(tmp_path):
    doc = _load(tmp_path / "juhend.html", HTML.encode("utf-8"))
    assert doc.metadata["title"] == "Toetuse juhend MTÜ-dele"
    assert doc.metadata["language"] == "et"
    for boilerplate in ("SCRIPT_TEXT", "NAV_TEXT", "HEADER_TEXT", "FOOTER_TEXT", "color:red"):
        assert boilerplate not in doc.text
    lines = doc.text.splitlines()
    assert "# Juhend" in lines
    assert "## Abikõlblikud kulud" in lines
    assert "Esimene lõik toetuse kohta." in lines


def test_html_lists_are_item_lines_under_their_sentence_and_inline_markup_stays_in_its_line(tmp_path):
    page = ("<html><body><main><h2>Article 64</h2><p>Never eligible are:</p><ul>\n<li>debit <a href='#'>interest</a>;"
            "</li>\n<li><p>land above <strong>10 %</strong> of the costs;</p></li>\n</ul><p>Costs are paid<br>by "
            "the <em>beneficiary</em>.</p><table><tr><th>Region</th><th>Rate</th></tr><tr><td>Less developed</td>"
            "<td>85 %</td></tr></table></main></body></html>")
    doc = _load(tmp_path / "rules.html", page.encode("utf-8"))
    assert doc.text == ("## Article 64\n\nNever eligible are:\n\n- debit interest;\n- land above 10 % of the costs;"
                        "\n\nCosts are paid\nby the beneficiary.\n\nRegion | Rate\nLess developed | 85 %")
    steps = "<html><body><main><p>Then:</p><ol start='3'><li>Apply.</li><li>Apply.</li></ol></main></body></html>"
    assert _load(tmp_path / "steps.html", steps.encode("utf-8")).text == "Then:\n\n3. Apply.\n4. Apply."


def test_html_regional_lang_is_reduced_to_language(tmp_path):
    doc = _load(tmp_path / "x.htm", HTML.replace('lang="et"', 'lang="ET-ee"').encode())
    assert doc.metadata["language"] == "et"


# --- DOCX -----------------------------------------------------------------------------------------------


def test_docx_headings_and_tables(tmp_path, builders):
    doc = _load(tmp_path / "guide.docx", builders.docx())
    lines = doc.text.splitlines()
    assert lines[0] == "# Grant guide for NGOs"
    assert "## Eligible costs" in lines
    assert "Staff costs are eligible when they are linked to the project." in lines
    assert lines.index("## Eligible costs") < lines.index("Staff costs are eligible when they are linked to the project.")
    assert "Category of region | Maximum rate" in lines
    assert "Less developed | 85%" in lines
    assert doc.metadata["title"] == "Grant guide (DOCX)"


def test_docx_list_items_follow_their_sentence_and_tables_stay_where_they_stand(tmp_path):
    from docx import Document

    document = Document()
    document.add_heading("Costs", 1)
    document.add_paragraph("Never eligible are:")
    document.add_paragraph("debit interest;", style="List Bullet")
    document.add_paragraph("land above 10 % of the costs.", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Region", (0, 1): "Rate", (1, 0): "Less developed", (1, 1): "85 %"}.items():
        table.cell(row, col).text = text
    document.add_heading("Durability", 1)
    document.add_paragraph("Five years after the final payment.")
    out = io.BytesIO()
    document.save(out)
    doc = _load(tmp_path / "rules.docx", out.getvalue())
    assert doc.text == ("## Costs\n\nNever eligible are:\n\n- debit interest;\n- land above 10 % of the costs.\n\n"
                        "Region | Rate\nLess developed | 85 %\n\n## Durability\n\nFive years after the final payment.")


def test_html_and_docx_read_the_same_document_the_same_way(tmp_path):
    """A list right after a table, and a table right after a list, each start a new block in both formats."""
    from docx import Document

    page = ("<html><body><main><p>Rates:</p><table><tr><td>Less developed</td><td>85 %</td></tr><tr><td>Transition"
            "</td><td>60 %</td></tr></table><ul><li>debit interest;</li><li>fines.</li></ul><table><tr><td>Total</td>"
            "<td>100 %</td></tr></table><p>Five years.</p></main></body></html>")
    document = Document()
    document.add_paragraph("Rates:")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Less developed", (0, 1): "85 %", (1, 0): "Transition", (1, 1): "60 %"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("debit interest;", style="List Bullet")
    document.add_paragraph("fines.", style="List Bullet")
    total = document.add_table(rows=1, cols=2)
    total.cell(0, 0).text, total.cell(0, 1).text = "Total", "100 %"
    document.add_paragraph("Five years.")
    out = io.BytesIO()
    document.save(out)
    expected = ("Rates:\n\nLess developed | 85 %\nTransition | 60 %\n\n- debit interest;\n- fines.\n\nTotal | 100 %"
                "\n\nFive years.")
    assert _load(tmp_path / "rules.html", page.encode("utf-8")).text == expected
    assert _load(tmp_path / "rules.docx", out.getvalue()).text == expected


# --- plain text -----------------------------------------------------------------------------------------


def test_text_utf8_with_bom(tmp_path):
    text = "Ставки на съфинансиране: 85 %.\nΆρθρο 9 — ελληνικά.\n"
    doc = _load(tmp_path / "note.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert doc.text == text
    assert doc.page_count == 1


def test_text_invalid_utf8_reports_byte_offset(tmp_path):
    data = "Première ligne.\nDeuxième".encode("utf-8") + b" \xe9t\xe9.\n"
    offset = data.index(b"\xe9t")
    path = tmp_path / "latin1.txt"
    with pytest.raises(InvalidEncodingError) as info:
        _load(path, data)
    message = str(info.value)
    assert f"byte {offset}" in message
    assert "line 2" in message
    assert str(path) in message

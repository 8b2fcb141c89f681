"""Builders for real input files (PDF via fpdf2, DOCX via python-docx) shared by the ingest tests."""

from __future__ import annotations

import io
from pathlib import Path
import pytest

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def build_pdf(
    pages: list[str],
    header: str | None = None,
    footer: bool = False,
    unicode_font: bool = True,
    title: str | None = None,
) -> bytes:
    """A PDF with one page per entry of `pages`; explicit '\n' in a page's text are real line breaks."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def header(self) -> None:  # noqa: D401 - fpdf2 hook
            if header:
                self.set_font(self._body_font, size=9)
                self.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font(self._body_font, size=9)
                self.cell(0, 8, f"Page {self.page_no()}")

    pdf = _Pdf()
    if unicode_font:
        pdf.add_font("dejavu", fname=str(DEJAVU))
        pdf._body_font = "dejavu"
    else:
        pdf._body_font = "helvetica"
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font(pdf._body_font, size=11)
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def build_blank_pdf() -> bytes:
    """One page with only a drawn rectangle: no text layer at all (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 120, 80)
    return bytes(pdf.output())


def build_encrypted_pdf(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    plain = build_pdf(["Confidential programme text about eligible costs and co-financing."], unicode_font=False)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Grant guide for NGOs", 0)  # style "Title"
    doc.add_heading("Eligible costs", 1)  # style "Heading 1"
    doc.add_paragraph("Staff costs are eligible when they are linked to the project.")
    doc.add_paragraph("Travel costs follow the national rules.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Category of region"
    table.cell(0, 1).text = "Maximum rate"
    table.cell(1, 0).text = "Less developed"
    table.cell(1, 1).text = "85%"
    doc.core_properties.title = "Grant guide (DOCX)"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.fixture
def dejavu() -> Path:
    if not DEJAVU.exists():
        pytest.skip(f"{DEJAVU} not installed (needed for Cyrillic/Greek PDF text)")
    return DEJAVU


@pytest.fixture(scope="session")
def builders():
    """The file builders above, as a fixture (test modules do not import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(pdf=build_pdf, blank_pdf=build_blank_pdf, encrypted_pdf=build_encrypted_pdf, docx=build_docx)

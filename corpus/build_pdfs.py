"""Build the sample PDF guides of the corpus from their Markdown sources.

Reads every `corpus/pdf_src/<name>.md` (YAML front matter + a small Markdown subset:
`#`/`##`/`###` headings, `- ` bullets, paragraphs, `**bold**` and `*italic*`) and writes
`corpus/guides/<language>/<name>.pdf` with fpdf2 and the DejaVu fonts, so that Cyrillic
and Greek text renders. Every page gets a running header (the short title) and a footer
"Page N"; each `##` section after the first starts on a new page, so each guide spans
several pages.

Run from the repository root:  python corpus/build_pdfs.py
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import yaml
from fpdf import FPDF

CORPUS = Path(__file__).resolve().parent
SRC = CORPUS / "pdf_src"
OUT = CORPUS / "guides"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
         "BI": "DejaVuSans-BoldOblique.ttf"}
BODY_SIZE = 12


def split_front_matter(text: str) -> tuple[dict, str]:
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if not m:
        raise ValueError("missing YAML front matter")
    return yaml.safe_load(m.group(1)) or {}, text[m.end():]


def inline(text: str) -> str:
    """Markdown emphasis -> fpdf2 markdown (`**bold**`, `__italic__`)."""
    return re.sub(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)", r"__\1__", text)


class GuidePDF(FPDF):
    def __init__(self, short_title: str):
        super().__init__(format="A4")
        self.short_title = short_title
        for style, file in FONTS.items():
            self.add_font("DejaVu", style, str(FONT_DIR / file))
        self.set_margins(22, 25, 22)
        self.set_auto_page_break(True, margin=22)

    def header(self):
        self.set_font("DejaVu", "", 9)
        self.set_text_color(90, 90, 90)
        self.set_y(10)
        self.cell(0, 6, self.short_title, align="L")
        self.ln(4)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, 17, self.w - self.r_margin, 17)
        self.set_y(25)
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-15)
        self.set_font("DejaVu", "", 9)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, f"Page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)


def render(meta: dict, body: str) -> GuidePDF:
    pdf = GuidePDF(str(meta.get("short_title") or meta["title"]))
    pdf.set_title(str(meta["title"]))
    pdf.set_author("Funding Helpdesk (sample corpus)")
    pdf.set_subject(f"Sample guide based on {meta.get('source_url', '')}")
    pdf.set_lang(str(meta["language"]))
    date = meta.get("date")
    if isinstance(date, dt.date):  # fixed date keeps rebuilt PDFs stable
        pdf.set_creation_date(dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    sections = 0
    paragraph: list[str] = []

    def flush():
        if paragraph:
            pdf.set_font("DejaVu", "", BODY_SIZE)
            pdf.multi_cell(width, 6.2, inline(" ".join(paragraph)), markdown=True, align="L",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
            paragraph.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("# "):
            flush()
            pdf.set_font("DejaVu", "B", 18)
            pdf.multi_cell(width, 9, line[2:].strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif line.startswith("## "):
            flush()
            sections += 1
            if sections > 1:
                pdf.add_page()
            else:
                pdf.ln(2)
            pdf.set_font("DejaVu", "B", 14)
            pdf.multi_cell(width, 7.5, line[3:].strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif line.startswith("### "):
            flush()
            pdf.set_font("DejaVu", "B", 12.5)
            pdf.multi_cell(width, 7, line[4:].strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif line.startswith("- "):
            flush()
            pdf.set_font("DejaVu", "", BODY_SIZE)
            pdf.set_x(pdf.l_margin + 4)
            pdf.cell(5, 6.2, "•")
            pdf.multi_cell(width - 9, 6.2, inline(line[2:].strip()), markdown=True, align="L",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        else:
            paragraph.append(line.strip())
    flush()
    return pdf


def main() -> int:
    sources = sorted(SRC.glob("*.md"))
    if not sources:
        print(f"no sources in {SRC}", file=sys.stderr)
        return 1
    for src in sources:
        meta, body = split_front_matter(src.read_text(encoding="utf-8"))
        target = OUT / str(meta["language"]) / f"{src.stem}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        pdf = render(meta, body)
        pdf.output(str(target))
        print(f"{target.relative_to(CORPUS.parent)}: {pdf.page_no()} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())

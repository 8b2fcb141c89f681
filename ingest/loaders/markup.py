"""HTML (main text and headings) and DOCX (paragraphs, heading styles, tables) readers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

from ingest.errors import CorruptFileError
from ingest.loaders.base import LoadedDocument, Page, decode_utf8

_BOILERPLATE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg")
# Refuse DOCX archives that would inflate past this (zip bombs).
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024


def read_html(path: Path, data: bytes) -> LoadedDocument:
    soup = BeautifulSoup(decode_utf8(path, data), "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(strip=True)
    html_tag = soup.find("html")
    if html_tag and html_tag.get("lang"):
        meta["language"] = str(html_tag["lang"]).split("-")[0].lower()
    for tag in soup.find_all(_BOILERPLATE):
        tag.decompose()
    main = soup.find("main") or soup.find("article") or soup.body or soup
    for level in range(1, 7):
        for heading in main.find_all(f"h{level}"):
            heading.insert_before(f"\n{'#' * level} ")
            heading.insert_after("\n")
    text = main.get_text("\n")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # Heading markers were inserted as separate strings; glue "## " to the heading text that follows.
    merged: list[str] = []
    for line in lines:
        if merged and merged[-1].strip("# ") == "" and merged[-1].startswith("#"):
            merged[-1] = f"{merged[-1].strip()} {line}"
        elif line:
            merged.append(line)
    if "title" not in meta:
        h1 = main.find("h1")
        if h1 and h1.get_text(strip=True):
            meta["title"] = h1.get_text(strip=True)
    return LoadedDocument([Page(None, "\n".join(merged))], meta, page_count=1)


def read_docx(path: Path, data: bytes) -> LoadedDocument:
    from docx import Document

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
        if inflated > MAX_DOCX_UNCOMPRESSED:
            raise CorruptFileError(path, f"DOCX would inflate to {inflated // 2**20} MiB (zip bomb?); refused")
        document = Document(io.BytesIO(data))
    except CorruptFileError:
        raise
    except Exception as exc:
        raise CorruptFileError(path, f"unreadable DOCX: {exc}") from exc
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        if style == "Title":
            lines.append(f"# {text}")
        elif style.startswith("Heading") and style.split()[-1].isdigit():
            lines.append(f"{'#' * min(int(style.split()[-1]) + 1, 6)} {text}")
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" | ".join(cells))
    meta = {}
    if document.core_properties.title:
        meta["title"] = document.core_properties.title
    return LoadedDocument([Page(None, "\n".join(lines))], meta, page_count=1)

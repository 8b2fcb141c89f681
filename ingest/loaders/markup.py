"""HTML (main text and headings) and DOCX (paragraphs, heading styles, tables) readers."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from ingest.errors import CorruptFileError
from ingest.loaders.base import LoadedDocument, Page, decode_utf8

# Elements that start a paragraph of their own; the rest (<strong>, <a>, <span>) run on inside their line.
_BLOCKS = ("p", "div", "section", "article", "blockquote", "pre", "table", "ul", "ol", "dl", "dt", "dd",
           "figure", "figcaption", "address", "details", "summary")
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
    if "title" not in meta:
        h1 = main.find("h1")
        if h1 and h1.get_text(strip=True):
            meta["title"] = h1.get_text(strip=True)
    return LoadedDocument([Page(None, _block_text(main))], meta, page_count=1)


def _block_text(main: Any) -> str:
    """The element's text as the Markdown reader would see it: a paragraph per block, a "- " line per list item,
    a "# " line per heading, a row of cells per table row. Inline markup (<strong>, <a>) stays inside its line:
    "alla <strong>5 000 000 euro</strong>" is one sentence, and a list item read as a line keeps the sentence
    introducing its list, which a reader of the quote needs ("Never eligible are: … debit interest")."""
    for br in main.find_all("br"):
        br.replace_with("\n")
    for level in range(1, 7):
        for heading in main.find_all(f"h{level}"):
            heading.insert_before(f"\n\n{'#' * level} ")
            heading.insert_after("\n\n")
    labels = _item_labels(main)
    for item in main.find_all("li"):
        item.insert_before(f"\n{labels.get(id(item), '-')} ")
        item.insert_after("\n")
    for row in main.find_all("tr"):
        row.insert_before("\n")
        row.insert_after("\n")
    for cell in main.find_all(["td", "th"]):
        cell.insert_after(" | ")
    for block in main.find_all(_BLOCKS):
        if block.find_parent("li"):  # a paragraph inside a list item stays on the item's line
            continue
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = [" ".join(line.split()).removesuffix(" |") for line in main.get_text("").splitlines()]
    # One blank line between blocks, none at either end; a label alone (an empty item) is no line.
    paragraphs = "\n".join(line for line in lines if not re.fullmatch(r"-|\d+\.", line))
    return _joined(re.sub(r"\n{3,}", "\n\n", paragraphs).strip().split("\n\n"))


def _item_labels(main: Any) -> dict[int, str]:
    """The number of each item of a numbered list (<ol>, counted from its `start`), by the item's id, as Markdown
    writes it ("3."), so that "step 3" keeps its number; bulleted items get none."""
    labels: dict[int, str] = {}
    for numbered in main.find_all("ol"):
        try:
            start = int(numbered.get("start", 1))
        except ValueError:
            start = 1
        for n, item in enumerate(numbered.find_all("li", recursive=False), start):
            labels[id(item)] = f"{n}."
    return labels


def read_docx(path: Path, data: bytes) -> LoadedDocument:
    from docx import Document
    from docx.table import Table

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
    blocks: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in the order they stand
        if isinstance(block, Table):
            rows = [" | ".join(c.text.strip() for c in row.cells if c.text.strip()) for row in block.rows]
            blocks += [row for row in rows if row]
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name or "") if block.style is not None else ""
        if style == "Title":
            blocks.append(f"# {text}")
        elif style.startswith("Heading") and style.split()[-1].isdigit():
            blocks.append(f"{'#' * min(int(style.split()[-1]) + 1, 6)} {text}")
        elif _is_list_paragraph(block, style):
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    meta = {}
    if document.core_properties.title:
        meta["title"] = document.core_properties.title
    return LoadedDocument([Page(None, _joined(blocks))], meta, page_count=1)


def _is_list_paragraph(paragraph: Any, style: str) -> bool:
    """A bulleted or numbered paragraph: a list style, or list numbering of its own (Word's "List Paragraph" with
    numbering, or any paragraph given a bullet directly)."""
    properties = paragraph._p.pPr
    return style.startswith("List") or (properties is not None and properties.numPr is not None)


_ITEM_LINE = re.compile(r"- |\d+\. ")


def _joined(blocks: list[str]) -> str:
    """Blocks apart by a blank line, as Markdown writes them; the items of a list ("- ", "3. ") and the rows of a
    table ("a | b") one under the other. A table right after a list, or a list after a table, is a new block. The
    HTML and DOCX readers both end here, so the same document reads the same in either format."""
    text = ""
    for block in blocks:
        if text:
            last = text.rsplit("\n", 1)[-1]
            tight = (bool(_ITEM_LINE.match(block)) and bool(_ITEM_LINE.match(last))) or (
                " | " in block and " | " in last)
            text += "\n" if tight else "\n\n"
        text += block
    return text

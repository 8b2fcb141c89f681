"""llama-index readers for the bridge tests, importable by a `helpdesk ingest --reader` subprocess.

`PdfPageReader` reads a PDF the way llama-index's file readers do: one Document per page, labelled with the PDF's
own page label (`page_label`) and named by `file_name`/`file_path`.
"""

from __future__ import annotations

from pathlib import Path

from llama_index.core import Document
from llama_index.core.readers.base import BaseReader
from pypdf import PdfReader


class PdfPageReader(BaseReader):
    def load_data(self, file: str | Path, extra_info: dict | None = None) -> list[Document]:
        path = Path(file)
        reader = PdfReader(path)
        return [
            Document(text=page.extract_text() or "",
                     metadata={"page_label": reader.page_labels[index], "file_name": path.name,
                               "file_path": str(path), **(extra_info or {})})
            for index, page in enumerate(reader.pages)
        ]


def read_pdfs(*files: str) -> list[Document]:
    """`helpdesk ingest --reader tests.ingest.llama_readers:read_pdfs a.pdf b.pdf`"""
    reader = PdfPageReader()
    return [document for file in files for document in reader.load_data(file, {"fund": "ESF+", "country": "EE"})]


def not_documents(*_: str) -> list[str]:
    return ["plain strings are not documents"]


def broken_reader(*_: str) -> list[Document]:
    raise ConnectionError("the archive server refused the connection")

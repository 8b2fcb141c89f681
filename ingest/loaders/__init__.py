"""Readers by file type, all behind one function shape: (path, bytes) -> LoadedDocument."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import EmptyFileError, UnsupportedTypeError
from ingest.loaders.base import LoadedDocument, Page, Reader
from ingest.loaders.markup import read_docx, read_html
from ingest.loaders.pdf import read_pdf
from ingest.loaders.text import read_markdown, read_text

READERS: dict[str, Reader] = {
    ".pdf": read_pdf,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".txt": read_text,
    ".docx": read_docx,
}

__all__ = ["READERS", "LoadedDocument", "Page", "is_supported", "load_document"]


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def load_document(path: Path, data: bytes) -> LoadedDocument:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedTypeError(path, f"unsupported file type {path.suffix or '(none)'}; supported: "
                                         + ", ".join(sorted(READERS)))
    if not data.strip():
        raise EmptyFileError(path, "the file is empty")
    return reader(path, data)

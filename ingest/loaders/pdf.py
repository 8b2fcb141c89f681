"""PDF reader (pypdf): one Page per PDF page, so chunks keep their page numbers."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from ingest.errors import CorruptFileError, EncryptedPdfError, NoTextLayerError, NotAPdfError
from ingest.loaders.base import LoadedDocument, Page

# Fewer visible characters than this and a page counts as having no text layer (scans, blank pages).
MIN_PAGE_CHARS = 20

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files are common; we report per page


def read_pdf(path: Path, data: bytes) -> LoadedDocument:
    if b"%PDF-" not in data[:1024]:
        raise NotAPdfError(path, "not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many official PDFs are "encrypted" with an empty user password (printing restrictions only).
            try:
                if not reader.decrypt(""):
                    raise EncryptedPdfError(path, "the PDF is password-protected; supply an unprotected copy")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise EncryptedPdfError(path, f"the PDF is encrypted and cannot be opened: {exc}") from exc
        page_objects = list(reader.pages)
    except (EncryptedPdfError, NotAPdfError):
        raise
    except Exception as exc:  # pypdf raises many types on broken files
        raise CorruptFileError(path, f"unreadable PDF: {exc}") from exc

    pages: list[Page] = []
    empty: list[int] = []
    warnings: list[str] = []
    for number, page in enumerate(page_objects, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:
            warnings.append(f"{path}, page {number}: text extraction failed: {exc}")
            text = ""
        if len(text.strip()) < MIN_PAGE_CHARS:
            empty.append(number)
            continue
        pages.append(Page(number, text))
    if not pages:
        raise NoTextLayerError(
            path, f"none of its {len(page_objects)} pages has extractable text (scanned PDF? OCR is not done)"
        )

    metadata = {}
    try:
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, Exception):
        title = None
    if title and title.strip():
        metadata["title"] = title.strip()
    return LoadedDocument(pages, metadata, page_count=len(page_objects), empty_pages=empty, warnings=warnings)

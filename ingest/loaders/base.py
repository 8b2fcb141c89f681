"""The one shape every reader returns: page-numbered text plus metadata found in the file itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ingest.errors import InvalidEncodingError


@dataclass
class Page:
    """Text of one page (PDF) or of the whole file (number None). Headings are marked Markdown-style (`## `)."""

    number: int | None
    text: str


@dataclass
class LoadedDocument:
    pages: list[Page]
    metadata: dict[str, Any] = field(default_factory=dict)
    page_count: int = 0
    empty_pages: list[int] = field(default_factory=list)  # page numbers with no extractable text
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


Reader = Callable[[Path, bytes], LoadedDocument]


def decode_utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidEncodingError(path, f"not valid UTF-8 (byte {exc.start}, line {line}); save it as UTF-8") from exc

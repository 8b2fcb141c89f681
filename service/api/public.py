"""What clients see of documents and citations: a link to the original and a display name, never a server path.

The index keeps each chunk's `source` (the file's path on the server) for ingest and deletes; everything that
leaves the service goes through these functions, which replace it by `name` (the file's name) and `file_url`
(the original's route, with `#page=N` for PDFs).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from common.schema import Answer, Citation, SearchHit


def display_name(source: str | None) -> str:
    return PurePath((source or "").replace("\\", "/")).name


def file_url(base_url: str, doc_id: str, source: str | None = None, page: int | None = None) -> str:
    """`{base}/v1/documents/{doc_id}/file`, and `#page=N` when the original is a PDF (browsers' viewers jump there)."""
    url = f"{base_url.rstrip('/')}/v1/documents/{quote(doc_id, safe='')}/file"
    if page and display_name(source).lower().endswith(".pdf"):
        url += f"#page={page}"
    return url


def _without_source(data: dict[str, Any], base_url: str, page: int | None) -> dict[str, Any]:
    source = data.pop("source", None)
    return {**data, "name": display_name(source), "file_url": file_url(base_url, data["doc_id"], source, page)}


def citation(c: Citation | dict[str, Any], base_url: str) -> dict[str, Any]:
    data = c.model_dump() if isinstance(c, Citation) else dict(c)
    return _without_source(data, base_url, data.get("page_start"))


def hit(h: SearchHit, base_url: str) -> dict[str, Any]:
    return _without_source(h.model_dump(), base_url, h.page_start)


def document(doc: dict[str, Any], base_url: str) -> dict[str, Any]:
    return _without_source(dict(doc), base_url, None)


def answer(a: Answer, base_url: str) -> dict[str, Any]:
    data = a.to_json_dict()
    data["citations"] = [citation(c, base_url) for c in a.citations]
    return data


def reference_line(c: Citation, base_url: str) -> str:
    """'[1] Title, p. 90, Article 112, <link to that page of the original>' for text answers (chat clients)."""
    parts = [c.title]
    if c.page_start:
        same = c.page_end in (None, c.page_start)
        parts.append(f"p. {c.page_start}" if same else f"pp. {c.page_start}-{c.page_end}")
    if c.section:
        parts.append(c.section)
    parts.append(file_url(base_url, c.doc_id, c.source, c.page_start))
    return f"[{c.n}] " + ", ".join(parts)


# An absolute file path inside a message: '/' then at least two components, not part of a URL.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])(?:[A-Za-z]:)?[/\\](?:[\w.\-+@~]+[/\\])+[\w.\-+@~]*")


def plain_message(text: str, named: dict[str, str] | None = None, limit: int = 300) -> str:
    """An error's text as a client may see it: one line, with known folders named and other paths replaced."""
    line = " ".join(str(text).split())
    for path, name in sorted((named or {}).items(), key=lambda item: -len(item[0])):
        if path:
            line = line.replace(path, name)
    line = _ABSOLUTE_PATH.sub("<path>", line)
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"

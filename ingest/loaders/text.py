"""Plain text and Markdown (with YAML front matter) readers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import FrontMatterError
from ingest.loaders.base import LoadedDocument, Page, decode_utf8

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HTML_TAG = re.compile(r"<[^>\n]+>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_HEADING = re.compile(r"^(#{1,6})\s*(\S.*?)\s*#*\s*$")


def read_text(path: Path, data: bytes) -> LoadedDocument:
    return LoadedDocument([Page(None, decode_utf8(path, data))], page_count=1)


def _plain_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """YAML gives dates as date objects; payloads need JSON values."""
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in meta.items()}


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise FrontMatterError(path, f"invalid YAML front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise FrontMatterError(path, "front matter is not a mapping of keys to values")
    return _plain_metadata(meta), text[match.end():]


def _clean_markdown(body: str) -> str:
    lines = []
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:  # normalise "####Title" (no space) to "#### Title"
            line = f"{heading.group(1)} {heading.group(2)}"
        line = _LINK.sub(r"\1", _HTML_TAG.sub("", line))
        lines.append(_EMPHASIS.sub("", line))
    return "\n".join(lines)


def read_markdown(path: Path, data: bytes) -> LoadedDocument:
    meta, body = split_front_matter(path, decode_utf8(path, data))
    if "title" not in meta:
        first = next((m.group(2) for m in map(_HEADING.match, body.splitlines()) if m), None)
        if first:
            meta["title"] = _EMPHASIS.sub("", first)
    return LoadedDocument([Page(None, _clean_markdown(body))], meta, page_count=1)

"""`manifest.yaml`: metadata for the documents of a corpus folder, and the official texts users can download."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MANIFEST_NAME = "manifest.yaml"
# Metadata fields a document may carry, from the manifest or its own front matter.
METADATA_FIELDS = ("id", "title", "language", "fund", "country", "doc_type", "period", "url")


class ManifestError(ValueError):
    pass


@dataclass
class OfficialText:
    celex: str
    title: str
    fund: list[str] = field(default_factory=list)
    doc_type: str = "regulation"
    period: str | None = None


@dataclass
class Manifest:
    root: Path
    documents: dict[str, dict[str, Any]]  # resolved path -> metadata
    url_pattern: str | None = None
    languages: list[str] = field(default_factory=list)
    official: list[OfficialText] = field(default_factory=list)

    def metadata_for(self, path: Path) -> dict[str, Any]:
        return self.documents.get(str(path.resolve()), {})


def read_manifest(path: Path) -> Manifest:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: a manifest is a mapping with 'documents' and 'official'")
    root = path.parent
    documents: dict[str, dict[str, Any]] = {}
    for entry in raw.get("documents") or []:
        if not isinstance(entry, dict) or "path" not in entry:
            raise ManifestError(f"{path}: every document entry needs a 'path': {entry!r}")
        meta = {k: entry[k] for k in METADATA_FIELDS if entry.get(k) is not None}
        documents[str((root / entry["path"]).resolve())] = meta
    official = raw.get("official") or {}
    texts = [
        OfficialText(
            celex=str(t["celex"]), title=t.get("title", str(t["celex"])), fund=list(t.get("fund") or []),
            doc_type=t.get("doc_type", "regulation"), period=t.get("period"),
        )
        for t in official.get("texts") or []
    ]
    return Manifest(root, documents, official.get("url_pattern"), list(official.get("languages") or []), texts)


@lru_cache(maxsize=256)
def _manifest_in(directory: Path) -> Manifest | None:
    candidate = directory / MANIFEST_NAME
    if candidate.is_file():
        return read_manifest(candidate)
    if directory.parent == directory:
        return None
    return _manifest_in(directory.parent)


def find_manifest(path: Path) -> Manifest | None:
    """The nearest manifest.yaml in the file's folder or above it."""
    return _manifest_in(path.resolve().parent)

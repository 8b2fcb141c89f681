"""Documents from any llama-index reader into the helpdesk index, through the same pipeline as files.

Readers return `Document`s: text plus metadata, often one per page (`page_label`) of a file (`file_path`,
`file_name`) or one per web page (`url`). Documents that share a source become one helpdesk document whose pages
keep their labels; it then goes through the file pipeline's cleaning, chunking, embedding and pending -> ready
write, and its version is the hash of its pages and the metadata the index keeps, so reading the same content
again changes nothing.

Nothing here imports llama-index: any object with a `text` (or `get_content()`) and a `metadata` dict is taken,
so a reader's output is used as it comes.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.embedder import CachedEmbedder
from common.runtime import Runtime
from common.schema import CollectionInfo, document_hash
from common.settings import Settings
from common.store import VectorStore, ensure_free_space
from ingest.errors import EmptyFileError, FileTooLargeError, LoadError
from ingest.loaders import LoadedDocument, Page
from ingest.pipeline import FileFailure, Ingestor, IngestProgress, IngestSummary, make_doc_id

# Metadata keys, in order of preference, that name where a reader's document came from.
SOURCE_KEYS = ("source", "file_path", "url", "file_name")
# Metadata a document's chunks carry (the manifest's fields); other reader metadata (dates, sizes) is not kept,
# so it does not make an unchanged text look changed either.
KEPT_KEYS = ("title", "language", "fund", "country", "doc_type", "period", "url")
_SPEC = re.compile(r"^(?P<module>[A-Za-z_][\w.]*):(?P<attr>[A-Za-z_][\w.]*)$")


class ReaderError(ValueError):
    """A `--reader module:function` that cannot be loaded or run, or output that is not documents."""


@dataclass
class SourceDocument:
    """The reader documents of one source, in reader order."""

    source: str
    pages: list[Page] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    unlabelled_pages: list[str] = field(default_factory=list)  # page labels that are not page numbers

    @property
    def version(self) -> str:
        canonical = {"pages": [[p.number, p.text] for p in self.pages],
                     "metadata": {k: self.metadata[k] for k in KEPT_KEYS if self.metadata.get(k) is not None}}
        return document_hash(json.dumps(canonical, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))


def load_reader(spec: str) -> Callable[..., Any]:
    """`package.module:function` (or `:Class`, or `:object.method`) -> the callable it names."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise ReaderError(f"reader {spec!r} is not module:function (e.g. my_readers:load_slides)")
    try:
        target: Any = importlib.import_module(match["module"])
    except ImportError as exc:
        raise ReaderError(f"reader {spec!r}: cannot import {match['module']!r}: {exc}") from exc
    for name in match["attr"].split("."):
        try:
            target = getattr(target, name)
        except AttributeError as exc:
            raise ReaderError(f"reader {spec!r}: {match['module']!r} has no attribute {match['attr']!r}") from exc
    if not callable(target):
        raise ReaderError(f"reader {spec!r} names a {type(target).__name__}, not a function")
    return target


def read_with(spec: str, arguments: Sequence[str]) -> list[Any]:
    """Calls the reader function with the CLI's arguments; a reader object it returns is asked to `load_data()`."""
    reader = load_reader(spec)
    try:
        result = reader(*arguments)
        if hasattr(result, "load_data") and callable(result.load_data):
            result = result.load_data()
        documents = list(result)
    except ReaderError:
        raise
    except TypeError as exc:
        raise ReaderError(f"reader {spec!r} failed on arguments {list(arguments)}: {exc}") from exc
    except Exception as exc:  # a reader can fail in any way; say which and why
        raise ReaderError(f"reader {spec!r} failed: {type(exc).__name__}: {exc}") from exc
    return documents


def group_documents(documents: Iterable[Any], source: str | None = None) -> list[SourceDocument]:
    """Reader documents -> one SourceDocument per source; `source` puts them all under one name."""
    groups: dict[str, SourceDocument] = {}
    for position, document in enumerate(documents):
        text, metadata = _text_and_metadata(document, position)
        key = source or _source_of(document, metadata)
        group = groups.setdefault(key, SourceDocument(key))
        for name in KEPT_KEYS:
            if metadata.get(name) not in (None, "") and name not in group.metadata:
                group.metadata[name] = metadata[name]
        if not text.strip():
            continue
        label = metadata.get("page_label", metadata.get("page"))
        number = _page_number(label)
        if label not in (None, "") and number is None:
            group.unlabelled_pages.append(str(label))
        group.pages.append(Page(number, text))
    return list(groups.values())


def _text_and_metadata(document: Any, position: int) -> tuple[str, dict[str, Any]]:
    text = getattr(document, "text", None)
    if not isinstance(text, str) and callable(getattr(document, "get_content", None)):
        text = document.get_content()
    metadata = getattr(document, "metadata", None)
    if not isinstance(text, str) or not isinstance(metadata, dict):
        raise ReaderError(f"item {position} of the reader's output is a {type(document).__name__}, not a document "
                          "with text and metadata (a llama-index Document)")
    return text, metadata


def _source_of(document: Any, metadata: dict[str, Any]) -> str:
    for key in SOURCE_KEYS:
        if metadata.get(key):
            return str(metadata[key])
    # A reader that names no source: its document id is all there is (stable only if the reader sets it).
    identifier = getattr(document, "doc_id", None) or getattr(document, "id_", None)
    if not identifier:
        raise ReaderError(f"a document has none of the metadata {', '.join(SOURCE_KEYS)} and no id; "
                          "pass source= to name it")
    return str(identifier)


def _page_number(label: Any) -> int | None:
    if isinstance(label, int) and not isinstance(label, bool):
        return label if label > 0 else None
    if isinstance(label, str) and label.strip().isdigit():
        return int(label.strip()) or None
    return None


def ingest_documents(
    documents: Iterable[Any], settings: Settings | None = None, *, source: str | None = None,
    metadata: dict[str, Any] | None = None, runtime: Runtime | None = None, progress: IngestProgress | None = None,
) -> IngestSummary:
    """Index llama-index `Document`s as helpdesk documents (one per source); unchanged sources are skipped.

    `metadata` (fund, country, doc_type, period, title, language, url) applies to every source and wins over the
    reader's. Without `runtime`, one is opened from `settings` (default: the environment) and closed after.
    """
    owned = runtime is None
    runtime = runtime or Runtime(settings or Settings())
    try:
        ingestor = Ingestor(runtime.settings, runtime.store, runtime.embedder, progress)
        return DocumentIngest(ingestor).run(group_documents(documents, source), metadata or {})
    finally:
        if owned:
            runtime.close()


class DocumentIngest:
    """The ingest loop for sources that arrive as text: same space checks, named failures and summary as files."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor
        self.settings = ingestor.settings
        self.store: VectorStore = ingestor.store
        self.embedder: CachedEmbedder = ingestor.embedder

    def run(self, sources: list[SourceDocument], metadata: dict[str, Any]) -> IngestSummary:
        summary = IngestSummary()
        started = time.perf_counter()
        ensure_free_space(self.settings.data_dir, self.settings.ingest.min_free_mb)
        self.store.ensure_collection(CollectionInfo(embed_model=self.embedder.name, dim=self.embedder.dim))
        progress = self.ingestor.progress
        progress.start(len(sources))
        for document in sources:
            ensure_free_space(self.settings.data_dir, self.settings.ingest.min_free_mb)
            label = Path(document.source)
            progress.file_started(label)
            try:
                status = self._ingest_source(document, metadata, summary)
            except LoadError as exc:
                summary.failed.append(FileFailure(exc.path, exc.code, str(exc)))
                status = "failed"
            if status != "failed":
                getattr(summary, status).append(document.source)
            progress.file_done(label, status)
        self.store.flush()
        summary.seconds["total"] = time.perf_counter() - started
        return summary

    def _ingest_source(self, document: SourceDocument, metadata: dict[str, Any], summary: IngestSummary) -> str:
        name = document.source
        if not document.pages:
            raise EmptyFileError(name, "the reader returned no text for this source")
        size = sum(len(p.text.encode("utf-8")) for p in document.pages)
        limit = self.settings.ingest.max_file_mb * 1024 * 1024
        if size > limit:
            raise FileTooLargeError(name, f"{size / 2**20:.1f} MiB of text is over the "
                                          f"{self.settings.ingest.max_file_mb:g} MiB limit (HELPDESK_INGEST_MAX_FILE_MB)")
        document.metadata.update({k: v for k, v in metadata.items() if v is not None})
        doc_hash = document.version
        doc_id = make_doc_id(name)
        existing = self.ingestor.indexed_version(doc_id, doc_hash)
        if existing == "current":
            return "unchanged"
        numbers = [p.number for p in document.pages if p.number is not None]
        loaded = LoadedDocument(pages=document.pages, metadata=dict(document.metadata),
                                page_count=len(document.pages))
        if document.unlabelled_pages:
            loaded.warnings.append(f"{name}: page labels {', '.join(document.unlabelled_pages[:5])} are not page "
                                   "numbers; those pages are cited without one")
        if len(numbers) != len(set(numbers)):
            loaded.warnings.append(f"{name}: the reader gave the same page label to several documents")
        return self.ingestor.index_document(Path(name), name, doc_id, doc_hash, loaded, {}, existing is not None,
                                            summary)

"""Ingest pipeline: discover -> load (cached) -> clean -> detect language -> chunk -> embed (cached) -> upsert.

Crash safety: a document's chunks are written with state "pending" under deterministic ids, flipped to
"ready" (with the time they were published) in one filter update once all have landed, and only then are the
previous version's chunks deleted. Search only sees "ready" chunks, and of a document with two ready versions only
the one published last, so an interrupted run never exposes half a document or two versions, and re-running
overwrites the same ids instead of duplicating them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from common.embedder import CachedEmbedder, fingerprint, text_hash
from common.language import detect_document_language
from common.anchors import chunk_anchors
from common.answer_types import value_kinds
from common.countries import document_country
from common.periods import document_period
from common.schema import (STATE_READY, ChunkPayload, CollectionInfo, document_hash, index_build, indexing_recipe,
                           point_id)
from common.settings import Settings
from common.sparse import BM25Encoder
from common.store import StoredPoint, VectorStore, ensure_free_space
from common.units import quotable_units, unit_key, unit_passage
from ingest.chunker import chunk_pages
from ingest.context import passage_text
from ingest.clean import clean_pages
from ingest.errors import FileTooLargeError, LoadError, NoContentError
from ingest.isolated import extract_isolated
from ingest.loaders import LoadedDocument, Page, is_supported
from ingest.manifest import MANIFEST_NAME, _manifest_in, find_manifest
from ingest.titles import document_title

# Loader output format version: bump to invalidate the extraction cache when readers change.
EXTRACT_VERSION = 4  # 2: HTML and DOCX read by their blocks (ingest/loaders/markup.py); 3: <ol> items numbered;
# 4: both readers join their blocks one way (a table right after a list item is a new block in HTML too)
# Files that describe a folder rather than belong to it, skipped in folders that have no manifest.
_FOLDER_NOTES = {"readme", "provenance", "license", "licence", "copying", "changelog", "notice"}


@dataclass
class FileFailure:
    path: str
    code: str
    message: str


@dataclass
class IngestSummary:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks: int = 0
    units: int = 0  # quotable units whose vectors were stored with the chunks
    pages: int = 0
    empty_pages: int = 0
    embedded: int = 0  # passages run through the model (not served by the cache)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("read", "extract", "chunk", "embed", "upsert", "total"), 0.0))

    @property
    def ok(self) -> bool:
        return not self.failed

    def count_embedded(self, passages: int) -> None:
        self.embedded += passages

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class IngestProgress(Protocol):
    def start(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def embedding(self, done: int, total: int) -> None: ...
    def file_done(self, path: Path, status: str) -> None: ...


class SilentProgress:
    def start(self, total_files: int) -> None: ...
    def file_started(self, path: Path) -> None: ...
    def embedding(self, done: int, total: int) -> None: ...
    def file_done(self, path: Path, status: str) -> None: ...


def make_doc_id(source: str) -> str:
    stem = re.sub(r"[^\w-]+", "-", Path(source).stem.casefold()).strip("-")[:60] or "document"
    return f"{stem}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:8]}"


def discover(paths: list[Path]) -> tuple[list[Path], list[FileFailure], list[str]]:
    """Files to ingest, missing paths, and files skipped on purpose (folder notes, not in the manifest)."""
    files: list[Path] = []
    missing: list[FileFailure] = []
    ignored: list[str] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path)
                if not candidate.is_file() or any(part.startswith(".") for part in relative.parts):
                    continue
                if candidate.name == MANIFEST_NAME:
                    continue
                manifest = find_manifest(candidate)
                if manifest is not None and manifest.documents:
                    if str(candidate.resolve()) in manifest.documents:
                        files.append(candidate)
                    else:
                        ignored.append(str(candidate))
                elif is_supported(candidate) and candidate.stem.casefold() not in _FOLDER_NOTES:
                    files.append(candidate)
                else:
                    ignored.append(str(candidate))
        else:
            missing.append(FileFailure(str(path), "not-found", f"{path}: no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, missing, ignored


class ExtractionCache:
    """Loader output keyed by file content hash: a 500-page regulation is extracted once, ever."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, doc_hash: str) -> Path:
        return self.directory / f"{doc_hash}.v{EXTRACT_VERSION}.json.gz"

    def get(self, doc_hash: str) -> LoadedDocument | None:
        path = self._path(doc_hash)
        if not path.exists():
            return None
        try:
            raw = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError):
            return None  # a torn write from a killed run: extract again
        return LoadedDocument(
            pages=[Page(n, t) for n, t in raw["pages"]], metadata=raw["metadata"], page_count=raw["page_count"],
            empty_pages=raw["empty_pages"], warnings=raw["warnings"],
        )

    def put(self, doc_hash: str, doc: LoadedDocument) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        raw = {
            "pages": [[p.number, p.text] for p in doc.pages], "metadata": doc.metadata,
            "page_count": doc.page_count, "empty_pages": doc.empty_pages, "warnings": doc.warnings,
        }
        tmp = self._path(doc_hash).with_suffix(".tmp")
        tmp.write_bytes(gzip.compress(json.dumps(raw, ensure_ascii=False).encode("utf-8"), compresslevel=3))
        os.replace(tmp, self._path(doc_hash))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


@dataclass
class _ReadFile:
    """A file read ahead of its turn: identity, and its text unless it was already indexed as it is."""

    path: Path
    source: str
    doc_id: str
    doc_hash: str
    listed: dict[str, Any]
    loaded: LoadedDocument | None = None


class Ingestor:
    def __init__(
        self, settings: Settings, store: VectorStore, embedder: CachedEmbedder,
        progress: IngestProgress | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.progress = progress or SilentProgress()
        self.sparse = BM25Encoder()
        self.extractions = ExtractionCache(settings.cache_dir / "extract")

    def ingest(self, paths: list[Path], prune: bool = False) -> IngestSummary:
        summary = IngestSummary()
        started = time.perf_counter()
        _manifest_in.cache_clear()  # pick up manifest edits between runs of a long-lived process
        files, summary.failed, summary.ignored = discover(paths)
        ensure_free_space(self.settings.data_dir, self.settings.ingest.min_free_mb)
        self.store.ensure_collection(CollectionInfo(embed_model=self.embedder.name, dim=self.embedder.dim))
        self.progress.start(len(files))
        # The next file is read and extracted (in its child process) while this one is embedded, so the text is
        # ready when its turn comes and the cores the embedding leaves idle between its calls are used.
        reader = ThreadPoolExecutor(1, thread_name_prefix="ingest-read")
        try:
            ahead = reader.submit(self._read, files[0], summary) if files else None
            for position, path in enumerate(files):
                ensure_free_space(self.settings.data_dir, self.settings.ingest.min_free_mb)
                self.progress.file_started(path)
                current, ahead = ahead, None
                try:
                    read = current.result()
                except LoadError as exc:
                    read, failure = None, FileFailure(exc.path, exc.code, str(exc))
                except OSError as exc:
                    read, failure = None, FileFailure(str(path), "unreadable", f"{path}: {exc}")
                if position + 1 < len(files):
                    ahead = reader.submit(self._read, files[position + 1], summary)
                if read is None:
                    summary.failed.append(failure)
                    status = "failed"
                else:
                    status = self._index_read(read, summary)
                    getattr(summary, status).append(str(path))
                self.progress.file_done(path, status)
        finally:
            reader.shutdown(wait=True, cancel_futures=True)
        if prune:
            summary.removed = self.prune(paths, {str(p) for p in files})
        self.store.flush()
        summary.seconds["total"] = time.perf_counter() - started
        return summary

    def _timed(self, summary: IngestSummary, stage: str, started: float) -> float:
        now = time.perf_counter()
        summary.seconds[stage] += now - started
        return now

    def _read(self, path: Path, summary: IngestSummary) -> _ReadFile:
        """Read `path` and extract its text unless this version is already indexed (runs ahead, in the reader)."""
        t = time.perf_counter()
        limit = self.settings.ingest.max_file_mb * 1024 * 1024
        size = path.stat().st_size
        if size > limit:
            raise FileTooLargeError(path, f"{size / 2**20:.1f} MiB is over the {self.settings.ingest.max_file_mb:g} MiB limit "
                                          "(HELPDESK_INGEST_MAX_FILE_MB)")
        data = path.read_bytes()
        doc_hash = document_hash(data)
        source = path.as_posix()
        manifest = find_manifest(path)
        listed = manifest.metadata_for(path) if manifest else {}
        doc_id = str(listed.get("id") or make_doc_id(source))
        read = _ReadFile(path, source, doc_id, doc_hash, listed)
        t = self._timed(summary, "read", t)
        if self.indexed_version(doc_id, doc_hash) == "current":
            return read
        read.loaded = self.extractions.get(doc_hash)
        if read.loaded is None:
            limits = self.settings.ingest
            read.loaded = extract_isolated(path, data, limits.extract_timeout_s, limits.extract_memory_mib)
            self.extractions.put(doc_hash, read.loaded)
        self._timed(summary, "extract", t)
        return read

    def _index_read(self, read: _ReadFile, summary: IngestSummary) -> str:
        # Asked again now: the file before may have written this very document (two files, one manifest id).
        existing = self.indexed_version(read.doc_id, read.doc_hash)
        if existing == "current":
            return "unchanged"
        if read.loaded is None:  # indexed as it is when read ahead; another file of its id replaced it since
            read = self._read(read.path, summary)
        return self.index_document(read.path, read.source, read.doc_id, read.doc_hash, read.loaded, read.listed,
                                   existing is not None, summary)

    def indexed_version(self, doc_id: str, doc_hash: str) -> str | None:
        """None when the index has no chunk of `doc_id`, "current" when this version, built with the current
        settings, is fully ready, else "other"."""
        build = index_build(doc_hash, self.indexing())
        existing = list(self.store.scroll({"doc_id": doc_id}, ["build", "state", "chunk_count"]))
        if not existing:
            return None
        if all(p.get("build") == build and p.get("state") == STATE_READY for _, p in existing) \
                and len(existing) == existing[0][1].get("chunk_count"):
            return "current"
        return "other"

    def index_document(self, path: Path, source: str, doc_id: str, doc_hash: str, loaded: LoadedDocument,
                       listed: dict[str, Any], existed: bool, summary: IngestSummary) -> str:
        """Clean, chunk, embed and write one loaded document (pending, then ready, then the old version deleted).

        Shared by file ingest and documents that arrive already loaded (ingest.llama_index_bridge); `path` names
        the document in errors and titles.
        """
        t = time.perf_counter()
        build = index_build(doc_hash, self.indexing())
        pages = clean_pages(loaded.pages, self.settings.ingest.header_footer_min_share)
        summary.pages += loaded.page_count
        summary.empty_pages += len(loaded.empty_pages)
        summary.warnings.extend(loaded.warnings)
        if loaded.empty_pages:
            summary.warnings.append(
                f"{path}: {len(loaded.empty_pages)} of {loaded.page_count} pages have no extractable text "
                f"(pages {', '.join(map(str, loaded.empty_pages[:10]))}{'...' if len(loaded.empty_pages) > 10 else ''}); "
                "OCR is not done"
            )
        t = self._timed(summary, "extract", t)

        meta = self._metadata(path, loaded, listed)
        chunks = chunk_pages(pages, self.settings.chunk.size, self.settings.chunk.overlap)
        if not chunks:
            raise NoContentError(path, "no text left to index after cleaning")
        t = self._timed(summary, "chunk", t)

        title = meta["title"] if self.settings.chunk.embed_title else ""
        texts = [passage_text(title, c.text) for c in chunks]
        # Each chunk's quotable units (common/units.py), embedded in one call with the chunks so that the cache and
        # the length-sorted batches serve both: in their document and section, or alone (the vector the composer
        # would compute; HELPDESK_CHUNK_UNIT_CONTEXT).
        in_context = self.settings.chunk.unit_context
        units = ([[unit_passage(title, c.section, u.context) if in_context else u.context
                   for u in quotable_units(c.text, c.section)] for c in chunks]
                 if self.settings.chunk.embed_units else [[] for _ in chunks])
        unit_texts = [text for chunk_units in units for text in chunk_units]
        # The sparse vectors are computed meanwhile: the model's threads leave the interpreter free while they run.
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-sparse") as side:
            sparse_vectors = side.submit(lambda: [self.sparse.encode_document(text, meta["language"]) for text in texts])
            embedded = self.embedder.embed_passages(
                texts + unit_texts, on_batch=_Counter(len(texts) + len(unit_texts), self.progress.embedding),
                on_embedded=summary.count_embedded,
            )
            sparse = sparse_vectors.result()
        vectors, unit_vectors = embedded[: len(texts)], embedded[len(texts):]
        summary.units += len(unit_texts)
        t = self._timed(summary, "embed", t)

        points = []
        first_unit = 0
        for index, (chunk, vector, sparse_vector) in enumerate(zip(chunks, vectors, sparse)):
            contexts = units[index]
            chunk_units = unit_vectors[first_unit : first_unit + len(contexts)]
            first_unit += len(contexts)
            payload = ChunkPayload(
                doc_id=doc_id, title=meta["title"], source=source, url=meta.get("url"),
                language=meta["language"], page_start=chunk.page_start, page_end=chunk.page_end,
                page_breaks=chunk.page_breaks or None, section=chunk.section, fund=meta["fund"], country=meta.get("country"),
                doc_type=meta.get("doc_type"), period=meta.get("period"), doc_hash=doc_hash,
                build=build, chunk_hash=text_hash(chunk.text),
                anchors=chunk_anchors(meta["title"], chunk.section, chunk.body), chunk_index=index, chunk_count=len(chunks), text=chunk.text,
                value_kinds=value_kinds(chunk.text, meta["language"]),
                unit_keys=[unit_key(text) for text in contexts] or None,
            )
            points.append(StoredPoint(point_id(doc_id, build, index), vector.tolist(), sparse_vector,
                                      payload.model_dump(), units=chunk_units.tolist() or None))
        batch = self.settings.ingest.upsert_batch
        for start in range(0, len(points), batch):
            # The disk may fill while a long document is written: stop with a named error before the engine
            # would (it dies of SIGBUS); the pending chunks stay invisible and a re-run completes them.
            ensure_free_space(self.settings.data_dir, self.settings.ingest.min_free_mb)
            self.store.upsert(points[start : start + batch])
            time.sleep(0)  # hand the GIL to searches that waited while the engine wrote
        # Until the old version is deleted both are ready; search shows the one published last (qa/retriever.py).
        self.store.set_payload({"doc_id": doc_id, "build": build}, {"state": STATE_READY, "published": time.time_ns()})
        self.store.delete({"doc_id": doc_id}, must_not={"build": build})
        self.store.flush()
        self._timed(summary, "upsert", t)
        summary.chunks += len(chunks)
        return "updated" if existed else "new"

    def indexing(self) -> dict[str, Any]:
        """The settings that change a document's chunks or vectors (see common.schema.index_build)."""
        return indexing_recipe(self.settings, fingerprint(self.embedder))

    def _metadata(self, path: Path, loaded: LoadedDocument, listed: dict[str, Any]) -> dict[str, Any]:
        meta: dict[str, Any] = {**loaded.metadata, **listed}
        first_lines = [line for page in loaded.pages[:2] for line in page.text.split("\n")]
        title = document_title(meta.get("title"), first_lines, path.stem)
        language = str(meta.get("language") or "").lower()
        if language not in self.settings.languages:
            language = detect_document_language(loaded.text[:200_000], tuple(self.settings.languages))
        country = document_country(meta.get("country"), title, loaded.text[:20_000])
        return {
            "title": title,
            "language": language,
            "fund": _as_list(meta.get("fund")),
            "country": country,
            "doc_type": meta.get("doc_type") or meta.get("rank"),
            "period": document_period(meta, title, path.name, loaded.text[:400_000]),
            "url": meta.get("url") or meta.get("source_url") or meta.get("source"),
        }

    def prune(self, roots: list[Path], seen: set[str]) -> list[str]:
        """Remove documents whose files under the given folders are gone."""
        root_prefixes = [r.resolve().as_posix().rstrip("/") + "/" for r in roots if r.is_dir()]
        documents: dict[str, str] = {}
        for _, payload in self.store.scroll({}, ["doc_id", "source"]):
            documents.setdefault(payload["doc_id"], payload["source"])
        removed = []
        for doc_id, source in documents.items():
            under_root = any(source.startswith(prefix) for prefix in root_prefixes) or source in {
                r.resolve().as_posix() for r in roots}
            if under_root and source not in seen and not Path(source).exists():
                self.store.delete({"doc_id": doc_id})
                removed.append(source)
        return removed


class _Counter:
    """Turns per-batch counts into running totals for the progress bar."""

    def __init__(self, total: int, report) -> None:
        self.total, self.done, self.report = total, 0, report

    def __call__(self, n: int) -> None:
        self.done += n
        self.report(self.done, self.total)

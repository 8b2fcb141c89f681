"""Vector store: embedded qdrant-edge by default, a Qdrant server when `HELPDESK_QDRANT_URL` is set."""

from __future__ import annotations

from common.settings import Settings
from common.store.base import (
    Conditions,
    EmbeddingMismatchError,
    Hit,
    IndexLayoutError,
    StoredPoint,
    InsufficientSpaceError,
    StoreError,
    ensure_free_space,
    VectorQuery,
    VectorStore,
    check_compatible,
)

__all__ = [
    "Conditions", "EmbeddingMismatchError", "InsufficientSpaceError", "ensure_free_space", "Hit", "IndexLayoutError", "StoredPoint", "StoreError", "VectorQuery",
    "VectorStore", "check_compatible", "index_now", "open_store",
]


def open_store(settings: Settings, background_index: bool = False) -> VectorStore:
    """`background_index`: the embedded store builds its index in the background after writes land (a server)."""
    s = settings.store
    if s.url or s.local_path:
        from common.store.server import ServerStore

        return ServerStore(s.collection, url=s.url, api_key=s.api_key, local_path=s.local_path, timeout_s=s.timeout_s,
                           shard_number=s.shard_number, replication_factor=s.replication_factor, index=settings.index)
    from common.store.edge import EdgeStore

    return EdgeStore(settings.store_dir, s.collection, settings.ingest.min_free_mb, index=settings.index,
                     background_index=background_index)


def index_now(store: VectorStore) -> bool:
    """After an ingest in a one-shot command: build the embedded store's index now if it is due (a server does it
    in the background, and a Qdrant server indexes on its own). True when an index was built."""
    build = getattr(store, "build_index_if_due", None)
    return bool(build and build())

"""Embedded store: Qdrant's own engine in-process through qdrant-edge, persisted under the data dir."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from common.schema import DENSE_VECTOR, INDEXED_FIELDS, SPARSE_VECTOR, CollectionInfo
from common.store.base import (
    Conditions,
    EmbeddingMismatchError,
    Hit,
    InsufficientSpaceError,
    StoredPoint,
    StoreError,
    VectorQuery,
    ensure_free_space,
)

INFO_FILE = "collection.json"
SHARD_DIR = "shard"


def _condition(key: str, value: Any) -> qe.FieldCondition:
    if isinstance(value, (list, tuple, set)):
        return qe.FieldCondition(key=key, match=qe.MatchAny(any=list(value)))
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=value))


def _filter(must: Conditions | None, must_not: Conditions | None = None) -> qe.Filter | None:
    if not must and not must_not:
        return None
    return qe.Filter(
        must=[_condition(k, v) for k, v in (must or {}).items()] or None,
        must_not=[_condition(k, v) for k, v in (must_not or {}).items()] or None,
    )


class EdgeStore:
    engine = "qdrant-edge (embedded)"

    def __init__(self, root: Path, collection: str, min_free_mb: float = 0.0) -> None:
        self.path = Path(root) / collection
        self._shard: qe.EdgeShard | None = None
        self._lock = threading.RLock()
        try:
            # Opening writes to the write-ahead log; on a full disk that is a SIGBUS, and a server that is restarted
            # after one would die again at every start. Unavailable (503) until there is room is the better state.
            ensure_free_space(self.path, min_free_mb)
        except InsufficientSpaceError as exc:
            raise StoreError(f"cannot open the embedded index: {exc}") from exc
        shard_dir = self.path / SHARD_DIR
        if shard_dir.exists() and any(shard_dir.iterdir()):
            try:
                self._shard = qe.EdgeShard.load(str(shard_dir))
            except Exception as exc:
                if "WouldBlock" in str(exc):
                    raise StoreError(
                        f"the embedded index at {shard_dir} is open in another process (a running `helpdesk serve`?); "
                        "stop it, or point HELPDESK_QDRANT_URL at a Qdrant server to share one index"
                    ) from exc
                raise StoreError(f"cannot open the embedded Qdrant shard at {shard_dir}: {exc}") from exc

    def collection_info(self) -> CollectionInfo | None:
        info_path = self.path / INFO_FILE
        if self._shard is None or not info_path.exists():
            return None
        return CollectionInfo.model_validate_json(info_path.read_text(encoding="utf-8"))

    def ensure_collection(self, info: CollectionInfo) -> None:
        with self._lock:
            existing = self.collection_info()
            if existing is not None:
                if (existing.embed_model, existing.dim) != (info.embed_model, info.dim):
                    raise EmbeddingMismatchError(existing, info.embed_model, info.dim)
                return
            shard_dir = self.path / SHARD_DIR
            try:
                shard_dir.mkdir(parents=True, exist_ok=True)
                if self._shard is None:
                    config = qe.EdgeConfig(
                        vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=info.dim, distance=qe.Distance.Cosine)},
                        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
                    )
                    self._shard = qe.EdgeShard.create(str(shard_dir), config)
                for name in INDEXED_FIELDS:
                    self._shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
                self._shard.flush()
                # Written last and atomically: a shard without this file is an unfinished creation.
                tmp = self.path / (INFO_FILE + ".tmp")
                tmp.write_text(info.model_dump_json(), encoding="utf-8")
                os.replace(tmp, self.path / INFO_FILE)
            except OSError as exc:
                raise StoreError(f"cannot create the embedded Qdrant shard under {self.path}: {exc}") from exc

    def _require(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreError("the collection does not exist yet: run `helpdesk ingest PATH` first")
        return self._shard

    def upsert(self, points: list[StoredPoint]) -> None:
        if not points:
            return
        with self._lock:
            self._require().update(qe.UpdateOperation.upsert_points([
                qe.Point(
                    id=p.id,
                    vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: qe.SparseVector(*p.sparse)},
                    payload=p.payload,
                )
                for p in points
            ]))

    def set_payload(self, must: Conditions, values: dict[str, Any]) -> None:
        with self._lock:
            self._require().update(qe.UpdateOperation.set_payload_by_filter(_filter(must), values))

    def delete(self, must: Conditions, must_not: Conditions | None = None) -> None:
        if self._shard is None:
            return
        with self._lock:
            self._shard.update(qe.UpdateOperation.delete_points_by_filter(_filter(must, must_not)))

    def scroll(self, must: Conditions, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if self._shard is None:
            return
        offset = None
        while True:
            with self._lock:
                records, offset = self._shard.scroll(qe.ScrollRequest(
                    offset=offset, limit=512, filter=_filter(must),
                    with_payload=qe.PayloadSelector.Include(fields), with_vector=False,
                ))
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def count(self, must: Conditions) -> int:
        if self._shard is None:
            return 0
        with self._lock:
            return int(self._shard.count(qe.CountRequest(filter=_filter(must), exact=True)))

    def facet(self, key: str, must: Conditions) -> dict[str, int]:
        if self._shard is None:
            return {}
        with self._lock:
            response = self._shard.facet(qe.FacetRequest(key=key, limit=1000, exact=True, filter=_filter(must)))
        return {str(hit.value): int(hit.count) for hit in response.hits}

    @staticmethod
    def _query(q: VectorQuery) -> qe.Query:
        vector = q.dense if q.dense is not None else qe.SparseVector(*q.sparse)
        return qe.Query.Nearest(vector, using=q.using)

    def search(self, query: VectorQuery, limit: int) -> list[Hit]:
        request = qe.QueryRequest(limit=limit, query=self._query(query), filter=_filter(query.must), with_payload=True)
        with self._lock:
            points = self._require().query(request)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def flush(self) -> None:
        if self._shard is not None:
            with self._lock:
                self._shard.flush()

    def close(self) -> None:
        if self._shard is not None:
            with self._lock:
                self._shard.flush()
                self._shard.close()
                self._shard = None

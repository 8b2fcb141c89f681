"""A Qdrant server (or qdrant-client's local mode, its stand-in in tests) with the same collection schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from qdrant_client import QdrantClient, models
from qdrant_client.common.client_exceptions import QdrantException
from qdrant_client.http.exceptions import ApiException, ResponseHandlingException, UnexpectedResponse

from common.schema import DENSE_VECTOR, INDEXED_FIELDS, SCHEMA_VERSION, SPARSE_VECTOR, UNITS_VECTOR, CollectionInfo
from common.settings import IndexSettings
from common.store.base import (
    Conditions,
    EmbeddingMismatchError,
    Hit,
    StoredPoint,
    StoreError,
    VectorQuery,
)


# What a Qdrant server or the way to it can fail with (the client wraps httpx's errors in these).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ApiException, UnexpectedResponse, ResponseHandlingException, QdrantException, httpx.HTTPError, ConnectionError,
    TimeoutError, OSError,
)
try:
    import grpc

    _UNAVAILABLE += (grpc.RpcError,)
except ImportError:  # the gRPC transport is optional
    pass


def _condition(key: str, value: Any) -> models.FieldCondition:
    if isinstance(value, (list, tuple, set)):
        return models.FieldCondition(key=key, match=models.MatchAny(any=list(value)))
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _filter(must: Conditions | None, must_not: Conditions | None = None,
            ids: list[str] | None = None) -> models.Filter | None:
    if not must and not must_not and ids is None:
        return None
    conditions: list[Any] = [_condition(k, v) for k, v in (must or {}).items()]
    if ids is not None:
        conditions.append(models.HasIdCondition(has_id=list(ids)))
    return models.Filter(
        must=conditions or None,
        must_not=[_condition(k, v) for k, v in (must_not or {}).items()] or None,
    )


def index_config(index: IndexSettings) -> dict[str, Any]:
    """The collection's HNSW, quantisation and storage settings, the same as the embedded store's."""
    quantization = None
    if index.quantization == "int8":
        quantization = models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(
            type=models.ScalarType.INT8, quantile=index.quantile, always_ram=True))
    elif index.quantization != "none":
        raise StoreError(f"unknown HELPDESK_INDEX_QUANTIZATION {index.quantization!r}: use int8 or none")
    return {
        "hnsw_config": models.HnswConfigDiff(m=index.hnsw_m, ef_construct=index.hnsw_ef_construct,
                                             full_scan_threshold=index.full_scan_threshold_kb),
        "quantization_config": quantization,
        "optimizers_config": models.OptimizersConfigDiff(indexing_threshold=index.indexing_threshold_kb),
    }


# Suffix of the copy a layout upgrade keeps while it recreates the collection (see ServerStore._upgrade_layout).
UPGRADE_SUFFIX = "--layout-upgrade"


def vectors_config(dim: int, index: IndexSettings, units: bool = True) -> dict[str, models.VectorParams]:
    """The dense vector, with the collection's index settings, and (layout 2 on) the unit multivector (MaxSim),
    which only rescores the chunks' candidates and so gets no graph (it keeps the collection's quantisation: a
    vector's own config cannot switch that off at creation)."""
    vectors = {DENSE_VECTOR: models.VectorParams(size=dim, distance=models.Distance.COSINE, on_disk=index.vectors_on_disk)}
    if units:
        vectors[UNITS_VECTOR] = models.VectorParams(
            size=dim, distance=models.Distance.COSINE, on_disk=index.vectors_on_disk,
            multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM),
            **UNITS_RESCORE_ONLY)
    return vectors


# A graph of no links: Qdrant builds none for the unit vectors.
UNITS_RESCORE_ONLY: dict[str, Any] = {"hnsw_config": models.HnswConfigDiff(m=0)}


class ServerStore:
    def __init__(
        self, collection: str, url: str | None = None, api_key: str | None = None,
        local_path: str | None = None, timeout_s: float = 30.0, shard_number: int | None = None,
        replication_factor: int | None = None, index: IndexSettings | None = None,
    ) -> None:
        self.collection = collection
        self.index = index or IndexSettings()
        # Only a distributed (cluster) server uses these; None leaves Qdrant's defaults.
        self._layout = {"shard_number": shard_number, "replication_factor": replication_factor}
        self._remote = bool(url)
        if url:
            self.engine = f"qdrant server ({url})"
            self._client = QdrantClient(url=url, api_key=api_key, timeout=int(timeout_s))
        else:
            self.engine = f"qdrant-client local ({local_path or ':memory:'})"
            self._client = QdrantClient(location=":memory:") if local_path in (None, ":memory:") else QdrantClient(path=local_path)

    def _call(self, what: str, fn, *args, **kwargs):
        """Connection failures, timeouts and the server's refusals become StoreError (503); a bug stays itself."""
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except _UNAVAILABLE as exc:
            raise StoreError(f"Qdrant {what} failed on {self.engine}: {exc}") from exc
        except ValueError as exc:
            if self._remote:
                raise
            # qdrant-client's local mode (a server's stand-in) refuses as a server would, with ValueError.
            raise StoreError(f"Qdrant {what} failed on {self.engine}: {exc}") from exc

    def collection_info(self, collection: str | None = None) -> CollectionInfo | None:
        collection = collection or self.collection
        if not self._call("collection check", self._client.collection_exists, collection):
            return None
        meta = self._call("collection info", self._client.get_collection, collection).config.metadata or {}
        return CollectionInfo.model_validate(meta) if "embed_model" in meta else None

    def ensure_collection(self, info: CollectionInfo) -> None:
        self._finish_upgrade()
        existing = self.collection_info()
        if existing is not None:
            if (existing.embed_model, existing.dim) != (info.embed_model, info.dim):
                raise EmbeddingMismatchError(existing, info.embed_model, info.dim)
            if existing.schema_version < SCHEMA_VERSION:
                self._upgrade_layout(existing)
                return
            self._upgrade_index()
            return
        self._create(self.collection, info)

    def _create(self, collection: str, info: CollectionInfo, complete: bool = True) -> None:
        """Create `collection` (unless it exists) and, when `complete`, mark it done with its metadata."""
        if not self._call("collection check", self._client.collection_exists, collection):
            self._call(
                "create collection", self._client.create_collection, collection,
                vectors_config=vectors_config(info.dim, self.index, info.schema_version >= 2),
                sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                on_disk_payload=self.index.payload_on_disk,
                **index_config(self.index),
                **{k: v for k, v in self._layout.items() if v is not None and self._remote},
            )
            # Local mode ignores payload indexes (and warns); a server needs them for fast filters.
            for name in INDEXED_FIELDS if self._remote else ():
                self._call("create index", self._client.create_payload_index, collection, name,
                           models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD,
                                                     enable_hnsw=name in self.index.filter_graphs))
        # Metadata last: a collection without it is an unfinished creation and is completed on the next run.
        if complete:
            self._call("set metadata", self._client.update_collection, collection, metadata=info.model_dump())

    def _copy_points(self, source: str, target: str) -> None:
        offset = None
        while True:
            records, offset = self._call("scroll", self._client.scroll, source, limit=256, offset=offset,
                                         with_payload=True, with_vectors=True)
            if records:
                self._call("upsert", self._client.upsert, target, wait=True, points=[
                    models.PointStruct(id=r.id, vector=r.vector or {}, payload=r.payload or {}) for r in records])
            if offset is None:
                return

    def _upgrade_layout(self, existing: CollectionInfo) -> None:
        """A server cannot add a named vector to a collection: the points are copied aside into a collection of
        the current layout, the collection is recreated with it and the points copied back, then the copy is
        dropped. Each step is marked by metadata written last, so a run interrupted anywhere is completed by the
        next (`_finish_upgrade`); the documents' stale builds make `helpdesk ingest` re-index them, units and all."""
        current = existing.model_copy(update={"schema_version": SCHEMA_VERSION})
        aside = self.collection + UPGRADE_SUFFIX
        self._call("delete collection", self._client.delete_collection, aside)
        self._create(aside, current, complete=False)  # complete (metadata) once filled
        self._copy_points(self.collection, aside)
        self._call("set metadata", self._client.update_collection, aside, metadata=current.model_dump())
        self._finish_upgrade()

    def _finish_upgrade(self) -> None:
        """Complete a layout upgrade whose copy aside is complete: recreate the collection from it, drop it."""
        aside = self.collection + UPGRADE_SUFFIX
        if not self._call("collection check", self._client.collection_exists, aside):
            return
        copied = self.collection_info(aside)
        if copied is None:
            # Interrupted while copying aside: the collection itself is untouched; start over.
            self._call("delete collection", self._client.delete_collection, aside)
            return
        target = self.collection_info()
        if target is None or target.schema_version < SCHEMA_VERSION:
            self._call("delete collection", self._client.delete_collection, self.collection)
            self._create(self.collection, copied, complete=False)
            self._copy_points(aside, self.collection)
            self._call("set metadata", self._client.update_collection, self.collection, metadata=copied.model_dump())
        self._call("delete collection", self._client.delete_collection, aside)

    def _upgrade_index(self) -> None:
        """Give a collection made with other (or no) index settings the configured ones; a server rebuilds the
        index in the background and keeps answering meanwhile."""
        if not self._remote:
            return  # local mode searches exactly and keeps no index settings
        described = self._call("collection info", self._client.get_collection, self.collection)
        config = described.config
        wanted = index_config(self.index)
        hnsw, scalar = config.hnsw_config, getattr(config.quantization_config, "scalar", None)
        current = (hnsw.m, hnsw.ef_construct, hnsw.full_scan_threshold, config.optimizer_config.indexing_threshold,
                   (scalar.type, scalar.quantile) if scalar else None)
        target_scalar = getattr(wanted["quantization_config"], "scalar", None)
        target = (self.index.hnsw_m, self.index.hnsw_ef_construct, self.index.full_scan_threshold_kb,
                  self.index.indexing_threshold_kb, (target_scalar.type, target_scalar.quantile) if target_scalar else None)
        if current != target:
            self._call("update index settings", self._client.update_collection, self.collection,
                       hnsw_config=wanted["hnsw_config"], optimizers_config=wanted["optimizers_config"],
                       quantization_config=wanted["quantization_config"] or models.Disabled.DISABLED)
        units = (config.params.vectors or {}).get(UNITS_VECTOR) if isinstance(config.params.vectors, dict) else None
        if units is not None and (units.hnsw_config is None or units.hnsw_config.m != 0):
            self._call("update unit vectors", self._client.update_collection, self.collection,
                       vectors_config={UNITS_VECTOR: models.VectorParamsDiff(**UNITS_RESCORE_ONLY)})
        schema = described.payload_schema or {}
        for name in INDEXED_FIELDS:  # each field's own graphs, as configured now
            present = schema.get(name)
            graphs = name in self.index.filter_graphs
            if present is None or getattr(present.params, "enable_hnsw", None) is not graphs:
                self._call("create index", self._client.create_payload_index, self.collection, name,
                           models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, enable_hnsw=graphs))

    def upsert(self, points: list[StoredPoint]) -> None:
        if not points:
            return
        self._call("upsert", self._client.upsert, self.collection, points=[
            models.PointStruct(
                id=p.id,
                vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: models.SparseVector(indices=p.sparse[0], values=p.sparse[1]),
                        **({UNITS_VECTOR: p.units} if p.units else {})},
                payload=p.payload,
            )
            for p in points
        ], wait=True)

    def set_payload(self, must: Conditions, values: dict[str, Any]) -> None:
        self._call("set payload", self._client.set_payload, self.collection, payload=values,
                   points=_filter(must), wait=True)

    def delete(self, must: Conditions, must_not: Conditions | None = None) -> None:
        if not self._call("collection check", self._client.collection_exists, self.collection):
            return
        self._call("delete", self._client.delete, self.collection,
                   points_selector=models.FilterSelector(filter=_filter(must, must_not)), wait=True)

    def scroll(self, must: Conditions, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if not self._call("collection check", self._client.collection_exists, self.collection):
            return
        offset = None
        while True:
            records, offset = self._call(
                "scroll", self._client.scroll, self.collection, scroll_filter=_filter(must), limit=512,
                offset=offset, with_payload=fields, with_vectors=False,
            )
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def count(self, must: Conditions) -> int:
        if not self._call("collection check", self._client.collection_exists, self.collection):
            return 0
        return int(self._call("count", self._client.count, self.collection, count_filter=_filter(must), exact=True).count)

    def facet(self, key: str, must: Conditions) -> dict[str, int]:
        counts: dict[str, int] = {}
        # Scrolling keeps this identical in server and local mode (local mode has no facet API).
        for _, payload in self.scroll(must, [key]):
            values = payload.get(key)
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    counts[str(value)] = counts.get(str(value), 0) + 1
        return counts

    @staticmethod
    def _query(q: VectorQuery):
        if q.dense is not None and q.using == UNITS_VECTOR:
            return [q.dense]  # a multivector query of one vector: its MaxSim is the best unit's similarity
        if q.dense is not None:
            return q.dense
        return models.SparseVector(indices=q.sparse[0], values=q.sparse[1])

    def _params(self, q: VectorQuery) -> models.SearchParams | None:
        if not self._remote:
            return None  # local mode always searches exactly
        if q.exact or q.dense is None:
            return models.SearchParams(exact=q.exact)
        quantization = None
        if self.index.quantization != "none":
            quantization = models.QuantizationSearchParams(rescore=self.index.rescore, oversampling=self.index.oversampling)
        acorn = None
        if self.index.acorn_max_selectivity > 0 and q.must:
            acorn = models.AcornSearchParams(enable=True, max_selectivity=self.index.acorn_max_selectivity)
        return models.SearchParams(hnsw_ef=self.index.hnsw_ef, quantization=quantization, acorn=acorn)

    def search(self, query: VectorQuery, limit: int) -> list[Hit]:
        response = self._call(
            "query", self._client.query_points, self.collection, query=self._query(query), using=query.using,
            query_filter=_filter(query.must, ids=query.ids), limit=limit, with_payload=True,
            search_params=self._params(query),
        )
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def unit_vectors(self, ids: list[str]) -> dict[str, list[list[float]]]:
        if not ids:
            return {}
        records = self._call("retrieve", self._client.retrieve, self.collection, ids=list(ids), with_payload=False,
                             with_vectors=[UNITS_VECTOR])
        return {str(r.id): vectors for r in records if isinstance(r.vector, dict) and (vectors := r.vector.get(UNITS_VECTOR))}

    def flush(self) -> None:
        """The server persists on its own."""

    def close(self) -> None:
        self._client.close()

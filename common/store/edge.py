"""Embedded store: Qdrant's own engine in-process through qdrant-edge, persisted under the data dir.

The shard is searched exactly until its HNSW index (over int8-quantised vectors) is built. qdrant-edge builds it
in `optimize()`, which holds the GIL for the whole build, so it runs in a child process on a copy of the shard:
answers go on from the live shard meanwhile, writes that land during the build are replayed onto the copy, and the
copy replaces the live shard under the lock, named by a pointer file that is replaced atomically. A crash at any
point leaves either the old or the new shard live, both complete.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from common.schema import (
    DENSE_VECTOR,
    FILTER_KEYS,
    FOLDED_FIELDS,
    INDEXED_FIELDS,
    SCHEMA_VERSION,
    SPARSE_VECTOR,
    UNITS_VECTOR,
    CollectionInfo,
)
from common.settings import IndexSettings
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

log = logging.getLogger(__name__)

INFO_FILE = "collection.json"
# The shard directory of collections made before index builds; still opened (and upgraded) when no pointer exists.
SHARD_DIR = "shard"
# Names the live shard directory; replaced atomically when a build lands.
LIVE_FILE = "live_shard"
# Present while writes have landed that no index build has covered yet (survives a restart).
PENDING_FILE = "index_pending"
BUILD_PREFIX = "shard-"
# The field indexes of a collection whose filter fields are folded (common/schema.py FOLDED_FIELDS).
FOLDED_INDEXES: tuple[str, ...] = ("language", "state", FILTER_KEYS)
# New collections fold their filter fields; tests make one the older way to see it converted.
FOLD_NEW_COLLECTIONS = True
FOLDED_FIELDS_SET = frozenset(FOLDED_FIELDS)
# Points converted per write when an older collection's filter fields are folded.
_FOLD_BATCH = 256
# Distinct keys a facet over a folded field may count (documents, anchors and the rest together).
_FACET_KEYS_LIMIT = 1_000_000


class IndexBuildError(StoreError):
    """The background index build failed; answers go on from the live (exactly searched) shard."""


# The first layout with the `units` multivector (common/schema.py SCHEMA_VERSION).
UNITS_LAYOUT = 2


def edge_config(dim: int, index: IndexSettings, units: bool = True) -> qe.EdgeConfig:
    """The shard's config; `units`: with the unit multivector (a collection of an older layout has none and must
    be opened without it). The chunk vectors get the graph and int8 copies in RAM; the unit vectors only rescore
    the chunks' candidates, so they get neither: a graph over multivectors would cost several chunk graphs."""
    quantization = None
    if index.quantization == "int8":
        quantization = qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=index.quantile, always_ram=True)
    elif index.quantization != "none":
        raise StoreError(f"unknown HELPDESK_INDEX_QUANTIZATION {index.quantization!r}: use int8 or none")
    graph = qe.HnswIndexConfig(m=index.hnsw_m, ef_construct=index.hnsw_ef_construct,
                               full_scan_threshold=index.full_scan_threshold_kb, max_indexing_threads=index.build_threads)
    vectors = {DENSE_VECTOR: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine, on_disk=index.vectors_on_disk,
                                                 quantization_config=quantization)}
    if units:
        vectors[UNITS_VECTOR] = qe.EdgeVectorParams(
            size=dim, distance=qe.Distance.Cosine, on_disk=index.vectors_on_disk,
            multivector_config=qe.MultiVectorConfig(comparator=qe.MultiVectorComparator.MaxSim),
            hnsw_config=qe.HnswIndexConfig(m=0, ef_construct=index.hnsw_ef_construct,
                                           full_scan_threshold=index.full_scan_threshold_kb))
    return qe.EdgeConfig(
        vectors=vectors,
        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        on_disk_payload=index.payload_on_disk,
        hnsw_config=graph,
        optimizers=qe.EdgeOptimizersConfig(indexing_threshold=index.indexing_threshold_kb),
    )


def field_index(name: str, index: IndexSettings) -> qe.KeywordIndexParams:
    """A keyword index; with a graph of its own per value only for the fields the settings name."""
    unknown = index.filter_graphs - set(INDEXED_FIELDS)
    if unknown:
        raise StoreError(f"HELPDESK_INDEX_FILTER_GRAPH_FIELDS names {', '.join(sorted(unknown))}, which "
                         f"{'is' if len(unknown) == 1 else 'are'} not indexed: use some of {', '.join(INDEXED_FIELDS)}")
    return qe.KeywordIndexParams(enable_hnsw=name in index.filter_graphs)


def _build_in_child(shard_dir: str, dim: int, index_json: str, units: str = "1") -> None:
    """Entry point of the build process: open the copy with the index config and build the index."""
    index = IndexSettings.model_validate_json(index_json)
    try:
        os.nice(index.build_nice)  # the serving process keeps priority on the cores
    except OSError:
        pass
    shard = qe.EdgeShard.load(shard_dir, edge_config(dim, index, units == "1"))
    shard.optimize()
    shard.flush()
    shard.close()


# The distribution whose mimalloc the build process preloads when HELPDESK_INDEX_BUILD_ALLOCATOR is `auto`.
MIMALLOC_DISTRIBUTION = "cmeel-mimalloc"


def _installed_mimalloc() -> Path | None:
    try:
        files = importlib.metadata.files(MIMALLOC_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if re.fullmatch(r"libmimalloc\.so\.\d+", file.name):
            located = Path(str(file.locate()))
            if located.is_file():
                return located
    return None


def build_allocator(index: IndexSettings) -> Path | None:
    """The malloc library the build process preloads, or None for the system's; a named error for a bad choice."""
    choice = index.build_allocator.strip()
    linux = sys.platform.startswith("linux")
    if choice == "system" or (choice == "auto" and not linux):
        return None
    if choice == "auto":
        return _installed_mimalloc()
    if not linux:
        raise IndexBuildError(f"HELPDESK_INDEX_BUILD_ALLOCATOR names {choice}, but a library is preloaded on Linux "
                              "only: use auto or system")
    library = Path(choice).expanduser()
    if not library.is_file():
        raise IndexBuildError(f"HELPDESK_INDEX_BUILD_ALLOCATOR names {library}, which is not a file: use auto, "
                              "system or the path of a malloc library (libmimalloc.so.3, libjemalloc.so.2)")
    return library


def build_process_env(index: IndexSettings) -> dict[str, str]:
    """The build process's environment: this process's import path, and its allocator preloaded."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    library = build_allocator(index)
    if library is not None:
        env["LD_PRELOAD"] = " ".join(filter(None, [str(library), env.get("LD_PRELOAD", "")]))
    return env


class SharedLock:
    """Many holders at once in shared mode, one alone in exclusive mode; a waiting exclusive holder goes first."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0

    @contextmanager
    def shared(self):
        with self._condition:
            while self._exclusive or self._exclusive_waiting:
                self._condition.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                self._shared -= 1
                if not self._shared:
                    self._condition.notify_all()

    @contextmanager
    def exclusive(self):
        with self._condition:
            self._exclusive_waiting += 1
            while self._exclusive or self._shared:
                self._condition.wait()
            self._exclusive_waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._condition:
                self._exclusive = False
                self._condition.notify_all()


def _folded_key(field: str, value: Any) -> str:
    return f"{field}={value}"


def filter_keys(payload: dict[str, Any]) -> list[str]:
    """The folded filter fields of a payload, one "field=value" per value (a list field gives one per item)."""
    keys = []
    for name in FOLDED_FIELDS:
        value = payload.get(name)
        for item in value if isinstance(value, (list, tuple)) else () if value is None else (value,):
            keys.append(_folded_key(name, item))
    return keys


def _condition(key: str, value: Any, folded: bool) -> qe.FieldCondition:
    many = isinstance(value, (list, tuple, set))
    if folded and key in FOLDED_FIELDS:
        key, value = FILTER_KEYS, [_folded_key(key, v) for v in value] if many else _folded_key(key, value)
    if many:
        return qe.FieldCondition(key=key, match=qe.MatchAny(any=list(value)))
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=value))


def _filter(must: Conditions | None, must_not: Conditions | None = None,
            ids: list[str] | None = None, folded: bool = True) -> qe.Filter | None:
    if not must and not must_not and ids is None:
        return None
    conditions: list[Any] = [_condition(k, v, folded) for k, v in (must or {}).items()]
    if ids is not None:
        conditions.append(qe.HasIdCondition(set(ids)))
    return qe.Filter(
        must=conditions or None,
        must_not=[_condition(k, v, folded) for k, v in (must_not or {}).items()] or None,
    )


class EdgeStore:
    engine = "qdrant-edge (embedded)"

    def __init__(self, root: Path, collection: str, min_free_mb: float = 0.0, index: IndexSettings | None = None,
                 background_index: bool = False) -> None:
        self.path = Path(root) / collection
        self.index = index or IndexSettings()
        self._background = background_index
        self._shard: qe.EdgeShard | None = None
        # Every call into the shard holds `_shard_lock`: shared for searches and writes alike (the shard synchronises
        # them itself, so a search never waits for an upload's batch), exclusive only to create, swap or close the
        # shard. Writes (and an index build's copy and swap) hold `_write_gate` first, one at a time, so a build can
        # copy the files and swap shards while answers go on.
        self._shard_lock = SharedLock()
        self._write_gate = threading.RLock()
        self._build_lock = threading.Lock()
        self._replay: list[qe.UpdateOperation] | None = None  # writes to replay onto the shard being built
        self._pending = (self.path / PENDING_FILE).exists()
        self._last_write = 0.0
        self._closing = threading.Event()
        self._worker: threading.Thread | None = None
        self._child: subprocess.Popen | None = None
        self.last_build_error: str | None = None
        self._units = True  # whether the live shard has the unit multivector (collections of layout 1 do not)
        self._folded = FOLD_NEW_COLLECTIONS  # whether filter fields are folded into FILTER_KEYS (see common/schema.py)
        try:
            # Opening writes to the write-ahead log; on a full disk that is a SIGBUS, and a server that is restarted
            # after one would die again at every start. Unavailable (503) until there is room is the better state.
            ensure_free_space(self.path, min_free_mb)
        except InsufficientSpaceError as exc:
            raise StoreError(f"cannot open the embedded index: {exc}") from exc
        self._live_dir = self._read_live_dir()
        shard_dir = self._live_dir
        if shard_dir.exists() and any(shard_dir.iterdir()):
            info = self.collection_info_file()
            try:
                self._shard = self._load(shard_dir, info)
            except Exception as exc:
                if "WouldBlock" in str(exc):
                    raise StoreError(
                        f"the embedded index at {shard_dir} is open in another process (a running `helpdesk serve`?); "
                        "stop it, or point HELPDESK_QDRANT_URL at a Qdrant server to share one index"
                    ) from exc
                raise StoreError(f"cannot open the embedded Qdrant shard at {shard_dir}: {exc}") from exc
            self._remove_stale_shards()
            try:
                if info is not None and self._fold_filter_fields():
                    self._mark_pending()  # the converted points left the graph's segments for the appendable one
            except Exception as exc:
                self._shard.close()  # release the shard's lock: the caller gets no store to close
                self._shard = None
                raise StoreError(f"cannot fold the filter fields of the embedded index at {shard_dir} into one "
                                 f"index: {exc}; nothing is lost, the next open converts it again") from exc
            if info is not None and self._align_field_indexes():
                self._mark_pending()  # the next build drops or adds the fields' own graphs
            if info is not None and not (self.path / LIVE_FILE).exists() and not self._pending:
                self._mark_pending()  # a collection from before index builds: it has never been indexed
            if self._background and self._pending:
                self._schedule()

    def _load(self, shard_dir: Path, info: CollectionInfo | None) -> qe.EdgeShard:
        """Open the live shard. With the collection's config, an older shard is upgraded in place: the index
        settings are written to it now and its segments get the index at the next build. Its layout is the one the
        info file records, or the other one when a crash fell between writing that file and the pointer to the
        shard of a layout upgrade (the info file is then corrected)."""
        if info is None:
            return qe.EdgeShard.load(str(shard_dir), None)
        recorded = info.schema_version >= UNITS_LAYOUT
        for units in (recorded, not recorded):
            try:
                shard = qe.EdgeShard.load(str(shard_dir), edge_config(info.dim, self.index, units))
            except Exception as exc:
                if "incompatible" in str(exc).lower() and units == recorded:
                    continue
                raise
            self._units = units
            if units != recorded:
                self._write_info(info.model_copy(update={"schema_version": SCHEMA_VERSION if units else 1}))
            return shard
        raise AssertionError("unreachable")

    # -- layout -------------------------------------------------------------------------------------------------

    def _read_live_dir(self) -> Path:
        live = self.path / LIVE_FILE
        if live.exists():
            return self.path / live.read_text(encoding="utf-8").strip()
        return self.path / SHARD_DIR

    def _remove_stale_shards(self) -> None:
        """Shard copies a crash left behind: a build that never landed, or the shard a landed build replaced."""
        for entry in self.path.iterdir():
            if entry.is_dir() and (entry.name == SHARD_DIR or entry.name.startswith(BUILD_PREFIX)) \
                    and entry != self._live_dir:
                shutil.rmtree(entry, ignore_errors=True)

    def _indexed_fields(self) -> tuple[str, ...]:
        """The payload fields with an index of their own; with a folded layout, a field named for graphs of its
        own must be one of them."""
        if not self._folded:
            return INDEXED_FIELDS
        folded = self.index.filter_graphs & FOLDED_FIELDS_SET
        if folded:
            raise StoreError(f"HELPDESK_INDEX_FILTER_GRAPH_FIELDS names {', '.join(sorted(folded))}: the embedded "
                             f"store indexes it among the folded filter fields, with no graphs of its own; use "
                             f"{' or '.join(f for f in FOLDED_INDEXES if f != FILTER_KEYS)}, or a Qdrant server")
        return FOLDED_INDEXES

    def _fold_filter_fields(self) -> bool:
        """Fold the filter fields of a collection made with one index per field into FILTER_KEYS, in place: each
        point gets its keys, then the keys' index is made and the folded fields' own indexes dropped. True when
        it converted. A crash before the keys' index exists leaves a collection that is converted again, whole,
        at the next open; its points keep every field meanwhile."""
        assert self._shard is not None
        schema = self._shard.info().payload_schema
        self._folded = FILTER_KEYS in schema
        if self._folded or not FOLD_NEW_COLLECTIONS:
            if self._folded:
                self._drop_field_indexes(set(schema) - set(FOLDED_INDEXES))
            return False
        total = self._shard.count(qe.CountRequest(exact=True))
        log.info("folding the filter fields of %s into one index (%d chunks, once)", self.path, total)
        offset, done, started = None, 0, time.monotonic()
        while True:
            records, offset = self._shard.scroll(qe.ScrollRequest(
                offset=offset, limit=_FOLD_BATCH, with_payload=qe.PayloadSelector.Include(list(FOLDED_FIELDS)),
                with_vector=False))
            for record in records:
                self._shard.update(qe.UpdateOperation.set_payload(
                    [record.id], {FILTER_KEYS: filter_keys(dict(record.payload or {}))}))
            done += len(records)
            if done and (offset is None or done % (_FOLD_BATCH * 40) < _FOLD_BATCH):
                log.info("folded %d of %d chunks (%.0f s)", done, total, time.monotonic() - started)
            if offset is None:
                break
        self._shard.update(qe.UpdateOperation.create_field_index(FILTER_KEYS, field_index(FILTER_KEYS, self.index)))
        self._folded = True
        self._drop_field_indexes(set(schema) - set(FOLDED_INDEXES))
        return True

    def _drop_field_indexes(self, names: set[str]) -> None:
        """Drop indexes no filter of this layout uses (a crash between folding and dropping left them)."""
        if not names:
            return
        for name in sorted(names):
            self._shard.update(qe.UpdateOperation.delete_field_index(name))
        self._shard.flush()

    def _align_field_indexes(self) -> bool:
        """Give each indexed field the graph setting configured now (a collection made before the setting, or with
        another value of it); True when one changed."""
        assert self._shard is not None
        schema = self._shard.info().payload_schema
        changed = False
        for name in self._indexed_fields():
            wanted = field_index(name, self.index)
            current = schema.get(name)
            params = getattr(current, "params", None) if current is not None else None
            if current is None or getattr(params, "enable_hnsw", None) is not wanted.enable_hnsw:
                self._shard.update(qe.UpdateOperation.create_field_index(name, wanted))
                changed = True
        if changed:
            self._shard.flush()
        return changed

    def _mark_pending(self) -> None:
        if not self._pending:
            (self.path / PENDING_FILE).touch()
            self._pending = True

    def collection_info_file(self) -> CollectionInfo | None:
        info_path = self.path / INFO_FILE
        if not info_path.exists():
            return None
        return CollectionInfo.model_validate_json(info_path.read_text(encoding="utf-8"))

    def collection_info(self) -> CollectionInfo | None:
        if self._shard is None:
            return None
        return self.collection_info_file()

    def ensure_collection(self, info: CollectionInfo) -> None:
        existing = self.collection_info()
        if existing is not None and existing.schema_version < SCHEMA_VERSION:
            # A layout upgrade replaces the shard: no index build may run meanwhile (lock order as in a build).
            with self._build_lock:
                self._ensure_collection(info)
            return
        self._ensure_collection(info)

    def _ensure_collection(self, info: CollectionInfo) -> None:
        with self._write_gate, self._shard_lock.exclusive():
            existing = self.collection_info()
            if existing is not None:
                if (existing.embed_model, existing.dim) != (info.embed_model, info.dim):
                    raise EmbeddingMismatchError(existing, info.embed_model, info.dim)
                if existing.schema_version < SCHEMA_VERSION:
                    self._upgrade_layout(existing)
                return
            shard_dir = self._live_dir
            try:
                shard_dir.mkdir(parents=True, exist_ok=True)
                if self._shard is None:
                    # The layout `info` names: the current one, or an older one that tests upgrade.
                    self._units = info.schema_version >= UNITS_LAYOUT
                    self._shard = qe.EdgeShard.create(str(shard_dir), edge_config(info.dim, self.index, self._units))
                self._folded = FOLD_NEW_COLLECTIONS
                for name in self._indexed_fields():
                    self._shard.update(qe.UpdateOperation.create_field_index(name, field_index(name, self.index)))
                self._shard.flush()
                # Written last and atomically: a shard without this file is an unfinished creation.
                self._write_info(info)
                self._write_live_file(shard_dir.name)
            except OSError as exc:
                raise StoreError(f"cannot create the embedded Qdrant shard under {self.path}: {exc}") from exc

    def _write_info(self, info: CollectionInfo) -> None:
        tmp = self.path / (INFO_FILE + ".tmp")
        tmp.write_text(info.model_dump_json(), encoding="utf-8")
        os.replace(tmp, self.path / INFO_FILE)

    def _upgrade_layout(self, existing: CollectionInfo) -> None:
        """Copy a collection of an older layout into a new shard with the current one (its points keep their
        vectors and payloads; the documents' stale builds make `helpdesk ingest` re-index them, units and all),
        then make it the live shard. Runs with writes and the shard held exclusively (the caller holds both); a
        crash leaves the old shard live and complete, or the new one."""
        old = self._require()
        target = self.path / f"{BUILD_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            new = qe.EdgeShard.create(str(target), edge_config(existing.dim, self.index, True))
            for name in self._indexed_fields():
                new.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
            offset = None
            while True:
                records, offset = old.scroll(qe.ScrollRequest(offset=offset, limit=256, with_payload=True,
                                                              with_vector=True))
                if records:
                    new.update(qe.UpdateOperation.upsert_points([
                        qe.Point(id=r.id, vector=dict(r.vector or {}), payload=dict(r.payload or {})) for r in records]))
                if offset is None:
                    break
            new.flush()
        except Exception as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise StoreError(f"cannot upgrade the embedded index at {self.path} to layout {SCHEMA_VERSION}: {exc}") from exc
        # The info first, then the pointer: opening after a crash between the two finds the shard's own layout.
        self._write_info(existing.model_copy(update={"schema_version": SCHEMA_VERSION}))
        self._write_live_file(target.name)
        old_dir = self._live_dir
        self._shard, self._live_dir, self._units = new, target, True
        old.close()
        shutil.rmtree(old_dir, ignore_errors=True)
        self._mark_pending()  # the new shard has no index yet

    def _write_live_file(self, name: str) -> None:
        tmp = self.path / (LIVE_FILE + ".tmp")
        tmp.write_text(name, encoding="utf-8")
        os.replace(tmp, self.path / LIVE_FILE)

    def _require(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreError("the collection does not exist yet: run `helpdesk ingest PATH` first")
        return self._shard

    def _write(self, operation: qe.UpdateOperation) -> None:
        with self._write_gate, self._shard_lock.shared():
            self._require().update(operation)
            if self._replay is not None:
                self._replay.append(operation)
            self._last_write = time.monotonic()
            self._mark_pending()

    # -- writes and reads ---------------------------------------------------------------------------------------

    def _filter(self, must: Conditions | None, must_not: Conditions | None = None,
                ids: list[str] | None = None) -> qe.Filter | None:
        return _filter(must, must_not, ids, self._folded)

    def _stored_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        if FILTER_KEYS in payload:
            raise StoreError(f"a payload may not carry {FILTER_KEYS!r}: the embedded store derives it")
        return {**payload, FILTER_KEYS: filter_keys(payload)} if self._folded else payload

    def upsert(self, points: list[StoredPoint]) -> None:
        if not points:
            return
        if not self._units and any(p.units for p in points):
            raise StoreError(f"the embedded index at {self.path} has layout 1 (no unit vectors): run `helpdesk "
                             "ingest PATH...` to upgrade it")
        self._write(qe.UpdateOperation.upsert_points([
            qe.Point(
                id=p.id,
                vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: qe.SparseVector(*p.sparse),
                        **({UNITS_VECTOR: p.units} if p.units else {})},
                payload=self._stored_payload(p.payload),
            )
            for p in points
        ]))

    def set_payload(self, must: Conditions, values: dict[str, Any]) -> None:
        if FILTER_KEYS in values:
            raise StoreError(f"a payload may not carry {FILTER_KEYS!r}: the embedded store derives it")
        if not (self._folded and FOLDED_FIELDS_SET & set(values)):
            self._write(qe.UpdateOperation.set_payload_by_filter(self._filter(must), values))
            return
        # A folded field changes each point's keys differently: point by point.
        with self._write_gate:
            for point_id, payload in list(self.scroll(must, list(FOLDED_FIELDS))):
                changed = {**payload, **values}
                self._write(qe.UpdateOperation.set_payload([point_id], {**values, FILTER_KEYS: filter_keys(changed)}))

    def delete(self, must: Conditions, must_not: Conditions | None = None) -> None:
        if self._shard is None:
            return
        self._write(qe.UpdateOperation.delete_points_by_filter(self._filter(must, must_not)))

    def scroll(self, must: Conditions, fields: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if self._shard is None:
            return
        offset = None
        while True:
            with self._shard_lock.shared():
                records, offset = self._require().scroll(qe.ScrollRequest(
                    offset=offset, limit=512, filter=self._filter(must),
                    with_payload=qe.PayloadSelector.Include([f for f in fields if f != FILTER_KEYS]),
                    with_vector=False,
                ))
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def count(self, must: Conditions) -> int:
        if self._shard is None:
            return 0
        with self._shard_lock.shared():
            return int(self._shard.count(qe.CountRequest(filter=self._filter(must), exact=True)))

    def facet(self, key: str, must: Conditions) -> dict[str, int]:
        if self._shard is None:
            return {}
        if not (self._folded and key in FOLDED_FIELDS):
            with self._shard_lock.shared():
                response = self._shard.facet(qe.FacetRequest(key=key, limit=1000, exact=True,
                                                              filter=self._filter(must)))
            return {str(hit.value): int(hit.count) for hit in response.hits}
        # The keys of every folded field share one index: count them all, keep this field's.
        with self._shard_lock.shared():
            response = self._shard.facet(qe.FacetRequest(key=FILTER_KEYS, limit=_FACET_KEYS_LIMIT, exact=True,
                                                          filter=self._filter(must)))
        prefix = _folded_key(key, "")
        return {str(hit.value)[len(prefix):]: int(hit.count) for hit in response.hits
                if str(hit.value).startswith(prefix)}

    @staticmethod
    def _query(q: VectorQuery) -> qe.Query:
        vector = q.dense if q.dense is not None else qe.SparseVector(*q.sparse)
        return qe.Query.Nearest(vector, using=q.using)

    def _params(self, q: VectorQuery) -> qe.SearchParams:
        if q.exact or q.dense is None:
            return qe.SearchParams(exact=q.exact)
        quantization = None
        if self.index.quantization != "none":
            quantization = qe.QuantizationSearchParams(rescore=self.index.rescore, oversampling=self.index.oversampling)
        acorn = None
        if self.index.acorn_max_selectivity > 0 and q.must:
            acorn = qe.AcornSearchParams(enable=True, max_selectivity=self.index.acorn_max_selectivity)
        return qe.SearchParams(hnsw_ef=self.index.hnsw_ef, quantization=quantization, acorn=acorn)

    def search(self, query: VectorQuery, limit: int) -> list[Hit]:
        if query.using == UNITS_VECTOR and not self._units:
            return []  # a collection of layout 1 has no unit vectors
        request = qe.QueryRequest(limit=limit, query=self._query(query), filter=self._filter(query.must, ids=query.ids),
                                  with_payload=qe.PayloadSelector.Exclude([FILTER_KEYS]), params=self._params(query))
        with self._shard_lock.shared():
            points = self._require().query(request)
        return [Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points]

    def unit_vectors(self, ids: list[str]) -> dict[str, list[list[float]]]:
        if not ids or self._shard is None or not self._units:
            return {}
        with self._shard_lock.shared():
            records = self._require().retrieve(list(ids), False, [UNITS_VECTOR])
        return {str(r.id): vectors for r in records if (vectors := (r.vector or {}).get(UNITS_VECTOR))}

    def flush(self) -> None:
        if self._shard is not None:
            with self._shard_lock.shared():
                self._shard.flush()
            if self._background and self._pending:
                self._schedule()

    # -- the index ----------------------------------------------------------------------------------------------

    def index_state(self) -> dict[str, Any]:
        """For status pages: whether writes are waiting for an index build, and whether one is running."""
        with self._shard_lock.shared():
            info = self._shard.info() if self._shard is not None else None
        return {
            "pending": self._pending, "building": self._build_lock.locked(),
            "points": info.points_count if info else 0, "segments": info.segments_count if info else 0,
            "indexed_vectors": info.indexed_vectors_count if info else 0,
            "last_error": self.last_build_error,
        }

    def _schedule(self) -> None:
        """Start the background builder unless it runs; it waits for writes to pause before building."""
        with self._write_gate:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._build_when_quiet, name="edge-index-build", daemon=True)
            self._worker.start()

    def _build_when_quiet(self) -> None:
        while not self._closing.is_set():
            quiet = time.monotonic() - self._last_write
            if quiet < self.index.build_delay_s:
                self._closing.wait(self.index.build_delay_s - quiet)
                continue
            with self._write_gate:
                if not self._pending or self.count({}) < self.index.min_chunks:
                    self._worker = None
                    return
            try:
                self.build_index()
            except StoreError as exc:
                if self._closing.is_set():
                    return
                self.last_build_error = str(exc)
                log.error("index build failed (answers go on from the exactly searched shard): %s", exc)
                with self._write_gate:
                    self._worker = None
                return

    def build_index_if_due(self) -> bool:
        """Build now if writes wait for an index and the collection is large enough to need one."""
        if not self._pending or self.count({}) < self.index.min_chunks:
            return False
        return self.build_index()

    def build_index(self) -> bool:
        """Build the HNSW index now (in a child process) and swap it in; False when there was nothing to do."""
        with self._build_lock:
            build_allocator(self.index)  # a bad choice is named before the shard is copied
            with self._write_gate:
                if self._shard is None or self._closing.is_set():
                    return False
                info = self.collection_info()
                if info is None:
                    return False
                with self._shard_lock.shared():
                    self._shard.flush()
                target = self.path / f"{BUILD_PREFIX}{uuid.uuid4().hex[:12]}"
                try:
                    # Reads go on meanwhile: they do not change the files; writes wait at the gate.
                    shutil.copytree(self._live_dir, target)
                except OSError as exc:
                    shutil.rmtree(target, ignore_errors=True)
                    raise IndexBuildError(f"cannot copy the shard for an index build to {target}: {exc}") from exc
                self._replay = []
            try:
                self._run_child(target, info.dim)
                return self._swap_in(target)
            except BaseException:
                with self._write_gate:
                    self._replay = None
                shutil.rmtree(target, ignore_errors=True)
                raise

    def _run_child(self, target: Path, dim: int) -> None:
        code = ("import sys; from common.store.edge import _build_in_child; "
                "_build_in_child(*sys.argv[1:2], int(sys.argv[2]), sys.argv[3], sys.argv[4])")
        env = build_process_env(self.index)
        self._child = subprocess.Popen(
            [sys.executable, "-c", code, str(target), str(dim), self.index.model_dump_json(), "1" if self._units else "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        if self._closing.is_set():
            self._child.terminate()
        _, err = self._child.communicate()
        returncode, self._child = self._child.returncode, None
        if self._closing.is_set():
            raise IndexBuildError("the store was closed during the index build")
        if returncode != 0:
            raise IndexBuildError(f"the index build process exited with {returncode}: {err.strip()[-2000:]}")

    def _swap_in(self, target: Path) -> bool:
        info = self.collection_info()
        with self._write_gate:
            built = qe.EdgeShard.load(str(target), edge_config(info.dim, self.index, self._units))
            replayed = self._replay or []
            for operation in replayed:
                built.update(operation)
            built.flush()
            self._replay = None
            # The pointer names the new shard from here on: a crash now reopens it, complete.
            self._write_live_file(target.name)
            with self._shard_lock.exclusive():
                old, old_dir = self._shard, self._live_dir
                self._shard, self._live_dir = built, target
            if not replayed:
                (self.path / PENDING_FILE).unlink(missing_ok=True)
                self._pending = False
        old.close()
        shutil.rmtree(old_dir, ignore_errors=True)
        self.last_build_error = None
        return True

    def close(self) -> None:
        self._closing.set()
        child = self._child
        if child is not None:
            child.terminate()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()
        with self._build_lock, self._write_gate, self._shard_lock.exclusive():
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None

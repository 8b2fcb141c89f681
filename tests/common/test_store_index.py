"""The embedded store's HNSW index: built in a child process on a copy, swapped in, never losing a write or an answer."""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid

import numpy as np
import pytest
import qdrant_edge as qe

from common.schema import DENSE_VECTOR, SPARSE_VECTOR, UNITS_VECTOR, CollectionInfo
from common.settings import IndexSettings
from common.store import StoredPoint, StoreError, VectorQuery
from common.store.edge import LIVE_FILE, PENDING_FILE, SHARD_DIR, EdgeStore
from common.store.server import index_config

DIM = 32
# Small enough to build in seconds, with thresholds low enough that the graph (not a scan) answers.
INDEX = IndexSettings(indexing_threshold_kb=1, full_scan_threshold_kb=1, min_chunks=0, build_delay_s=0.2,
                      build_threads=1)


def _vectors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, n)] + 0.4 * rng.normal(size=(n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _points(vectors: np.ndarray, start: int = 0) -> list[StoredPoint]:
    return [StoredPoint(str(uuid.UUID(int=start + i)), v.tolist(), ([1 + i % 5], [1.0]),
                        {"language": "fr" if i % 4 == 0 else "en", "state": "ready", "doc_id": f"d{start + i}",
                         "country": "EE" if (start + i) % 32 == 0 else "EU"})
            for i, v in enumerate(vectors)]


def _store(path, n: int = 3000, **kwargs) -> tuple[EdgeStore, np.ndarray]:
    store = EdgeStore(path, "c", index=INDEX, **kwargs)
    store.ensure_collection(CollectionInfo(embed_model="m", dim=DIM))
    vectors = _vectors(n, 0)
    for start in range(0, n, 500):
        store.upsert(_points(vectors[start:start + 500], start))
    store.flush()
    return store, vectors


def _ids(store: EdgeStore, vector: np.ndarray, must: dict | None = None, exact: bool = False) -> list[str]:
    query = VectorQuery(DENSE_VECTOR, dense=vector.tolist(), must=must or {}, exact=exact)
    return [h.id for h in store.search(query, 10)]


def _wait_for_child(store: EdgeStore) -> None:
    deadline = time.monotonic() + 60
    while store._child is None:
        assert time.monotonic() < deadline, "the index build never started its process"
        time.sleep(0.005)


def test_indexed_search_agrees_with_exact_search(tmp_path):
    store, vectors = _store(tmp_path)
    # The sparse vectors count as indexed from the start, the dense ones once their graph is built.
    assert store.index_state()["pending"] and store.index_state()["indexed_vectors"] < 2 * len(vectors)
    assert store.build_index()
    state = store.index_state()
    assert state["indexed_vectors"] >= 2 * len(vectors) and not state["pending"]
    queries = _vectors(60, 1)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    french = np.array([i % 4 == 0 for i in range(len(vectors))])
    estonian = np.array([i % 32 == 0 for i in range(len(vectors))])
    recall, filtered_recall, selective_recall = [], [], []
    for query, top in zip(queries, truth):
        expected = [str(uuid.UUID(int=int(i))) for i in top]
        # The exact mode is the reference: it must be the true (brute-force) nearest neighbours.
        assert _ids(store, query, exact=True) == expected
        recall.append(len(set(_ids(store, query)) & set(expected)) / 10)
        scores = np.where(french, query @ vectors.T, -2.0)
        expected_fr = {str(uuid.UUID(int=int(i))) for i in np.argsort(-scores)[:10]}
        filtered_recall.append(len(set(_ids(store, query, {"language": "fr"})) & expected_fr) / 10)
        # A selective filter (one chunk in 32) on a field with no graph of its own: found by the two-link walk.
        scores = np.where(estonian, query @ vectors.T, -2.0)
        expected_ee = {str(uuid.UUID(int=int(i))) for i in np.argsort(-scores)[:10]}
        selective_recall.append(len(set(_ids(store, query, {"country": "EE"})) & expected_ee) / 10)
    assert np.mean(recall) >= 0.98
    assert np.mean(filtered_recall) >= 0.98
    # Without a graph of its own, a filter this selective is near the two-link walk's limit on this small graph
    # (a plain walk finds almost none of it); naming the field in HELPDESK_INDEX_FILTER_GRAPH_FIELDS brings it to
    # the others' level.
    assert np.mean(selective_recall) >= 0.9, np.mean(selective_recall)
    store.close()


def test_answers_and_writes_go_on_while_the_index_builds(tmp_path):
    store, vectors = _store(tmp_path, n=2000)
    builder = threading.Thread(target=store.build_index)
    builder.start()
    _wait_for_child(store)
    # The build runs in another process: this one answers, and takes writes, meanwhile.
    assert _ids(store, vectors[7])[0] == str(uuid.UUID(int=7))
    extra = _vectors(20, 5)
    store.upsert(_points(extra, 10_000))
    store.delete({"doc_id": "d3"})
    store.set_payload({"doc_id": "d5"}, {"state": "pending"})
    assert store._child is not None and store._child.poll() is None, "the build ended before the writes landed"
    builder.join()
    assert (tmp_path / "c" / LIVE_FILE).read_text() != SHARD_DIR
    # Every write made during the build is in the shard that replaced the live one...
    assert store.count({}) == len(vectors) + len(extra) - 1
    assert _ids(store, extra[3])[0] == str(uuid.UUID(int=10_003))
    assert store.count({"state": "pending"}) == 1
    # ... and, having missed the build, still waits for the next one.
    assert store.index_state()["pending"]
    store.close()
    reopened = EdgeStore(tmp_path, "c", index=INDEX)
    assert reopened.count({}) == len(vectors) + len(extra) - 1
    assert reopened.index_state()["pending"]
    assert reopened.build_index() and not reopened.index_state()["pending"]
    assert not (tmp_path / "c" / PENDING_FILE).exists()
    reopened.close()


def test_a_server_builds_the_index_in_the_background_after_writes_land(tmp_path):
    store, vectors = _store(tmp_path, n=1000, background_index=True)
    deadline = time.monotonic() + 120
    while store.index_state()["pending"] or store.index_state()["building"]:
        assert time.monotonic() < deadline, f"no background build landed: {store.index_state()}"
        assert _ids(store, vectors[11])[0] == str(uuid.UUID(int=11))
        time.sleep(0.1)
    assert store.index_state()["indexed_vectors"] >= 2 * len(vectors)
    assert store.last_build_error is None
    store.close()


def test_closing_during_a_build_keeps_the_live_shard(tmp_path):
    store, vectors = _store(tmp_path, n=1000)
    live = (tmp_path / "c" / LIVE_FILE).read_text()
    outcome: list[BaseException] = []

    def build() -> None:
        try:
            store.build_index()
        except Exception as exc:  # noqa: BLE001 - the outcome is the test's subject
            outcome.append(exc)

    builder = threading.Thread(target=build)
    builder.start()
    _wait_for_child(store)
    store.close()
    builder.join()
    assert outcome and "closed during the index build" in str(outcome[0])
    assert (tmp_path / "c" / LIVE_FILE).read_text() == live
    assert sorted(p.name for p in (tmp_path / "c").iterdir() if p.is_dir()) == [live]
    reopened = EdgeStore(tmp_path, "c", index=INDEX)
    assert reopened.count({}) == len(vectors) and reopened.index_state()["pending"]
    reopened.close()


def test_a_copy_left_by_a_crash_is_removed_at_open(tmp_path):
    store, vectors = _store(tmp_path, n=200)
    store.close()
    collection = tmp_path / "c"
    shutil.copytree(collection / SHARD_DIR, collection / "shard-leftover")
    reopened = EdgeStore(tmp_path, "c", index=INDEX)
    assert not (collection / "shard-leftover").exists()
    assert reopened.count({}) == len(vectors)
    reopened.close()


def test_a_collection_from_before_the_index_is_upgraded_in_place(tmp_path):
    # The layout and config an older version wrote: one `shard` directory, no index settings, no pointer file.
    collection = tmp_path / "c"
    (collection / SHARD_DIR).mkdir(parents=True)
    shard = qe.EdgeShard.create(str(collection / SHARD_DIR), qe.EdgeConfig(
        vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    ))
    vectors = _vectors(1000, 0)
    shard.update(qe.UpdateOperation.upsert_points([
        qe.Point(id=p.id, vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: qe.SparseVector(*p.sparse)}, payload=p.payload)
        for p in _points(vectors)]))
    shard.flush()
    shard.close()
    (collection / "collection.json").write_text(CollectionInfo(embed_model="m", dim=DIM).model_dump_json())

    store = EdgeStore(tmp_path, "c", index=INDEX)
    assert store.index_state()["pending"]
    assert _ids(store, vectors[9])[0] == str(uuid.UUID(int=9))
    assert store.build_index()
    assert store.index_state()["indexed_vectors"] >= 2 * len(vectors)
    live = (collection / LIVE_FILE).read_text()
    assert not (collection / SHARD_DIR).exists() and (collection / live).is_dir()
    config = json.loads((collection / live / "edge_config.json").read_text())
    assert config["hnsw_config"]["m"] == INDEX.hnsw_m and "scalar" in config["vectors"][DENSE_VECTOR]["quantization_config"]
    store.close()
    reopened = EdgeStore(tmp_path, "c", index=INDEX)
    assert reopened.count({}) == len(vectors) and not reopened.index_state()["pending"]
    reopened.close()


def _graph_fields(store: EdgeStore) -> set[str]:
    return {name for name, info in store._require().info().payload_schema.items() if info.params.enable_hnsw}


def test_the_unit_vectors_only_rescore_so_they_get_no_graph_and_no_quantised_copies(tmp_path):
    store = EdgeStore(tmp_path, "c", index=INDEX)
    store.ensure_collection(CollectionInfo(embed_model="m", dim=DIM))
    vectors = _vectors(1000, 0)
    points = _points(vectors)
    for point, vector in zip(points, vectors):
        point.units = [vector.tolist(), (-vector).tolist()]
    store.upsert(points)
    assert store.build_index()
    built = [json.loads(p.read_text())["config"]["vector_data"]
             for p in (tmp_path / "c").glob("shard-*/segments/*/segment.json")]
    indexed = [v for v in built if v[DENSE_VECTOR]["index"]["type"] == "hnsw"]
    assert indexed, "the build made no graph at all"
    for vectors_of in indexed:
        assert vectors_of[DENSE_VECTOR]["index"]["options"]["m"] == INDEX.hnsw_m
        assert "scalar" in vectors_of[DENSE_VECTOR]["quantization_config"]
        assert vectors_of[UNITS_VECTOR]["index"]["options"]["m"] == 0  # no links: Qdrant builds no graph
        assert vectors_of[UNITS_VECTOR]["quantization_config"] is None
    # Rescoring candidates still reads them: a chunk's best unit is its own vector.
    ids = [str(uuid.UUID(int=i)) for i in (3, 7)]
    hits = store.search(VectorQuery(UNITS_VECTOR, dense=vectors[3].tolist(), ids=ids, exact=True), 2)
    assert hits[0].id == ids[0] and hits[0].score == pytest.approx(1.0, abs=1e-5)
    store.close()


def test_only_the_configured_fields_get_graphs_of_their_own_and_a_change_lands_at_open(tmp_path):
    store, vectors = _store(tmp_path, n=1000)
    assert _graph_fields(store) == set()  # by default no field pays for graphs of its own
    assert store.build_index() and not store.index_state()["pending"]
    store.close()
    wider = INDEX.model_copy(update={"filter_graph_fields": "language, state"})
    reopened = EdgeStore(tmp_path, "c", index=wider)
    # Changed in place, and the next build makes (or drops) the graphs.
    assert _graph_fields(reopened) == {"language", "state"} and reopened.index_state()["pending"]
    assert _ids(reopened, vectors[3], {"language": "en"})[0] == str(uuid.UUID(int=3))
    reopened.close()
    with pytest.raises(StoreError, match="HELPDESK_INDEX_FILTER_GRAPH_FIELDS names stage, which is not indexed"):
        EdgeStore(tmp_path, "c", index=INDEX.model_copy(update={"filter_graph_fields": "stage"}))


def test_the_server_collection_gets_the_same_index_settings():
    config = index_config(IndexSettings(hnsw_m=24, hnsw_ef_construct=150, quantile=0.98))
    assert (config["hnsw_config"].m, config["hnsw_config"].ef_construct) == (24, 150)
    assert config["quantization_config"].scalar.quantile == 0.98
    assert index_config(IndexSettings(quantization="none"))["quantization_config"] is None

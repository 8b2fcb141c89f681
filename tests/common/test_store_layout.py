"""Layout 2 (the `units` multivector): a collection of layout 1 is named as outdated, then upgraded in place by the
next ingest on both stores, every point kept; a crash in the middle of an upgrade is completed by the next run."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from common.schema import DENSE_VECTOR, SCHEMA_VERSION, UNITS_VECTOR, CollectionInfo
from common.settings import IndexSettings
from common.store import IndexLayoutError, StoredPoint, StoreError, VectorQuery, check_compatible
from common.store.edge import BUILD_PREFIX, INFO_FILE, EdgeStore
from common.store.server import UPGRADE_SUFFIX, ServerStore

DIM = 16
N = 300
# Thresholds low enough that a build makes a graph over both vectors, in a second.
INDEX = IndexSettings(indexing_threshold_kb=1, full_scan_threshold_kb=1, min_chunks=0, build_threads=1)
OLD = CollectionInfo(embed_model="m", dim=DIM, schema_version=1)
CURRENT = CollectionInfo(embed_model="m", dim=DIM)


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _old_points() -> list[StoredPoint]:
    return [StoredPoint(str(uuid.UUID(int=i)), v.tolist(), ([1 + i % 5], [1.0]),
                        {"doc_id": f"d{i}", "state": "ready", "text": f"chunk {i}"})
            for i, v in enumerate(_vectors(N))]


def _dense_ids(store, vector: np.ndarray) -> list[str]:
    return [h.id for h in store.search(VectorQuery(DENSE_VECTOR, dense=vector.tolist(), exact=True), 10)]


def _unit_point(store) -> str:
    """Give one point unit vectors; a unit query equal to one of them must find it first, by MaxSim."""
    units = _vectors(3, seed=7)
    point = StoredPoint(str(uuid.UUID(int=0)), _vectors(1, 9)[0].tolist(), ([1], [1.0]),
                        {"doc_id": "d0", "state": "ready", "text": "chunk 0", "unit_keys": ["a", "b", "c"]},
                        units=units.tolist())
    store.upsert([point])
    hits = store.search(VectorQuery(UNITS_VECTOR, dense=units[1].tolist()), 5)
    assert hits[0].id == point.id and hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert np.allclose(store.unit_vectors([point.id])[point.id], units, atol=1e-5)
    return point.id


def _check_upgraded(store, before: dict[str, list[str]], probes: np.ndarray) -> None:
    info = store.collection_info()
    assert info.schema_version == SCHEMA_VERSION
    check_compatible(store, "m", DIM)
    assert store.count({}) == N
    assert {i: _dense_ids(store, probe) for i, probe in enumerate(probes)} == before
    assert dict(store.scroll({"doc_id": "d5"}, ["text"])) == {str(uuid.UUID(int=5)): {"text": "chunk 5"}}


def _layout_1_collection(tmp_path):
    """An embedded collection of layout 1, closed; the dense top ids of five probes taken before any upgrade."""
    old = EdgeStore(tmp_path, "c", index=INDEX)
    old.ensure_collection(OLD)
    old.upsert(_old_points())
    probes = _vectors(5, seed=3)
    before = {i: _dense_ids(old, probe) for i, probe in enumerate(probes)}
    old.close()
    return before, probes


def test_edge_store_upgrades_a_layout_1_collection_in_place(tmp_path):
    before, probes = _layout_1_collection(tmp_path)

    store = EdgeStore(tmp_path, "c", index=INDEX)
    with pytest.raises(IndexLayoutError, match="helpdesk ingest"):
        check_compatible(store, "m", DIM)
    assert store.search(VectorQuery(UNITS_VECTOR, dense=probes[0].tolist()), 5) == []
    with pytest.raises(StoreError, match="helpdesk ingest"):  # a unit vector has nowhere to go yet
        store.upsert([StoredPoint(str(uuid.UUID(int=1)), probes[0].tolist(), ([1], [1.0]), {}, units=[probes[1].tolist()])])

    store.ensure_collection(CURRENT)  # what `helpdesk ingest` and an upload call first
    _check_upgraded(store, before, probes)
    unit_id = _unit_point(store)
    assert store.build_index()  # the index build opens the new layout too
    assert store.search(VectorQuery(UNITS_VECTOR, dense=_vectors(3, seed=7)[2].tolist()), 1)[0].id == unit_id
    store.close()

    reopened = EdgeStore(tmp_path, "c", index=INDEX)
    assert reopened.collection_info().schema_version == SCHEMA_VERSION
    assert reopened.count({}) == N
    assert len([p for p in (tmp_path / "c").iterdir() if p.is_dir()]) == 1  # the old shard is gone
    reopened.close()


def test_edge_store_opens_a_shard_whose_info_was_written_before_a_crash(tmp_path):
    """An upgrade writes the info file, then the pointer to the new shard; killed between the two, the old shard
    is live while the info says layout 2. Opening finds the shard's own layout and the next ingest upgrades it."""
    before, probes = _layout_1_collection(tmp_path)
    (tmp_path / "c" / INFO_FILE).write_text(CURRENT.model_dump_json(), encoding="utf-8")
    (tmp_path / "c" / f"{BUILD_PREFIX}deadbeef0000").mkdir()  # the new shard's unfinished copy

    store = EdgeStore(tmp_path, "c", index=INDEX)
    assert store.collection_info().schema_version == 1
    store.ensure_collection(CURRENT)
    _check_upgraded(store, before, probes)
    _unit_point(store)
    store.close()


def test_server_store_upgrades_a_layout_1_collection_and_finishes_an_interrupted_upgrade():
    store = ServerStore("c", local_path=":memory:", index=INDEX)
    store.ensure_collection(OLD)
    store.upsert(_old_points())
    probes = _vectors(5, seed=3)
    before = {i: _dense_ids(store, probe) for i, probe in enumerate(probes)}
    with pytest.raises(IndexLayoutError, match="helpdesk ingest"):
        check_compatible(store, "m", DIM)

    store.ensure_collection(CURRENT)
    _check_upgraded(store, before, probes)
    assert not store._client.collection_exists("c" + UPGRADE_SUFFIX)
    _unit_point(store)

    # Killed after the copy aside was complete and the collection dropped: the next run rebuilds it from the copy.
    interrupted = ServerStore("d", local_path=":memory:", index=INDEX)
    interrupted._client = store._client
    interrupted.ensure_collection(OLD)
    interrupted.upsert(_old_points())
    interrupted._create("d" + UPGRADE_SUFFIX, CURRENT, complete=False)
    interrupted._copy_points("d", "d" + UPGRADE_SUFFIX)
    store._client.update_collection("d" + UPGRADE_SUFFIX, metadata=CURRENT.model_dump())
    store._client.delete_collection("d")
    interrupted.ensure_collection(CURRENT)
    _check_upgraded(interrupted, before, probes)
    assert not store._client.collection_exists("d" + UPGRADE_SUFFIX)
    store.close()

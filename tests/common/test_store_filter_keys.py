"""The embedded store folds the filter fields that never change after ingest into one indexed keyword array, so an
index build reads each chunk's payload for three field indexes instead of ten. Filters, counts, facets and payloads
read as before; a collection made with one index per field is converted in place when it is opened."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from common.schema import DENSE_VECTOR, FILTER_KEYS, FOLDED_FIELDS, CollectionInfo
from common.settings import IndexSettings
from common.store import StoredPoint, StoreError, VectorQuery
from common.store import edge as edge_module
from common.store.edge import EdgeStore

DIM = 8
N = 240
INDEX = IndexSettings(indexing_threshold_kb=1, full_scan_threshold_kb=1, min_chunks=0, build_threads=1)


def _points(n: int = N) -> list[StoredPoint]:
    vectors = np.random.default_rng(0).normal(size=(n, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [StoredPoint(str(uuid.UUID(int=i)), v.tolist(), ([1 + i % 5], [1.0]), {
        "doc_id": f"d{i // 10}", "language": ("fr", "et", "nl")[i % 3], "state": "ready", "text": f"chunk {i}",
        "fund": ["ESF+", "ERDF"] if i % 2 else ["ERDF"], "country": "EE" if i % 4 == 0 else "FR",
        "doc_type": "regulation", "period": "2021-2027", "doc_hash": f"h{i // 10}", "build": f"b{i // 10}",
        "anchors": [f"art:{i % 7}", "annex:1"] if i % 5 else None,
    }) for i, v in enumerate(vectors)]


def _expected(must: dict) -> set[str]:
    """The ids a filter must keep, computed from the points themselves."""
    def keeps(payload: dict) -> bool:
        for key, wanted in must.items():
            value = payload.get(key)
            values = set(value) if isinstance(value, list) else {value}
            if not values & (set(wanted) if isinstance(wanted, list) else {wanted}):
                return False
        return True
    return {p.id for p in _points() if keeps(p.payload)}


FILTERS = [
    {"doc_id": "d3"}, {"doc_id": ["d1", "d7", "nope"]}, {"fund": "ESF+"}, {"country": "EE", "language": "fr"},
    {"doc_type": "regulation", "period": "2021-2027", "state": "ready"}, {"doc_hash": "h12"},
    {"anchors": "art:3"}, {"anchors": ["art:1", "art:2"], "fund": "ESF+"}, {"anchors": "art:9"},
]


def _payload_indexes(store: EdgeStore) -> set[str]:
    return set(store._require().info().payload_schema)


@pytest.fixture
def store(tmp_path):
    s = EdgeStore(tmp_path, "c", index=INDEX)
    s.ensure_collection(CollectionInfo(embed_model="m", dim=DIM))
    s.upsert(_points())
    yield s
    s.close()


def test_a_new_collection_indexes_three_fields(store):
    assert _payload_indexes(store) == {"language", "state", FILTER_KEYS}


@pytest.mark.parametrize("built", [False, True], ids=["appendable", "indexed"])
@pytest.mark.parametrize("must", FILTERS, ids=lambda m: ",".join(m))
def test_filters_on_folded_fields_keep_what_they_did(store, must, built):
    if built:
        store.build_index()
    assert store.count(must) == len(_expected(must))
    assert {i for i, _ in store.scroll(must, ["text"])} == _expected(must)
    found = store.search(VectorQuery(DENSE_VECTOR, dense=[1.0] * DIM, must=must), N)
    assert {h.id for h in found} == _expected(must)


def test_must_not_and_delete_on_folded_and_plain_fields(store):
    store.delete({"doc_id": "d2"}, must_not={"anchors": "annex:1"})
    assert store.count({"doc_id": "d2"}) == 8  # the two without anchors went
    store.delete({"doc_id": "d3"}, must_not={"build": "b3"})  # as ingest drops a document's older builds
    assert store.count({"doc_id": "d3"}) == 10
    store.delete({"doc_id": "d3"}, must_not={"build": "b-newer"})
    assert store.count({"doc_id": "d3"}) == 0
    store.delete({"fund": "ESF+"}, must_not={"country": "FR"})
    assert store.count({"fund": "ESF+", "country": "EE"}) == 0


def test_payloads_read_back_without_the_folded_keys(store):
    hit = store.search(VectorQuery(DENSE_VECTOR, dense=[1.0] * DIM, must={"doc_id": "d0"}), 1)[0]
    assert FILTER_KEYS not in hit.payload and hit.payload["doc_id"] == "d0"
    assert all(FILTER_KEYS not in payload for _, payload in store.scroll({}, ["doc_id", FILTER_KEYS]))


def _facet(key: str, must: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for point in _points():
        if point.id in _expected(must):
            value = point.payload.get(key)
            for item in value if isinstance(value, list) else [value] if value is not None else []:
                counts[item] = counts.get(item, 0) + 1
    return counts


@pytest.mark.parametrize(("key", "must"), [("fund", {"language": "fr"}), ("language", {"doc_id": "d0"}),
                                           ("anchors", {"doc_id": ["d0", "d1"]}), ("country", {})])
def test_facets_on_folded_and_plain_fields(store, key, must):
    assert store.facet(key, must) == _facet(key, must) != {}


def test_setting_a_folded_field_moves_it_in_the_filters_too(store):
    store.set_payload({"doc_id": "d1", "language": "fr"}, {"country": "LV", "state": "pending"})
    assert store.count({"country": "LV"}) == store.count({"state": "pending"}) == len(_expected({"doc_id": "d1", "language": "fr"}))
    assert store.count({"country": "LV", "doc_id": "d1"}) == 3
    assert {p["country"] for _, p in store.scroll({"country": "LV"}, ["country"])} == {"LV"}


def test_a_payload_may_not_name_the_folded_field(store):
    with pytest.raises(StoreError, match=FILTER_KEYS):
        store.upsert([StoredPoint(str(uuid.UUID(int=999)), [1.0] * DIM, ([1], [1.0]), {FILTER_KEYS: ["x"]})])


def test_a_collection_with_one_index_per_field_is_converted_when_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(edge_module, "FOLD_NEW_COLLECTIONS", False)
    old = EdgeStore(tmp_path, "c", index=INDEX)
    old.ensure_collection(CollectionInfo(embed_model="m", dim=DIM))
    old.upsert(_points())
    old.build_index()
    assert {"doc_id", "anchors", "build"} <= _payload_indexes(old) and FILTER_KEYS not in _payload_indexes(old)
    counts = {i: old.count(must) for i, must in enumerate(FILTERS)}
    old.close()
    monkeypatch.undo()

    store = EdgeStore(tmp_path, "c", index=INDEX)
    try:
        assert _payload_indexes(store) == {"language", "state", FILTER_KEYS}
        assert {i: store.count(must) for i, must in enumerate(FILTERS)} == counts
        assert all(store.count(must) == len(_expected(must)) for must in FILTERS)
        assert store.index_state()["pending"]  # the converted points await a new graph
        store.build_index()
        assert {i: store.count(must) for i, must in enumerate(FILTERS)} == counts
    finally:
        store.close()


def test_folded_fields_are_the_indexed_ones_that_ingest_never_changes():
    from common.schema import INDEXED_FIELDS

    assert set(FOLDED_FIELDS) < set(INDEXED_FIELDS)
    assert not {"state", "language"} & set(FOLDED_FIELDS)  # set after ingest / faceted per question


def test_filters_on_folded_fields_go_through_the_keys_index():
    from common.store.edge import _filter

    translated = _filter({"doc_id": ["d1", "d2"], "language": "fr", "anchors": "art:5"}, {"build": "b1"})
    assert [(c.key, c.match.value) for c in translated.must] == [
        (FILTER_KEYS, ["doc_id=d1", "doc_id=d2"]), ("language", "fr"), (FILTER_KEYS, "anchors=art:5")]
    assert [c.key for c in translated.must_not] == ["build"]


def test_a_folded_field_may_not_ask_for_graphs_of_its_own(tmp_path):
    with pytest.raises(StoreError, match="country.*folded"):
        EdgeStore(tmp_path, "c", index=INDEX.model_copy(update={"filter_graph_fields": "country"})).ensure_collection(
            CollectionInfo(embed_model="m", dim=DIM))

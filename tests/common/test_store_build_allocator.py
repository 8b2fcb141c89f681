"""The embedded index's build process runs on mimalloc (HELPDESK_INDEX_BUILD_ALLOCATOR), or on what is chosen."""

from __future__ import annotations

import platform
import subprocess
import sys
import uuid

import numpy as np
import pytest

from common.schema import DENSE_VECTOR, CollectionInfo
from common.settings import IndexSettings
from common.store import StoredPoint, VectorQuery
from common.store import edge
from common.store.edge import BUILD_PREFIX, EdgeStore, IndexBuildError, build_allocator, build_process_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="libraries are preloaded on Linux only")

DIM = 32
INDEX = IndexSettings(indexing_threshold_kb=1, full_scan_threshold_kb=1, min_chunks=0, build_threads=1)


def _maps_of_a_child(env: dict[str, str]) -> str:
    """The shared objects a Python process started with `env` has mapped."""
    done = subprocess.run([sys.executable, "-c", "print(open('/proc/self/maps').read())"], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_auto_preloads_the_installed_mimalloc_into_the_build_process(monkeypatch):
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    library = build_allocator(IndexSettings())
    # The dependency is declared for these machines, so `auto` must find it there.
    if platform.machine() in ("x86_64", "aarch64"):
        assert library is not None and library.name.startswith("libmimalloc.so.")
    if library is None:
        pytest.skip(f"no cmeel-mimalloc wheel for {platform.machine()}")
    assert str(library) in _maps_of_a_child(build_process_env(IndexSettings()))


def test_system_preloads_nothing(monkeypatch):
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    env = build_process_env(IndexSettings(build_allocator="system"))
    assert "LD_PRELOAD" not in env
    assert "mimalloc" not in _maps_of_a_child(env)


def test_a_chosen_library_goes_before_one_already_preloaded(monkeypatch):
    library = build_allocator(IndexSettings())
    if library is None:
        pytest.skip(f"no cmeel-mimalloc wheel for {platform.machine()}")
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/already-preloaded.so")
    env = build_process_env(IndexSettings(build_allocator=str(library)))
    assert env["LD_PRELOAD"] == f"{library} /usr/lib/already-preloaded.so"


def _store(path, index: IndexSettings, n: int = 2000) -> tuple[EdgeStore, np.ndarray]:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = EdgeStore(path, "c", index=index)
    store.ensure_collection(CollectionInfo(embed_model="m", dim=DIM))
    store.upsert([StoredPoint(str(uuid.UUID(int=i)), v.tolist(), ([1], [1.0]), {"language": "en", "state": "ready"})
                  for i, v in enumerate(vectors)])
    store.flush()
    return store, vectors


def test_a_missing_library_is_named_before_the_shard_is_copied_and_answers_go_on(tmp_path, monkeypatch):
    store, vectors = _store(tmp_path, INDEX.model_copy(update={"build_allocator": str(tmp_path / "libnone.so")}))
    copies = []
    monkeypatch.setattr(edge.shutil, "copytree", lambda *args, **kwargs: copies.append(args))
    try:
        with pytest.raises(IndexBuildError, match=r"HELPDESK_INDEX_BUILD_ALLOCATOR names .*libnone\.so, which is not a file"):
            store.build_index()
        assert copies == [], "the shard was copied for a build that could not start"
        assert not list((tmp_path / "c").glob(f"{BUILD_PREFIX}*"))
        assert store.index_state()["pending"]
        hits = store.search(VectorQuery(DENSE_VECTOR, dense=vectors[5].tolist(), must={}), 1)
        assert hits[0].id == str(uuid.UUID(int=5))
    finally:
        store.close()


def test_an_index_built_on_mimalloc_answers_as_exact_search_does(tmp_path):
    store, vectors = _store(tmp_path, INDEX)
    try:
        assert store.build_index()
        assert store.index_state()["indexed_vectors"] > 0
        for i in range(0, 2000, 200):
            query = dict(using=DENSE_VECTOR, dense=vectors[i].tolist(), must={})
            graph = [h.id for h in store.search(VectorQuery(**query), 10)]
            exact = [h.id for h in store.search(VectorQuery(**query, exact=True), 10)]
            assert len(set(graph) & set(exact)) >= 9
    finally:
        store.close()

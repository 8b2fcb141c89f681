"""Every benchmark still starts: a module that no longer imports (a retired helper, a renamed setting) is found
here, not by the next person who wants a figure."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Shared pieces the benches import, not benches themselves.
HELPER_MODULES = {"__init__", "documents", "server"}
BENCHMARKS = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in HELPER_MODULES)


def test_benchmarks_are_found():
    assert {"embed", "load", "scale", "search_latency"} <= set(BENCHMARKS)


@pytest.mark.parametrize("name", sorted(HELPER_MODULES - {"__init__"}))
def test_bench_helpers_import(name):
    importlib.import_module(f"bench.{name}")


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_imports_and_has_a_main(name):
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench.{name} has no main()"


def test_embed_benchmark_answers_help():
    done = subprocess.run([sys.executable, "-m", "bench.embed", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "--passages" in done.stdout


def test_scale_noise_puts_copies_as_far_as_real_nearest_neighbours():
    import numpy as np

    from bench.scale import calibrated_noise, noisy

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 384))
    base = np.repeat(centres, 5, axis=0) + rng.normal(scale=0.15, size=(100, 384))  # clusters of near neighbours
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    similarity = base @ base.T
    np.fill_diagonal(similarity, -1.0)
    nearest = float(np.median(similarity.max(axis=1)))
    copies = noisy(base, calibrated_noise(base), rng)
    assert np.mean(np.sum(copies * base, axis=1)) == pytest.approx(nearest, abs=0.01)


@pytest.mark.parametrize(("extra", "message"), [(["--noise", "abc"], "neither 'auto' nor a number"),
                                                (["--corpus", "/no/such/corpus"], "is not a folder"),
                                                (["--search-every", "-1"], "is negative"),
                                                (["--from-unbuilt", "/no/such/dir"], "holds no collection kept by"),
                                                (["--from-unbuilt", ".", "--keep-unbuilt", "k"], "give one of them")])
def test_scale_benchmark_names_bad_arguments(extra, message, tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench.scale", "--chunks", "10", *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HELPDESK_DATA_DIR": str(tmp_path)})
    assert done.returncode != 0 and message in done.stderr


def test_scale_loads_chunks_kept_with_the_stores_derived_keys(tmp_path):
    """The kept source file holds payloads as the embedded store returns them, with the filter keys it derives;
    the store refuses to be given those, so the loader must drop them (a fresh machine's first run failed)."""
    import argparse
    import hashlib
    import json

    import numpy as np

    from bench.scale import load, source_chunks
    from common.schema import FILTER_KEYS
    from common.settings import Settings

    settings = Settings(data_dir=tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    tag = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:8]
    source_dir = tmp_path / "bench" / f"scale-source-{corpus.name}-{tag}"  # where source_chunks keeps its file
    source_dir.mkdir(parents=True)
    payload = {"doc_id": "d1", "language": "bg", "text": "Срокът е 31 декември 2029 г.", "period": "2021-2027",
               "state": "ready", FILTER_KEYS: ["doc_id=d1", "period=2021-2027"]}
    row = {"dense": [1.0] + [0.0] * 383, "sparse": [[3], [1.0]], "payload": payload,
           "units": [[0.0, 1.0] + [0.0] * 382]}
    (source_dir / f"chunks-units-{settings.embed.model}.json").write_text(json.dumps([row, row]))
    chunks = source_chunks(settings, corpus)
    assert all(FILTER_KEYS not in c[2] for c in chunks)
    base = np.stack([c[0] for c in chunks])
    store, _, _ = load(argparse.Namespace(chunks=5, batch=2), settings, tmp_path / "scale", chunks, base,
                       noise=0.01, rng=np.random.default_rng(0))
    try:
        assert store.count({"language": "bg", "period": "2021-2027"}) == 5
    finally:
        store.close()

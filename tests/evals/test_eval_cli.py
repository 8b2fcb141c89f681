"""`helpdesk eval` in its three forms, run as real subprocesses over a tiny corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.evals.conftest import write_squad

HELPDESK = [sys.executable, "-m", "service"]
PNG = b"\x89PNG\r\n\x1a\n"
SUMMARY_KEYS = ["n", "n_answerable", "retrieval", "answer", "language_id", "rates", "latency_ms", "answer_shape",
                "by_language", "by_tag", "by_language_pair", "config"]


@pytest.fixture
def env(make_settings):
    return {**os.environ, "HELPDESK_DATA_DIR": str(make_settings().data_dir)}


def _eval(args, env, code=0):
    result = subprocess.run([*HELPDESK, "eval", *map(str, args)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == code, result.stderr
    return result


def test_eval_dataset_writes_the_report_and_reuses_the_index(tiny_corpus, tiny_dataset, env, tmp_path):
    first = _eval([tiny_dataset, "--corpus", tiny_corpus, "--out", tmp_path / "one", "--json", tmp_path / "one.json"],
                  env)
    figures = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert list(figures) == SUMMARY_KEYS
    assert figures["n"] == 4 and figures["n_answerable"] == 3
    assert list(figures["latency_ms"]) == ["search_p50", "search_p95", "ask_p50", "ask_p95"]
    assert set(figures["by_language"]) == {"en", "de"} and "unanswerable" in figures["by_tag"]
    # question language x language of the evidence: the German question's evidence is French, the English ones'
    # English and German
    assert figures["by_language_pair"] == {"de": {"fr": {"n": 1, "recall": 1.0}},
                                           "en": {"de": {"n": 1, "recall": 1.0}, "en": {"n": 1, "recall": 1.0}}}
    # Judged: the passages the composer received (HELPDESK_SEARCH_K, 5), not a separate deeper search.
    assert list(figures["retrieval"]) == ["recall@1", "recall@3", "recall@5", "mrr@5", "ndcg@5"]
    assert figures["retrieval"]["recall@5"] == 1.0 and figures["config"]["k"] == 5
    assert figures["rates"]["recall@5"]["n"] == 3 and len(figures["rates"]["recall@5"]["interval"]) == 2
    assert figures["config"]["index"]["reused"] is False and figures["config"]["preset"] == "configured"
    assert "ingested in" in first.stderr and "report:" in first.stderr and "recall@5" in first.stderr
    out = tmp_path / "one"
    assert {"results.json", "questions.jsonl", "report.md", "metrics.png", "by_language.png",
            "by_tag.png", "language_pairs.png"} <= {p.name for p in out.iterdir()}
    assert (out / "language_pairs.png").read_bytes().startswith(PNG)
    assert "| de |  |  | 1.00 (1) |" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "metrics.png").read_bytes().startswith(PNG)
    assert "## Metric definitions" in (out / "report.md").read_text(encoding="utf-8")

    # The explicit `run` form, another preset: the same collection, not ingested again.
    second = _eval(["run", tiny_dataset, "--corpus", tiny_corpus, "--preset", "hybrid", "--composer", "extractive",
                    "--k", "2", "--deep-k", "3", "--out", tmp_path / "two", "--json", tmp_path / "two.json"], env)
    two = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    again = two["config"]
    # --k sets what the composer receives; --deep-k adds a separate search, reported apart.
    assert list(two["retrieval"]) == ["recall@1", "recall@2", "mrr@2", "ndcg@2"] and again["search"]["k"] == 2
    assert list(two["deep_retrieval"]) == ["deep_recall@1", "deep_recall@3", "deep_mrr@3", "deep_ndcg@3"]
    assert again["index"]["reused"] is True and "reused" in second.stderr
    assert again["index"]["collection"] == figures["config"]["index"]["collection"]
    assert again["search"]["mode"] == "hybrid" and again["k"] == 2 and again["composer"] == "extractive"


def test_eval_compare_runs_presets_side_by_side(tiny_corpus, tiny_dataset, env, tmp_path):
    _eval(["compare", tiny_dataset, "--corpus", tiny_corpus, "--presets", "dense,sparse", "--out", tmp_path / "cmp",
           "--json", tmp_path / "cmp.json"], env)
    data = json.loads((tmp_path / "cmp.json").read_text(encoding="utf-8"))
    assert list(data["presets"]) == ["dense", "sparse"] and data["index"]["reused"] is False
    assert all(list(summary) == SUMMARY_KEYS for summary in data["presets"].values())
    assert data["presets"]["sparse"]["config"]["search"]["mode"] == "sparse"
    folder = tmp_path / "cmp"
    assert (folder / "compare.png").read_bytes().startswith(PNG)
    assert "| metric | dense | sparse |" in (folder / "compare.md").read_text(encoding="utf-8")
    assert (folder / "dense" / "report.md").is_file() and (folder / "sparse" / "by_tag.png").is_file()


def test_eval_squad_cross_lingual(env, tmp_path):
    english = write_squad(tmp_path / "en.json", [("Bread", [
        ("Sourdough rises because wild yeast ferments the dough slowly over many hours.",
         [("Why does sourdough rise?", "wild yeast")]),
        ("A bicycle chain should be oiled every few hundred kilometres to keep it quiet.",
         [("How often should a chain be oiled?", "every few hundred kilometres")]),
    ])])
    german = write_squad(tmp_path / "de.json", [("Bread", [
        ("Sauerteig geht auf, weil wilde Hefe den Teig langsam gären lässt.",
         [("Warum geht Sauerteig auf?", "wilde Hefe")]),
        ("Eine Fahrradkette sollte alle paar hundert Kilometer geölt werden.",
         [("Wie oft sollte man eine Fahrradkette ölen?", "alle paar hundert Kilometer")]),
    ])])
    _eval(["squad", german, "--contexts", english, "--limit", "2", "--out", tmp_path / "sq",
           "--json", tmp_path / "sq.json"], env)
    figures = json.loads((tmp_path / "sq.json").read_text(encoding="utf-8"))
    assert figures["n"] == 2 and figures["n_answerable"] == 2
    assert set(figures["by_language"]) == {"de"} and set(figures["by_tag"]) == {"squad", "cross-lingual"}
    assert figures["retrieval"]["recall@1"] == 1.0  # two paragraphs, German questions find the English ones
    assert (tmp_path / "sq" / "report.md").is_file()


def test_user_errors_are_named_and_exit_2(tiny_corpus, tiny_dataset, env, tmp_path):
    unknown = _eval([tiny_dataset, "--corpus", tiny_corpus, "--preset", "bm25"], env, code=2)
    assert "unknown preset 'bm25'" in unknown.stderr
    missing = _eval([tmp_path / "absent.jsonl", "--corpus", tiny_corpus], env, code=2)
    assert "absent.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    assert "bad.jsonl:1" in _eval([bad, "--corpus", tiny_corpus], env, code=2).stderr
    no_corpus = _eval([tiny_dataset, "--corpus", tmp_path / "nowhere"], env, code=2)
    assert "nowhere: no such file or folder" in no_corpus.stderr
    assert "DATASET|COMMAND" in _eval(["--help"], env).stdout

"""The sweep's setting parser and per-fold figures."""

from __future__ import annotations

import pytest

from common.settings import Settings
from evals.records import QuestionRecord, RankedHit
from evals.sweep import fold_figures, with_setting


def test_a_setting_is_validated_and_replaced_in_its_group():
    settings = with_setting(Settings(), "answer.new_source_penalty", "0.02")
    assert settings.answer.new_source_penalty == 0.02 and Settings().answer.new_source_penalty == 0.0
    with pytest.raises(SystemExit, match="no field 'nope'"):
        with_setting(Settings(), "answer.nope", "1")
    with pytest.raises(SystemExit, match="no settings group 'answers'"):
        with_setting(Settings(), "answers.max_sentences", "1")
    with pytest.raises(ValueError):
        with_setting(Settings(), "answer.max_sentences", "many")


def test_fold_figures_report_retrieval_answers_and_quotes():
    def record(qid, relevant, quoted):
        return QuestionRecord(id=qid, question="?", language="en", gold_answerable=True, has_evidence=True,
                              hits=[RankedHit(rank=1, doc_id="d", source="s", language="en", score=1.0,
                                              relevant=relevant)],
                              answerable=True, facts_found=[relevant], quoted_lines=quoted,
                              quote_chars=[100] * quoted)

    figures = fold_figures([record("a", True, 1), record("b", False, 3)], k=5)
    assert figures["recall@5"] == 0.5 and figures["fact_recall"] == 0.5
    assert figures["median_quotes"] == 2 and figures["n"] == 2 and figures["quote_chars_p90"] == 100


def test_a_missing_dataset_is_a_named_error_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "evals.sweep", "--dataset", str(tmp_path / "missing.jsonl"),
                           "--setting", "answer.mmr_lambda", "--values", "0.5"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                       "HELPDESK_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 1 and "error:" in done.stderr and "missing.jsonl" in done.stderr
    assert "Traceback" not in done.stderr
